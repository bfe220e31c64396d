/**
 * The canary's statements and how the alert Lambda tells them from every other statement (docs/workflows.md,
 * "Canary workflow"). The canary workflow runs one statement per reconciled class through the RDS Data API as
 * the cluster's canary user, each marked with the run's nonce; both audit sources report them like any other
 * statement, through the same subscription filters. The alert Lambda takes an event for a canary arrival only
 * when the statement is exactly one of these texts AND its user is the cluster's canary user: a marker written
 * into anyone else's statement (to hide it from the alerts) is alerted on as usual.
 *
 * Pure (no AWS client): the workflow definition renders the statements from here, the alert Lambda matches
 * them from here.
 */
import type { AuditEvent, AuditSource } from './audit-event';

/** The table the canary user owns (created once by the operator, docs/workflows.md). */
export const CANARY_TABLE = 'aurora_audit_canary';
/** The marker every canary statement carries, followed by the run's nonce. */
export const CANARY_MARKER = 'aurora-audit canary';

/** The classes the canary writes one statement of each, with the statement (`{}`: the nonce). */
export const CANARY_STATEMENTS = {
  /** A GRANT on the canary user's own table to itself: changes nothing, audited as class ROLE. */
  ROLE: `GRANT SELECT ON ${CANARY_TABLE} TO CURRENT_USER /* ${CANARY_MARKER} {} */`,
  /** A comment on the canary user's own table: audited as class DDL. */
  DDL: `COMMENT ON TABLE ${CANARY_TABLE} IS '${CANARY_MARKER} {}'`,
} as const;
export type CanaryClass = keyof typeof CANARY_STATEMENTS;
export const CANARY_CLASSES = Object.keys(CANARY_STATEMENTS) as CanaryClass[];

/** The sources the canary waits for, with the name the workflow and the arrival item use. */
export const CANARY_SOURCES = { das: 'ActivityStream', pgaudit: 'PgAudit' } as const;

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** Each statement's exact text, the nonce captured; a trailing `;` and surrounding space allowed. */
const PATTERNS = CANARY_CLASSES.map((cls) => {
  const [before, after] = CANARY_STATEMENTS[cls].split('{}') as [string, string];
  return {
    cls,
    pattern: new RegExp(`^\\s*${escapeRegExp(before)}(${UUID})${escapeRegExp(after)}\\s*;?\\s*$`, 'i'),
  };
});

/** What the alert Lambda recognized: the run's nonce and the statement's class. */
export interface CanaryStatement {
  readonly nonce: string;
  readonly cls: CanaryClass;
}

/**
 * The canary statement `event` is, or null: only a successful statement of `canaryUser` (case-insensitive)
 * whose text is exactly one of {@link CANARY_STATEMENTS} with a nonce, of the class that statement is.
 */
export function recognizeCanary(event: AuditEvent, canaryUser: string | undefined): CanaryStatement | null {
  if (!canaryUser || !event.user || event.user.toLowerCase() !== canaryUser.toLowerCase()) return null;
  if (event.errorMessage || !event.commandText) return null;
  for (const { cls, pattern } of PATTERNS) {
    const m = pattern.exec(event.commandText);
    if (m && event.class.toUpperCase() === cls) return { nonce: (m[1] as string).toLowerCase(), cls };
  }
  return null;
}

/** The alert state table item of a run's arrivals: `canary#<nonce>` (one GetItem reads it). */
export function canaryArrivalKey(nonce: string): string {
  return `canary#${nonce}`;
}

/**
 * The attribute an arrival is recorded under: `<source><Class>` (`dasRole`, `pgauditDdl`): the time it
 * arrived (ISO 8601); `…LatencyMs`: from the statement's time to its arrival.
 */
export function arrivalAttribute(source: AuditSource, cls: CanaryClass): string {
  return `${source}${cls.charAt(0)}${cls.slice(1).toLowerCase()}`;
}

