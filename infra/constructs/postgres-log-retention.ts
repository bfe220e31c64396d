import * as path from 'node:path';
import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { nagArnPrefix } from '../nag';
import { bundlingWithFiles } from './settings-files';
import { LAMBDA_RUNTIME } from './stream-processing';

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
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: "aurora-audit: sets the retention of the clusters' PostgreSQL log groups",
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
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
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(__dirname, '..', '..', 'tasks', 'postgres-log-retention', 'handler.ts'),
      handler: 'handler',
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // At most a few hundred groups, two calls each, with the SDK's retries on throttling.
      timeout: Duration.minutes(10),
      role,
      logGroup,
      description: "aurora-audit: set the retention of the clusters' PostgreSQL log groups",
      depsLockFilePath: path.join(__dirname, '..', '..', 'package-lock.json'),
      bundling: bundlingWithFiles([]),
      environment: {
        POWERTOOLS_SERVICE_NAME: 'aurora-audit-postgres-log-retention',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.function.functionArn,
      resourceType: 'Custom::PostgresLogRetention',
      // Deleting it keeps the groups (they belong to RDS): the handler does nothing on Delete.
      removalPolicy: RemovalPolicy.RETAIN,
      properties: { LogGroupNames: [...props.logGroupNames], RetentionInDays: String(props.retention) },
    });
  }
}
