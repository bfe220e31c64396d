/**
 * Report-query fixtures: generated events stored in exactly the pipeline's layout, the embedded engine over
 * them, and the independent reference the tests compute their expected rows with (plain TypeScript over the
 * generated events: no SQL).
 */
import { rmSync } from 'node:fs';
import { auditEvent } from '../../cli/local/records/audit-event';
import { writeStoredEvents } from '../../cli/local/records/stored-events';
import { type SqlEngine, sqlEngine } from '../../cli/local/sql-engine';
import {
  PERIOD_SUMMARY_TABLE,
  periodSummaryParameters,
  periodSummarySql,
  queryParameters,
  querySql,
  renderLiterals,
  reportQuery,
  sectionSql,
} from '../../reports/queries';
import type { AuditEvent, AuditEventInput } from '../../tasks/core/audit-event';
import type { ReportPeriod } from '../../tasks/core/report-period';

export const CLUSTER_A = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const CLUSTER_B = 'cluster-ZYXWVUTSRQPONMLKJIHGFEDCBA';

let statement = 0;

/** A READ event of cluster A at `time` with a unique statement id; override what the test is about. */
export function event(time: string, overrides: Partial<AuditEventInput> = {}): AuditEvent {
  statement += 1;
  return auditEvent({
    time,
    statementId: statement,
    class: 'READ',
    command: 'SELECT',
    commandText: `SELECT ${statement}`,
    ...overrides,
  });
}

export interface ReportFixture {
  readonly engine: SqlEngine;
  /**
   * Runs a report query with the execution parameters of a period, a cluster (or `*`) and the classes the
   * coverage check reconciles (default: ROLE and DDL).
   */
  run(
    name: string,
    period: ReportPeriod,
    cluster?: string,
    coverageClasses?: readonly string[],
  ): Promise<Record<string, unknown>[]>;
  /** The stored files the engine opened to run the query (after partition pruning). */
  filesRead(name: string, period: ReportPeriod, cluster?: string): Promise<string[]>;
  close(): void;
}

/**
 * Stores the events (two objects per partition, as successive Firehose flushes write them) and the
 * `duplicates` a second time in other objects of the same partitions (at-least-once delivery).
 */
export async function reportFixture(
  events: readonly AuditEvent[],
  duplicates: readonly AuditEvent[] = [],
): Promise<ReportFixture> {
  const root = writeStoredEvents(events, { objectsPerPartition: 2 });
  if (duplicates.length > 0) writeStoredEvents(duplicates, { root });
  const engine = await sqlEngine(root);
  return {
    engine,
    async run(name, period, cluster = '*', coverageClasses = undefined) {
      const rows = await engine.query(
        querySql(name),
        queryParameters(reportQuery(name), period, cluster, coverageClasses),
      );
      // The same section from the period summary (built once, as the run's CTAS builds it) gives the same rows.
      const summarized = await summarizedSection(engine, name, period, cluster, coverageClasses);
      if (JSON.stringify(summarized) !== JSON.stringify(rows))
        throw new Error(
          `${name} from the period summary differs:\n${JSON.stringify(summarized)}\nfrom the events:\n${JSON.stringify(rows)}`,
        );
      return rows;
    },
    filesRead: (name, period, cluster = '*') =>
      engine.filesRead(querySql(name), queryParameters(reportQuery(name), period, cluster)),
    close() {
      engine.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Builds the period summary as a table (what the run's CTAS does), then runs the section over it. */
export async function summarizedSection(
  engine: SqlEngine,
  name: string,
  period: ReportPeriod,
  cluster = '*',
  coverageClasses?: readonly string[],
  canaryUsers: Readonly<Record<string, string>> = {},
): Promise<Record<string, unknown>[]> {
  // The values rendered as literals, as the run's CTAS carries them (no execution parameters).
  await engine.query(
    `CREATE OR REPLACE TABLE ${PERIOD_SUMMARY_TABLE} AS ${renderLiterals(
      periodSummarySql(),
      periodSummaryParameters(period, cluster, canaryUsers, coverageClasses),
    )}`,
  );
  return engine.query(sectionSql(name));
}

/** The reference: each event once, of the cluster (or all with `*`), with `start <= time < end`. */
export function eventsIn(
  events: readonly AuditEvent[],
  range: { readonly start: string; readonly end: string },
  cluster = '*',
): AuditEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    const t = Date.parse(e.time); // milliseconds, like Athena's timestamp(3)
    const keep =
      !seen.has(e.id) &&
      (cluster === '*' || e.clusterId === cluster) &&
      t >= Date.parse(range.start) &&
      t < Date.parse(range.end);
    seen.add(e.id);
    return keep;
  });
}

/** Orders events by instant, then id (the earliest and latest sightings of `min_by`/`max_by`). */
export const byTimeThenId = (a: AuditEvent, b: AuditEvent) =>
  Date.parse(a.time) - Date.parse(b.time) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Ascending with missing values last (Trino's and DuckDB's default for ORDER BY … ASC). */
const nullsLast = (a: number | null, b: number | null) =>
  a === b ? 0 : a === null ? 1 : b === null ? -1 : a - b;

/**
 * The order in which statements ran, as the listing queries give it: the second (pgAudit's precision, so
 * that its whole-second times do not all sort ahead of the activity stream's), the cluster, the backend
 * pid, the statement and substatement ids, then the instant, the source and the id (which only separate
 * the rows of one statement).
 */
export const inRunOrder = (a: AuditEvent, b: AuditEvent) =>
  Math.floor(Date.parse(a.time) / 1000) - Math.floor(Date.parse(b.time) / 1000) ||
  compare(a.clusterId ?? '', b.clusterId ?? '') ||
  nullsLast(a.pid, b.pid) ||
  nullsLast(a.statementId, b.statementId) ||
  nullsLast(a.substatementId, b.substatementId) ||
  Date.parse(a.time) - Date.parse(b.time) ||
  compare(a.source, b.source) ||
  compare(a.id, b.id);

/** Counts by key, as `[key, count]` pairs. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** Binary string order (Trino's and DuckDB's default collation for ASCII). */
export const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
