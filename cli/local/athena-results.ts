/**
 * Engine rows as Athena serves them: `GetQueryResults` pages (`ResultSet.Rows[].Data[].VarCharValue`, the
 * header row first on the first page and counting towards its size, a SQL NULL as a datum without
 * `VarCharValue`, `ResultSetMetadata.ColumnInfo` on every page, `NextToken` on all pages but the last).
 * Used by the report Lambda's tests and the workflow's Athena simulator.
 */
import type { ColumnInfo, GetQueryResultsCommandInput, GetQueryResultsOutput } from '@aws-sdk/client-athena';
import { queryParameters, querySql, reportQuery } from '../../reports/queries';
import type { ReportPeriod } from '../../tasks/core/report-period';
import type { SqlEngine } from './sql-engine';

export interface AthenaColumn {
  readonly name: string;
  /** Athena's type name: `varchar`, `bigint`, `date`, … */
  readonly type: string;
}

/** The engine's rows and columns of a query: what Athena would have computed. */
export interface EngineResult {
  readonly columns: readonly AthenaColumn[];
  readonly rows: readonly Record<string, unknown>[];
}

const DUCKDB_TYPES: Readonly<Record<string, string>> = {
  VARCHAR: 'varchar',
  BIGINT: 'bigint',
  INTEGER: 'integer',
  DATE: 'date',
  DOUBLE: 'double',
  BOOLEAN: 'boolean',
  'TIMESTAMP WITH TIME ZONE': 'timestamp with time zone',
};

/** Athena's name of a DuckDB type (`BIGINT` → `bigint`). */
export function athenaType(duckdbType: string): string {
  return DUCKDB_TYPES[duckdbType] ?? duckdbType.toLowerCase();
}

export class AthenaResultsError extends Error {
  override readonly name = 'AthenaResultsError';
}

function cell(value: unknown): { VarCharValue?: string } {
  if (value === null || value === undefined) return {};
  return {
    VarCharValue:
      typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value),
  };
}

/**
 * Splits rows into `GetQueryResults` pages of at most `pageSize` rows, the header row included in the first
 * page (as Athena counts it). Columns default to the first row's keys (all `varchar`); give them for an
 * empty result.
 */
export function toAthenaPages(
  rows: readonly Record<string, unknown>[],
  pageSize = 1000,
  columns?: readonly AthenaColumn[],
): GetQueryResultsOutput[] {
  if (!Number.isInteger(pageSize) || pageSize < 2)
    throw new AthenaResultsError('pageSize must be at least 2');
  const cols = columns ?? Object.keys(rows[0] ?? {}).map((name) => ({ name, type: 'varchar' }));
  if (cols.length === 0) throw new AthenaResultsError('an empty result needs its columns');
  const metadata: ColumnInfo[] = cols.map((c) => ({
    CatalogName: 'hive',
    SchemaName: '',
    TableName: '',
    Name: c.name,
    Label: c.name,
    Type: c.type,
    Precision: 0,
    Scale: 0,
    Nullable: 'UNKNOWN',
    CaseSensitive: c.type === 'varchar',
  }));
  const all = [
    { Data: cols.map((c) => ({ VarCharValue: c.name })) },
    ...rows.map((row) => ({ Data: cols.map((c) => cell(row[c.name])) })),
  ];
  const pages: GetQueryResultsOutput[] = [];
  for (let i = 0; i < all.length; i += pageSize) {
    pages.push({
      UpdateCount: 0,
      ResultSet: { Rows: all.slice(i, i + pageSize), ResultSetMetadata: { ColumnInfo: metadata } },
    });
  }
  return pages.map((page, i) => (i < pages.length - 1 ? { ...page, NextToken: `page-${i + 2}` } : page));
}

/** Runs a report query on the engine as Athena would: its result columns (types included) and rows. */
export async function runReportQuery(
  engine: SqlEngine,
  name: string,
  period: ReportPeriod,
  cluster = '*',
): Promise<EngineResult> {
  const table = await engine.table(querySql(name), queryParameters(reportQuery(name), period, cluster));
  return {
    columns: table.columns.map((c) => ({ name: c.name, type: athenaType(c.type) })),
    rows: table.rows,
  };
}

/**
 * A `GetQueryResults` answer from pages by query execution id, following `NextToken` (`page-<n>`) and
 * `MaxResults` as Athena does: the pages are re-cut to the size asked for. For `mock.on(...).callsFake`.
 */
export function athenaResultsServer(
  results: ReadonlyMap<string, EngineResult>,
): (input: GetQueryResultsCommandInput) => GetQueryResultsOutput {
  return (input) => {
    const result = input.QueryExecutionId ? results.get(input.QueryExecutionId) : undefined;
    if (!result) {
      const err = new Error(`QUERY_NOT_FOUND: ${input.QueryExecutionId}`);
      err.name = 'InvalidRequestException';
      throw err;
    }
    const pages = toAthenaPages(result.rows, input.MaxResults ?? 1000, result.columns);
    const index = input.NextToken ? Number(/^page-(\d+)$/.exec(input.NextToken)?.[1]) - 1 : 0;
    const page = pages[index];
    if (!page) {
      const err = new Error(`invalid NextToken ${input.NextToken}`);
      err.name = 'InvalidRequestException';
      throw err;
    }
    return page;
  };
}
