import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { nagArnPrefix } from '../nag';
import { projectFunction } from './project-function';

export interface PostgresLogRetentionProps {
  /** The PostgreSQL log groups (`/aws/rds/cluster/<identifier>/postgresql`). */
  readonly logGroupNames: readonly string[];
  readonly retention: logs.RetentionDays;
  /** Retention of the provider Lambda's own log group. */
  readonly logRetention: logs.RetentionDays;
}

/** The log groups the provider may create and set the retention of: the clusters' PostgreSQL groups only. */
const POSTGRES_GROUPS = 'log-group:/aws/rds/cluster/*/postgresql';

/**
 * The retention of every configured cluster's PostgreSQL log group, set by ONE custom resource whose size in
 * resources does not grow with the fleet (CDK's `logs.LogRetention` is one custom resource per group: 200 of the
 * stack's 500 resources at 200 clusters). The groups are created if RDS has not yet, never owned: deleting the
 * stack or removing a cluster keeps them (`tasks/postgres-log-retention`).
 */
export class PostgresLogRetention extends Construct {
  readonly resource: CustomResource;
  readonly function: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: PostgresLogRetentionProps) {
    super(scope, id);
    if (props.logGroupNames.length === 0)
      throw new Error('PostgresLogRetention: logGroupNames must list at least one log group');
    const stack = Stack.of(this);
    const provider = projectFunction(this, {
      ids: { function: 'Function', logGroup: 'Logs', role: 'Role' },
      entry: 'tasks/postgres-log-retention/handler.ts',
      description: "aurora-audit: set the retention of the clusters' PostgreSQL log groups",
      roleDescription: "aurora-audit: sets the retention of the clusters' PostgreSQL log groups",
      memorySize: 256,
      // At most a few hundred groups, two calls each, with the SDK's retries on throttling.
      timeout: Duration.minutes(10),
      logRetention: props.logRetention,
      serviceName: 'aurora-audit-postgres-log-retention',
      // No settings: the log groups and the retention arrive as the custom resource's properties.
      environment: {},
      // None: a failure fails the stack operation that invoked it, and CloudFormation reports that.
      alarms: {},
    });
    this.function = provider.function;
    const role = provider.role;
    const groups = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: POSTGRES_GROUPS.slice('log-group:'.length),
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'],
        resources: [groups, `${groups}:*`],
      }),
    );
    for (const suffix of ['', ':*']) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagArnPrefix(this, 'logs')}:${POSTGRES_GROUPS}${suffix}]`,
        reason:
          "Creates and sets the retention of the clusters' PostgreSQL log groups (/aws/rds/cluster/<cluster>/postgresql) only: one pattern whatever the fleet.",
      });
    }
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.function.functionArn,
      resourceType: 'Custom::PostgresLogRetention',
      // Deleting it keeps the groups (they belong to RDS): the handler does nothing on Delete.
      removalPolicy: RemovalPolicy.RETAIN,
      properties: { LogGroupNames: [...props.logGroupNames], RetentionInDays: String(props.retention) },
    });
  }
}
