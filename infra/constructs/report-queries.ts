import { Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { querySql, REPORT_QUERIES } from '../../reports/queries';
import { ATHENA_RESULTS_PREFIX } from '../../tasks/core/storage-layout';
import { statementNameOf } from '../../tasks/render-report/contract';

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
}

/**
 * The Athena workgroup of the compliance reports, with enforced settings: engine version 3, results in the
 * audit bucket under `athena-results/` encrypted with the stack key, a bytes-scanned cutoff per query, and
 * CloudWatch metrics; and one prepared statement per report query (`reports/queries/*.sql`, exactly the
 * file's text), named `statementNameOf(query)`, which the report workflow runs with `EXECUTE <name>` and the
 * query's execution parameters.
 */
export class ReportQueries extends Construct {
  readonly workGroup: athena.CfnWorkGroup;
  readonly workGroupName: string;
  /** `arn:…:athena:<region>:<account>:workgroup/<name>` (prepared statements are workgroup resources in IAM). */
  readonly workGroupArn: string;
  /** The prepared statements by report query name. */
  readonly preparedStatements: ReadonlyMap<string, athena.CfnPreparedStatement>;

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

    const statements = new Map<string, athena.CfnPreparedStatement>();
    for (const query of REPORT_QUERIES) {
      const statement = new athena.CfnPreparedStatement(this, `Statement-${query.name}`, {
        statementName: statementNameOf(query.name),
        workGroup: this.workGroupName,
        description: `aurora-audit report query ${query.name}: ${query.answers}`.slice(0, 1024),
        queryStatement: querySql(query.name),
      });
      statement.addResourceDependency(this.workGroup);
      statements.set(query.name, statement);
    }
    this.preparedStatements = statements;
  }
}
