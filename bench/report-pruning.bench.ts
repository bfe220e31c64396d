/**
 * For a generated month in the stored layout: the share of stored bytes a daily report's queries read
 * after partition pruning (the `day BETWEEN ? AND ?` and `cluster` predicates select whole partitions).
 * Target: at most 1/12 (the day and, for the first-seen comparison, the day before).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { queryParameters, REPORT_QUERIES } from '../reports/queries';
import { reportPeriod } from '../tasks/core/report-period';
import { auditEvent } from '../test/builders/audit-event';
import { writeStoredEvents } from '../test/builders/stored-events';
import type { Benchmark } from './harness';

const CLUSTERS = ['cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'cluster-ZYXWVUTSRQPONMLKJIHGFEDCBA'];

function partitionBytes(root: string): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const cluster of readdirSync(join(root, 'events'))) {
    for (const day of readdirSync(join(root, 'events', cluster))) {
      const dir = join(root, 'events', cluster, day);
      const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
      sizes.set(`${cluster.slice('cluster='.length)}|${day.slice('day='.length)}`, bytes);
    }
  }
  return sizes;
}

export const benchmarks: Benchmark[] = [
  {
    name: 'report-pruning',
    description:
      'share of a month of stored events (2 clusters, 30 days) that a daily report reads after partition pruning',
    run: async () => {
      const events = [];
      for (let day = 1; day <= 30; day++) {
        for (let i = 0; i < 400; i++) {
          const time = `2026-11-${String(day).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00Z`;
          events.push(
            auditEvent({
              time,
              statementId: i,
              clusterId: CLUSTERS[i % 2],
              commandText: `SELECT ${day}, ${i} FROM orders`,
            }),
          );
        }
      }
      const sizes = partitionBytes(writeStoredEvents(events));
      const total = [...sizes.values()].reduce((a, b) => a + b, 0);
      const lines: string[] = [
        `stored: ${(total / 1e6).toFixed(2)} MB in ${sizes.size} partitions (GZIP JSON lines)`,
      ];
      for (const timeZone of ['UTC', 'Europe/Berlin']) {
        const period = reportPeriod({ period: 'daily' }, timeZone, new Date('2026-11-16T06:00:00Z'));
        const union = new Set<string>();
        let worst = 0;
        for (const q of REPORT_QUERIES) {
          const [fromDay, toDay, cluster] = queryParameters(q, period, '*');
          const read = [...sizes.keys()].filter((k) => {
            const [c, d] = k.split('|') as [string, string];
            return d >= fromDay! && d <= toDay! && (cluster === '*' || c === cluster);
          });
          for (const k of read) union.add(k);
          worst = Math.max(
            worst,
            read.reduce((n, k) => n + (sizes.get(k) ?? 0), 0),
          );
        }
        const unionBytes = [...union].reduce((n, k) => n + (sizes.get(k) ?? 0), 0);
        lines.push(
          `daily report (${timeZone}, ${period.firstDate}): the widest query reads ${((100 * worst) / total).toFixed(1)}% of the month, ` +
            `all queries together ${((100 * unionBytes) / total).toFixed(1)}% (1/12 = 8.3%)`,
        );
      }
      return lines;
    },
  },
];
