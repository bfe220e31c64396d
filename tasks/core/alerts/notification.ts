/**
 * Alert and digest emails (SNS): a subject within SNS's 100 characters and without statement text, a body a
 * person understands in five seconds, message attributes for subscription filter policies, and SNS's size
 * limit respected.
 */
import type { AuditEvent, AuditSource } from '../audit-event';
import { partitionOf } from '../storage-layout';

/** SNS subjects: at most 100 characters. */
export const MAX_SUBJECT = 100;
/** Statement text shown in an email; the rest is cut with a marker (the full event is in S3). */
export const MAX_STATEMENT_IN_EMAIL = 8 * 1024;
/** SNS message limit is 256 KiB; stay well below. */
export const MAX_MESSAGE_BYTES = 240 * 1024;

export interface SnsNotification {
  readonly subject: string;
  readonly message: string;
  /**
   * `severity`, `rule` (the highest-severity rule), `cluster`, `source` are strings; `rules` (every rule the
   * statement matched) is a list, sent as an SNS `String.Array` (a filter policy matches any of its values).
   */
  readonly attributes: Readonly<Record<'severity' | 'rule' | 'cluster' | 'source', string>> & {
    readonly rules?: readonly string[];
  };
}

export interface AlertRule {
  readonly rule: string;
  readonly severity: string;
}

/** A finding about the statement (made by aurora-audit), rather than the statement matching a rule. */
export interface AlertFinding {
  readonly kind: 'coverage-gap';
  readonly seenBy: readonly AuditSource[];
  readonly missing: readonly AuditSource[];
  readonly graceSeconds: number;
}

export interface AlertInput {
  readonly prefix: string;
  /** Every rule the statement matched, highest severity first (at least one). */
  readonly matches: readonly AlertRule[];
  /** The finding the alert is about, if any. */
  readonly finding?: AlertFinding;
  /** The event the alert is about (the first one seen when both sources reported it). */
  readonly event: AuditEvent;
  /** Every source that reported it. */
  readonly sources: readonly AuditSource[];
  /** Ids of the same statement as reported by the other source(s). */
  readonly relatedIds?: readonly string[];
  /** The cluster's name from the configuration, when known. */
  readonly clusterName?: string | null;
  /** `database.table` of the Glue table, for the Athena query. */
  readonly table: string;
}

export interface DigestInput {
  readonly prefix: string;
  readonly rule: string;
  readonly severity: string;
  readonly clusterId: string | null;
  readonly clusterName?: string | null;
  /** Statements suppressed (each counted once, in the digest of its highest-severity rule). */
  readonly suppressed: number;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly first: { readonly id: string; readonly time: string };
  readonly last: { readonly id: string; readonly time: string };
  readonly table: string;
}

const SOURCE_NAMES: Record<AuditSource, string> = { das: 'Database Activity Streams', pgaudit: 'pgAudit' };

/** SNS subjects must be printable ASCII on one line. */
function subjectSafe(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').replace(/[^\x20-\x7e]/g, '?');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}~`;
}

/** `[prefix] SEVERITY rule on cluster: detail`, cut to 100 characters (the detail first, then the rule). */
export function alertSubject(
  prefix: string,
  severity: string,
  rule: string,
  cluster: string,
  detail: string,
): string {
  const head = subjectSafe(`[${prefix}] ${severity} `);
  const where = subjectSafe(` on ${cluster}: `);
  let ruleText = subjectSafe(rule);
  let detailText = subjectSafe(detail);
  const room = MAX_SUBJECT - head.length - where.length;
  if (ruleText.length + detailText.length > room) {
    detailText = clip(detailText, Math.max(12, room - Math.min(ruleText.length, 40)));
    ruleText = clip(ruleText, Math.max(8, room - detailText.length));
  }
  return clip(`${head}${ruleText}${where}${detailText}`, MAX_SUBJECT);
}

function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

export function athenaQueryFor(table: string, event: Pick<AuditEvent, 'id' | 'clusterId' | 'time'>): string {
  const { cluster, day, hour } = partitionOf(event);
  return `SELECT * FROM ${table} WHERE cluster = ${quote(cluster)} AND day = ${quote(day)} AND hour = ${quote(hour)} AND id = ${quote(event.id)};`;
}

function clusterLabel(name: string | null | undefined, id: string | null): string {
  if (name && id) return `${name} (${id})`;
  return name ?? id ?? 'unknown cluster';
}

function cutStatement(text: string): string {
  if (text.length <= MAX_STATEMENT_IN_EMAIL) return text;
  return `${text.slice(0, MAX_STATEMENT_IN_EMAIL)}\n  …[${text.length - MAX_STATEMENT_IN_EMAIL} more characters; the full statement is in the audit events]`;
}

function limitBytes(message: string): string {
  if (Buffer.byteLength(message) <= MAX_MESSAGE_BYTES) return message;
  const marker = '\n…[message truncated to fit SNS]';
  let cut = MAX_MESSAGE_BYTES - Buffer.byteLength(marker);
  let out = message.slice(0, cut);
  while (Buffer.byteLength(out) > cut) {
    cut = Math.floor(cut * 0.9);
    out = message.slice(0, cut);
  }
  return out + marker;
}

/** The subject's rule part: the rule, or how many rules matched and their names (highest first). */
function rulesLabel(matches: readonly AlertRule[]): string {
  if (matches.length === 1) return matches[0]?.rule ?? '';
  return `${matches.length} rules: ${matches.map((m) => m.rule).join(',')}`;
}

