/**
 * The compliance report queries: one `.sql` file per query beside this module, each complete (paste it in
 * the Athena console as it is), parameterized with Athena execution parameters (`?`, never string
 * interpolation), restricted to the period through the `day` and `hour` partitions (only the UTC hours the
 * period covers, so that a local day in any time zone reads its 24 hours) and the exact instant range, to one
 * cluster unless the cluster parameter is `'*'`, and counting an event stored twice (same `id`) once. Every
 * row and count is a statement: the two sources' entries of one statement are paired (the identity of
 * `tasks/core/statement.ts`) and shown once with the `sources` that saw it (`das`, `pgaudit`, `das,pgaudit`).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportPeriod } from '../../tasks/core/report-period';

/** What an execution parameter holds; a query lists them in the order of its `?` placeholders. */
export type ReportParameter =
  /** First `day` partition of the period (`YYYY-MM-DD`, UTC). */
  | 'firstDay'
  /** Last `day` partition of the period. */
  | 'lastDay'
  /** `hour` partition (UTC, `00`–`23`) of the period's start, within its first day. */
  | 'firstHour'
  /** `hour` partition of the period's last instant, within its last day. */
  | 'lastHour'
  /** A cluster resource id (`cluster-…`), or `*` for all clusters. */
  | 'cluster'
  /** The same cluster's name (identifier, e.g. `orders-db`), or `*` for all clusters. */
  | 'clusterName'
  /** Period start, ISO-8601 UTC, inclusive. */
  | 'start'
  /** Period end, ISO-8601 UTC, exclusive. */
  | 'end'
  /** First `day` partition of the previous period of equal length. */
  | 'previousFirstDay'
  /** `hour` partition of the previous period's start. */
  | 'previousFirstHour'
  /** Start of the previous period (it ends at `start`). */
  | 'previousStart'
  /** The report's IANA time zone, e.g. `Europe/Berlin`. */
  | 'timeZone'
  /**
   * The statement classes the coverage check reconciles (`alerts.coverage.classes`), upper case and
   * comma-separated, e.g. `ROLE,DDL`; empty when the check is off.
   */
  | 'coverageClasses';

export interface ReportQuery {
  readonly name: string;
  /** The SQL file in `reports/queries/`. */
  readonly file: string;
  readonly title: string;
  /** The auditor's question it answers. */
  readonly answers: string;
  /** The execution parameters, in the order of the `?` placeholders. */
  readonly parameters: readonly ReportParameter[];
  /** What the section says when the query returns no row. @default 'None in this period.' */
  readonly noRows?: string;
}

/**
 * The period's restriction, shared by every query (the `events` CTE): `day BETWEEN ? AND ?`, the hours of its
 * first and last day (`(day > ? OR hour >= ?)`, `(day < ? OR hour <= ?)`), the cluster, the instant range.
 */
const PERIOD: readonly ReportParameter[] = [
  'firstDay',
  'lastDay',
  'firstDay',
  'firstHour',
  'lastDay',
  'lastHour',
  'cluster',
  'cluster',
  'start',
  'end',
];

