/**
 * The embedded SQL engine for the report tests and the pruning benchmark: DuckDB reading the stored layout
 * (GZIP JSON lines under `events/cluster=…/day=…/hour=…/`, hive partitioning, partition values as strings) as
 * `aurora_audit.audit_events`, the Glue table's name and columns (the lower-cased field names, then `cluster`,
 * `day` and `hour`), and the canary's run records as `aurora_audit.canary_runs`. Like the Glue table's projection, it sees only the hourly layout: objects stored directly
 * under `day=…/` (the layout before issue 21) are not read. The Trino functions of `reports/athena-functions.ts` that DuckDB lacks are macros built from
 * DuckDB's own functions (their behaviour is tested). The SQL text is never rewritten: `?` parameters are
 * bound as prepared-statement parameters, in order, as strings.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { AUDIT_EVENT_FIELDS } from '../../tasks/core/audit-event';
import { CANARY_RUN_COLUMNS } from '../../tasks/core/canary';
import { CANARY_RUNS_PREFIX } from '../../tasks/core/storage-layout';

/** Trino/Athena functions DuckDB does not have, defined with DuckDB's own. */
export const TRINO_MACROS: Readonly<Record<string, string>> = {
  // Trino returns timestamp(3) with time zone: digits beyond milliseconds are cut, not rounded.
  from_iso8601_timestamp:
    "CREATE MACRO from_iso8601_timestamp(s) AS date_trunc('millisecond', CAST(s AS TIMESTAMPTZ))",
  // Both search anywhere in the string (not a whole-string match); RE2 and Joni share the syntax used.
  regexp_like: 'CREATE MACRO regexp_like(s, pattern) AS regexp_matches(s, pattern)',
  // DuckDB gives the local wall time without a zone, Trino the instant in that zone: the same local date
  // and time, which is all the queries use (CAST … AS date).
  at_timezone: 'CREATE MACRO at_timezone(ts, zone) AS timezone(zone, ts)',
  // Trino's is approximate (t-digest); on the few values of a report's canary runs both give a value of the
  // set: DuckDB's discrete quantile, exactly.
  approx_percentile: 'CREATE MACRO approx_percentile(x, p) AS quantile_disc(x, p)',
};

export class SqlEngineError extends Error {
  override readonly name = 'SqlEngineError';
}

/** A result with its columns (known even when there are no rows), as Athena's ResultSetMetadata has them. */
export interface SqlTable {
  /** Column names and DuckDB types (`VARCHAR`, `BIGINT`, `DATE`, …), in select-list order. */
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly rows: Record<string, unknown>[];
}

export interface SqlEngine {
  /** Runs SQL with `?` parameters bound in order; rows as JSON-friendly objects (bigints as strings). */
  query(sql: string, parameters?: readonly string[]): Promise<Record<string, unknown>[]>;
  /** Runs SQL as {@link query} does and also returns the columns. */
  table(sql: string, parameters?: readonly string[]): Promise<SqlTable>;
  /** Runs SQL as {@link query} does and returns the stored files DuckDB opened for it (after pruning). */
  filesRead(sql: string, parameters?: readonly string[]): Promise<string[]>;
  /**
   * Runs SQL as {@link query} does and returns the table columns its scans read (DuckDB's projection pushdown,
   * which is what a columnar format lets Athena skip).
   */
  columnsRead(sql: string, parameters?: readonly string[]): Promise<string[]>;
  close(): void;
}

/**
 * Session settings: UTC, and without DuckDB 1.5's top-N window elimination, which fails with an internal
 * error ("Failed to cast expression to type") on the queries' `row_number() … WHERE copy_number = 1` when
 * few columns are used afterwards. An optimizer setting, not a change of the SQL.
 */
const SETTINGS = ["SET TimeZone = 'UTC'", "SET disabled_optimizers = 'top_n_window_elimination'"];

async function run(connection: DuckDBConnection, sql: string, parameters: readonly string[]) {
  return (await runTable(connection, sql, parameters)).rows;
}