/** The alert state table item of a cluster's streak of failed canary runs: `canary-streak#<cluster>`. */
export function canaryStreakKey(cluster: string): string {
  return `canary-streak#${cluster}`;
}

/**
 * The canary's CloudWatch metrics (namespace `<deployment name>/Canary`), published by the workflow at the end
 * of every run whose input was valid (docs/workflows.md "Canary evidence"):
 * - `Success` (Count, dimensions `Cluster`, `Source`): 1 when the source delivered both statements by the
 *   deadline, 0 otherwise (silent, or the run failed before the source could be checked); none for a source
 *   the cluster does not check;
 * - `ArrivalLatency` (Milliseconds, `Cluster`, `Source`): each statement's time from being run to its arrival,
 *   two values per run, for a source that delivered both;
 * - `ConsecutiveFailedRuns` (Count): the cluster's failed runs in a row after this run (0 after a success),
 *   once with dimension `Cluster` and once without (the fleet's one alarm reads the latter's Maximum).
 */
export const CANARY_METRICS = {
  namespaceSuffix: '/Canary',
  success: 'Success',
  arrivalLatency: 'ArrivalLatency',
  consecutiveFailedRuns: 'ConsecutiveFailedRuns',
  dimensions: { cluster: 'Cluster', source: 'Source' },
} as const;

/** What a source did in one run, as the run record says it. */
export type CanarySourceStatus = 'arrived' | 'silent' | 'untested' | 'unchecked';

/** What one source did in one run: its status, and for `arrived` each statement's latency (ms). */
export interface CanarySourceEvidence {
  readonly status: CanarySourceStatus;
  readonly roleLatencyMs?: number;
  readonly ddlLatencyMs?: number;
}

/**
 * One run's record, a JSON object at `canary-runs/day=<UTC day it ended>/<cluster>.<execution>.json`
 * of the audit bucket, written by the workflow's last states; the Glue table `canary_runs` reads it for the
 * report's "Control evidence".
 */
export interface CanaryRunRecord {
  readonly cluster: string;
  readonly execution: string;
  readonly nonce: string;
  /** ISO 8601: the execution's start, and when the run record was made (the run's end: the report counts runs by it). */
  readonly startedAt: string;
  readonly endedAt: string;
  readonly outcome: 'SUCCEEDED' | 'FAILED';
  /** The run's error (errors.ts), '' when it succeeded. */
  readonly error: string;
  readonly deadlineSeconds: number;
  readonly consecutiveFailedRuns: number;
  readonly activityStream: CanarySourceEvidence;
  readonly pgAudit: CanarySourceEvidence;
}

/**
 * The run record's columns as the Glue table and the local engine read them (lower case, Glue types); the
 * sources are structs of `status`, `rolelatencyms`, `ddllatencyms`. `day` (the UTC day the run ended) is the
 * table's one partition.
 */
export const CANARY_SOURCE_STRUCT = 'struct<status:string,rolelatencyms:bigint,ddllatencyms:bigint>';
export const CANARY_RUN_COLUMNS: readonly {
  readonly name: string;
  readonly field: string;
  readonly type: string;
}[] = [
  { name: 'cluster', field: 'cluster', type: 'string' },
  { name: 'execution', field: 'execution', type: 'string' },
  { name: 'nonce', field: 'nonce', type: 'string' },
  { name: 'startedat', field: 'startedAt', type: 'string' },
  { name: 'endedat', field: 'endedAt', type: 'string' },
  { name: 'outcome', field: 'outcome', type: 'string' },
  { name: 'error', field: 'error', type: 'string' },
  { name: 'deadlineseconds', field: 'deadlineSeconds', type: 'bigint' },
  { name: 'consecutivefailedruns', field: 'consecutiveFailedRuns', type: 'bigint' },
  { name: 'activitystream', field: 'activityStream', type: CANARY_SOURCE_STRUCT },
  { name: 'pgaudit', field: 'pgAudit', type: CANARY_SOURCE_STRUCT },
];