export const REPORT_QUERIES: readonly ReportQuery[] = [
  {
    name: 'activity-by-class',
    file: 'activity-by-class.sql',
    title: 'Activity by class and source',
    answers: 'How much of each kind of statement did each audit source report?',
    parameters: PERIOD,
  },
  {
    name: 'privilege-changes',
    file: 'privilege-changes.sql',
    title: 'Privilege changes',
    answers: 'Who granted, revoked or changed roles, when, from where, with which (redacted) statement?',
    parameters: PERIOD,
  },
  {
    name: 'schema-changes',
    file: 'schema-changes.sql',
    title: 'Schema changes',
    answers: 'Which objects were created, altered or dropped, by whom and when?',
    parameters: PERIOD,
  },
  {
    name: 'top-users',
    file: 'top-users.sql',
    title: 'Top users',
    answers: 'Who did the most, from how many hosts, first and last seen?',
    parameters: PERIOD,
  },
  {
    name: 'top-hosts',
    file: 'top-hosts.sql',
    title: 'Top client hosts',
    answers: 'Where did the activity come from, and how many users used each host?',
    parameters: PERIOD,
  },
  {
    name: 'failures',
    file: 'failures.sql',
    title: 'Failed statements and logins',
    answers: 'Which statements failed (exit code, error message), and who failed to log in?',
    parameters: PERIOD,
  },
  {
    name: 'audit-tampering',
    file: 'audit-tampering.sql',
    title: 'Audit-configuration tampering',
    answers: 'Did anyone try to change or switch off auditing?',
    parameters: PERIOD,
  },
  {
    name: 'coverage-gaps',
    file: 'coverage-gaps.sql',
    title: 'Audit coverage gaps',
    answers:
      'Which statements of the reconciled classes (default: privilege and schema changes) did one audit source record and the other miss, and why is that likely?',
    parameters: [...PERIOD, 'coverageClasses'],
  },
  {
    name: 'activity-per-day',
    file: 'activity-per-day.sql',
    title: 'Activity per day',
    answers:
      "How did activity develop over the period (per local day in the report's time zone, per source)?",
    parameters: [...PERIOD, 'timeZone'],
  },
  {
    name: 'first-seen',
    file: 'first-seen.sql',
    title: 'New users and hosts',
    answers:
      'Which users and hosts appeared for the first time compared with the previous period of equal length?',
    parameters: [
      'previousFirstDay',
      'lastDay',
      'previousFirstDay',
      'previousFirstHour',
      'lastDay',
      'lastHour',
      'cluster',
      'cluster',
      'previousStart',
      'end',
      'start',
    ],
  },
];

/**
 * The report's "Control evidence" (issue 22): the canary's run records (`aurora_audit.canary_runs`, tasks/core/
 * canary.ts), not the events, so it is kept apart from {@link REPORT_QUERIES} (whose queries all read the events
 * of the period): its own file, its own section, after the others.
 */
export const CONTROL_EVIDENCE_QUERY: ReportQuery = {
  // The canary's run records (tasks/core/canary.ts), not the events: issue 22, "Evidence".
  name: 'control-evidence',
  file: 'control-evidence.sql',
  title: 'Control evidence',
  answers:
    'Did the audit canary prove that each audit path delivers: runs, successes, misses and arrival latency (seconds) per cluster and source?',
  parameters: ['firstDay', 'lastDay', 'clusterName', 'clusterName', 'start', 'end'],
  noRows:
    'No canary run in this period: no canary is configured (clusters[].canary, docs/workflows.md "Canary workflow"), or none ran.',
};

/** Every section of the report, in order: the event queries, then the control evidence. */
export const REPORT_SECTIONS: readonly ReportQuery[] = [...REPORT_QUERIES, CONTROL_EVIDENCE_QUERY];

/**
 * The audit-tampering patterns: these mirror the `audit-tampering` rule of the default rules
 * (`tasks/core/alerts/default-rules.yaml`, its `commandTextPattern`); a test keeps them equal, and keeps
 * `audit-tampering.sql` holding {@link AUDIT_TAMPERING_REGEX} literally (SQL is never generated).
 */
export const AUDIT_TAMPERING_PATTERNS: readonly { readonly statement: string; readonly regex: string }[] = [
  {
    statement: 'ALTER ROLE | USER | DATABASE … SET / RESET pgaudit.* (or RESET ALL)',
    regex: String.raw`alter\s+(role|user|database)\b[\s\S]*\b(re)?set\s+(pgaudit\.|all\b)`,
  },
  { statement: 'ALTER SYSTEM …', regex: String.raw`alter\s+system\b` },
  {
    statement: 'DROP EXTENSION [IF EXISTS] pgaudit',
    regex: String.raw`drop\s+extension\s+(if\s+exists\s+)?"?pgaudit\b`,
  },
  {
    statement: 'SET / RESET [SESSION | LOCAL] pgaudit.*',
    regex: String.raw`(re)?set\s+(session\s+|local\s+)?pgaudit\.`,
  },
];

