/**
 * Partition pruning of the report queries: for a generated month of events in the stored layout (GZIP JSON
 * lines under `events/cluster=…/day=…/`, written by the real `storedLine`/`partitionOf`), the share of the
 * month's stored bytes that a daily report's queries read. The files each query opens are those DuckDB opens
 * when it runs the query's SQL with the report's execution parameters (its `day BETWEEN ? AND ?` and
 * `cluster` predicates prune whole partitions, as Athena's partition projection does).
 * Target: at most 1/12 of the month (the day and, for the first-seen comparison, the day before).
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { seededRandom } from '../cli/local/random';
import { auditEvent } from '../cli/local/records/audit-event';
import { writeStoredEvents } from '../cli/local/records/stored-events';
import { type SqlEngine, sqlEngine } from '../cli/local/sql-engine';
import {
  periodSummaryParameters,
  periodSummarySql,
  queryParameters,
  querySql,
  REPORT_QUERIES,
} from '../reports/queries';
import { AUDIT_EVENT_FIELDS, type AuditEvent } from '../tasks/core/audit-event';
import { reportPeriod } from '../tasks/core/report-period';
import { storedLine } from '../tasks/core/storage-layout';
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

function month(): AuditEvent[] {
  const next = seededRandom(9);
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
      const events = month();
      const root = writeStoredEvents(events, { objectsPerPartition: 3 });
      const engine = await sqlEngine(root);
      const parquetRoot = `${root}-parquet`;
      let parquet: SqlEngine | undefined;
      try {
        const stored = await engine.query(
          `SELECT file FROM glob('${root.replace(/'/g, "''")}/events/*/*/*/*.json.gz')`,
        );
        const size = new Map(stored.map((r) => [String(r.file), statSync(String(r.file)).size]));
        const total = [...size.values()].reduce((a, b) => a + b, 0);
        const bytes = (files: Iterable<string>) => [...files].reduce((n, f) => n + (size.get(f) ?? 0), 0);
        const lines = [
          `stored: November 2026, ${CLUSTERS.length} clusters, ${DAYS * 24 * CLUSTERS.length} hour partitions, ${size.size} objects, ${(total / 1e6).toFixed(2)} MB (GZIP JSON lines)`,
        ];
        // The measured alternative: the same events as Parquet (Firehose's record format conversion writes
        // Parquet with SNAPPY by default), one file per hour partition. Athena bills the column chunks a query
        // reads; DuckDB reports the columns each scan reads (projection pushdown) and the files (pruning).
        mkdirSync(parquetRoot);
        await engine.query(
          `COPY (SELECT * FROM aurora_audit.audit_events) TO '${join(parquetRoot, 'events').replace(/'/g, "''")}' (FORMAT parquet, PARTITION_BY (cluster, day, hour), COMPRESSION snappy)`,
        );
        parquet = await sqlEngine(parquetRoot, { format: 'parquet' });
        const chunks = new Map<string, number>(); // `${file}\t${column}` → compressed bytes
        let parquetTotal = 0;
        for (const r of await parquet.query(
          `SELECT file_name, path_in_schema, sum(total_compressed_size) AS bytes FROM parquet_metadata('${join(parquetRoot, 'events').replace(/'/g, "''")}/*/*/*/*.parquet') GROUP BY 1, 2`,
        )) {
          chunks.set(`${r.file_name}\t${r.path_in_schema}`, Number(r.bytes));
          parquetTotal += Number(r.bytes);
        }
        const parquetBytes = (files: readonly string[], columns: readonly string[]) =>
          files.reduce((n, f) => n + columns.reduce((m, c) => m + (chunks.get(`${f}\t${c}`) ?? 0), 0), 0);
        lines.push(
          `stored as Parquet (SNAPPY, the measured option), one file per hour partition: ${(parquetTotal / 1e6).toFixed(2)} MB of column chunks, ${percent(parquetTotal, total)} of the GZIP JSON bytes (hour files of ~15 events are far below Parquet's row groups)`,
        );
        // At scale an hour file holds millions of events: one cluster's month in one file (full row groups)
        // against the same lines as one GZIP stream gives the bytes per event of each format.
        const bigColumns = new Map<string, Map<string, number>>(); // compression → column → bytes
        for (const compression of ['snappy', 'gzip']) {
          const big = join(parquetRoot, `one-cluster-${compression}.parquet`).replace(/'/g, "''");
          await engine.query(
            `COPY (SELECT * EXCLUDE (cluster, day, hour) FROM aurora_audit.audit_events WHERE cluster = '${CLUSTERS[0]}') TO '${big}' (FORMAT parquet, COMPRESSION ${compression})`,
          );
          bigColumns.set(
            compression,
            new Map(
              (
                await parquet.query(
                  `SELECT path_in_schema, sum(total_compressed_size) AS bytes FROM parquet_metadata('${big}') GROUP BY 1`,
                )
              ).map((r) => [String(r.path_in_schema), Number(r.bytes)]),
            ),
          );
        }
        const clusterGzip = gzipSync(
          events
            .filter((e) => e.clusterId === CLUSTERS[0])
            .map((e) => storedLine(e).line)
            .join(''),
        ).length;
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
          // The period summary (one CTAS per run, the sections read only its result): the files it opens, once.
          const summaryParameters = periodSummaryParameters(period, '*');
          const summaryRead = bytes(await engine.filesRead(periodSummarySql(), summaryParameters));
          // What the sections read instead: the summary as the run's CTAS writes it (Parquet, SNAPPY).
          const summaryFile = join(parquetRoot, `summary-${timeZone.replace('/', '-')}.parquet`);
          await engine.query(
            `COPY (${periodSummarySql()}) TO '${summaryFile.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION snappy)`,
            summaryParameters,
          );
          const [summaryRows] = await engine.query(
            `SELECT count(*) AS n, count(*) FILTER (WHERE detail) AS detailed, sum(statements) FILTER (WHERE in_period) AS statements FROM read_parquet('${summaryFile.replace(/'/g, "''")}')`,
          );
          const summaryBytes = statSync(summaryFile).size;
          let parquetRead = 0;
          const bigRead = new Map<string, number>([
            ['snappy', 0],
            ['gzip', 0],
          ]);
          let jsonRead = 0;
          const columnsRead = new Set<string>();
          for (const query of REPORT_QUERIES) {
            const parameters = queryParameters(query, period, '*');
            const sql = querySql(query.name);
            const columns = await (parquet as SqlEngine).columnsRead(sql, parameters);
            for (const c of columns) columnsRead.add(c);
            for (const [compression, sizes] of bigColumns)
              bigRead.set(
                compression,
                (bigRead.get(compression) ?? 0) + columns.reduce((n, c) => n + (sizes.get(c) ?? 0), 0),
              );
            parquetRead += parquetBytes(await (parquet as SqlEngine).filesRead(sql, parameters), columns);
            jsonRead += bytes(await engine.filesRead(sql, parameters));
          }
          lines.push(
            `daily report of ${period.firstDate} (${timeZone}; day partitions ${period.fromDay}..${period.toDay}, first-seen from ${period.previous.fromDay}): ` +
              `all ${REPORT_QUERIES.length} queries together read ${percent(all, total)} of the month's bytes, the widest (${widest.name}) ${percent(widest.bytes, total)}; ` +
              `target ≤ 1/12 = 8.3%: ${12 * all <= total ? 'met' : 'NOT met'}`,
            `  per query: ${perQuery.join(', ')}`,
            `  with the period summary: one scan of ${percent(summaryRead, total)} of the month's bytes per report; target ≤ 1/12 = 8.3%: ${12 * summaryRead <= total ? 'met' : 'NOT met'}; the summary holds ${summaryRows?.n} rows (${summaryRows?.detailed} notable statements in detail, the period's ${summaryRows?.statements} statements in all), ${(summaryBytes / 1e3).toFixed(0)} kB as Parquet against ${(summaryRead / 1e3).toFixed(0)} kB of GZIP JSON read: the sections read it instead of ${REPORT_QUERIES.length} scans`,
            `  as Parquet: the ${REPORT_QUERIES.length} queries read ${columnsRead.size} of the ${AUDIT_EVENT_FIELDS.length} columns (${[...columnsRead].sort().join(', ')}); in hour files they would be billed ${(parquetRead / 1e3).toFixed(0)} kB of column chunks against ${(jsonRead / 1e3).toFixed(0)} kB of GZIP JSON (${(jsonRead / parquetRead).toFixed(2)}× less); ` +
              `with full row groups (one file of a cluster's month, ${(clusterGzip / 1e3).toFixed(0)} kB as GZIP JSON) a query reads on average ${[...bigRead].map(([c, b]) => `${(b / REPORT_QUERIES.length / 1e3).toFixed(0)} kB in Parquet ${c.toUpperCase()} (${(clusterGzip / (b / REPORT_QUERIES.length)).toFixed(2)}× less)`).join(', ')}`,
          );
        }
        return lines;
      } finally {
        engine.close();
        parquet?.close();
        rmSync(root, { recursive: true, force: true });
        rmSync(parquetRoot, { recursive: true, force: true });
      }
    },
  },
];
