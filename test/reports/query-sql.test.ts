import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from 'node-sql-parser';
import { ATHENA_FUNCTION_NAMES } from '../../reports/athena-functions';
import {
  AUDIT_TAMPERING_REGEX,
  athenaExecutionParameters,
  CONTROL_EVIDENCE_QUERY,
  InvalidReportParameterError,
  PERIOD_SUMMARY_TABLE,
  periodSummaryParameters,
  periodSummarySql,
  queryParameters,
  querySql,
  REPORT_QUERIES,
  REPORT_SECTIONS,
  reportQuery,
  sectionSql,
  UnknownReportQueryError,
} from '../../reports/queries';
import { eventSearchParameters, eventSearchRange, eventSearchSql } from '../../reports/search';
import { alertSettingsSchema } from '../../tasks/alert/settings';
import { loadRules } from '../../tasks/core/alerts/rules';
import { reportPeriod } from '../../tasks/core/report-period';
import { DEFAULT_CORRELATION_WINDOW_MS } from '../../tasks/core/statement';

type Node = Record<string, unknown>;

const parser = new Parser();
const astOf = (sql: string) => parser.astify(sql, { database: 'trino' });

/** Every node of a syntax tree, depth first. */
function nodes(tree: unknown): Node[] {
  const found: Node[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) {
      for (const child of n) walk(child);
    } else if (n && typeof n === 'object') {
      found.push(n as Node);
      for (const child of Object.values(n)) walk(child);
    }
  };
  walk(tree);
  return found;
}

/** The names of the functions a statement calls (scalar, aggregate and window), lower-cased. */
function functionsCalled(sql: string): Set<string> {
  const names = new Set<string>();
  for (const n of nodes(astOf(sql))) {
    if (n.type === 'aggr_func' && typeof n.name === 'string') names.add(n.name.toLowerCase());
    if (n.type === 'function') {
      const parts = (n.name as { name?: { value: string }[] }).name ?? [];
      names.add(parts.map((p) => p.value.toLowerCase()).join('.'));
    }
  }
  return names;
}

const isParameter = (n: unknown) => (n as Node | undefined)?.type === 'origin' && (n as Node).value === '?';
/** The column a node names: a column reference, or a quoted identifier (`"time"` inside function calls). */
function columnOf(n: unknown): string | undefined {
  const node = n as Node | undefined;
  if (node?.type === 'double_quote_string') return String(node.value);
  if (node?.type !== 'column_ref') return undefined;
  const column = node.column as string | { expr: { value: string } };
  return typeof column === 'string' ? column : column.expr.value;
}
const isCall = (n: unknown, name: string, argument: (a: unknown) => boolean) => {
  const node = n as Node | undefined;
  const parts = ((node?.name as { name?: { value: string }[] } | undefined)?.name ?? []).map((p) => p.value);
  const args = (node?.args as { value?: unknown[] } | undefined)?.value ?? [];
  return node?.type === 'function' && parts.join('.') === name && args.length === 1 && argument(args[0]);
};
/** The AND-ed conditions of a WHERE clause. */
function conjuncts(where: unknown): Node[] {
  const n = where as Node | null;
  if (!n) return [];
  if (n.type === 'binary_expr' && n.operator === 'AND') return [...conjuncts(n.left), ...conjuncts(n.right)];
  return [n];
}

/**
 * Why a SELECT that reads the Glue table is not restricted to the period: it must have
 * `day BETWEEN ? AND ?`, the hours of the first and last day `(day > ? OR hour >= ?)` and
 * `(day < ? OR hour <= ?)`, `(? = '*' OR cluster = ?)` and
 * `from_iso8601_timestamp("time") >= / < from_iso8601_timestamp(?)`.
 */