/** The patterns as one case-insensitive regular expression anchored at the statement's start. */
export const AUDIT_TAMPERING_REGEX = `(?i)^\\s*(${AUDIT_TAMPERING_PATTERNS.map((p) => p.regex).join('|')})`;

export class UnknownReportQueryError extends Error {
  override readonly name = 'UnknownReportQueryError';
}

export class InvalidReportParameterError extends Error {
  override readonly name = 'InvalidReportParameterError';
}

/** The catalog entry of a query by name. */
export function reportQuery(name: string): ReportQuery {
  const query = REPORT_SECTIONS.find((q) => q.name === name);
  if (!query)
    throw new UnknownReportQueryError(
      `no report query named ${JSON.stringify(name)}; known: ${REPORT_SECTIONS.map((q) => q.name).join(', ')}`,
    );
  return query;
}

/** The SQL text of a query: its file, exactly as Athena runs it. */
export function querySql(name: string): string {
  return readFileSync(join(__dirname, reportQuery(name).file), 'utf8');
}

const CLUSTER = /^(\*|[A-Za-z0-9][A-Za-z0-9._-]*)$/;
const CLASS = /^[A-Z][A-Z_]*$/;

/** The classes the coverage check reconciles unless configured (`alerts.coverage.classes`). */
export const DEFAULT_COVERAGE_CLASSES: readonly string[] = ['ROLE', 'DDL'];

/**
 * The execution parameter values of a query (in placeholder order) for a period, a cluster or `*`, the
 * classes the coverage check reconciles (none: the coverage-gaps section is empty), and the cluster's name
 * (or `*`: the canary's run records name clusters by name).
 */
export function queryParameters(
  query: ReportQuery,
  period: ReportPeriod,
  cluster: string,
  coverageClasses: readonly string[] = DEFAULT_COVERAGE_CLASSES,
  clusterName = '*',
): string[] {
  if (!CLUSTER.test(cluster))
    throw new InvalidReportParameterError(
      `cluster must be a cluster resource id or '*', got ${JSON.stringify(cluster)}`,
    );
  const badClass = coverageClasses.find((c) => !CLASS.test(c));
  if (badClass !== undefined)
    throw new InvalidReportParameterError(
      `coverage classes must be upper-case class names such as ROLE, got ${JSON.stringify(badClass)}`,
    );
  if (!CLUSTER.test(clusterName))
    throw new InvalidReportParameterError(
      `clusterName must be a cluster identifier or '*', got ${JSON.stringify(clusterName)}`,
    );
  const values: Record<ReportParameter, string> = {
    clusterName,
    firstDay: period.fromDay,
    lastDay: period.toDay,
    firstHour: period.fromHour,
    lastHour: period.toHour,
    cluster,
    start: period.start,
    end: period.end,
    previousFirstDay: period.previous.fromDay,
    previousFirstHour: period.previous.fromHour,
    previousStart: period.previous.start,
    timeZone: period.timeZone,
    coverageClasses: coverageClasses.join(','),
  };
  return query.parameters.map((p) => values[p]);
}

/**
 * Values as Athena `ExecutionParameters` (StartQueryExecution, the console's parameter fields): each value
 * is a SQL literal, so strings are single-quoted with embedded quotes doubled.
 */
export function athenaExecutionParameters(values: readonly string[]): string[] {
  return values.map((v) => `'${v.replace(/'/g, "''")}'`);
}

/**
 * The period summary (`reports/summary/period-summary.sql`): the one query of a report run that reads the stored events, once
 * for the period and the previous period of equal length. Its rows (each notable statement in detail, every
 * other statement counted into groups) are what the sections of `reports/sections/*.sql` read, as the table
 * {@link PERIOD_SUMMARY_TABLE} (an Athena CTAS of the run). Canary statements are left out there.
 */
export const PERIOD_SUMMARY_FILE = 'period-summary.sql';
/** How the section SQL names the run's summary table. */
export const PERIOD_SUMMARY_TABLE = 'aurora_audit.report_period_summary';

