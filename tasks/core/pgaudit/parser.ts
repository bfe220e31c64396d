/**
 * pgAudit log parsing: PostgreSQL log text as Aurora writes it (fixed prefix `%t:%r:%u@%d:[%p]:`) → audit
 * events. The part after `AUDIT: ` is CSV (`AUDIT_TYPE,STATEMENT_ID,SUBSTATEMENT_ID,CLASS,COMMAND,
 * OBJECT_TYPE,OBJECT_NAME,STATEMENT,PARAMETER[,ROWS]`) and is read with a real CSV parser: statements may be
 * quoted and hold commas, doubled quotes and newlines. In the log a multi-line entry continues on the
 * following lines, each starting with a tab that is not part of the text. Lines that are not audit entries
 * are ignored, except failed logins (`FATAL:  password authentication failed for user "x"`), which become
 * class CONNECT, command AUTH FAILURE events.
 *
 * Streaming: {@link parsePgAuditLines} holds one entry at a time (bounded by `maxEntryBytes`), so a log
 * larger than memory is fine; {@link parsePgAuditMessage} reads one CloudWatch Logs event (one entry).
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { type AuditEvent, createAuditEvent } from '../audit-event';
import { createRedactor, type Redactor } from '../redact';
import { toIsoUtc } from '../time';

/** `%t:%r:%u@%d:[%p]:LEVEL:  message`; `%r` is `host(port)`, `[local]` or empty (host may be IPv6). */
const PREFIX =
  /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?(?: [A-Za-z0-9+-]{1,6})?):(\[local\]|[^()\s]*\(\d+\)|):([^@:]*)@([^:]*):\[(\d+)\]:([A-Z]+[0-9]?):\s\s?(.*)$/;

const FAILED_LOGIN = /^password authentication failed for user "((?:[^"]|"")*)"/;

export const DEFAULT_MAX_ENTRY_BYTES = 8 * 1024 * 1024;

export interface PgAuditParseOptions {
  /** The cluster resource id (`cluster-…`), null where unknown. */
  readonly clusterId?: string | null;
  /** The instance (log stream), null where unknown. */
  readonly instanceId?: string | null;
  readonly redact?: Redactor;
  /** Lower-cased database users whose entries are dropped (service users). Default: none. */
  readonly serviceUsers?: ReadonlySet<string>;
  /** An entry longer than this (its text, in UTF-16 code units) is reported and skipped. Default 8 MiB. */
  readonly maxEntryBytes?: number;
  /** Entries that look like audit entries but cannot be read. Default: ignore. */
  readonly onError?: (reason: string, raw: string) => void;
}

export class InvalidAuditEntryError extends Error {
  override readonly name = 'InvalidAuditEntryError';
}

interface Prefix {
  readonly time: string;
  readonly remote: string;
  readonly user: string;
  readonly database: string;
  readonly pid: string;
  readonly level: string;
}

function remoteOf(r: string): { host: string | null; port: string | null } {
  if (r === '') return { host: null, port: null };
  if (r === '[local]') return { host: '[local]', port: null };
  const open = r.lastIndexOf('(');
  return { host: r.slice(0, open) || null, port: r.slice(open + 1, -1) || null };
}

const int = (text: string | undefined): number | null => {
  if (text === undefined || text === '') return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
};

/** The CSV after `AUDIT: `: a simple split when there is no quote (then no field can hold a comma). */
export function auditFields(csv: string): string[] {
  if (!csv.includes('"')) return csv.split(',');
  let records: string[][];
  try {
    records = parseCsv(csv, {
      relax_column_count: true,
      relax_quotes: false,
      skip_empty_lines: false,
    }) as string[][];
  } catch (err) {
    throw new InvalidAuditEntryError(`AUDIT CSV: ${(err as Error).message}`);
  }
  if (records.length !== 1 || !records[0])
    throw new InvalidAuditEntryError(`AUDIT CSV holds ${records.length} records, expected 1`);
  return records[0];
}

