import { SqlEngineError, TRINO_MACROS } from '../../cli/local/sql-engine';
import { ATHENA_FUNCTION_NAMES } from '../../reports/athena-functions';
import { AUDIT_EVENT_FIELDS } from '../../tasks/core/audit-event';
import { CLUSTER_A, CLUSTER_B, event, type ReportFixture, reportFixture } from './report-fixture';

const statement = `GRANT SELECT ON "odd, name" TO bob; -- it's\n\tdone: 'ok' ✓`;
const stored = [
  event('2026-11-22T10:00:00.123456Z', { commandText: statement, pid: 4242 }),
  event('2026-11-23T10:00:00Z', { clusterId: CLUSTER_B }),
  event('2026-11-24T10:00:00Z'),
];

let fixture: ReportFixture;
beforeAll(async () => {
  fixture = await reportFixture(stored);
});
afterAll(() => fixture?.close());

const one = async (sql: string, parameters: string[] = []) =>
  (await fixture.engine.query(sql, parameters))[0];

/**
 * One check per documented function: what Athena (Trino) returns, per the Trino documentation. Macros are
 * marked; the others are DuckDB's own functions with the same behaviour.
 */
const checks: Record<string, { sql: string; expected: Record<string, unknown> }> = {
  count_if: {
    // Trino: counts the TRUE values; FALSE and NULL are not counted.
    sql: 'SELECT count_if(v) AS n FROM (VALUES (true), (false), (NULL), (true)) t(v)',
    expected: { n: '2' },
  },
  approx_percentile: {
    // Macro (DuckDB's discrete quantile). Trino: a value of the set near the percentile, NULLs ignored; on a
    // few distinct values, that value exactly.
    sql: `SELECT approx_percentile(v, 0.5) AS p50, approx_percentile(v, 0.95) AS p95
      FROM (VALUES (60000), (NULL), (150000), (90000)) t(v)`,
    expected: { p50: 90000, p95: 150000 },
  },
  greatest: {
    // Trino: the largest argument (NULL when any is NULL, where DuckDB ignores NULLs: control-evidence uses it
    // only on arrived sources, which have both latencies).
    sql: 'SELECT greatest(90000, 120000) AS g, greatest(150000, 60000) AS h',
    expected: { g: 120000, h: 150000 },
  },
  round: {
    // Trino: half away from zero, to d decimals.
    sql: 'SELECT round(90000 / 1000.0, 1) AS s, round(12345 / 1000.0, 1) AS t',
    expected: { s: 90, t: 12.3 },
  },
  from_iso8601_timestamp: {
    // Trino: timestamp(3) with time zone; digits beyond milliseconds are cut (never rounded up across an
    // instant boundary), offsets are honoured, NULL stays NULL.
    sql: `SELECT
      from_iso8601_timestamp('2026-11-23T10:00:00Z') = from_iso8601_timestamp('2026-11-23T10:00:00.000Z') AS z,
      from_iso8601_timestamp('2026-11-22T22:59:59.999999Z') = from_iso8601_timestamp('2026-11-22T22:59:59.999Z') AS cut,
      from_iso8601_timestamp('2026-11-22T22:59:59.999999Z') < from_iso8601_timestamp('2026-11-22T23:00:00.000Z') AS before,
      from_iso8601_timestamp('2026-11-23T00:00:00.0005Z') = from_iso8601_timestamp('2026-11-23T00:00:00Z') AS sub_ms,
      from_iso8601_timestamp('2026-11-23T11:00:00+01:00') = from_iso8601_timestamp('2026-11-23T10:00:00Z') AS offset,
      from_iso8601_timestamp(NULL) IS NULL AS null_in`,
    expected: { z: true, cut: true, before: true, sub_ms: true, offset: true, null_in: true },
  },
  regexp_like: {
    // Trino: true if the pattern matches anywhere in the string; case-sensitive unless (?i).
    sql: `SELECT
      regexp_like('select 1; ALTER SYSTEM', 'ALTER SYSTEM') AS anywhere,
      regexp_like('ALTER SYSTEM', 'alter system') AS case_sensitive,
      regexp_like('ALTER SYSTEM', '(?i)alter system') AS insensitive,
      regexp_like('select 1; ALTER SYSTEM', '^\\s*alter') AS anchored,
      regexp_like('ALTER ROLE x\nSET pgaudit.log', '(?i)role\\b[\\s\\S]*\\bset\\s+pgaudit\\.') AS newlines,
      regexp_like(NULL, 'x') IS NULL AS null_in`,
    expected: {
      anywhere: true,
      case_sensitive: false,
      insensitive: true,
      anchored: false,
      newlines: true,
      null_in: true,
    },
  },
  at_timezone: {
    // Trino: the instant in the zone; its date is the local date, across DST changes.
    sql: `SELECT
      CAST(at_timezone(from_iso8601_timestamp('2026-10-24T22:30:00Z'), 'Europe/Berlin') AS date) AS berlin_cest,
      CAST(at_timezone(from_iso8601_timestamp('2026-10-25T22:30:00Z'), 'Europe/Berlin') AS date) AS berlin_cet,
      CAST(at_timezone(from_iso8601_timestamp('2026-11-01T04:30:00Z'), 'America/New_York') AS date) AS ny_edt,
      CAST(at_timezone(from_iso8601_timestamp('2026-11-02T04:30:00Z'), 'America/New_York') AS date) AS ny_est,
      CAST(at_timezone(from_iso8601_timestamp('2026-11-23T23:59:59.999Z'), 'UTC') AS date) AS utc`,
    expected: {
      berlin_cest: '2026-10-25',
      berlin_cet: '2026-10-25',
      ny_edt: '2026-11-01',
      ny_est: '2026-11-01',
      utc: '2026-11-23',
    },
  },
  date_trunc: {
    // Trino: the timestamp (with its zone) truncated to the unit; an instant already on the unit stays.
    sql: `SELECT
      date_trunc('second', from_iso8601_timestamp('2026-11-23T10:00:05.999Z')) = from_iso8601_timestamp('2026-11-23T10:00:05Z') AS cut,
      date_trunc('second', from_iso8601_timestamp('2026-11-23T10:00:05Z')) = from_iso8601_timestamp('2026-11-23T10:00:05Z') AS whole,
      date_trunc('second', from_iso8601_timestamp('2026-11-23T10:00:05.999Z')) < from_iso8601_timestamp('2026-11-23T10:00:05.001Z') AS before,
      date_trunc('second', from_iso8601_timestamp(NULL)) IS NULL AS null_in`,
    expected: { cut: true, whole: true, before: true, null_in: true },
  },
  count: {
    sql: 'SELECT count(*) AS rows, count(DISTINCT v) AS distinct_values, count(v) AS non_null FROM (VALUES (1), (1), (2), (NULL)) t(v)',
    expected: { rows: '4', distinct_values: '2', non_null: '3' },
  },
  min: {
    sql: "SELECT min(v) AS m FROM (VALUES ('b'), ('a'), (NULL)) t(v)",
    expected: { m: 'a' },
  },
  sum: {
    // Athena: sum of bigint is bigint; the sections cast DuckDB's wider sum back to bigint.
    sql: 'SELECT CAST(sum(x) AS bigint) AS s FROM (VALUES (2), (3), (NULL)) t(x)',
    expected: { s: '5' },
  },
  bool_and: {
    sql: 'SELECT bool_and(x) AS a, bool_and(y) AS b FROM (VALUES (true, true), (false, true)) t(x, y)',
    expected: { a: false, b: true },
  },
  min_by: {
    sql: "SELECT min_by(x, y) AS m FROM (VALUES ('late', 2), ('early', 1), ('null', NULL)) t(x, y)",
    expected: { m: 'early' },
  },
  max_by: {
    sql: "SELECT max_by(x, y) AS m FROM (VALUES ('late', 2), ('early', 1), ('null', NULL)) t(x, y)",
    expected: { m: 'late' },
  },
  max: {
    sql: "SELECT max(v) AS m FROM (VALUES ('das'), ('pgaudit'), (NULL)) t(v)",
    expected: { m: 'pgaudit' },
  },
  lag: {
    // Trino: the value `offset` rows before within the partition's order; NULL where there is none.
    sql: "SELECT list(coalesce(p1, '-') || '/' || coalesce(p2, '-') ORDER BY k, n) AS r FROM (SELECT k, n, lag(v) OVER (PARTITION BY k ORDER BY n) AS p1, lag(v, 2) OVER (PARTITION BY k ORDER BY n) AS p2 FROM (VALUES ('a', 1, 'x'), ('a', 2, 'y'), ('a', 3, 'z'), ('b', 1, 'w')) t(k, n, v))",
    expected: { r: ['-/-', 'x/-', 'y/x', '-/-'] },
  },
  lead: {
    sql: "SELECT list(coalesce(p1, '-') || '/' || coalesce(p2, '-') ORDER BY k, n) AS r FROM (SELECT k, n, lead(v) OVER (PARTITION BY k ORDER BY n) AS p1, lead(v, 2) OVER (PARTITION BY k ORDER BY n) AS p2 FROM (VALUES ('a', 1, 'x'), ('a', 2, 'y'), ('a', 3, 'z'), ('b', 1, 'w')) t(k, n, v))",
    expected: { r: ['y/z', 'z/-', '-/-', '-/-'] },
  },
  lower: {
    sql: "SELECT lower('App_User') AS l, lower('ÄB') AS u, lower(NULL) IS NULL AS null_in",
    expected: { l: 'app_user', u: 'äb', null_in: true },
  },
  upper: {
    sql: "SELECT upper('grant role') AS g, upper(NULL) IS NULL AS null_in",
    expected: { g: 'GRANT ROLE', null_in: true },
  },
  row_number: {
    sql: "SELECT list(n ORDER BY k, v) AS numbers FROM (SELECT k, v, row_number() OVER (PARTITION BY k ORDER BY v) AS n FROM (VALUES ('a', 2), ('a', 1), ('b', 5)) t(k, v))",
    expected: { numbers: ['1', '2', '1'] },
  },
  coalesce: {
    sql: "SELECT coalesce(NULL, 'GRANT') AS second, coalesce('ALTER SYSTEM', 'x') AS first",
    expected: { second: 'GRANT', first: 'ALTER SYSTEM' },
  },
  split: {
    // Trino: split('', ',') is [''] (one empty element), not an empty array.
    sql: "SELECT split('ROLE,DDL', ',') AS two, split('ROLE', ',') AS one, split('', ',') AS empty_string",
    expected: { two: ['ROLE', 'DDL'], one: ['ROLE'], empty_string: [''] },
  },
  strpos: {
    // Trino: 1-based position of the first occurrence, 0 when absent, case-sensitive; '%' and '_' are literal.
    sql: "SELECT strpos('grant select on orders', 'select') AS at, strpos('GRANT', 'grant') AS other_case, strpos('a_b', '%') AS percent, strpos('100%', '%') AS literal",
    expected: { at: '7', other_case: '0', percent: '0', literal: '4' },
  },
  contains: {
    // Trino: whether the array contains the element (case-sensitive equality).
    sql: "SELECT contains(split('ROLE,DDL', ','), 'DDL') AS yes, contains(split('ROLE,DDL', ','), 'ddl') AS other_case, contains(split('', ','), 'ROLE') AS none, contains(split('ROLE,DDL', ','), 'ROL') AS prefix",
    expected: { yes: true, other_case: false, none: false, prefix: false },
  },
};

