/**
 * The report email's fixed texts and HTML skeleton. Section titles and questions come from the query
 * catalog (`reports/queries/index.ts`: `title`, `answers`); column headings and the explanatory texts are
 * here. Every value passed in is already HTML (the renderer escapes all data before it gets here).
 */
import { CLASSES, NARROW_SCREEN_CSS, STYLE } from './styles';

/** Column headings by result column (Athena lower-cases column names). */
export const COLUMN_LABELS: Readonly<Record<string, string>> = {
  time: 'Time (UTC)',
  cluster: 'Cluster',
  user: 'User',
  database: 'Database',
  class: 'Class',
  command: 'Command',
  objecttype: 'Object type',
  objectname: 'Object',
  remotehost: 'Client host',
  clientapplication: 'Application',
  source: 'Source',
  sources: 'Sources',
  commandtext: 'Statement (redacted)',
  events: 'Events',
  statements: 'Statements',
  hosts: 'Hosts',
  users: 'Users',
  first_seen: 'First seen (UTC)',
  last_seen: 'Last seen (UTC)',
  failure: 'Failure',
  exitcode: 'Exit code',
  errormessage: 'Error message',
  kind: 'Kind',
  value: 'User or host',
  local_date: 'Local date',
  runs: 'Canary runs',
  successes: 'Successes',
  misses: 'Misses',
  untested: 'Untested',
  latency_p50_s: 'Latency p50 (s)',
  latency_p95_s: 'Latency p95 (s)',
  latency_max_s: 'Latency max (s)',
};

/**
 * Columns the HTML tables show together in one cell (`TABLE public.invoices`, `10.0.0.9 · psql`), so that
 * a table fits an email's width; the text and CSV keep them apart.
 */
export const MERGED_COLUMNS: readonly {
  readonly label: string;
  readonly columns: readonly string[];
  readonly separator: string;
}[] = [
  { label: 'Object', columns: ['objecttype', 'objectname'], separator: ' ' },
  { label: 'Client', columns: ['remotehost', 'clientapplication'], separator: ' · ' },
  { label: 'Class · command', columns: ['class', 'command'], separator: ' · ' },
];

/** Long text columns the HTML tables show on a full-width line under their row. */
export const WIDE_COLUMNS: readonly { readonly column: string; readonly label: string }[] = [
  { column: 'errormessage', label: 'Error' },
  { column: 'commandtext', label: 'Statement' },
];

/** Columns shown right-aligned. */
export const NUMBER_COLUMNS: ReadonlySet<string> = new Set([
  'events',
  'statements',
  'hosts',
  'users',
  'runs',
  'successes',
  'misses',
  'untested',
  'latency_p50_s',
  'latency_p95_s',
  'latency_max_s',
]);
/** Short values that read badly when wrapped. */
export const NOWRAP_COLUMNS: ReadonlySet<string> = new Set(['cluster', 'source', 'sources', 'local_date']);
/** Columns holding instants (shown compact, monospaced). */
export const TIME_COLUMNS: ReadonlySet<string> = new Set(['time', 'first_seen', 'last_seen']);
/** Columns holding statement text (monospaced, wrapped anywhere). */
export const STATEMENT_COLUMNS: ReadonlySet<string> = new Set(['commandtext', 'errormessage']);

export const SOURCE_LABELS: Readonly<Record<string, string>> = {
  das: 'Activity Streams',
  pgaudit: 'pgAudit',
  'das,pgaudit': 'Activity Streams + pgAudit',
};

export const TEXTS = {
  kicker: 'Aurora PostgreSQL audit',
  title: 'Compliance report',
  emptyPeriod:
    'No audited activity was recorded in this period: the activity streams and pgAudit stored no events for the selected clusters. If activity was expected, check that the activity streams are started and pgAudit is enabled.',
  noRows: 'None in this period.',
  failedIntro: 'This section could not be produced: its query failed.',
  redaction:
    'Statements are shown redacted: passwords and the configured secret patterns are replaced by <REDACTED>. Times are UTC (ISO 8601) as stored; days are local dates in the report time zone.',
  evidence:
    'The CSV files hold every row of each section and are archived with this report; they are the evidence.',
  /** Added to {@link TEXTS.evidence} only when a table was cut to the configured maximum of rows. */
  cutTables: 'Tables marked "and N more" show the first rows only.',
  chartAlt: 'Bar chart of audited statements per day and source',
  chartUnavailable: 'The activity chart is not available: the activity-per-day query failed.',
} as const;

export interface SkeletonParts {
  readonly title: string;
  /** Hidden preview text shown by mail clients in the message list. */
  readonly preheader: string;
  readonly subtitle: string;
  readonly meta: string;
  readonly body: string;
  readonly footer: string;
}

/**
 * The document around the content. No scripts, no external resources (the chart is a `cid:` image); the
 * only stylesheet is the narrow-screen media query (see styles.ts).
 */
export function htmlSkeleton(parts: SkeletonParts): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${parts.title}</title>
<style>
${NARROW_SCREEN_CSS}
</style>
</head>
<body style="${STYLE.body}">
<div style="display:none;max-height:0;overflow:hidden">${parts.preheader}</div>
<table role="presentation" style="${STYLE.outer}"><tr><td class="${CLASSES.outer}" style="${STYLE.outerCell}">
<table role="presentation" style="${STYLE.card}">
<tr><td class="${CLASSES.pad}" style="${STYLE.band}">
<p style="${STYLE.bandKicker}">${TEXTS.kicker}</p>
<p style="${STYLE.bandTitle}">${TEXTS.title}</p>
<p style="${STYLE.bandSubtitle}">${parts.subtitle}</p>
</td></tr>
<tr><td class="${CLASSES.pad}" style="${STYLE.content}">
${parts.meta}
${parts.body}
</td></tr>
<tr><td class="${CLASSES.pad}" style="${STYLE.footer}">
${parts.footer}
</td></tr>
</table>
</td></tr></table>
</body>
</html>
`;
}