function unrestrictedScans(sql: string): string[] {
  const problems: string[] = [];
  const selects = nodes(astOf(sql)).filter(
    (n) =>
      n.type === 'select' &&
      Array.isArray(n.from) &&
      (n.from as Node[]).some((f) => f.db === 'aurora_audit' && f.table === 'audit_events'),
  );
  if (selects.length === 0) problems.push('does not read aurora_audit.audit_events');
  for (const select of selects) {
    const conditions = conjuncts(select.where);
    const dayBetween = conditions.some(
      (c) =>
        c.operator === 'BETWEEN' &&
        columnOf(c.left) === 'day' &&
        ((c.right as Node).value as unknown[]).every(isParameter),
    );
    // `(? = '*' OR cluster = ?)`, or (the period summary, for a report on some clusters)
    // `(? = '*' OR contains(split(?, ','), cluster))`.
    const callOf = (n: unknown, name: string): unknown[] | undefined => {
      const node = n as Node | undefined;
      const parts = ((node?.name as { name?: { value: string }[] } | undefined)?.name ?? []).map(
        (p) => p.value,
      );
      if (node?.type !== 'function' || parts.join('.') !== name) return undefined;
      return (node.args as { value?: unknown[] } | undefined)?.value ?? [];
    };
    const clusterList = (n: Node) => {
      const [list, column] = callOf(n, 'contains') ?? [];
      const [values, separator] = callOf(list, 'split') ?? [];
      return (
        isParameter(values) &&
        (separator as Node | undefined)?.value === ',' &&
        columnOf(column) === 'cluster'
      );
    };
    const cluster = conditions.some(
      (c) =>
        c.operator === 'OR' &&
        (c.left as Node).operator === '=' &&
        isParameter((c.left as Node).left) &&
        ((c.left as Node).right as Node).value === '*' &&
        (((c.right as Node).operator === '=' &&
          columnOf((c.right as Node).left) === 'cluster' &&
          isParameter((c.right as Node).right)) ||
          clusterList(c.right as Node)),
    );
    const bound = (operator: string) =>
      conditions.some(
        (c) =>
          c.operator === operator &&
          isCall(c.left, 'from_iso8601_timestamp', (a) => columnOf(a) === 'time') &&
          isCall(c.right, 'from_iso8601_timestamp', isParameter),
      );
    const hours = (dayOperator: string, hourOperator: string) =>
      conditions.some(
        (c) =>
          c.operator === 'OR' &&
          (c.left as Node).operator === dayOperator &&
          columnOf((c.left as Node).left) === 'day' &&
          isParameter((c.left as Node).right) &&
          (c.right as Node).operator === hourOperator &&
          columnOf((c.right as Node).left) === 'hour' &&
          isParameter((c.right as Node).right),
      );
    if (!dayBetween) problems.push('no day BETWEEN ? AND ?');
    if (!hours('>', '>=') || !hours('<', '<='))
      problems.push('no hour restriction of the first and last day');
    if (!cluster) problems.push("no (? = '*' OR cluster = ?)");
    if (!bound('>=') || !bound('<')) problems.push('no exact instant range on time');
  }
  return problems;
}

/** The `?` placeholders outside comments, quoted identifiers and string literals. */
const placeholders = (sql: string) =>
  (sql.replace(/--[^\n]*|'(?:[^']|'')*'|"(?:[^"]|"")*"/g, '').match(/\?/g) ?? []).length;

/** The `events` CTE: the period's deduplicated events. */
const eventsCte = (sql: string) => sql.slice(sql.indexOf('WITH events AS ('), sql.indexOf('\n)') + 2);

const names = REPORT_QUERIES.map((q) => q.name);

describe('the query catalog', () => {
  it('lists every .sql file of reports/queries once, named after its file', () => {
    const files = readdirSync(join(__dirname, '..', '..', 'reports', 'queries')).filter((f) =>
      f.endsWith('.sql'),
    );
    // The event queries and the control evidence (the canary's run records) are the report's sections.
    expect(REPORT_SECTIONS.map((q) => q.file).sort()).toEqual(files.sort());
    expect(new Set(REPORT_SECTIONS.map((q) => q.name)).size).toBe(REPORT_SECTIONS.length);
    for (const q of REPORT_SECTIONS) expect(q.file).toBe(`${q.name}.sql`);
  });

  it.each(names)('gives %s as many parameters as its SQL has placeholders', (name) => {
    expect(placeholders(querySql(name))).toBe(reportQuery(name).parameters.length);
  });

  it('maps a period to each query’s parameters in placeholder order', () => {
    const period = reportPeriod({ period: 'daily' }, 'Europe/Berlin', new Date('2026-11-24T06:00:00Z'));
    const cluster = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    // The Berlin day 2026-11-23 is 2026-11-22 23:00 to 2026-11-23 23:00 UTC: hour 23 of the 22nd to hour 22
    // of the 23rd.
    expect(queryParameters(reportQuery('privilege-changes'), period, cluster)).toEqual([
      '2026-11-22',
      '2026-11-23',
      '2026-11-22',
      '23',
      '2026-11-23',
      '22',
      cluster,
      cluster,
      '2026-11-22T23:00:00.000Z',
      '2026-11-23T23:00:00.000Z',
    ]);
    expect(queryParameters(reportQuery('activity-per-day'), period, '*').slice(10)).toEqual([
      'Europe/Berlin',
    ]);
    expect(queryParameters(reportQuery('first-seen'), period, '*')).toEqual([
      '2026-11-21',
      '2026-11-23',
      '2026-11-21',
      '23',
      '2026-11-23',
      '22',
      '*',
      '*',
      '2026-11-21T23:00:00.000Z',
      '2026-11-23T23:00:00.000Z',
      '2026-11-22T23:00:00.000Z',
    ]);
  });

  it('rejects a cluster that is neither a resource id nor *, and an unknown query', () => {
    const period = reportPeriod({ period: 'daily' }, 'UTC', new Date('2026-11-24T06:00:00Z'));
    expect(() => queryParameters(reportQuery('top-users'), period, "x' OR '1'='1")).toThrow(
      InvalidReportParameterError,
    );
    expect(() => reportQuery('top-tables')).toThrow(
      new UnknownReportQueryError(
        `no report query named "top-tables"; known: ${[...names, 'control-evidence'].join(', ')}`,
      ),
    );
  });

  it('quotes values as Athena execution parameters (SQL literals)', () => {
    expect(athenaExecutionParameters(['2026-11-23', '*', "o'brien"])).toEqual([
      "'2026-11-23'",
      "'*'",
      "'o''brien'",
    ]);
  });
});