/** The canary users of the report's clusters (`clusters[].canary.user`), by cluster resource id. */
export type CanaryUsers = Readonly<Record<string, string>>;

/**
 * Where the report Lambda's bundle holds the summary and section SQL (`<bundle>/report-sql/summary/…`,
 * `<bundle>/report-sql/sections/…`): esbuild inlines this module, not the files, so the workflow construct
 * copies them there ({@link reportSqlCopyCommands}).
 */
export const BUNDLED_SQL_DIR = 'report-sql';

/** Reads `<kind>/<file>` from the repository (tests, tsx, the CLI), else from beside the bundle. */
function readReportSql(kind: 'summary' | 'sections' | 'queries', file: string): string {
  const candidates = [join(__dirname, '..', kind, file), join(__dirname, BUNDLED_SQL_DIR, kind, file)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found)
    throw new UnknownReportQueryError(`${kind}/${file} not found (looked in ${candidates.join(', ')})`);
  return readFileSync(found, 'utf8');
}

/** Shell commands for `commandHooks.afterBundling`: the summary and section SQL beside the bundle. */
export function reportSqlCopyCommands(outputDir: string): string[] {
  const root = join(__dirname, '..');
  const target = join(outputDir, BUNDLED_SQL_DIR);
  return [
    `mkdir -p "${join(target, 'summary')}" "${join(target, 'sections')}" "${join(target, 'queries')}"`,
    `cp "${join(root, 'summary', PERIOD_SUMMARY_FILE)}" "${join(target, 'summary', PERIOD_SUMMARY_FILE)}"`,
    `cp "${join(root, 'queries', CONTROL_EVIDENCE_QUERY.file)}" "${join(target, 'queries', CONTROL_EVIDENCE_QUERY.file)}"`,
    ...REPORT_QUERIES.map(
      (q) => `cp "${join(root, 'sections', `${q.name}.sql`)}" "${join(target, 'sections', `${q.name}.sql`)}"`,
    ),
  ];
}

/** The SQL text of the period summary. */
export function periodSummarySql(): string {
  return readReportSql('summary', PERIOD_SUMMARY_FILE);
}

/** The SQL text of a section over the period summary (`reports/sections/<name>.sql`). */
export function sectionSql(name: string): string {
  return readReportSql('sections', `${reportQuery(name).name}.sql`);
}

const CANARY_USER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * The period summary's parameter values, in placeholder order (see the file's header). `cluster` is `*`, a
 * cluster resource id, or several, comma-separated (a report on some of the clusters).
 */
export function periodSummaryParameters(
  period: ReportPeriod,
  cluster: string | readonly string[],
  canaryUsers: CanaryUsers = {},
  coverageClasses: readonly string[] = DEFAULT_COVERAGE_CLASSES,
): string[] {
  const clusters = typeof cluster === 'string' ? [cluster] : [...cluster];
  if (clusters.length === 0 || (clusters.length > 1 && clusters.includes('*')))
    throw new InvalidReportParameterError(
      `clusters must be '*' or cluster resource ids, got ${JSON.stringify(clusters)}`,
    );
  for (const c of clusters) queryParameters(reportQuery('first-seen'), period, c, coverageClasses);
  const [firstDay, lastDay, firstDayAgain, firstHour, lastDayAgain, lastHour, , , start, end] =
    queryParameters(reportQuery('first-seen'), period, clusters[0] as string, coverageClasses);
  const c1 = clusters.join(',');
  const c2 = c1;
  for (const [resourceId, user] of Object.entries(canaryUsers)) {
    if (!CLUSTER.test(resourceId) || resourceId === '*' || !CANARY_USER.test(user))
      throw new InvalidReportParameterError(
        `canary users must map cluster resource ids to PostgreSQL user names, got ${JSON.stringify(resourceId)}: ${JSON.stringify(user)}`,
      );
  }
  const canaries = Object.entries(canaryUsers)
    .map(([resourceId, user]) => `${resourceId}:${user.toLowerCase()}`)
    .join(',');
  return [
    period.start,
    firstDay,
    lastDay,
    firstDayAgain,
    firstHour,
    lastDayAgain,
    lastHour,
    c1,
    c2,
    start,
    end,
    canaries,
    period.timeZone,
    coverageClasses.join(','),
  ] as string[];
}

