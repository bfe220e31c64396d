/**
 * Partition pruning of the report queries: for a generated month of events in the stored layout (GZIP JSON
 * lines under `events/cluster=…/day=…/`, written by the real `storedLine`/`partitionOf`), the share of the
 * month's stored bytes that a daily report's queries read. The files each query opens are those DuckDB opens
 * when it runs the query's SQL with the report's execution parameters (its `day BETWEEN ? AND ?` and
 * `cluster` predicates prune whole partitions, as Athena's partition projection does).
 * Target: at most 1/12 of the month (the day and, for the first-seen comparison, the day before).
 */
import { rmSync, statSync } from 'node:fs';
import { auditEvent } from '../cli/local/records/audit-event';
import { writeStoredEvents } from '../cli/local/records/stored-events';
import { sqlEngine } from '../cli/local/sql-engine';
import { queryParameters, querySql, REPORT_QUERIES } from '../reports/queries';
import type { AuditEvent } from '../tasks/core/audit-event';
import { reportPeriod } from '../tasks/core/report-period';
import type { Benchmark } from './harness';

const CLUSTERS = ['cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'cluster-ZYXWVUTSRQPONMLKJIHGFEDCBA'];
const DAYS = 30; // November 2026
const KINDS = [
  { class: 'READ', command: 'SELECT', text: (i: number) => `SELECT * FROM orders WHERE id = ${i}` },
  {
    class: 'WRITE',
    command: 'UPDATE',
    text: (i: number) => `UPDATE orders SET note = 'n${i}' WHERE id = ${i}`,
  },
  { class: 'ROLE', command: 'GRANT', text: (i: number) => `GRANT SELECT ON orders TO app_${i % 7}` },
  { class: 'DDL', command: 'CREATE TABLE', text: (i: number) => `CREATE TABLE t_${i} (id bigint)` },
] as const;

/** A deterministic pseudo-random sequence (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function month(): AuditEvent[] {
  const next = random(9);
  const events: AuditEvent[] = [];
  for (let day = 1; day <= DAYS; day++) {
    for (const clusterId of CLUSTERS) {
      const count = 300 + Math.floor(next() * 200);
      for (let i = 0; i < count; i++) {
        const kind = KINDS[Math.floor(next() * KINDS.length)] ?? KINDS[0];
        const ms = Math.floor(next() * 86_400_000);
        events.push(
          auditEvent({
            clusterId,
            source: next() < 0.5 ? 'das' : 'pgaudit',
            auditType: null,
            time: new Date(Date.UTC(2026, 10, day) + ms).toISOString(),
            class: kind.class,
            command: kind.command,
            commandText: kind.text(i),
            user: `user_${Math.floor(next() * 40)}`,
            remoteHost: `10.0.${Math.floor(next() * 4)}.${Math.floor(next() * 50)}`,
            statementId: i,
          }),
        );
      }
    }
  }
  return events;
}

const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;

export const benchmarks: Benchmark[] = [
  {
    name: 'report-pruning',
    description:
      'share of a month of stored events (2 clusters, 30 days) that a daily report’s queries read after partition pruning (target ≤ 1/12)',
    run: async () => {
      const root = writeStoredEvents(month(), { objectsPerPartition: 3 });
      const engine = await sqlEngine(root);
      try {
        const stored = await engine.query(
          `SELECT file FROM glob('${root.replace(/'/g, "''")}/events/*/*/*/*.json.gz')`,
        );
        const size = new Map(stored.map((r) => [String(r.file), statSync(String(r.file)).size]));
        const total = [...size.values()].reduce((a, b) => a + b, 0);
        const bytes = (files: Iterable<string>) => [...files].reduce((n, f) => n + (size.get(f) ?? 0), 0);
        const lines = [
          `stored: November 2026, ${CLUSTERS.length} clusters, ${DAYS * CLUSTERS.length} partitions, ${size.size} objects, ${(total / 1e6).toFixed(2)} MB (GZIP JSON lines)`,
        ];
        for (const timeZone of ['UTC', 'Europe/Berlin', 'America/New_York']) {
          const period = reportPeriod({ period: 'daily' }, timeZone, new Date('2026-11-16T12:00:00Z'));
          const union = new Set<string>();
          const perQuery: string[] = [];
          let widest = { name: '', bytes: 0 };
          for (const query of REPORT_QUERIES) {
            const files = await engine.filesRead(querySql(query.name), queryParameters(query, period, '*'));
            for (const f of files) union.add(f);
            const read = bytes(files);
            if (read > widest.bytes) widest = { name: query.name, bytes: read };
            perQuery.push(`${query.name} ${percent(read, total)}`);
          }
          const all = bytes(union);
          lines.push(
            `daily report of ${period.firstDate} (${timeZone}; day partitions ${period.fromDay}..${period.toDay}, first-seen from ${period.previous.fromDay}): ` +
              `all ${REPORT_QUERIES.length} queries together read ${percent(all, total)} of the month's bytes, the widest (${widest.name}) ${percent(widest.bytes, total)}; ` +
              `target ≤ 1/12 = 8.3%: ${12 * all <= total ? 'met' : 'NOT met'}`,
            `  per query: ${perQuery.join(', ')}`,
          );
        }
        return lines;
      } finally {
        engine.close();
        rmSync(root, { recursive: true, force: true });
      }
    },
  },
];