function toEvent(
  prefix: Prefix,
  message: string,
  opts: PgAuditParseOptions,
  redact: Redactor,
): AuditEvent | undefined {
  const { host, port } = remoteOf(prefix.remote);
  const base = {
    source: 'pgaudit' as const,
    clusterId: opts.clusterId ?? null,
    instanceId: opts.instanceId ?? null,
    time: toIsoUtc(prefix.time),
    database: prefix.database || null,
    remoteHost: host,
    remotePort: port,
    sessionId: null,
    pid: int(prefix.pid),
    exitCode: null,
    clientApplication: null,
  };
  if (message.startsWith('AUDIT: ')) {
    const f = auditFields(message.slice(7));
    if (f.length < 9 || f.length > 10)
      throw new InvalidAuditEntryError(`AUDIT entry has ${f.length} fields, expected 9 or 10`);
    const [
      auditType,
      statementId,
      substatementId,
      cls,
      command,
      objectType,
      objectName,
      statement,
      parameter,
      rows,
    ] = f as [string, string, string, string, string, string, string, string, string, string | undefined];
    if (auditType !== 'SESSION' && auditType !== 'OBJECT') {
      throw new InvalidAuditEntryError(
        `AUDIT type ${JSON.stringify(auditType.slice(0, 20))} is not SESSION or OBJECT`,
      );
    }
    if (!cls || !command) throw new InvalidAuditEntryError('AUDIT entry has no class or command');
    return createAuditEvent({
      ...base,
      auditType,
      class: cls,
      command,
      objectType: objectType || null,
      objectName: objectName || null,
      user: prefix.user || null,
      statementId: int(statementId),
      substatementId: int(substatementId),
      commandText: redact(statement),
      parameters: redact(parameter),
      errorMessage: null,
      rowCount: int(rows),
    });
  }
  if (prefix.level === 'FATAL') {
    const m = FAILED_LOGIN.exec(message);
    if (m) {
      return createAuditEvent({
        ...base,
        auditType: null,
        class: 'CONNECT',
        command: 'AUTH FAILURE',
        objectType: null,
        objectName: null,
        user: (m[1] ?? '').replace(/""/g, '"') || prefix.user || null,
        statementId: null,
        substatementId: null,
        commandText: null,
        parameters: null,
        errorMessage: redact(message),
        rowCount: null,
      });
    }
  }
  return undefined;
}

/** Parses one complete entry (first line with the prefix, continuation lines without their tab). */
function parseEntry(entry: string, opts: PgAuditParseOptions, redact: Redactor): AuditEvent | undefined {
  const newline = entry.indexOf('\n');
  const firstLine = newline < 0 ? entry : entry.slice(0, newline);
  const m = PREFIX.exec(firstLine);
  if (!m) return undefined;
  const [, time, remote, user, database, pid, level, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (opts.serviceUsers?.has(user.toLowerCase())) return undefined;
  const message = newline < 0 ? rest : `${rest}${entry.slice(newline)}`;
  if (
    !message.startsWith('AUDIT: ') &&
    !(level === 'FATAL' && message.startsWith('password authentication failed'))
  ) {
    return undefined;
  }
  return toEvent({ time, remote, user, database, pid, level }, message, opts, redact);
}

function safeParse(entry: string, opts: PgAuditParseOptions, redact: Redactor): AuditEvent | undefined {
  try {
    return parseEntry(entry, opts, redact);
  } catch (err) {
    opts.onError?.(`${(err as Error).name}: ${(err as Error).message}`, entry);
    return undefined;
  }
}

const isEntryStart = (line: string) => line.length > 24 && line.charCodeAt(4) === 45 && PREFIX.test(line);

/**
 * Streams events from log lines (without their newlines). Continuation lines (starting with a tab) join the
 * current entry without the tab; a line that neither starts an entry nor continues one ends it.
 */
export async function* parsePgAuditLines(
  lines: AsyncIterable<string> | Iterable<string>,
  opts: PgAuditParseOptions = {},
): AsyncGenerator<AuditEvent> {
  const redact = opts.redact ?? createRedactor();
  const max = opts.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
  let parts: string[] = [];
  let size = 0;
  let oversized = false;
  const flush = (): AuditEvent | undefined => {
    if (parts.length === 0) return undefined;
    const entry = parts.join('\n');
    parts = [];
    size = 0;
    return safeParse(entry, opts, redact);
  };
  for await (const line of lines) {
    if (line.startsWith('\t') && (parts.length > 0 || oversized)) {
      if (oversized) continue;
      size += line.length;
      if (size > max) {
        opts.onError?.(`entry exceeds ${max} characters; skipped`, `${parts[0]?.slice(0, 1024) ?? ''}…`);
        parts = [];
        size = 0;
        oversized = true;
        continue;
      }
      parts.push(line.slice(1));
      continue;
    }
    oversized = false;
    const event = flush();
    if (event) yield event;
    if (isEntryStart(line)) {
      if (line.length > max) {
        opts.onError?.(`entry exceeds ${max} characters; skipped`, `${line.slice(0, 1024)}…`);
        oversized = true;
        continue;
      }
      parts.push(line);
      size = line.length;
    }
  }
  const last = flush();
  if (last) yield last;
}

/** The events of a whole text (a log file's content), in order. */
export async function parsePgAuditText(text: string, opts: PgAuditParseOptions = {}): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for await (const e of parsePgAuditLines(text.split(/\r?\n/), opts)) events.push(e);
  return events;
}

/**
 * The event of one CloudWatch Logs event: one entry, whose continuation lines may or may not still carry
 * their tab (both are accepted).
 */
export function parsePgAuditMessage(message: string, opts: PgAuditParseOptions = {}): AuditEvent[] {
  const redact = opts.redact ?? createRedactor();
  const entry = message.replace(/\r?\n$/, '').replace(/\n\t/g, '\n');
  const max = opts.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
  if (entry.length > max) {
    opts.onError?.(`entry exceeds ${max} characters; skipped`, `${entry.slice(0, 1024)}…`);
    return [];
  }
  const event = safeParse(entry, opts, redact);
  return event ? [event] : [];
}
