import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as logsDestinations from 'aws-cdk-lib/aws-logs-destinations';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ALERT_SETTINGS_FILES, AlertLambdaEnvironment } from '../../tasks/alert/settings';
import { COMPILED_RULES_FILE } from '../../tasks/core/alerts/rule-set';
import { postgresLogGroupName } from '../../tasks/core/cloudwatch-logs';
import { ON_FAILURE_PREFIX, QUARANTINE_PREFIX } from '../../tasks/core/storage-layout';
import { nagArn } from '../nag';
import { PostgresLogRetention } from './postgres-log-retention';
import { type ProjectFunction, projectFunction } from './project-function';
import { type SettingsFile, settingsFileEnvironment, writeSettingsFile } from './settings-files';

export interface AlertCluster {
  readonly identifier: string;
  readonly resourceId: string;
  /** Instance identifiers whose events are archived but not alerted on. */
  readonly silentInstances: readonly string[];
  /**
   * The cluster's PostgreSQL log group: `set-retention` sets the retention of the group RDS creates (creating
   * it if it is not there yet) without owning it; `create` makes it a resource of the stack (it must not exist
   * yet); `existing` only subscribes to it.
   */
  readonly postgresLogGroup: PostgresLogGroupMode;
  /**
   * Both audit sources are meant to be on: the coverage check reconciles them.
   * @default false
   */
  readonly coverageCheck?: boolean;
  /**
   * The cluster's canary user (`clusters[].canary.user`): its canary statements are recorded as canary
   * arrivals, never alerted.
   * @default no canary
   */
  readonly canaryUser?: string;
}

export interface CoverageCheckProps {
  /** Statement classes reconciled between the two sources (empty: no check). */
  readonly classes: readonly string[];
  /** How long a statement recorded by one source waits for the other's report before it is a gap. */
  readonly grace: Duration;
}

/** How the stack treats a cluster's PostgreSQL log group (docs/configuration.md). */
export type PostgresLogGroupMode = 'set-retention' | 'create' | 'existing';

export interface AlertProcessingProps {
  readonly clusters: readonly AlertCluster[];
  readonly topic: sns.ITopic;
  readonly key: kms.IKey;
  readonly bucket: s3.IBucket;
  /** The decrypt Lambda's log group (its `{"auditEvent": …}` lines). */
  readonly decryptLogGroup: logs.ILogGroup;
  /** Firehose stream that archives pgAudit events. */
  readonly deliveryStreamName: string;
  readonly deliveryStreamArn: string;
  /** Subscription filter patterns generated from the rules. */
  readonly filterPatterns: { readonly activityStream: string; readonly pgAudit: string };
  /** Rules document (YAML or JSON text) bundled with the function. */
  readonly rulesFile: string;
  readonly subjectPrefix: string;
  readonly glueTable: string;
  readonly serviceUsers: readonly string[];
  readonly redactionPatterns: readonly string[];
  readonly logRetention: logs.RetentionDays;
  /**
   * Subscription filter names (on the decrypt Lambda's and on the PostgreSQL log groups).
   * @default { activityStream: 'aurora-audit-alerts', pgAudit: 'aurora-audit-pgaudit' }
   */
  readonly filterNames?: { readonly activityStream: string; readonly pgAudit: string };
  /**
   * How long a new alert waits for the other source's report of the same statement.
   * @default Duration.seconds(60)
   */
  readonly correlationHold?: Duration;
  /**
   * How often pending alerts and closed digests are flushed and due coverage records checked.
   * @default Duration.minutes(2)
   */
  readonly flushInterval?: Duration;
  /**
   * The coverage check (on the clusters with `coverageCheck`).
   * @default no check
   */
  readonly coverage?: CoverageCheckProps;
}

/**
 * The alert path: the alert Lambda (rules, deduplication, throttling, digests), its DynamoDB state, the
 * digest flush schedule, each cluster's PostgreSQL log group (by default its retention set, without owning
 * it: RDS creates it with none) and one subscription filter per log group.
 */
export class AlertProcessing extends Construct {
  /** The alert Lambda (`projectFunction`): its function, log group, role and standard alarms. */
  readonly alert: ProjectFunction;
  readonly function: nodejs.NodejsFunction;
  readonly table: dynamodb.Table;
  readonly logGroup: logs.LogGroup;
  /** The alert Lambda's cluster file (`CLUSTERS_FILE`), bundled beside its code. */
  readonly settingsFiles: readonly SettingsFile<(typeof ALERT_SETTINGS_FILES)[number]>[];

