import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { COMPILED_RULES_FILE } from '../../tasks/core/alerts/rule-set';
import { ENCRYPTION_CONTEXT_KEY } from '../../tasks/core/das/record';
import {
  EVENTS_ERROR_PREFIX,
  EVENTS_PREFIX,
  FIREHOSE_ERROR_PREFIX,
  FIREHOSE_EVENTS_PREFIX,
  FIREHOSE_PARTITION_QUERY,
  ON_FAILURE_PREFIX,
  QUARANTINE_PREFIX,
} from '../../tasks/core/storage-layout';
import type {
  DECRYPT_SETTINGS_FILES,
  DecryptLambdaEnvironment,
} from '../../tasks/decrypt-activity-stream/settings';
import { nagArn, nagArnPrefix } from '../nag';
import { type ProjectFunction, projectFunction } from './project-function';
import { type SettingsFile, settingsFileEnvironment, writeSettingsFile } from './settings-files';

/**
 * The tag that marks an activity-stream KMS key the decrypt Lambda may use: key `aurora-audit`, value the stack's
 * `name` (the same tag the clusters carry; docs/deploying.md "Before you deploy").
 */
export const KEY_TAG_KEY = 'aurora-audit';

/**
 * Up to this many clusters the decrypt role names each cluster (encryption contexts, stream ARNs, about 135
 * characters each: at most ~2,700 of IAM's 10,240 per role); above it, patterns whose size does not depend on
 * the fleet.
 */
export const EXACT_CLUSTER_LIMIT = 20;

export interface StreamCluster {
  /** DB cluster resource id (`cluster-…`). */
  readonly resourceId: string;
  /** KMS key (or alias) ARN the cluster's activity stream is encrypted with. */
  readonly activityStreamKmsKeyArn: string;
}

export interface StreamProcessingProps {
  readonly clusters: readonly StreamCluster[];
  readonly bucket: s3.IBucket;
  /** Key of the audit bucket and the delivery stream. */
  readonly key: kms.IKey;
  /** Retention of the Lambda's and Firehose's log groups. */
  readonly logRetention: logs.RetentionDays;
  /** Database users never stored (case-insensitive). */
  readonly serviceUsers: readonly string[];
  /** Extra redaction patterns. */
  readonly redactionPatterns: readonly string[];
  /** The alert rules file: the Lambda writes alert lines for the events these rules match. */
  readonly rulesFile: string;
  /**
   * The value of the `aurora-audit` tag on the activity-stream keys the decrypt Lambda may use.
   * @default the stack's name
   */
  readonly keyTagValue?: string;
  /**
   * Classes the alert Lambda's coverage check reconciles: the Lambda writes alert lines for their events too.
   * @default [] (no coverage check)
   */
  readonly coverageClasses?: readonly string[];
  /**
   * Records per Lambda invocation.
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * Records older than this go to the on-failure destination instead of being retried. The activity stream
   * keeps records 24 hours.
   * @default Duration.hours(6)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Retries of a failing batch (after bisecting) before it goes to the on-failure destination.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Firehose buffer interval; dynamic partitioning needs a 64 MiB buffer, so this decides latency.
   * @default Duration.seconds(300)
   */
  readonly bufferInterval?: Duration;
}

/**
 * The activity-stream path: the decrypt Lambda, the Firehose delivery stream into `events/`, and the
 * definition of the Kinesis event source mapping that the enablement workflow creates once the stream exists
 * (CloudFormation cannot: the stream only exists after StartActivityStream).
 */
export class StreamProcessing extends Construct {
  /** The decrypt Lambda (`projectFunction`): its function, log group, role and standard alarms. */
  readonly decrypt: ProjectFunction;
  readonly function: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly deliveryStream: firehose.CfnDeliveryStream;
  readonly deliveryStreamArn: string;
  readonly role: iam.Role;
  /** The decrypt Lambda's cluster file (`CLUSTER_RESOURCE_IDS_FILE`), bundled beside its code. */
  readonly settingsFiles: readonly SettingsFile<(typeof DECRYPT_SETTINGS_FILES)[number]>[];
  /** Firehose's role: the only writer of `events/`. */
  readonly firehoseRole: iam.Role;
  private readonly bucket: s3.IBucket;
  private readonly batchSize: number;
  private readonly maxRecordAge: Duration;
  private readonly retryAttempts: number;

