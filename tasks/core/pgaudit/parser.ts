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

/** The prefix the parser reads, as `log_line_prefix` writes it (for saying why a log yields no event). */
export const AURORA_LOG_LINE_PREFIX = '%t:%r:%u@%d:[%p]:';

/** Whether a line starts with Aurora's prefix (`%t:%r:%u@%d:[%p]:LEVEL:  `). */
export function hasAuroraPrefix(line: string): boolean {
  return PREFIX.test(line);
}

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

/**
 * Fields of simple CSV: unquoted fields, and quoted ones without doubled quotes or newlines (what most
 * pgAudit lines hold). Undefined when anything else appears, so that the CSV parser decides.
 */
export function simpleCsvFields(csv: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (csv.charCodeAt(i) === 34) {
      const close = csv.indexOf('"', i + 1);
      if (close < 0) return undefined;
      const next = csv.charCodeAt(close + 1);
      if (close + 1 < csv.length && next !== 44) return undefined; // a doubled quote or text after the quote
      const value = csv.slice(i + 1, close);
      if (value.includes('\n') || value.includes('\r')) return undefined;
      fields.push(value);
      if (close + 1 >= csv.length) return fields;
      i = close + 2;
    } else {
      const comma = csv.indexOf(',', i);
      const value = comma < 0 ? csv.slice(i) : csv.slice(i, comma);
      if (value.includes('"')) return undefined;
      fields.push(value);
      if (comma < 0) return fields;
      i = comma + 1;
    }
  }
}