describe('the report SQL as Athena accepts it', () => {
  it.each(names)('%s parses as Trino SQL and calls only the documented functions', (name) => {
    const called = functionsCalled(querySql(name));
    expect(called.size).toBeGreaterThan(0);
    expect([...called].filter((f) => !ATHENA_FUNCTION_NAMES.includes(f))).toEqual([]);
  });

  it('control-evidence parses as Trino SQL, calls only the documented functions and has a parameter per placeholder', () => {
    const sql = querySql(CONTROL_EVIDENCE_QUERY.name);
    const called = functionsCalled(sql);
    expect([...called].sort()).toEqual(
      ['approx_percentile', 'count', 'count_if', 'from_iso8601_timestamp', 'greatest', 'max', 'round'].sort(),
    );
    expect([...called].filter((f) => !ATHENA_FUNCTION_NAMES.includes(f))).toEqual([]);
    expect(placeholders(sql)).toBe(CONTROL_EVIDENCE_QUERY.parameters.length);
  });

  it('notices a function that is not on the list, in any position', () => {
    const called = functionsCalled(
      "SELECT date_format(x, '%Y'), max(y) FROM t WHERE lower(z) = 'a' GROUP BY 1 HAVING sum(w) > 0 ORDER BY rank() OVER (ORDER BY v)",
    );
    expect([...called].sort()).toEqual(['date_format', 'lower', 'max', 'rank', 'sum']);
  });

  it.each(names)(
    '%s reads the table only within the period’s day and hour partitions, cluster and instants',
    (name) => {
      expect(unrestrictedScans(querySql(name))).toEqual([]);
    },
  );

  it('notices a scan without the period restriction', () => {
    expect(
      unrestrictedScans(
        'SELECT * FROM aurora_audit.audit_events WHERE day >= ? AND from_iso8601_timestamp("time") < from_iso8601_timestamp(?)',
      ),
    ).toEqual([
      'no day BETWEEN ? AND ?',
      'no hour restriction of the first and last day',
      "no (? = '*' OR cluster = ?)",
      'no exact instant range on time',
    ]);
    // The hours of one end alone, or compared the wrong way, are no restriction.
    expect(
      unrestrictedScans(
        'SELECT * FROM aurora_audit.audit_events WHERE day BETWEEN ? AND ? AND (day > ? OR hour >= ?) AND (day < ? OR hour >= ?)',
      ),
    ).toContain('no hour restriction of the first and last day');
  });

  it('writes the deduplicated period events identically in every query', () => {
    const cte = eventsCte(querySql('activity-by-class'));
    expect(cte).toMatch(/row_number\(\) OVER \(PARTITION BY e\.id [^)]*\) AS copy_number/);
    expect(cte).toContain('WHERE copy_number = 1');
    for (const name of names) expect(eventsCte(querySql(name))).toBe(cte);
  });

  it('pairs the two sources into statements identically in every query, each row a statement with its sources', () => {
    const statementsCte = (sql: string) =>
      sql.slice(sql.indexOf('keyed AS ('), sql.indexOf("WHERE source = 'das' OR paired = false\n)") + 40);
    const cte = statementsCte(querySql('activity-by-class'));
    expect(cte).toContain('coalesce(k.statementkey, ');
    expect(cte).toContain("'das,pgaudit'");
    for (const name of names) {
      expect(statementsCte(querySql(name))).toBe(cte);
      // Past the shared CTEs, a query reads statements, never the raw events.
      const rest = querySql(name).slice(querySql(name).indexOf(cte) + cte.length);
      expect(rest).toMatch(/FROM statements\b/);
      // Only the coverage check reads the events themselves: which clusters had both sources.
      expect(rest.includes('FROM events')).toBe(name === 'coverage-gaps');
    }
  });

  it('pairs within the correlation window the alert Lambda and the statement identity use', () => {
    const windowSeconds = DEFAULT_CORRELATION_WINDOW_MS / 1000;
    expect(alertSettingsSchema.shape.CORRELATION_WINDOW_SECONDS.parse(undefined)).toBe(windowSeconds);
    for (const name of names) {
      const sql = querySql(name);
      const pairing = sql.slice(
        sql.indexOf('keyed AS ('),
        sql.indexOf("WHERE source = 'das' OR paired = false\n)"),
      );
      // Cross-source windows; the one on `entry_before` collapses one source's SESSION and OBJECT entries.
      const intervals = pairing
        .split('\n')
        .filter((line) => !line.includes('entry_before'))
        .flatMap((line) => [...line.matchAll(/INTERVAL '(\d+)' SECOND/g)].map((m) => Number(m[1])));
      expect(intervals.length).toBeGreaterThan(0);
      expect(new Set(intervals)).toEqual(new Set([windowSeconds]));
    }
  });

  it('never interpolates: no template placeholders in the SQL', () => {
    for (const name of names) expect(querySql(name)).not.toMatch(/\$\{|\{\{|%s/);
  });

  it('keeps the tampering patterns equal to the default audit-tampering rule, literally in the SQL', () => {
    const rule = loadRules().rules.find((r) => r.name === 'audit-tampering');
    expect(AUDIT_TAMPERING_REGEX).toBe(`(?i)${rule?.match.commandTextPattern}`);
    expect(AUDIT_TAMPERING_REGEX).not.toContain("'");
    expect(querySql('audit-tampering')).toContain(
      `regexp_like(coalesce(commandtext, command), '${AUDIT_TAMPERING_REGEX}')`,
    );
  });
});

describe('the event search SQL (reports/search/events.sql) as Athena accepts it', () => {
  const sql = eventSearchSql();
  const statementsCte = (text: string) =>
    text.slice(text.indexOf('keyed AS ('), text.indexOf("WHERE source = 'das' OR paired = false\n)") + 40);

  it('parses as Trino SQL and calls only the documented functions', () => {
    const called = functionsCalled(sql);
    expect(called.size).toBeGreaterThan(0);
    expect([...called].filter((f) => !ATHENA_FUNCTION_NAMES.includes(f))).toEqual([]);
  });

  it('reads the table only within the day and hour partitions, cluster and instants of the range', () => {
    expect(unrestrictedScans(sql)).toEqual([]);
  });

  it('has as many placeholders as parameters, and never interpolates', () => {
    const range = eventSearchRange(
      { from: '2026-11-23', to: '2026-11-23' },
      new Date('2026-12-01T00:00:00Z'),
    );
    expect(placeholders(sql)).toBe(eventSearchParameters(range, {}).length);
    expect(sql).not.toMatch(/\$\{|\{\{|%s/);
  });

  it('deduplicates and pairs the sources exactly as the report queries do, and lists statements', () => {
    const report = querySql('privilege-changes');
    expect(eventsCte(sql)).toBe(eventsCte(report));
    expect(statementsCte(sql)).toBe(statementsCte(report));
    const rest = sql.slice(sql.indexOf(statementsCte(report)) + statementsCte(report).length);
    expect(rest).toMatch(/FROM statements\b/);
    expect(rest).not.toMatch(/FROM events\b/);
  });
});

describe('the period summary and its sections as Athena accepts them', () => {
  const period = reportPeriod({ period: 'daily' }, 'Europe/Berlin', new Date('2026-11-24T06:00:00Z'));

  it('parses the summary and every section as Trino SQL calling only the documented functions', () => {
    expect(functionsCalled(periodSummarySql()).size).toBeGreaterThan(0);
    for (const sql of [periodSummarySql(), ...names.map((name) => sectionSql(name))]) {
      const called = functionsCalled(sql);
      expect([...called].filter((f) => !ATHENA_FUNCTION_NAMES.includes(f))).toEqual([]);
    }
  });

  it('reads the events only within the partitions, cluster and instants of the two periods', () => {
    expect(unrestrictedScans(periodSummarySql())).toEqual([]);
  });

  it('has as many placeholders as parameters; the sections have none and never read the events', () => {
    expect(placeholders(periodSummarySql())).toBe(periodSummaryParameters(period, '*').length);
    for (const name of names) {
      expect(placeholders(sectionSql(name))).toBe(0);
      expect(sectionSql(name)).not.toMatch(/audit_events/);
      expect(sectionSql(name)).toContain(PERIOD_SUMMARY_TABLE);
    }
  });

  it('holds the audit-tampering patterns literally, as the audit-tampering query does', () => {
    for (const sql of [periodSummarySql(), sectionSql('audit-tampering')])
      expect(sql).toContain(`regexp_like(coalesce(`);
    expect(periodSummarySql()).toContain(
      `regexp_like(coalesce(f.commandtext, f.command), '${AUDIT_TAMPERING_REGEX}')`,
    );
    expect(sectionSql('audit-tampering')).toContain(
      `regexp_like(coalesce(commandtext, command), '${AUDIT_TAMPERING_REGEX}')`,
    );
  });
});
