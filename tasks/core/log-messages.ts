/**
 * Log messages that the stack's metric filters count (infra/constructs/monitoring.ts): the Lambdas log them
 * with exactly these texts (Powertools JSON, `$.message`), so renaming one here renames both sides.
 */
export const LOGGED = {
  /** The decrypt Lambda quarantined an activity-stream record. */
  activityRecordQuarantined: 'record quarantined',
  /** The alert Lambda quarantined an unreadable pgAudit entry. */
  pgAuditEntryQuarantined: 'unreadable pgAudit entry quarantined',
  /** The alert Lambda's scheduled flush, with `publishFailures`. */
  alertFlush: 'flush',
} as const;