/** The CSV after `AUDIT: `: simple lines by a scanner, everything else by csv-parse (a real CSV parser). */
export function auditFields(csv: string): string[] {
  const simple = simpleCsvFields(csv);
  if (simple) return simple;
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

// Entries of one second share their timestamp text: convert each distinct one once.
let lastTimeText = '';
let lastTimeIso = '';
function isoTime(text: string): string {
  if (text !== lastTimeText) {
    lastTimeIso = toIsoUtc(text);
    lastTimeText = text;
  }
  return lastTimeIso;
}

function toEvent(
  prefix: Prefix,
  message: string,
  opts: PgAuditParseOptions,
  redact: Redactor,
): AuditEvent | undefined {
  const { host, port } = remoteOf(prefix.remote);
  const clusterId = opts.clusterId ?? null;
  const instanceId = opts.instanceId ?? null;
  const time = isoTime(prefix.time);
  const database = prefix.database || null;
  const pid = int(prefix.pid);
  // Object literals in one shape (no spreads): this runs once per log entry.
  if (message.startsWith('AUDIT: ')) {
    const f = auditFields(message.slice(7));
    if (f.length < 9 || f.length > 10)
      throw new InvalidAuditEntryError(`AUDIT entry has ${f.length} fields, expected 9 or 10`);
    const auditType = f[0] as string;
    if (auditType !== 'SESSION' && auditType !== 'OBJECT') {
      throw new InvalidAuditEntryError(
        `AUDIT type ${JSON.stringify(auditType.slice(0, 20))} is not SESSION or OBJECT`,
      );
    }
    const cls = f[3] as string;
    const command = f[4] as string;
    if (!cls || !command) throw new InvalidAuditEntryError('AUDIT entry has no class or command');
    return createAuditEvent({
      source: 'pgaudit',
      clusterId,
      instanceId,
      time,
      auditType,
      class: cls,
      command,
      objectType: f[5] || null,
      objectName: f[6] || null,
      database,
      user: prefix.user || null,
      remoteHost: host,
      remotePort: port,
      sessionId: null,
      pid,
      statementId: int(f[1]),
      substatementId: int(f[2]),
      commandText: redact(f[7] as string),
      parameters: redact(f[8] as string),
      exitCode: null,
      errorMessage: null,
      rowCount: int(f[9]),
      clientApplication: null,
    });
  }
  if (prefix.level === 'FATAL') {
    const m = FAILED_LOGIN.exec(message);
    if (m) {
      return createAuditEvent({
        source: 'pgaudit',
        clusterId,
        instanceId,
        time,
        auditType: null,
        class: 'CONNECT',
        command: 'AUTH FAILURE',
        objectType: null,
        objectName: null,
        database,
        user: (m[1] ?? '').replace(/""/g, '"') || prefix.user || null,
        remoteHost: host,
        remotePort: port,
        sessionId: null,
        pid,
        statementId: null,
        substatementId: null,
        commandText: null,
        parameters: null,
        exitCode: null,
        errorMessage: redact(message),
        rowCount: null,
        clientApplication: null,
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
    // The reason may quote the entry (csv-parse cites the field): redacted like the events, as it is logged.
    opts.onError?.(redact(`${(err as Error).name}: ${(err as Error).message}`), entry);
    return undefined;
  }
}

// A cheap look at `YYYY-MM-DD HH:`; the full prefix is checked when the entry is parsed (a line that only
// looks like a start ends the previous entry and is dropped then, as any other non-entry line).
const isEntryStart = (line: string) =>
  line.length > 24 &&
  line.charCodeAt(4) === 45 &&
  line.charCodeAt(7) === 45 &&
  line.charCodeAt(10) === 32 &&
  line.charCodeAt(13) === 58;

/**
 * The streaming parser's state machine: feed it lines (without their newlines) and it returns an event
 * whenever an entry is complete. Continuation lines (starting with a tab) join the current entry without
 * the tab; a line that neither starts an entry nor continues one ends it. One entry is held at a time.
 */
export class PgAuditLineParser {
  private parts: string[] = [];
  private size = 0;
  private oversized = false;
  private readonly redact: Redactor;
  private readonly max: number;

  constructor(private readonly opts: PgAuditParseOptions = {}) {
    this.redact = opts.redact ?? createRedactor();
    this.max = opts.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
  }

  /** Takes the next line; returns the event of the entry this line completed, if any. */
  push(line: string): AuditEvent | undefined {
    if (line.charCodeAt(0) === 9 && (this.parts.length > 0 || this.oversized)) {
      if (this.oversized) return undefined;
      this.size += line.length;
      if (this.size > this.max) {
        this.opts.onError?.(
          `entry exceeds ${this.max} characters; skipped`,
          `${this.parts[0]?.slice(0, 1024) ?? ''}…`,
        );
        this.parts = [];
        this.size = 0;
        this.oversized = true;
        return undefined;
      }
      this.parts.push(line.slice(1));
      return undefined;
    }
    this.oversized = false;
    const event = this.end();
    if (isEntryStart(line)) {
      if (line.length > this.max) {
        this.opts.onError?.(`entry exceeds ${this.max} characters; skipped`, `${line.slice(0, 1024)}…`);
        this.oversized = true;
      } else {
        this.parts.push(line);
        this.size = line.length;
      }
    }
    return event;
  }

  /** Ends the current entry (at the end of the input); returns its event, if any. */
  end(): AuditEvent | undefined {
    if (this.parts.length === 0) return undefined;
    const entry = this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join('\n');
    this.parts = [];
    this.size = 0;
    return safeParse(entry, this.opts, this.redact);
  }
}

/** Events from lines, synchronously (arrays, files read in chunks). */
export function* parsePgAuditLinesSync(
  lines: Iterable<string>,
  opts: PgAuditParseOptions = {},
): Generator<AuditEvent> {
  const parser = new PgAuditLineParser(opts);
  for (const line of lines) {
    const event = parser.push(line);
    if (event) yield event;
  }
  const last = parser.end();
  if (last) yield last;
}

/** Events from lines of a stream (stdin, a large file), holding one entry at a time. */
export async function* parsePgAuditLines(
  lines: AsyncIterable<string> | Iterable<string>,
  opts: PgAuditParseOptions = {},
): AsyncGenerator<AuditEvent> {
  const parser = new PgAuditLineParser(opts);
  for await (const line of lines) {
    const event = parser.push(line);
    if (event) yield event;
  }
  const last = parser.end();
  if (last) yield last;
}

/** The events of a whole text (a log file's content), in order. */
export async function parsePgAuditText(text: string, opts: PgAuditParseOptions = {}): Promise<AuditEvent[]> {
  return [...parsePgAuditLinesSync(text.split(/\r?\n/), opts)];
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
  // An unreadable entry is reported with the message exactly as received (its original bytes).
  const onError = opts.onError && ((reason: string) => opts.onError?.(reason, message));
  const event = safeParse(entry, { ...opts, onError }, redact);
  return event ? [event] : [];
}
