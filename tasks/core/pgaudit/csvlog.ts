/**
 * PostgreSQL's csvlog (`log_destination = 'csvlog'`): one CSV record per log entry (log_time, user_name,
 * database_name, process_id, connection_from, session_id, session_line_num, command_tag, session_start_time,
 * virtual_transaction_id, transaction_id, error_severity, sql_state_code, message, …; 26 columns in
 * PostgreSQL 15), a quoted field may span lines. Each record is turned into the entry the stderr log with
 * Aurora's prefix `%t:%r:%u@%d:[%p]:` would hold (continuation lines start with a tab), so the one pgAudit
 * parser reads both formats.
 */
import { parse } from 'csv-parse/sync';

/** A csvlog record starts with its log_time, e.g. `2026-11-24 16:59:02.123 UTC,`. */
const CSVLOG_START = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? [A-Za-z0-9+-]{1,6},/;

export function looksLikeCsvlog(firstLine: string): boolean {
  return CSVLOG_START.test(firstLine);
}

/** `host:port` (csvlog's connection_from) as `%r` writes it, `host(port)`; `[local]` and empty unchanged. */
function remote(connectionFrom: string): string {
  const at = connectionFrom.lastIndexOf(':');
  if (connectionFrom === '[local]' || at < 0) return connectionFrom;
  return `${connectionFrom.slice(0, at)}(${connectionFrom.slice(at + 1)})`;
}

/** The stderr-format lines of one csvlog record's fields. */
export function csvlogRecordLines(fields: readonly string[]): string[] {
  const [time = '', user = '', database = '', pid = '', from = ''] = fields;
  const severity = fields[11] ?? 'LOG';
  const [first = '', ...rest] = (fields[13] ?? '').split('\n');
  return [
    `${time}:${remote(from)}:${user}@${database}:[${pid}]:${severity}:  ${first}`,
    ...rest.map((l) => `\t${l}`),
  ];
}

function recordFields(text: string): string[] | undefined {
  try {
    const rows = parse(text, { relax_column_count: true }) as string[][];
    return rows[0];
  } catch {
    return undefined;
  }
}

/**
 * Lines of a csvlog (a record may span several) → lines as the stderr log would hold them. A record that is not
 * CSV is passed on unchanged, for the parser to report as unreadable.
 */
export async function* csvlogToStderrLines(lines: AsyncIterable<string>): AsyncGenerator<string> {
  let record: string[] = [];
  let quotes = 0;
  for await (const line of lines) {
    if (record.length === 0 && line.trim() === '') continue;
    record.push(line);
    quotes += line.split('"').length - 1;
    if (quotes % 2 !== 0) continue; // inside a quoted field: the record goes on
    const text = record.join('\n');
    record = [];
    quotes = 0;
    const fields = recordFields(text);
    if (fields) yield* csvlogRecordLines(fields);
    else yield text;
  }
  if (record.length > 0) yield record.join('\n');
}

/** The same, for a whole text. */
export function csvlogToStderrText(text: string): string {
  const out: string[] = [];
  const lines = text.split(/\r?\n/);
  let record: string[] = [];
  let quotes = 0;
  for (const line of lines) {
    if (record.length === 0 && line.trim() === '') continue;
    record.push(line);
    quotes += line.split('"').length - 1;
    if (quotes % 2 !== 0) continue;
    const joined = record.join('\n');
    record = [];
    quotes = 0;
    const fields = recordFields(joined);
    out.push(...(fields ? csvlogRecordLines(fields) : [joined]));
  }
  if (record.length > 0) out.push(record.join('\n'));
  return out.join('\n');
}