  constructor(scope: Construct, id: string, props: StreamProcessingProps) {
    super(scope, id);
    this.batchSize = props.batchSize ?? 100;
    this.maxRecordAge = props.maxRecordAge ?? Duration.hours(6);
    this.retryAttempts = props.retryAttempts ?? 10;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 10_000) {
      throw new Error(
        `StreamProcessing: batchSize must be an integer from 1 to 10000, got ${this.batchSize}`,
      );
    }
    const ageSeconds = this.maxRecordAge.toSeconds();
    if (ageSeconds < 60 || ageSeconds > 86_400) {
      throw new Error(
        `StreamProcessing: maxRecordAge must be from 60 s to 24 h (the stream's retention), got ${ageSeconds} s`,
      );
    }
    if (!Number.isInteger(this.retryAttempts) || this.retryAttempts < 0 || this.retryAttempts > 10_000) {
      throw new Error(
        `StreamProcessing: retryAttempts must be an integer from 0 to 10000, got ${this.retryAttempts}`,
      );
    }
    if (props.clusters.length === 0)
      throw new Error('StreamProcessing: clusters must list at least one cluster');
    this.bucket = props.bucket;
    const stack = Stack.of(this);
    const bucketArn = nagArn(props.bucket);

    // ---- Firehose: events/ with dynamic partitioning on cluster and UTC day ----
    const firehoseLogGroup = new logs.LogGroup(this, 'FirehoseLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const firehoseLogStream = new logs.LogStream(this, 'FirehoseS3Delivery', { logGroup: firehoseLogGroup });
    const firehoseRole = new iam.Role(this, 'FirehoseRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'aurora-audit Firehose: writes events/ and events-errors/ of the audit bucket',
    });
    this.firehoseRole = firehoseRole;
    firehoseRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [props.bucket.bucketArn],
      }),
    );
    firehoseRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject'],
        resources: [
          props.bucket.arnForObjects(`${EVENTS_PREFIX}*`),
          props.bucket.arnForObjects(`${EVENTS_ERROR_PREFIX}*`),
        ],
      }),
    );
    // SSE-KMS writes to the audit bucket (GenerateDataKey; Decrypt for multipart uploads).
    firehoseRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.key.keyArn],
      }),
    );
    firehoseRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:PutLogEvents'], resources: [firehoseLogGroup.logGroupArn] }),
    );
    Validations.of(firehoseRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${bucketArn}/${EVENTS_PREFIX}*]`,
      reason: 'Firehose writes objects under events/ whose keys it chooses (partition and timestamp).',
    });
    Validations.of(firehoseRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${bucketArn}/${EVENTS_ERROR_PREFIX}*]`,
      reason: 'Firehose writes failed records under events-errors/ with keys it chooses.',
    });

    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: {
        keyType: 'CUSTOMER_MANAGED_CMK',
        keyArn: props.key.keyArn,
      },
      extendedS3DestinationConfiguration: {
        bucketArn: props.bucket.bucketArn,
        roleArn: firehoseRole.roleArn,
        prefix: FIREHOSE_EVENTS_PREFIX,
        errorOutputPrefix: FIREHOSE_ERROR_PREFIX,
        compressionFormat: 'GZIP',
        fileExtension: '.json.gz',
        bufferingHints: {
          sizeInMBs: 64,
          intervalInSeconds: (props.bufferInterval ?? Duration.seconds(300)).toSeconds(),
        },
        encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: props.key.keyArn } },
        dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 300 } },
        processingConfiguration: {
          enabled: true,
          // Firehose order: deaggregation → delimiter → partition keys. The writers send up to 500 events
          // per record as consecutive JSON objects (tasks/core/firehose-packing.ts); each is split out,
          // given its newline (the processor's default delimiter) and partitioned by its own keys.
          processors: [
            {
              type: 'RecordDeAggregation',
              parameters: [{ parameterName: 'SubRecordType', parameterValue: 'JSON' }],
            },
            { type: 'AppendDelimiterToRecord' },
            {
              type: 'MetadataExtraction',
              parameters: [
                { parameterName: 'MetadataExtractionQuery', parameterValue: FIREHOSE_PARTITION_QUERY },
                { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
              ],
            },
          ],
        },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: firehoseLogGroup.logGroupName,
          logStreamName: firehoseLogStream.logStreamName,
        },
      },
    });
    this.deliveryStream.node.addDependency(firehoseRole);
    this.deliveryStreamArn = this.deliveryStream.attrArn;

    // ---- The decrypt Lambda ----
    // The cluster list outgrows Lambda's 4 KB of environment with a fleet: a file bundled beside the code.
    this.settingsFiles = [
      writeSettingsFile(
        this,
        'CLUSTER_RESOURCE_IDS',
        'cluster-resource-ids.txt',
        props.clusters.map((c) => c.resourceId).join(','),
      ),
    ];
    this.decrypt = projectFunction(this, {
      ids: { function: 'DecryptFunction', logGroup: 'DecryptLogs', role: 'DecryptRole' },
      entry: 'tasks/decrypt-activity-stream/handler.ts',
      description: 'aurora-audit: decrypt Database Activity Streams records into audit events',
      roleDescription:
        'aurora-audit decrypt Lambda: read activity streams, decrypt, deliver to Firehose, quarantine',
      memorySize: 1024,
      timeout: Duration.minutes(2),
      logRetention: props.logRetention,
      serviceName: 'aurora-audit-decrypt',
      settingsFiles: this.settingsFiles,
      rulesFile: props.rulesFile,
      alarms: { errors: 'Critical', throttles: 'Critical' },
      environment: {
        AUDIT_BUCKET: props.bucket.bucketName,
        DELIVERY_STREAM_NAME: this.deliveryStream.ref,
        ...settingsFileEnvironment(this.settingsFiles),
        SERVICE_USERS: props.serviceUsers.join(','),
        REDACTION_PATTERNS: JSON.stringify(props.redactionPatterns),
        RULES_FILE: COMPILED_RULES_FILE,
        ...(props.coverageClasses?.length ? { COVERAGE_CLASSES: props.coverageClasses.join(',') } : {}),
      } satisfies DecryptLambdaEnvironment,
    });
    this.function = this.decrypt.function;
    this.logGroup = this.decrypt.logGroup;
    this.role = this.decrypt.role;
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['firehose:PutRecordBatch'], resources: [this.deliveryStreamArn] }),
    );
    // Quarantine writes, and the event source mapping's S3 on-failure destination (aws/lambda/<uuid>/…).
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [
          props.bucket.arnForObjects(`${QUARANTINE_PREFIX}*`),
          props.bucket.arnForObjects(`${ON_FAILURE_PREFIX}*`),
        ],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [props.key.keyArn] }),
    );
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${bucketArn}/${QUARANTINE_PREFIX}*]`,
      reason: 'Quarantined records are written under quarantine/ with one key per record.',
    });
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${bucketArn}/${ON_FAILURE_PREFIX}*]`,
      reason:
        'The Kinesis event source mapping writes failed batches to its S3 destination under aws/lambda/<mapping id>/.',
    });

    this.grantActivityStreams(props.clusters, props.keyTagValue ?? stack.stackName);
  }

  /**
   * kms:Decrypt of activity-stream data keys and Kinesis reads, in statements that do not grow with the fleet
   * beyond {@link EXACT_CLUSTER_LIMIT} clusters (IAM allows 10,240 characters per role):
   * - kms:Decrypt on the keys tagged `aurora-audit=<stack name>` (`aws:ResourceTag`, which KMS evaluates for
   *   cryptographic operations: AWS KMS Developer Guide, "Use tags to control access to KMS keys"), one
   *   statement per account and region of the configured keys, and only with an activity-stream encryption
   *   context (`aws:rds:dbc-id`): the configured clusters' resource ids while they are at most
   *   EXACT_CLUSTER_LIMIT, any `cluster-*` above;
   * - Kinesis reads on the configured clusters' streams while they are at most EXACT_CLUSTER_LIMIT, on the
   *   activity streams of the account and region (`aws-rds-das-cluster-*`) above.
   * Above the limit the Lambda itself still refuses records of clusters not configured before any decryption
   * (ClusterMismatchError), and the enablement workflow maps only configured clusters' streams to it.
   */
  private grantActivityStreams(clusters: readonly StreamCluster[], keyTagValue: string): void {
    const stack = Stack.of(this);
    const exact = clusters.length <= EXACT_CLUSTER_LIMIT;
    const keyPatterns = new Set<string>();
    for (const c of clusters) {
      const parsed = Arn.split(c.activityStreamKmsKeyArn, ArnFormat.SLASH_RESOURCE_NAME);
      keyPatterns.add(`arn:${parsed.partition}:kms:${parsed.region}:${parsed.account}:key/*`);
    }
    const contextKey = `kms:EncryptionContext:${ENCRYPTION_CONTEXT_KEY}`;
    for (const keyPattern of keyPatterns) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [keyPattern],
          conditions: {
            StringEquals: {
              [`aws:ResourceTag/${KEY_TAG_KEY}`]: keyTagValue,
              ...(exact ? { [contextKey]: clusters.map((c) => c.resourceId) } : {}),
            },
            ...(exact ? {} : { StringLike: { [contextKey]: 'cluster-*' } }),
          },
        }),
      );
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${keyPattern}]`,
        reason: `kms:Decrypt only on the activity-stream keys tagged ${KEY_TAG_KEY}=${keyTagValue} (aws:ResourceTag) and only with an activity-stream encryption context (aws:rds:dbc-id): the policy must not grow with the fleet (docs/deploying.md "Before you deploy").`,
      });
    }
    const activityStreams = stack.formatArn({
      service: 'kinesis',
      resource: 'stream',
      resourceName: 'aws-rds-das-cluster-*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'kinesis:DescribeStream',
          'kinesis:DescribeStreamSummary',
          'kinesis:GetRecords',
          'kinesis:GetShardIterator',
          'kinesis:ListShards',
          'kinesis:SubscribeToShard',
        ],
        resources: exact ? clusters.map((c) => this.streamArn(c.resourceId)) : [activityStreams],
      }),
    );
    if (!exact) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagArnPrefix(this, 'kinesis')}:stream/aws-rds-das-cluster-*]`,
        reason: `Kinesis reads on the activity streams RDS creates (aws-rds-das-cluster-*) with more than ${EXACT_CLUSTER_LIMIT} clusters: the policy must not grow with the fleet; the enablement workflow maps only configured clusters' streams to this Lambda, which refuses records of any other cluster before decrypting them.`,
      });
    }
  }

  /** ARN of the activity stream RDS creates for a cluster: `aws-rds-das-<cluster resource id>`. */
  streamArn(clusterResourceId: string): string {
    return Stack.of(this).formatArn({
      service: 'kinesis',
      resource: 'stream',
      resourceName: `aws-rds-das-${clusterResourceId}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /**
   * The parameters of `lambda:CreateEventSourceMapping` for a cluster's activity stream, with the safe
   * defaults: partial batch responses, bisect on error, bounded record age and retries, and an S3 on-failure
   * destination (the audit bucket) that keeps the full records beyond the stream's 24-hour retention.
   */
  eventSourceMappingDefinition(clusterResourceId: string): EventSourceMappingDefinition {
    return {
      FunctionName: this.function.functionArn,
      EventSourceArn: this.streamArn(clusterResourceId),
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: this.batchSize,
      MaximumBatchingWindowInSeconds: 5,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      MaximumRecordAgeInSeconds: this.maxRecordAge.toSeconds(),
      MaximumRetryAttempts: this.retryAttempts,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: this.bucket.bucketArn } },
      Enabled: true,
    };
  }
}

export interface EventSourceMappingDefinition {
  readonly FunctionName: string;
  readonly EventSourceArn: string;
  readonly StartingPosition: 'TRIM_HORIZON';
  readonly BatchSize: number;
  readonly MaximumBatchingWindowInSeconds: number;
  readonly ParallelizationFactor: number;
  readonly BisectBatchOnFunctionError: true;
  readonly MaximumRecordAgeInSeconds: number;
  readonly MaximumRetryAttempts: number;
  readonly FunctionResponseTypes: readonly ['ReportBatchItemFailures'];
  readonly DestinationConfig: { readonly OnFailure: { readonly Destination: string } };
  readonly Enabled: true;
}
