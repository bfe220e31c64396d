import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AUDIT_EVENT_FIELDS } from '../../tasks/core/audit-event';
import { CANARY_RUN_COLUMNS } from '../../tasks/core/canary';
import {
  ATHENA_RESULTS_PREFIX,
  CANARY_RUNS_PREFIX,
  EVENTS_ERROR_PREFIX,
  EVENTS_PREFIX,
  ON_FAILURE_PREFIX,
  QUARANTINE_PREFIX,
  REPORTS_PREFIX,
  UNKNOWN_CLUSTER,
} from '../../tasks/core/storage-layout';

export interface AuditStorageProps {
  /** Resource ids (`cluster-…`) of the audited clusters: the values of the `cluster` partition. */
  readonly clusterResourceIds: readonly string[];
  /** Days audit events are kept. */
  readonly auditEventsDays: number;
  /** Days quarantined input and on-failure records are kept. */
  readonly quarantineDays: number;
  /** Days reports are kept. */
  readonly reportsDays: number;
  /** Days Athena results are kept. */
  readonly athenaResultsDays: number;
  /** Days after which events move to Infrequent Access. */
  readonly infrequentAccessAfterDays: number;
  /** Days after which events move to Glacier Flexible Retrieval. */
  readonly glacierAfterDays: number;
  /**
   * First day of the `day` partition projection (`YYYY-MM-DD`).
   * @default '2024-01-01'
   */
  readonly firstDay?: string;
  /**
   * Glue database name.
   * @default 'aurora_audit'
   */
  readonly databaseName?: string;
  /**
   * S3 Object Lock default retention for every object version of the audit bucket. Object Lock can only be
   * turned on when the bucket is created: set it at the first deployment.
   * @default no Object Lock
   */
  readonly objectLock?: { readonly mode: 'GOVERNANCE' | 'COMPLIANCE'; readonly days: number };
}

/** The values of the `hour` partition: `00` to `23`, as Firehose writes them (`.time[11:13]`). */
const HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));

/** Prefixes whose objects are audit evidence: nobody deletes them; only the lifecycle expires them. */
export const EVIDENCE_PREFIXES = [EVENTS_PREFIX, REPORTS_PREFIX, CANARY_RUNS_PREFIX] as const;

/**
 * The audit bucket and what makes it queryable: a customer-managed KMS key with rotation, a separate
 * server-access-log bucket, the audit bucket itself (KMS-encrypted with that key, versioned, TLS-only, no
 * public access, retained on stack deletion, lifecycle tiering and expiry, optional Object Lock) and the
 * Glue database and table over `events/` with partition projection.
 *
 * Its bucket policy makes the evidence tamper-evident for every principal, administrators included: uploads
 * that ask for another encryption or another key are refused, and objects under `events/` and `reports/`
 * cannot be deleted (only the lifecycle expires them; changing the policy itself is recorded by CloudTrail,
 * and Object Lock in compliance mode guards against even that).
 */
export class AuditStorage extends Construct {
  readonly key: kms.Key;
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly database: glue.CfnDatabase;
  readonly table: glue.CfnTable;
  readonly databaseName: string;
  readonly tableName = 'audit_events';
  /** The canary's run records (the report's "Control evidence"). */
  readonly canaryRunsTable: glue.CfnTable;
  readonly canaryRunsTableName = 'canary_runs';
  private readonly writers = new Map<string, string[]>();

  constructor(scope: Construct, id: string, props: AuditStorageProps) {
    super(scope, id);
    if (props.clusterResourceIds.length === 0) {
      throw new Error('AuditStorage: clusterResourceIds must list at least one cluster resource id');
    }
    const firstDay = props.firstDay ?? '2024-01-01';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(firstDay)) {
      throw new Error(`AuditStorage: firstDay must be YYYY-MM-DD, got ${JSON.stringify(firstDay)}`);
    }
    this.databaseName = props.databaseName ?? 'aurora_audit';

