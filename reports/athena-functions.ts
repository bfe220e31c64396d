/**
 * The SQL functions the report queries may use: all exist in Athena engine version 3 (Trino). A test walks
 * every query's syntax tree and fails on any other function. Where the embedded test engine (DuckDB) lacks
 * one, `test/local/sql-engine.ts` defines it as a macro whose behaviour a test checks.
 */
export const ATHENA_FUNCTIONS: readonly string[] = [
  'count',
  'min',
  'max',
  'sum',
  'coalesce',
  'lower',
  'upper',
  'substr',
  'row_number',
  'from_iso8601_timestamp',
  'regexp_like',
];
