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