describe('the embedded engine (DuckDB with Trino macros)', () => {
  it('checks every documented Athena function and defines only documented ones as macros', () => {
    expect(Object.keys(checks).sort()).toEqual([...ATHENA_FUNCTION_NAMES].sort());
    for (const macro of Object.keys(TRINO_MACROS)) expect(ATHENA_FUNCTION_NAMES).toContain(macro);
  });

  it.each(Object.keys(checks))('gives %s the behaviour Athena documents', async (name) => {
    const check = checks[name];
    expect(await one(check?.sql ?? '')).toEqual(check?.expected);
  });

  it('reads the stored layout as the Glue table: lower-cased field columns, then cluster, day and hour as strings', async () => {
    const columns = await fixture.engine.query('DESCRIBE aurora_audit.audit_events');
    expect(columns.map((c) => [c.column_name, c.column_type])).toEqual([
      ...AUDIT_EVENT_FIELDS.map((f) => [f.name.toLowerCase(), f.type === 'bigint' ? 'BIGINT' : 'VARCHAR']),
      ['cluster', 'VARCHAR'],
      ['day', 'VARCHAR'],
      ['hour', 'VARCHAR'],
    ]);
    const rows = await fixture.engine.query(
      'SELECT cluster, day, hour, clusterid, pid, commandtext FROM aurora_audit.audit_events ORDER BY "time"',
    );
    expect(rows).toEqual(
      stored.map((e) => ({
        cluster: e.clusterId,
        day: e.time.slice(0, 10),
        hour: e.time.slice(11, 13),
        clusterid: e.clusterId,
        pid: String(e.pid),
        commandtext: e.commandText,
      })),
    );
    expect(rows[0]?.commandtext).toBe(statement);
  });

  it('binds ? parameters in order as strings and rejects a wrong number of them', async () => {
    expect(await one('SELECT ? AS a, ? AS b', ['x', "o'brien"])).toEqual({ a: 'x', b: "o'brien" });
    await expect(fixture.engine.query('SELECT ? AS a', [])).rejects.toThrow(
      new SqlEngineError('the SQL has 1 parameters, 0 given'),
    );
  });

  it('reports which stored files a query opened after partition pruning', async () => {
    const sql =
      "SELECT count(*) AS n FROM aurora_audit.audit_events WHERE day BETWEEN ? AND ? AND (? = '*' OR cluster = ?)";
    const files = (parameters: string[]) =>
      fixture.engine.filesRead(sql, parameters).then((f) => f.map((p) => p.replace(/^.*\/events\//, '')));
    expect(await files(['2026-11-22', '2026-11-23', '*', '*'])).toEqual([
      expect.stringMatching(`^cluster=${CLUSTER_A}/day=2026-11-22/hour=10/`),
      expect.stringMatching(`^cluster=${CLUSTER_B}/day=2026-11-23/hour=10/`),
    ]);
    expect(await files(['2026-11-22', '2026-11-24', CLUSTER_A, CLUSTER_A])).toEqual([
      expect.stringMatching(`^cluster=${CLUSTER_A}/day=2026-11-22/`),
      expect.stringMatching(`^cluster=${CLUSTER_A}/day=2026-11-24/`),
    ]);
    expect(await files(['2026-01-01', '2026-12-31', '*', '*'])).toHaveLength(3);
    // The hours of the first and last day: from 11:00 on the 22nd (after its 10:00 event) to 10:00 on the 23rd.
    const hourly =
      "SELECT count(*) AS n FROM aurora_audit.audit_events WHERE day BETWEEN ? AND ? AND (day > ? OR hour >= ?) AND (day < ? OR hour <= ?) AND (? = '*' OR cluster = ?)";
    const hourFiles = (parameters: string[]) =>
      fixture.engine.filesRead(hourly, parameters).then((f) => f.map((p) => p.replace(/^.*\/events\//, '')));
    expect(
      await hourFiles(['2026-11-22', '2026-11-23', '2026-11-22', '11', '2026-11-23', '10', '*', '*']),
    ).toEqual([expect.stringMatching(`^cluster=${CLUSTER_B}/day=2026-11-23/hour=10/`)]);
    expect(
      await hourFiles(['2026-11-22', '2026-11-23', '2026-11-22', '10', '2026-11-23', '09', '*', '*']),
    ).toEqual([expect.stringMatching(`^cluster=${CLUSTER_A}/day=2026-11-22/hour=10/`)]);
  });
});