    this.key = new kms.Key(this, 'Key', {
      description: 'aurora-audit: audit bucket, alert topic and logs',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging delivers only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(props.auditEventsDays),
          noncurrentVersionExpiration: Duration.days(props.auditEventsDays),
        },
      ],
    });
    // Who read the evidence is evidence too.
    this.accessLogsBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyDeletingAccessLogs',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
        resources: [this.accessLogsBucket.arnForObjects('*')],
      }),
    );

    const lock = props.objectLock;
    if (lock && (!Number.isInteger(lock.days) || lock.days < 1 || lock.days > props.auditEventsDays)) {
      throw new Error(
        `AuditStorage: objectLock.days must be an integer from 1 to auditEventsDays (${props.auditEventsDays}), got ${lock.days}`,
      );
    }
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...(lock
        ? {
            objectLockEnabled: true,
            objectLockDefaultRetention:
              lock.mode === 'COMPLIANCE'
                ? s3.ObjectLockRetention.compliance(Duration.days(lock.days))
                : s3.ObjectLockRetention.governance(Duration.days(lock.days)),
          }
        : {}),
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'audit-bucket/',
      lifecycleRules: [
        {
          id: 'events-tiering-and-retention',
          prefix: EVENTS_PREFIX,
          transitions: [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(props.infrequentAccessAfterDays),
            },
            { storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(props.glacierAfterDays) },
          ],
          expiration: Duration.days(props.auditEventsDays),
          // An overwritten event stays as long as the events do: overwriting is no way to delete evidence.
          noncurrentVersionExpiration: Duration.days(props.auditEventsDays),
        },
        {
          id: 'event-errors-retention',
          prefix: EVENTS_ERROR_PREFIX,
          expiration: Duration.days(props.quarantineDays),
        },
        {
          id: 'quarantine-retention',
          prefix: QUARANTINE_PREFIX,
          expiration: Duration.days(props.quarantineDays),
        },
        {
          id: 'on-failure-retention',
          prefix: ON_FAILURE_PREFIX,
          expiration: Duration.days(props.quarantineDays),
        },
        { id: 'reports-retention', prefix: REPORTS_PREFIX, expiration: Duration.days(props.reportsDays) },
        // The canary's run records are the reports' evidence of the control: kept as long as the reports.
        {
          id: 'canary-runs-retention',
          prefix: CANARY_RUNS_PREFIX,
          expiration: Duration.days(props.reportsDays),
          noncurrentVersionExpiration: Duration.days(props.reportsDays),
        },
        {
          id: 'athena-results-retention',
          prefix: ATHENA_RESULTS_PREFIX,
          expiration: Duration.days(props.athenaResultsDays),
          noncurrentVersionExpiration: Duration.days(1),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });

    // Uploads that name an encryption must name this bucket's: SSE-KMS with the stack key. (Writers that name
    // none, such as Firehose, get the bucket default, which is the same.)
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyOtherEncryption',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyOtherKmsKeys',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: {
          StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': this.key.keyArn },
        },
      }),
    );
    // Evidence is never deleted by anyone: not a role of this stack, not an administrator.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyDeletingEvidence',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention'],
        resources: EVIDENCE_PREFIXES.map((prefix) => this.bucket.arnForObjects(`${prefix}*`)),
      }),
    );
    const account = Stack.of(this).account;
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: { name: this.databaseName, description: 'aurora-audit: normalized audit events' },
    });

    const location = `s3://${this.bucket.bucketName}/${EVENTS_PREFIX}`;
    const clusterValues = [...props.clusterResourceIds, UNKNOWN_CLUSTER].join(',');
    this.table = new glue.CfnTable(this, 'EventsTable', {
      catalogId: account,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        description:
          'aurora-audit events (GZIP JSON lines), partitioned by cluster resource id, UTC day and UTC hour',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.cluster.type': 'enum',
          'projection.cluster.values': clusterValues,
          'projection.day.type': 'date',
          'projection.day.format': 'yyyy-MM-dd',
          'projection.day.range': `${firstDay},NOW`,
          'projection.day.interval': '1',
          'projection.day.interval.unit': 'DAYS',
          // The hour of the day, 00 to 23: a report restricts it on its first and last UTC day, so that a local
          // day in any time zone reads its own 24 hours (docs/activity-streams-and-storage.md). An enum of the
          // stored strings, so that the queries' string comparisons (hour >= '05') mean what they say.
          'projection.hour.type': 'enum',
          'projection.hour.values': HOURS.join(','),
          'storage.location.template': `${location}cluster=\${cluster}/day=\${day}/hour=\${hour}/`,
        },
        partitionKeys: [
          { name: 'cluster', type: 'string', comment: 'Cluster resource id (cluster-…)' },
          { name: 'day', type: 'string', comment: 'UTC day of the event time, YYYY-MM-DD' },
          { name: 'hour', type: 'string', comment: 'UTC hour of the event time, 00 to 23' },
        ],
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          compressed: true,
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: {
              'ignore.malformed.json': 'false',
              'case.insensitive': 'true',
              'dots.in.keys': 'false',
            },
          },
          columns: AUDIT_EVENT_FIELDS.map((f) => ({
            name: f.name.toLowerCase(),
            type: f.type,
            comment: f.description.slice(0, 255),
          })),
        },
      },
    });
    this.table.addResourceDependency(this.database);
    this.canaryRunsTable = this.buildCanaryRunsTable(firstDay);
  }

  /**
   * The canary's run records (`canary-runs/day=<YYYY-MM-DD>/<cluster>.<execution>.json`, one JSON object each,
   * tasks/core/canary.ts), partitioned by the UTC day the run ended (projection: no partitions to add), for
   * the report's "Control evidence". Created whether or not a canary is configured (one resource), so that the
   * report's query always has its table: without runs it reads nothing and says so.
   */
  private buildCanaryRunsTable(firstDay: string): glue.CfnTable {
    const location = `s3://${this.bucket.bucketName}/${CANARY_RUNS_PREFIX}`;
    const table = new glue.CfnTable(this, 'CanaryRunsTable', {
      catalogId: Stack.of(this).account,
      databaseName: this.databaseName,
      tableInput: {
        name: this.canaryRunsTableName,
        description: 'aurora-audit canary run records (JSON), partitioned by the UTC day the run ended',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.day.type': 'date',
          'projection.day.format': 'yyyy-MM-dd',
          'projection.day.range': `${firstDay},NOW`,
          'projection.day.interval': '1',
          'projection.day.interval.unit': 'DAYS',
          'storage.location.template': `${location}day=\${day}/`,
        },
        partitionKeys: [{ name: 'day', type: 'string', comment: 'UTC day the run ended, YYYY-MM-DD' }],
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: {
              'ignore.malformed.json': 'false',
              'case.insensitive': 'true',
              'dots.in.keys': 'false',
            },
          },
          columns: CANARY_RUN_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
        },
      },
    });
    table.addResourceDependency(this.database);
    return table;
  }

  /**
   * Only these principals (role ARNs) may write under an evidence prefix (`events/` is Firehose's, `reports/`
   * the report Lambda's): a bucket-policy Deny for everyone else, so that nobody can overwrite evidence.
   * Call once per prefix.
   */
  restrictWriters(prefix: (typeof EVIDENCE_PREFIXES)[number], principalArns: readonly string[]): void {
    if (this.writers.has(prefix))
      throw new Error(`AuditStorage: writers of ${prefix} are already restricted`);
    if (principalArns.length === 0) throw new Error(`AuditStorage: ${prefix} needs at least one writer`);
    this.writers.set(prefix, [...principalArns]);
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `OnlyItsWritersWrite${prefix.replace(/[^A-Za-z]/g, '')}`,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${prefix}*`)],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': [...principalArns] } },
      }),
    );
  }
}