  constructor(scope: Construct, id: string, props: AlertProcessingProps) {
    super(scope, id);
    const hold = props.correlationHold ?? Duration.seconds(60);
    const flushInterval = props.flushInterval ?? Duration.minutes(2);
    if (hold.toSeconds() < 0 || hold.toSeconds() > 900) {
      throw new Error(`AlertProcessing: correlationHold must be 0 to 15 minutes, got ${hold.toSeconds()} s`);
    }
    if (flushInterval.toMinutes() < 1 || flushInterval.toMinutes() > 60) {
      throw new Error(
        `AlertProcessing: flushInterval must be 1 to 60 minutes, got ${flushInterval.toMinutes()} min`,
      );
    }
    const grace = props.coverage?.grace.toSeconds() ?? 900;
    if (grace < 60 || grace > 86_400) {
      throw new Error(`AlertProcessing: coverage.grace must be 1 minute to 24 hours, got ${grace} s`);
    }
    for (const [name, pattern] of Object.entries(props.filterPatterns)) {
      if (pattern.length === 0 || pattern.length > 1024) {
        throw new Error(
          `AlertProcessing: filterPatterns.${name} must be 1 to 1024 characters, got ${pattern.length}`,
        );
      }
    }

    this.table = new dynamodb.Table(this, 'State', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: 'due',
      partitionKey: { name: 'dueKey', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'dueAt', type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    // The cluster list outgrows Lambda's 4 KB of environment with a fleet: a file bundled beside the code.
    const clustersJson = JSON.stringify(
      props.clusters.map((c) => ({
        identifier: c.identifier,
        resourceId: c.resourceId,
        silentInstances: c.silentInstances,
        coverageCheck: c.coverageCheck ?? false,
        ...(c.canaryUser ? { canaryUser: c.canaryUser } : {}),
      })),
    );
    this.settingsFiles = [writeSettingsFile(this, 'CLUSTERS', 'clusters.json', clustersJson)];
    this.alert = projectFunction(this, {
      ids: { function: 'AlertFunction', logGroup: 'AlertLogs', role: 'AlertRole' },
      entry: 'tasks/alert/handler.ts',
      description: 'aurora-audit: alerts from activity streams and pgAudit',
      roleDescription: 'aurora-audit alert Lambda: rules, state in DynamoDB, SNS alerts, pgAudit archive',
      memorySize: 512,
      timeout: Duration.minutes(1),
      logRetention: props.logRetention,
      serviceName: 'aurora-audit-alert',
      settingsFiles: this.settingsFiles,
      rulesFile: props.rulesFile,
      alarms: { errors: 'Critical', throttles: 'Critical' },
      // Subscriptions and the schedule invoke asynchronously: at most two retries, then the failure destination.
      retryAttempts: 2,
      onFailure: new ScopedS3Destination(props.bucket),
      environment: {
        ALERT_TABLE: this.table.tableName,
        AUDIT_BUCKET: props.bucket.bucketName,
        TOPIC_ARN: props.topic.topicArn,
        DELIVERY_STREAM_NAME: props.deliveryStreamName,
        DECRYPT_LOG_GROUP: props.decryptLogGroup.logGroupName,
        ...settingsFileEnvironment(this.settingsFiles),
        SUBJECT_PREFIX: props.subjectPrefix,
        GLUE_TABLE: props.glueTable,
        SERVICE_USERS: props.serviceUsers.join(','),
        REDACTION_PATTERNS: JSON.stringify(props.redactionPatterns),
        CORRELATION_HOLD_SECONDS: String(hold.toSeconds()),
        RULES_FILE: COMPILED_RULES_FILE,
        COVERAGE_CLASSES: (props.coverage?.classes ?? []).join(','),
        COVERAGE_GRACE_SECONDS: String(grace),
      } satisfies AlertLambdaEnvironment,
    });
    this.function = this.alert.function;
    this.logGroup = this.alert.logGroup;
    const role = this.alert.role;
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
        resources: [this.table.tableArn, `${this.table.tableArn}/index/due`],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [props.topic.topicArn] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['firehose:PutRecordBatch'], resources: [props.deliveryStreamArn] }),
    );
    // The table and topic are encrypted with the stack key; the async-invocation failure destination too.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.key.keyArn],
      }),
    );
    // Unreadable pgAudit entries are quarantined; failed asynchronous invocations go to aws/lambda/.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [
          props.bucket.arnForObjects(`${QUARANTINE_PREFIX}pgaudit/*`),
          props.bucket.arnForObjects(`${ON_FAILURE_PREFIX}*`),
        ],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(props.bucket)}/${QUARANTINE_PREFIX}pgaudit/*]`,
      reason: 'Unreadable pgAudit entries are written under quarantine/pgaudit/, one key per log event.',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(props.bucket)}/${ON_FAILURE_PREFIX}*]`,
      reason: 'Failed asynchronous invocations are written by Lambda under aws/lambda/ with keys it chooses.',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.table.node.defaultChild as dynamodb.CfnTable)}.Arn>/index/due]`,
      reason: 'The due index of the alert table (a fixed name; the ARN form needs the /index/ path).',
    });

    // The flush: coverage records after their grace period, pending alerts after their hold, digests after
    // their window.
    new events.Rule(this, 'FlushSchedule', {
      description: 'aurora-audit: send due alerts and closed digests',
      schedule: events.Schedule.rate(flushInterval),
      targets: [
        new targets.LambdaFunction(this.function, {
          event: events.RuleTargetInput.fromObject({ flush: true }),
        }),
      ],
    });

    const filterNames = props.filterNames ?? {
      activityStream: 'aurora-audit-alerts',
      pgAudit: 'aurora-audit-pgaudit',
    };
    new logs.SubscriptionFilter(this, 'ActivityStreamAlerts', {
      logGroup: props.decryptLogGroup,
      destination: new logsDestinations.LambdaDestination(this.function),
      filterPattern: logs.FilterPattern.literal(props.filterPatterns.activityStream),
      filterName: filterNames.activityStream,
    });
    // The PostgreSQL log groups: one retention resource and one invoke permission for the whole fleet (the
    // stack's 500 resources must hold 200 clusters), one subscription filter per group.
    const retained = props.clusters.filter((c) => c.postgresLogGroup === 'set-retention');
    const retention = retained.length
      ? new PostgresLogRetention(this, 'PostgresLogRetention', {
          logGroupNames: retained.map((c) => postgresLogGroupName(c.identifier)),
          retention: props.logRetention,
          logRetention: props.logRetention,
        })
      : undefined;
    const permission = new lambda.CfnPermission(this, 'PostgresLogsInvoke', {
      action: 'lambda:InvokeFunction',
      functionName: this.function.functionArn,
      principal: 'logs.amazonaws.com',
      sourceAccount: Stack.of(this).account,
      // Any cluster's PostgreSQL log group of the account and region: the subscriptions are the stack's own.
      sourceArn: Stack.of(this).formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: `${postgresLogGroupName('*')}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    });
    for (const cluster of props.clusters) {
      const group = this.postgresLogGroup(cluster, props.logRetention);
      const filter = new logs.SubscriptionFilter(this, `PgAuditAlerts-${cluster.identifier}`, {
        logGroup: group,
        destination: new logsDestinations.LambdaDestination(this.function, { addPermissions: false }),
        filterPattern: logs.FilterPattern.literal(props.filterPatterns.pgAudit),
        filterName: filterNames.pgAudit,
      });
      // CloudWatch Logs checks that it may invoke the function when the filter is created.
      filter.node.addDependency(permission);
      // With `set-retention`, the group exists once its retention is set (the provider creates it if RDS has
      // not yet): subscribe after that.
      if (retention && cluster.postgresLogGroup === 'set-retention')
        filter.node.addDependency(retention.resource);
    }
  }

  /** The cluster's PostgreSQL log group, as its mode says (`set-retention`: see PostgresLogRetention). */
  private postgresLogGroup(cluster: AlertCluster, retention: logs.RetentionDays): logs.ILogGroup {
    const id = `PostgresLog-${cluster.identifier}`;
    const logGroupName = postgresLogGroupName(cluster.identifier);
    if (cluster.postgresLogGroup === 'create')
      return new logs.LogGroup(this, id, { logGroupName, retention, removalPolicy: RemovalPolicy.RETAIN });
    return logs.LogGroup.fromLogGroupName(this, id, logGroupName);
  }
}

/**
 * An S3 failure destination for asynchronous invocations that grants only what Lambda needs to write it
 * (the managed S3Destination grants read and write on the whole bucket).
 */
class ScopedS3Destination implements lambda.IDestination {
  constructor(private readonly bucket: s3.IBucket) {}

  bind(): lambda.DestinationConfig {
    return { destination: this.bucket.bucketArn };
  }
}
