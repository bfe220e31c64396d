/**
 * The SQL functions the report queries may use. Every one exists in Athena engine version 3 (Trino,
 * https://trino.io/docs/current/functions.html; Athena: https://docs.aws.amazon.com/athena/latest/ug/functions-env3.html).
 * A test walks each query's Trino syntax tree and fails on a function that is not listed here; another checks
 * that the embedded test engine (DuckDB, `cli/local/sql-engine.ts`) has each one, natively or as a macro
 * whose behaviour a test checks.
 *
 * Operators and special forms (`CAST`, `CASE`, `BETWEEN`, `IN`, `IS NULL`, `LIKE`) are not functions.
 */
export interface AthenaFunction {
  readonly name: string;
  readonly kind: 'scalar' | 'aggregate' | 'window';
  /** The Trino signature. */
  readonly signature: string;
  /** What the queries use it for. */
  readonly use: string;
}

export const ATHENA_FUNCTIONS: readonly AthenaFunction[] = [
  {
    name: 'count',
    kind: 'aggregate',
    signature: 'count(*) → bigint; count(DISTINCT x) → bigint',
    use: 'event counts; distinct users per host and hosts per user',
  },
  {
    name: 'min',
    kind: 'aggregate',
    signature: 'min(x) → [same as x]',
    use: 'earliest sighting of a user or host (first-seen)',
  },
  {
    name: 'sum',
    kind: 'aggregate',
    signature: 'sum(x) → [same as x]',
    use: "statements of the period summary's groups added up (the sections)",
  },
  {
    name: 'bool_and',
    kind: 'aggregate',
    signature: 'bool_and(boolean) → boolean: TRUE if every input value is TRUE',
    use: 'a user or host seen only in the period, not in the previous one (first-seen over the summary)',
  },
  {
    name: 'min_by',
    kind: 'aggregate',
    signature: 'min_by(x, y) → [same as x]: x of the row with the smallest y',
    use: 'the stored `time` of the earliest event (ISO strings with varying fraction digits do not sort as instants)',
  },
  {
    name: 'max_by',
    kind: 'aggregate',
    signature: 'max_by(x, y) → [same as x]: x of the row with the largest y',
    use: 'the stored `time` of the latest event',
  },
  {
    name: 'max',
    kind: 'aggregate',
    signature: 'max(x) → [same as x]',
    use: 'the latest entry and the last source of a group of entries (statement pairing by ids)',
  },
  {
    name: 'lag',
    kind: 'window',
    signature:
      'lag(x[, offset]) → [same as x]: x of the row `offset` (default 1) before, null before the first',
    use: 'statement pairing: the entries before an entry of the same statement key, and repeated entries of one statement',
  },
  {
    name: 'lead',
    kind: 'window',
    signature:
      'lead(x[, offset]) → [same as x]: x of the row `offset` (default 1) after, null after the last',
    use: 'statement pairing: the entries after an entry of the same statement key',
  },
  {
    name: 'row_number',
    kind: 'window',
    signature: 'row_number() → bigint',
    use: 'deduplication: the first stored copy of each event id',
  },
  {
    name: 'coalesce',
    kind: 'scalar',
    signature: 'coalesce(value1, value2[, ...]) → the first non-null value',
    use: 'the statement, or the command tag where the statement is unknown (tampering)',
  },
  {
    name: 'lower',
    kind: 'scalar',
    signature: 'lower(string) → varchar',
    use: 'user names compared case-insensitively (statement identity)',
  },
  {
    name: 'upper',
    kind: 'scalar',
    signature: 'upper(string) → varchar',
    use: 'command tags compared case-insensitively (statement identity)',
  },
  {
    name: 'from_iso8601_timestamp',
    kind: 'scalar',
    signature: 'from_iso8601_timestamp(string) → timestamp(3) with time zone',
    use: 'the event `time` and the period bounds as instants (fractions beyond milliseconds are cut)',
  },
  {
    name: 'at_timezone',
    kind: 'scalar',
    signature: 'at_timezone(timestamp(p) with time zone, zone) → timestamp(p) with time zone',
    use: "an instant in the report's time zone, cast to its local date (activity per day)",
  },
  {
    name: 'date_trunc',
    kind: 'scalar',
    signature: 'date_trunc(unit, x) → [same as input]: x truncated to the unit',
    use: "the run order: instants compared at pgAudit's precision (seconds) before the statement ids",
  },
  {
    name: 'regexp_like',
    kind: 'scalar',
    signature: 'regexp_like(string, pattern) → boolean: whether the pattern matches anywhere in the string',
    use: 'the audit-tampering patterns (`(?i)` for case-insensitive)',
  },
  {
    name: 'split',
    kind: 'scalar',
    signature: 'split(string, delimiter) → array(varchar)',
    use: 'the reconciled classes, one execution parameter `ROLE,DDL` (coverage gaps)',
  },
  {
    name: 'strpos',
    kind: 'scalar',
    signature: 'strpos(string, substring) → bigint: the 1-based position of the first occurrence, 0 if none',
    use: 'the event search: part of an object name or statement text (no LIKE wildcards in what a user types)',
  },
  {
    name: 'contains',
    kind: 'scalar',
    signature: 'contains(x, element) → boolean: whether the array x contains element',
    use: "whether a statement's class is one of the reconciled classes (coverage gaps)",
  },
  {
    name: 'count_if',
    kind: 'aggregate',
    signature: 'count_if(x) → bigint: the number of TRUE input values',
    use: 'successes, misses and untested runs per source (control evidence)',
  },
  {
    name: 'approx_percentile',
    kind: 'aggregate',
    signature: 'approx_percentile(x, percentage) → [same as x]: the approximate percentile, NULLs ignored',
    use: 'the p50 and p95 arrival latency of the canary runs (control evidence)',
  },
  {
    name: 'greatest',
    kind: 'scalar',
    signature:
      'greatest(value1, value2, ..., valueN) → [same as input]: the largest value (NULL if any is NULL)',
    use: "a run's arrival latency through a source: the later of its two statements (control evidence)",
  },
  {
    name: 'round',
    kind: 'scalar',
    signature: 'round(x, d) → [same as input]: x rounded to d decimal places',
    use: 'latencies in seconds to a tenth (control evidence)',
  },
];

/** The names of {@link ATHENA_FUNCTIONS}. */
export const ATHENA_FUNCTION_NAMES: readonly string[] = ATHENA_FUNCTIONS.map((f) => f.name);