/**
 * The characters a rendered value may hold: what the period (dates, hours, ISO-8601 instants), cluster
 * resource ids, canary user names, IANA time zone names and class names are made of. No quote, backslash,
 * semicolon or comment marker can reach the SQL, whatever the quoting.
 */
const RENDERABLE = /^[A-Za-z0-9 _:.,*+/$-]*$/;

/**
 * `sql` with each `?` placeholder (outside string literals, quoted identifiers and comments) replaced by the
 * next value as a single-quoted SQL string literal. Every value must be {@link RENDERABLE}; the count must
 * match. This is how the period summary runs: its CTAS carries no execution parameters (Athena documents `?`
 * only in WHERE clauses; the summary has some elsewhere), so it is correct whichever way Athena treats them.
 */
export function renderLiterals(sql: string, values: readonly string[]): string {
  for (const v of values)
    if (!RENDERABLE.test(v))
      throw new InvalidReportParameterError(
        `a rendered value holds characters it may not: ${JSON.stringify(v)}`,
      );
  let out = '';
  let next = 0;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i] as string;
    if (ch === "'" || ch === '"') {
      // A literal or quoted identifier, doubled quotes inside.
      let j = i + 1;
      while (j < sql.length && !(sql[j] === ch && sql[j + 1] !== ch)) j += sql[j] === ch ? 2 : 1;
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const j = end === -1 ? sql.length : end;
      out += sql.slice(i, j);
      i = j;
    } else if (ch === '?') {
      if (next >= values.length)
        throw new InvalidReportParameterError(
          `the SQL has more placeholders than the ${values.length} values`,
        );
      out += `'${(values[next++] as string).replace(/'/g, "''")}'`;
      i += 1;
    } else {
      out += ch;
      i += 1;
    }
  }
  if (next !== values.length)
    throw new InvalidReportParameterError(`the SQL has ${next} placeholders for ${values.length} values`);
  return out;
}

/** How the summary and event SQL name the events table (each deployment names its own). */
export const SQL_EVENTS_TABLE = 'aurora_audit.audit_events';
/** The prefix of every run's summary table name (IAM grants Glue on `<database>/<prefix>*` only). */
export const SUMMARY_TABLE_PREFIX = 'report_summary_';
const GLUE_TABLE = /^[a-z0-9_]{1,255}$/;
const QUALIFIED_TABLE = /^([a-z0-9_]{1,255})\.([a-z0-9_]{1,255})$/;

export class InvalidSummaryTableError extends Error {
  override readonly name = 'InvalidSummaryTableError';
}

/**
 * The run's summary table: `report_summary_` + the execution name in Glue's table-name characters (lower-case
 * letters, digits, `_`) + 8 hex digits of its SHA-256, so that two execution names that read the same once
 * sanitized (`Run-1`, `run_1`) still get two tables. At most 15 + 80 + 9 characters (Glue allows 255).
 */
export function summaryTableName(executionName: string): string {
  const readable = executionName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const hash = createHash('sha256').update(executionName, 'utf8').digest('hex').slice(0, 8);
  const name = `${SUMMARY_TABLE_PREFIX}${readable}_${hash}`;
  if (!GLUE_TABLE.test(name)) throw new InvalidSummaryTableError(`not a Glue table name: ${name}`);
  return name;
}

function qualified(table: string, what: string): { database: string; name: string } {
  const m = QUALIFIED_TABLE.exec(table);
  if (!m)
    throw new InvalidSummaryTableError(
      `${what} must be <database>.<table> in lower case, got ${JSON.stringify(table)}`,
    );
  return { database: m[1] as string, name: m[2] as string };
}