/** Why a source may have missed a statement: what to check first. */
const LIKELY_CAUSES: Record<AuditSource, readonly string[]> = {
  pgaudit: [
    "pgAudit was switched off for the session, user or database (SET pgaudit.log = 'none', ALTER ROLE/DATABASE … SET pgaudit.log): look for an audit-tampering alert or the session's SET statements in the activity stream's events",
    "pgaudit.log does not include the statement's class for this user or database (a configuration to fix, or a class to drop from alerts.coverage.classes)",
    'the parameter group no longer loads pgAudit (shared_preload_libraries, pgaudit.log) or the PostgreSQL log export to CloudWatch Logs stopped',
  ],
  das: [
    'the database activity stream is stopped or was being restarted (RDS events RDS-EVENT-0180, RDS-EVENT-0179)',
    "the decrypt Lambda is failing or behind (its errors, iterator age and the audit bucket's quarantine/ and aws/lambda/ prefixes)",
    'the instance is excluded from alerts for one source only (clusters[].instances[] without resourceId)',
  ],
};

/** `15 minutes`, `1 minute`, `90 seconds`: the grace period as set (whole minutes when it is some). */
function graceText(seconds: number): string {
  const [n, unit] = seconds % 60 === 0 ? [seconds / 60, 'minute'] : [seconds, 'second'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

export function formatAlert(input: AlertInput): SnsNotification {
  const e = input.event;
  const [top] = input.matches;
  if (!top) throw new RangeError('formatAlert: an alert needs at least one matched rule');
  const cluster = input.clusterName ?? e.clusterId ?? 'unknown';
  const subject = alertSubject(
    input.prefix,
    top.severity,
    rulesLabel(input.matches),
    cluster,
    `${e.user ?? '?'} ${e.command}`,
  );
  const object = [e.objectType, e.objectName].filter(Boolean).join(' ');
  const from = [e.remoteHost, e.remotePort].filter(Boolean).join(':');
  const where = clusterLabel(input.clusterName, e.clusterId);
  const lines =
    input.matches.length === 1
      ? [`${top.severity}: rule "${top.rule}" matched on ${where}`]
      : [
          `${top.severity}: ${input.matches.length} rules matched one statement on ${where}`,
          '',
          'Rules:',
          ...input.matches.map((m) => `  ${m.severity.padEnd(8)} ${m.rule}`),
        ];
  const f = input.finding;
  if (f) {
    const names = (sources: readonly AuditSource[]) => sources.map((s) => SOURCE_NAMES[s]).join(' and ');
    lines.push(
      '',
      `Audit coverage gap: recorded by ${names(f.seenBy)}, not by ${names(f.missing)} within ${graceText(f.graceSeconds)}.`,
      'Likely causes:',
      ...f.missing.flatMap((s) => LIKELY_CAUSES[s]).map((c) => `  - ${c}`),
    );
  }
  lines.push(
    '',
    `Who:     ${e.user ?? 'unknown user'}`,
    `What:    ${e.command} (${e.class})${object ? ` on ${object}` : ''}`,
    `Where:   database ${e.database ?? 'unknown'}${e.instanceId ? `, instance ${e.instanceId}` : ''}`,
    `When:    ${e.time}`,
    `From:    ${from || 'unknown host'}${e.clientApplication ? ` (${e.clientApplication})` : ''}`,
    `Seen by: ${input.sources.map((s) => SOURCE_NAMES[s]).join(' and ')}`,
  );
  if (e.errorMessage) lines.push(`Error:   ${e.errorMessage}`);
  lines.push(
    '',
    'Statement (passwords redacted):',
    `  ${cutStatement(e.commandText ?? '(not logged)').replace(/\n/g, '\n  ')}`,
  );
  lines.push('', `Event id: ${e.id}`);
  for (const id of input.relatedIds ?? []) lines.push(`Same statement, other source: ${id}`);
  lines.push('', 'Find it in Athena:', `  ${athenaQueryFor(input.table, e)}`);
  return {
    subject,
    message: limitBytes(lines.join('\n')),
    attributes: {
      severity: top.severity,
      rule: top.rule,
      rules: input.matches.map((m) => m.rule),
      cluster: e.clusterId ?? 'unknown',
      source: input.sources.join(','),
    },
  };
}

export function formatDigest(input: DigestInput): SnsNotification {
  const cluster = input.clusterName ?? input.clusterId ?? 'unknown';
  const subject = alertSubject(
    input.prefix,
    input.severity,
    input.rule,
    cluster,
    `${input.suppressed} more statements suppressed`,
  );
  const c = input.clusterId ?? 'unknown';
  const lines = [
    `${input.suppressed} more statements matching rule "${input.rule}" (${input.severity}, the highest-severity rule each matched) on ${clusterLabel(input.clusterName, input.clusterId)} were suppressed between ${input.windowStart} and ${input.windowEnd}: the alert limit for that window was reached for every rule they matched.`,
    '',
    `First suppressed: ${input.first.time} (event ${input.first.id})`,
    `Last suppressed:  ${input.last.time} (event ${input.last.id})`,
    '',
    'Find them in Athena (matches of the rule are among these events):',
    `  SELECT * FROM ${input.table} WHERE cluster = ${quote(c)} AND day BETWEEN ${quote(input.windowStart.slice(0, 10))} AND ${quote(input.windowEnd.slice(0, 10))} AND "time" >= ${quote(input.first.time)} AND "time" <= ${quote(input.last.time)} ORDER BY "time";`,
  ];
  return {
    subject,
    message: limitBytes(lines.join('\n')),
    attributes: { severity: input.severity, rule: input.rule, cluster: c, source: 'digest' },
  };
}
