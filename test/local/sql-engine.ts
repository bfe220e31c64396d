/**
 * The embedded SQL engine for report tests and benchmarks: DuckDB reading the stored layout (GZIP JSON lines
 * under `events/cluster=…/day=…/`, hive partitioning) as `aurora_audit.audit_events`, the Glue table's
 * name and columns. Trino functions DuckDB lacks are macros; the SQL text is never rewritten.
 */
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { AUDIT_EVENT_FIELDS } from '../../tasks/core/audit-event';

/** Trino/Athena functions DuckDB does not have, defined with DuckDB's own. */
export const TRINO_MACROS = [
  'CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)',
  'CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p)',
] as const;

export interface SqlEngine {
  /** Runs SQL with `?` parameters bound in order; rows as JSON-friendly objects. */
  query(sql: string, parameters?: readonly string[]): Promise<Record<string, unknown>[]>;
  close(): void;
}

export async function sqlEngine(bucketRoot: string): Promise<SqlEngine> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection: DuckDBConnection = await instance.connect();
  await connection.run("SET TimeZone = 'UTC'");
  for (const macro of TRINO_MACROS) await connection.run(macro);
  const columns = AUDIT_EVENT_FIELDS.map(
    (f) => `'${f.name}': '${f.type === 'bigint' ? 'BIGINT' : 'VARCHAR'}'`,
  ).join(', ');
  const glob = join(bucketRoot, 'events', '*', '*', '*.json.gz').replace(/'/g, "''");
  await connection.run('CREATE SCHEMA aurora_audit');
  // The Glue table's columns are the lower-cased field names, then the partitions.
  const select = [
    ...AUDIT_EVENT_FIELDS.map((f) => `"${f.name}" AS ${f.name.toLowerCase()}`),
    'cluster',
    'day',
  ].join(', ');
  await connection.run(
    `CREATE VIEW aurora_audit.audit_events AS SELECT ${select} FROM read_json('${glob}', format = 'newline_delimited', hive_partitioning = true, hive_types_autocast = false, columns = {${columns}})`,
  );
  return {
    async query(sql, parameters = []) {
      const statement = await connection.prepare(sql);
      parameters.forEach((p, i) => {
        statement.bindVarchar(i + 1, p);
      });
      const result = await statement.runAndReadAll();
      return result.getRowObjectsJson() as Record<string, unknown>[];
    },
    close() {
      connection.closeSync();
    },
  };
}