/**
 * The run's CTAS: `CREATE TABLE <database>.<table> WITH (format = 'PARQUET', write_compression = 'SNAPPY')
 * AS <period summary>`, reading `eventsTable` (`<database>.<table>`), the summary table in the events' database,
 * the values rendered as literals ({@link renderLiterals}). No `external_location`: the workgroup enforces its
 * result location, so Athena writes the table under `<results>/tables/<query id>/`.
 */
export function periodSummaryCtas(eventsTable: string, table: string, values: readonly string[]): string {
  const events = qualified(eventsTable, 'the events table');
  if (!GLUE_TABLE.test(table) || !table.startsWith(SUMMARY_TABLE_PREFIX))
    throw new InvalidSummaryTableError(`not a summary table name: ${JSON.stringify(table)}`);
  const sql = periodSummarySql();
  if (!sql.includes(SQL_EVENTS_TABLE))
    throw new InvalidSummaryTableError(`the summary does not read ${SQL_EVENTS_TABLE}`);
  const select = renderLiterals(
    sql.split(SQL_EVENTS_TABLE).join(`${events.database}.${events.name}`),
    values,
  );
  return `CREATE TABLE ${events.database}.${table} WITH (format = 'PARQUET', write_compression = 'SNAPPY') AS\n${select}`;
}

/** The run's DROP of its summary table (`IF EXISTS`: also on paths where the CTAS never ran or failed). */
export function periodSummaryDrop(eventsTable: string, table: string): string {
  const { database } = qualified(eventsTable, 'the events table');
  if (!GLUE_TABLE.test(table) || !table.startsWith(SUMMARY_TABLE_PREFIX))
    throw new InvalidSummaryTableError(`not a summary table name: ${JSON.stringify(table)}`);
  return `DROP TABLE IF EXISTS ${database}.${table}`;
}

/**
 * A section's query string against the run's summary table: all of it for `*`, or, for one cluster of a
 * report on some clusters, only that cluster's rows (the summary's `cluster` column is the partition value).
 */
export function sectionQueryString(
  name: string,
  eventsTable: string,
  table: string,
  cluster: string,
): string {
  const { database } = qualified(eventsTable, 'the events table');
  if (!GLUE_TABLE.test(table) || !table.startsWith(SUMMARY_TABLE_PREFIX))
    throw new InvalidSummaryTableError(`not a summary table name: ${JSON.stringify(table)}`);
  if (!CLUSTER.test(cluster))
    throw new InvalidReportParameterError(
      `cluster must be a cluster resource id or '*', got ${JSON.stringify(cluster)}`,
    );
  const source =
    cluster === '*'
      ? `${database}.${table}`
      : `(SELECT * FROM ${database}.${table} WHERE cluster = '${cluster}')`;
  return sectionSql(name).split(PERIOD_SUMMARY_TABLE).join(source);
}

/** How the control-evidence SQL names the canary's run records; the run reads its stack's own. */
export const SQL_CANARY_RUNS_TABLE = 'aurora_audit.canary_runs';

/**
 * The Control evidence section's query string (it reads the canary's run records, not the events, so not the
 * period summary): `reports/queries/control-evidence.sql` with the run records of the events' database
 * (`<database>.canary_runs`) and its values rendered as literals ({@link renderLiterals}), as the summary's are.
 * `clusterName` is a cluster identifier or `*` (the records name clusters by identifier).
 */
export function controlEvidenceQueryString(
  eventsTable: string,
  period: ReportPeriod,
  clusterName: string,
): string {
  const { database } = qualified(eventsTable, 'the events table');
  const sql = readReportSql('queries', CONTROL_EVIDENCE_QUERY.file);
  if (!sql.includes(SQL_CANARY_RUNS_TABLE))
    throw new InvalidSummaryTableError(
      `${CONTROL_EVIDENCE_QUERY.file} does not read ${SQL_CANARY_RUNS_TABLE}`,
    );
  return renderLiterals(
    sql.split(SQL_CANARY_RUNS_TABLE).join(`${database}.canary_runs`),
    queryParameters(CONTROL_EVIDENCE_QUERY, period, '*', [], clusterName),
  );
}
