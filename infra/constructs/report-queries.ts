import { Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ATHENA_RESULTS_PREFIX, CANARY_RUNS_PREFIX, EVENTS_PREFIX } from '../../tasks/core/storage-layout';

export interface ReportQueriesProps {
  readonly bucket: s3.IBucket;
  readonly key: kms.IKey;
  /** Per-query cutoff in bytes scanned (Athena cancels a query past it). */
  readonly bytesScannedCutoffPerQuery: number;
  /**
   * Workgroup name.
   * @default 'aurora-audit'
   */
  readonly workGroupName?: string;
  /** The Glue database and table the queries read (`AuditStorage`). */
  readonly glueDatabaseName: string;
  readonly glueTableName: string;
  /**
   * The Glue table of the canary's run records (in the same database).
   * @default 'canary_runs'
   */
  readonly canaryRunsTableName?: string;
}

/**
 * The Athena workgroup of the compliance reports, with enforced settings: engine version 3, results in the
 * audit bucket under `athena-results/` encrypted with the stack key, a bytes-scanned cutoff per query, and
 * CloudWatch metrics. The report workflow runs query strings in it (the period summary's CTAS, the sections
 * over it, the DROP): no prepared statement is deployed. The per-query files (`reports/queries/*.sql`) are the
 * reference the sections are tested against, not deployed.
 */
export class ReportQueries extends Construct {
  readonly workGroup: athena.CfnWorkGroup;
  readonly workGroupName: string;
  /** `arn:…:athena:<region>:<account>:workgroup/<name>`. */
  readonly workGroupArn: string;

  constructor(scope: Construct, id: string, props: ReportQueriesProps) {
    super(scope, id);
    if (
      !Number.isInteger(props.bytesScannedCutoffPerQuery) ||
      props.bytesScannedCutoffPerQuery < 10_000_000
    ) {
      throw new Error(
        `ReportQueries: bytesScannedCutoffPerQuery must be an integer of at least 10,000,000 (Athena's minimum), got ${props.bytesScannedCutoffPerQuery}`,
      );
    }
    this.workGroupName = props.workGroupName ?? 'aurora-audit';
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'aurora-audit compliance reports',
      state: 'ENABLED',
      recursiveDeleteOption: false,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
        publishCloudWatchMetricsEnabled: true,
        requesterPaysEnabled: false,
        resultConfiguration: {
          outputLocation: `s3://${props.bucket.bucketName}/${ATHENA_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.key.keyArn },
        },
      },
    });
    this.workGroupArn = Stack.of(this).formatArn({
      service: 'athena',
      resource: 'workgroup',
      resourceName: this.workGroupName,
    });

    this.bucket = props.bucket;
    this.key = props.key;
    this.glueDatabaseName = props.glueDatabaseName;
    this.glueTableName = props.glueTableName;
    this.canaryRunsTableName = props.canaryRunsTableName ?? 'canary_runs';
  }

  private readonly bucket: s3.IBucket;
  private readonly key: kms.IKey;
  private readonly glueDatabaseName: string;
  private readonly glueTableName: string;
  private readonly canaryRunsTableName: string;

  /**
   * Lets `grantee` run the report queries (and any query) in this workgroup, as Athena needs it done with the
   * caller's credentials: the workgroup, the Glue database and tables, reading `events/` and writing and
   * reading `athena-results/`, and the key. Nothing else of the bucket, and no delete. The `.sync` integration also calls StopQueryExecution when a Task times out. `interactive` adds
   * what a person needs to browse and read results in the console or the CLI.
   */
  grantQueries(grantee: iam.IGrantable, options: { readonly interactive?: boolean } = {}): void {
    const stack = Stack.of(this);
    const add = (statement: iam.PolicyStatement) => grantee.grantPrincipal.addToPrincipalPolicy(statement);
    add(
      new iam.PolicyStatement({
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:StopQueryExecution',
          // A person in the console or the CLI also reads the results and the workgroup's queries.
          ...(options.interactive
            ? [
                'athena:GetQueryResults',
                'athena:GetWorkGroup',
                'athena:ListQueryExecutions',
                'athena:BatchGetQueryExecution',
              ]
            : []),
        ],
        resources: [this.workGroupArn],
      }),
    );
    add(
      new iam.PolicyStatement({
        actions: [
          'athena:GetDataCatalog',
          ...(options.interactive
            ? [
                'athena:GetDatabase',
                'athena:ListDatabases',
                'athena:GetTableMetadata',
                'athena:ListTableMetadata',
              ]
            : []),
        ],
        resources: [
          stack.formatArn({ service: 'athena', resource: 'datacatalog', resourceName: 'AwsDataCatalog' }),
        ],
      }),
    );
    // The queries read the events table through the Glue Data Catalog (partition projection: no partitions
    // are stored, GetPartitions is what Athena may still ask for).
    add(
      new iam.PolicyStatement({
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.glueDatabaseName }),
          stack.formatArn({
            service: 'glue',
            resource: 'table',
            resourceName: `${this.glueDatabaseName}/${this.glueTableName}`,
          }),
          stack.formatArn({
            service: 'glue',
            resource: 'table',
            resourceName: `${this.glueDatabaseName}/${this.canaryRunsTableName}`,
          }),
        ],
      }),
    );
    // Athena reads the events and writes the results with the caller's credentials.
    add(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
        resources: [this.bucket.bucketArn],
      }),
    );
    add(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: {
          StringLike: {
            's3:prefix': [`${EVENTS_PREFIX}*`, `${CANARY_RUNS_PREFIX}*`, `${ATHENA_RESULTS_PREFIX}*`],
          },
        },
      }),
    );
    add(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [
          this.bucket.arnForObjects(`${EVENTS_PREFIX}*`),
          this.bucket.arnForObjects(`${CANARY_RUNS_PREFIX}*`),
        ],
      }),
    );
    add(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [this.bucket.arnForObjects(`${ATHENA_RESULTS_PREFIX}*`)],
      }),
    );
    add(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [this.key.keyArn],
        // A person may use the key only through S3 (the events, the results): not for the topic or the logs.
        conditions: options.interactive
          ? { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } }
          : undefined,
      }),
    );
  }
}