async function runTable(
  connection: DuckDBConnection,
  sql: string,
  parameters: readonly string[],
): Promise<SqlTable> {
  const statement = await connection.prepare(sql);
  if (statement.parameterCount !== parameters.length)
    throw new SqlEngineError(
      `the SQL has ${statement.parameterCount} parameters, ${parameters.length} given`,
    );
  parameters.forEach((p, i) => {
    statement.bindVarchar(i + 1, p);
  });
  const result = await statement.runAndReadAll();
  const types = result.columnTypes();
  return {
    columns: result.columnNames().map((name, i) => ({ name, type: String(types[i]) })),
    rows: result.getRowObjectsJson() as Record<string, unknown>[],
  };
}

interface ProfileNode {
  readonly extra_info?: Record<string, unknown>;
  readonly children?: readonly ProfileNode[];
}

export interface SqlEngineOptions {
  /**
   * The stored objects' format: GZIP JSON lines (`*.json.gz`, what Firehose writes) or Parquet (`*.parquet`,
   * the measured alternative of Firehose's record format conversion; the columns as the Glue table has them).
   * @default 'json'
   */
  readonly format?: 'json' | 'parquet';
}

/** The bucket root holds `events/…` as the pipeline writes it (see `cli/local/records/stored-events.ts`). */
export async function sqlEngine(bucketRoot: string, options: SqlEngineOptions = {}): Promise<SqlEngine> {
  const parquet = options.format === 'parquet';
  const extension = parquet ? '.parquet' : '.json.gz';
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  for (const setting of SETTINGS) await connection.run(setting);
  for (const macro of Object.values(TRINO_MACROS)) await connection.run(macro);
  const columns = AUDIT_EVENT_FIELDS.map(
    (f) => `'${f.name}': '${f.type === 'bigint' ? 'BIGINT' : 'VARCHAR'}'`,
  ).join(', ');
  const glob = join(bucketRoot, 'events', '*', '*', '*', `*${extension}`).replace(/'/g, "''");
  await connection.run('CREATE SCHEMA aurora_audit');
  const select = [
    ...AUDIT_EVENT_FIELDS.map((f) => `"${f.name}" AS ${f.name.toLowerCase()}`),
    'cluster',
    'day',
    'hour',
  ].join(', ');
  await connection.run(
    parquet
      ? `CREATE VIEW aurora_audit.audit_events AS SELECT * FROM read_parquet('${glob}', hive_partitioning = true, hive_types_autocast = false)`
      : `CREATE VIEW aurora_audit.audit_events AS SELECT ${select} FROM read_json('${glob}', format = 'newline_delimited', compression = 'gzip', hive_partitioning = true, hive_types_autocast = false, columns = {${columns}})`,
  );

  await connection.run(canaryRunsView(bucketRoot));

  const profiling = await instance.connect();
  for (const setting of SETTINGS) await profiling.run(setting);
  const profileDir = mkdtempSync(join(tmpdir(), 'aa-duckdb-profile-'));
  const profileFile = join(profileDir, 'profile.json');
  await profiling.run("SET enable_profiling = 'json'");
  await profiling.run("SET profiling_mode = 'detailed'");
  await profiling.run(`SET profiling_output = '${profileFile.replace(/'/g, "''")}'`);

  /**
   * The files one scan opened. The profile names at most five; the rest follow from its partition filters
   * (DuckDB's own rendering, e.g. `(day BETWEEN '…' AND '…')((day > '…') OR (hour >= '…'))`) applied to the stored files'
   * partition values, cross-checked with the number of files it read and the names it gives.
   */
  async function scanned(scan: Record<string, unknown>): Promise<string[]> {
    const count = Number(scan['Total Files Read']);
    const named = String(scan['Filename(s)'] ?? '')
      .split(', ')
      .filter((n) => n.endsWith(extension) && !n.includes('*'));
    const filters = String(scan['File Filters'] ?? '').replace(/\)\(/g, ') AND (');
    const files = (
      await run(
        connection,
        `SELECT file FROM (SELECT file, regexp_extract(file, 'cluster=([^/]+)/', 1) AS cluster, regexp_extract(file, 'day=([^/]+)/', 1) AS day, regexp_extract(file, 'hour=([^/]+)/', 1) AS hour FROM glob('${glob}')) WHERE ${filters || 'true'} ORDER BY file`,
        [],
      )
    ).map((r) => String(r.file));
    if (files.length !== count || named.some((n) => !files.includes(n)))
      throw new SqlEngineError(`cannot tell which ${count} files a scan read: ${JSON.stringify(scan)}`);
    return files;
  }

  /** The scans of the stored files in the profile of one run of the SQL. */
  async function scansOf(sql: string, parameters: readonly string[]): Promise<Record<string, unknown>[]> {
    await run(profiling, sql, parameters);
    const scans: Record<string, unknown>[] = [];
    const walk = (node: ProfileNode) => {
      if (node.extra_info && 'Total Files Read' in node.extra_info) scans.push(node.extra_info);
      for (const child of node.children ?? []) walk(child);
    };
    walk(JSON.parse(readFileSync(profileFile, 'utf8')) as ProfileNode);
    if (scans.length === 0) throw new SqlEngineError('the query read no stored files');
    return scans;
  }

  return {
    query: (sql, parameters = []) => run(connection, sql, parameters),
    table: (sql, parameters = []) => runTable(connection, sql, parameters),
    async filesRead(sql, parameters = []) {
      const files = new Set<string>();
      for (const scan of await scansOf(sql, parameters))
        for (const file of await scanned(scan)) files.add(file);
      return [...files].sort();
    },
    async columnsRead(sql, parameters = []) {
      const columns = new Set<string>();
      for (const scan of await scansOf(sql, parameters)) {
        const projections = scan.Projections;
        const names = Array.isArray(projections) ? projections : String(projections ?? '').split('\n');
        for (const name of names) if (String(name).trim() !== '') columns.add(String(name).trim());
      }
      return [...columns].sort();
    },
    close() {
      profiling.closeSync();
      connection.closeSync();
      instance.closeSync();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/**
 * `aurora_audit.canary_runs`, as the Glue table reads the canary's run records (`canary-runs/day=…/*.json`, one
 * JSON object each, tasks/core/canary.ts): the lower-cased columns, the sources as structs, `day` from the
 * path. Without any record, an empty table of the same columns (DuckDB cannot read a glob that matches nothing).
 */
function canaryRunsView(bucketRoot: string): string {
  const duckType = (glueType: string) =>
    glueType === 'bigint'
      ? 'BIGINT'
      : glueType === 'string'
        ? 'VARCHAR'
        : 'STRUCT(status VARCHAR, roleLatencyMs BIGINT, ddlLatencyMs BIGINT)';
  const columns = CANARY_RUN_COLUMNS.map((c) => `'${c.field}': '${duckType(c.type)}'`).join(', ');
  const select = [
    ...CANARY_RUN_COLUMNS.map((c) =>
      c.type.startsWith('struct')
        ? `struct_pack(status := "${c.field}".status, rolelatencyms := "${c.field}".roleLatencyMs, ddllatencyms := "${c.field}".ddlLatencyMs) AS ${c.name}`
        : `"${c.field}" AS ${c.name}`,
    ),
    'day',
  ].join(', ');
  const dir = join(bucketRoot, CANARY_RUNS_PREFIX);
  const files = existsSync(dir)
    ? readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.json'))
    : [];
  if (files.length === 0) {
    const empty = CANARY_RUN_COLUMNS.map(
      (c) =>
        `CAST(NULL AS ${c.type.startsWith('struct') ? 'STRUCT(status VARCHAR, rolelatencyms BIGINT, ddllatencyms BIGINT)' : duckType(c.type)}) AS ${c.name}`,
    ).join(', ');
    return `CREATE VIEW aurora_audit.canary_runs AS SELECT ${empty}, CAST(NULL AS VARCHAR) AS day WHERE false`;
  }
  const glob = join(dir, '*', '*.json').replace(/'/g, "''");
  return `CREATE VIEW aurora_audit.canary_runs AS SELECT ${select} FROM read_json('${glob}', format = 'auto', hive_partitioning = true, hive_types_autocast = false, columns = {${columns}})`;
}
