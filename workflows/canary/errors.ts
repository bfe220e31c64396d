/**
 * The error names a canary run can end with (the execution's `error`, the failure notification's `Error:` line
 * and its `error` message attribute), when each happens, how severe it is and what to check first. A silent
 * path is CRITICAL: the audit trail is not being written (or not reaching aurora-audit) for that source. A
 * canary that could not write its statements proves nothing either way: HIGH.
 */
export interface CanaryErrorInfo {
  /** When the run ends with this error. */
  readonly when: string;
  /** The notification's severity. */
  readonly severity: 'CRITICAL' | 'HIGH';
  /** What to check first: sent in the failure notification. */
  readonly advice: string;
}

const ACTIVITY_STREAM_CHECKS =
  "check first that the cluster's activity stream is `started` (aws rds describe-db-clusters --query 'DBClusters[0].ActivityStreamStatus'), then the decrypt Lambda's errors and quarantine (quarantine/ in the audit bucket), then the event source mapping on aws-rds-das-<cluster resource id> (State Enabled, LastProcessingResult OK), then the subscription filter on the decrypt Lambda's log group";
const PGAUDIT_CHECKS =
  "check first that the cluster exports its PostgreSQL log (/aws/rds/cluster/<cluster>/postgresql receives lines), then that pgaudit.log in the cluster parameter group covers ROLE and DDL (and the canary user has no pgaudit.log of its own: ALTER ROLE aurora_audit_canary RESET pgaudit.log), then the subscription filter on that log group and the alert Lambda's errors";

export const CANARY_ERRORS = {
  ActivityStreamPathSilent: {
    when: 'the canary statements did not arrive through the activity stream before the deadline (pgAudit delivered them, or is not checked on this cluster)',
    severity: 'CRITICAL',
    advice: `The activity-stream path is broken: ${ACTIVITY_STREAM_CHECKS}.`,
  },
  PgAuditPathSilent: {
    when: 'the canary statements did not arrive through pgAudit before the deadline (the activity stream delivered them)',
    severity: 'CRITICAL',
    advice: `The pgAudit path is broken: ${PGAUDIT_CHECKS}.`,
  },
  BothPathsSilent: {
    when: 'the canary statements arrived through neither source before the deadline',
    severity: 'CRITICAL',
    advice:
      "Both paths are broken, so look at what they share first: the alert Lambda (its errors, throttles and its role's access to the alert state table), then each path: " +
      `${ACTIVITY_STREAM_CHECKS}; ${PGAUDIT_CHECKS}.`,
  },
  DataApiNotEnabled: {
    when: "the RDS Data API refused the statement because the cluster's HTTP endpoint is not enabled (RdsData.HttpEndpointNotEnabledException)",
    severity: 'HIGH',
    advice:
      'Enable the Data API on the cluster (aws rds enable-http-endpoint --resource-arn <cluster ARN>; Aurora PostgreSQL 13.11, 14.8, 15.3, 16.1 or later, in a Region that supports it for provisioned clusters). No canary statement was written.',
  },
  CanarySecretUnusable: {
    when: "the RDS Data API could not use the canary's secret (missing, not readable by the workflow role, not decryptable, or not a username and password)",
    severity: 'HIGH',
    advice:
      'Check that clusters[].canary.secretArn exists in this Region, holds {"username","password"} of the canary user, is readable by the canary state machine role, and, if encrypted with a customer-managed key, that the key policy lets that role decrypt through Secrets Manager. No canary statement was written.',
  },
  CanaryStatementRefused: {
    when: 'the database refused a canary statement (no table aurora_audit_canary owned by the canary user, a wrong database, login refused) or the Data API refused the call',
    severity: 'HIGH',
    advice:
      'Read the cause. Create the canary set-up as docs/workflows.md "Canary workflow" shows (CREATE TABLE aurora_audit_canary owned by the canary user, in clusters[].canary.database). A statement may have been written before the refusal.',
  },
  CanaryStatementFailed: {
    when: 'a canary statement failed for another reason (the writer unavailable beyond the retries, a statement timeout, an internal error)',
    severity: 'HIGH',
    advice:
      'Read the cause; if the writer was failing over or restarting, the next scheduled run tries again. Start a new execution with the same input to try now.',
  },
  ArrivalCheckFailed: {
    when: 'reading the arrivals from the alert state table failed (throttling beyond the retries, access denied to the table or its key)',
    severity: 'HIGH',
    advice:
      "Check the canary state machine role's dynamodb:GetItem on the alert state table and kms:Decrypt on its key. The canary statements were written: their arrivals are in the item canary#<nonce>.",
  },
  EvidenceNotRecorded: {
    when: "the canary statements arrived, but the run's evidence (its metrics, the failed-run streak or the run record under canary-runs/) could not be recorded after the retries",
    severity: 'HIGH',
    advice:
      "Read the cause. Check the canary state machine role's cloudwatch:PutMetricData (namespace condition), dynamodb:UpdateItem on the alert state table, s3:PutObject on canary-runs/ of the audit bucket and kms:GenerateDataKey on its key. The audit paths worked; the report will not count this run.",
  },
  CanaryRunsNotStarted: {
    when: "a schedule's group run could not start the run of one or more of its clusters (StartExecution failed after the retries)",
    severity: 'HIGH',
    advice:
      "Read the cause: it lists each cluster not started by its position in the schedule's input (clusters[index]) with the error. Check the canary state machine role's states:StartExecution on its own state machine. The other clusters' runs were started. To run a missed cluster now, start an execution with its entry of the schedule's input.",
  },
  InvalidInput: {
    when: "the input is neither a schedule's group (clusters) nor one cluster's input with all its fields (cluster, resourceArn, secretArn, database, sources, pollSeconds)",
    severity: 'HIGH',
    advice:
      "Start the canary with the input its schedule sends (EventBridge Scheduler console: the schedule's target input), or with one cluster's entry of its clusters list. No canary statement was written.",
  },
} as const satisfies Record<string, CanaryErrorInfo>;

export type CanaryErrorName = keyof typeof CANARY_ERRORS;
export const CANARY_ERROR_NAMES = Object.keys(CANARY_ERRORS) as CanaryErrorName[];
