import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CANARY_RUNS_PREFIX, EVENTS_PREFIX, REPORTS_PREFIX } from '../../tasks/core/storage-layout';
import { nagArn } from '../nag';
import type { ReportQueries } from './report-queries';

export interface AuditorAccessProps {
  /** IAM principals (account `:root`, role or user ARNs) that may assume the role. At least one. */
  readonly principals: readonly string[];
  readonly bucket: s3.IBucket;
  readonly key: kms.IKey;
  /** The report workgroup: the auditor runs queries there, with its enforced settings. */
  readonly queries: ReportQueries;
}

/**
 * A read-only role for auditors: Athena queries in the report workgroup (the Glue table over `events/`,
 * results under `athena-results/`, where Athena writes them with the caller's credentials), reading
 * `events/` and `reports/` (the archived reports and their evidence), and decrypting them. Nothing
 * else: no quarantine, no Lambda, no workflow, no write outside Athena's results, no delete.
 */
export class AuditorAccess extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: AuditorAccessProps) {
    super(scope, id);
    if (props.principals.length === 0)
      throw new Error('AuditorAccess: principals must list at least one ARN');
    const [first, ...rest] = props.principals.map((arn) => new iam.ArnPrincipal(arn));
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.CompositePrincipal(first as iam.ArnPrincipal, ...rest),
      description: 'aurora-audit auditor: read-only access to the audit events and reports, Athena queries',
    });
    props.queries.grantQueries(this.role, { interactive: true });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${REPORTS_PREFIX}*`] } },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [
          props.bucket.arnForObjects(`${REPORTS_PREFIX}*`),
          props.bucket.arnForObjects(`${EVENTS_PREFIX}*`),
        ],
      }),
    );
    const bucket = nagArn(props.bucket);
    for (const [prefix, reason] of [
      [EVENTS_PREFIX, 'reading the stored events (objects named by Firehose per cluster and day)'],
      [REPORTS_PREFIX, 'reading the archived reports and their CSV evidence (keys per period and run)'],
      [CANARY_RUNS_PREFIX, "reading the canary's run records (one object per run and day)"],
      [
        'athena-results/',
        'Athena writes and reads query results with the caller credentials; Athena names them',
      ],
    ] as const) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${bucket}/${prefix}*]`,
        reason: `Auditor: ${reason}.`,
      });
    }
  }
}
