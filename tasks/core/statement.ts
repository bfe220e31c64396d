/**
 * Statement identity: when two audit events, one from each source (Database Activity Streams and pgAudit),
 * are the same statement. Defined once here; the alert Lambda's correlation, the coverage check and the
 * report SQL (`reports/queries/*.sql`, which reads the stored `statementKey` and the id columns) follow it.
 * The reasoning and the documentation behind every field: docs/event-model.md "Statement identity" and
 * /work/brief/statement-identity.md (copied into the docs).
 *
 * Two keys, either of which lets two events meet:
 * - the **text key** ({@link statementKey}, stored as the event's `statementKey`): cluster, user
 *   (case-insensitive), database, command tag and the statement text (whitespace collapsed, trailing `;`
 *   dropped). Every event has it; it needs no identifier, so it pairs the sources whatever their statement
 *   ids say.
 * - the **id key** ({@link idKey}): cluster, backend pid, statement id, sub-statement id, user, database
 *   and command tag. Both sources document these per-session counters (AWS: "statementId … the counter is
 *   at the session level and increments with each SQL statement entered by the client"; "substatementId …
 *   counts the contained substatements for each SQL statement"; pgAudit: "STATEMENT_ID – unique statement ID
 *   for this session … sequential even if some statements are not logged"; "SUBSTATEMENT_ID – sequential ID
 *   for each sub-statement within the main statement"). Whether the activity stream's counter equals
 *   pgAudit's for the same statement is UNVERIFIED (it cannot be learned offline): the id key only adds
 *   pairs the text key cannot make (texts that differ, e.g. pgAudit's `PASSWORD <REDACTED>` cut), and a
 *   coincidental id match still needs the same pid, user, database and command within the window.
 *
 * Neither key holds the time: the sources stamp different instants (the activity stream's `logTime` is
 * the statement's end with microseconds; pgAudit's `%t` is when the entry was logged, in whole seconds),
 * so a pair must also lie within a window ({@link DEFAULT_CORRELATION_WINDOW_MS}).
 */
import { sha256Hex } from './sha256';

/** Default: events of the two sources up to 10 s apart can be one statement. */
export const DEFAULT_CORRELATION_WINDOW_MS = 10_000;

/** Version of the key scheme: hashed in, so a changed rule never meets keys of the old one. */
export const STATEMENT_KEY_SCHEME = 'aurora-audit/statement/v1';

/** The fields statement identity reads. */
export type StatementFields = {
  readonly source: 'das' | 'pgaudit';
  readonly clusterId: string | null;
  readonly time: string;
  readonly command: string;
  readonly database: string | null;
  readonly user: string | null;
  readonly pid: number | null;
  readonly statementId: number | null;
  readonly substatementId: number | null;
  readonly commandText: string | null;
};

/**
 * Whitespace differences (pgAudit keeps the statement as sent, its log continues lines with a tab; the
 * activity stream keeps the statement as sent) and a trailing semicolon are ignored.
 */
export function normalizedText(text: string | null): string {
  const t = text ?? '';
  // Most statements have no whitespace to collapse: they skip building a copy of themselves.
  const collapse = t.includes('  ') || NOT_A_SPACE.test(t);
  return (collapse ? t.replace(/\s+/g, ' ') : t).trim().replace(/;$/, '').trimEnd();
}

/**
 * Whitespace other than a space. With no such character and no two spaces in a row, `replace(/\s+/g, ' ')`
 * would change nothing.
 */
const NOT_A_SPACE = /[^\S ]/;

/**
 * The command tag, upper-case; pgAudit names a role grant `GRANT ROLE` / `REVOKE ROLE` (checked on the real
 * pgAudit 1.7), and the activity stream's tag for it is not documented: both spellings map to `GRANT` /
 * `REVOKE` so that either answer pairs.
 */
export function normalizedCommand(command: string): string {
  const upper = command.trim().toUpperCase();
  if (upper === 'GRANT ROLE') return 'GRANT';
  if (upper === 'REVOKE ROLE') return 'REVOKE';
  return upper;
}

/** 32 hex characters of SHA-256 over the JSON array `[STATEMENT_KEY_SCHEME, ...]` the caller builds. */
const hash = (parts: readonly unknown[]) => sha256Hex(JSON.stringify(parts)).slice(0, 32);

/**
 * The text key: 32 hex characters of SHA-256 over the scheme, cluster, lower-cased user, database,
 * normalized command and normalized statement text. Stored in every event as `statementKey`.
 * @param commandTextJson `JSON.stringify(event.commandText ?? null)`, when the caller has it already: used
 *   as is when the normalized text is the statement itself (most statements), which saves serializing it.
 */
export function statementKey(
  event: Omit<StatementFields, 'source' | 'time' | 'pid' | 'statementId' | 'substatementId'>,
  commandTextJson?: string,
): string {
  const text = normalizedText(event.commandText);
  // The text is the array's last element: its JSON text is appended to the JSON of the others.
  const head = JSON.stringify([
    STATEMENT_KEY_SCHEME,
    'text',
    event.clusterId,
    event.user?.toLowerCase() ?? null,
    event.database,
    normalizedCommand(event.command),
  ]);
  const textJson =
    commandTextJson !== undefined && text === event.commandText ? commandTextJson : JSON.stringify(text);
  return sha256Hex(`${head.slice(0, -1)},${textJson}]`).slice(0, 32);
}

/** The id key, or null when the cluster, pid, statement id or sub-statement id is missing. */
export function idKey(event: Omit<StatementFields, 'source' | 'time'>): string | null {
  if (event.clusterId === null || event.pid === null || event.statementId === null) return null;
  if (event.substatementId === null) return null;
  return hash([
    STATEMENT_KEY_SCHEME,
    'id',
    event.clusterId,
    event.pid,
    event.statementId,
    event.substatementId,
    event.user?.toLowerCase() ?? null,
    event.database,
    normalizedCommand(event.command),
  ]);
}

/**
 * The keys under which an event can meet its twin from the other source: the id key first when the event
 * has one, then the text key (always).
 */
export function statementKeys(event: Omit<StatementFields, 'source' | 'time'>): readonly string[] {
  const id = idKey(event);
  const text = statementKey(event);
  return id === null ? [text] : [id, text];
}

/**
 * How strongly two events of different sources match, best first: 0 both keys agree, 1 the text key and
 * the backend pid agree, 2 the text key alone, 3 the id key alone; null when they are not the same statement
 * (same source, more than `windowMs` apart, or no key in common). Pairing prefers the strongest match, then
 * the nearest in time, so that statement ids that disagree between the sources never break a text match.
 */
export function matchStrength(
  a: StatementFields,
  b: StatementFields,
  windowMs = DEFAULT_CORRELATION_WINDOW_MS,
): 0 | 1 | 2 | 3 | null {
  if (a.source === b.source) return null;
  const apart = Math.abs(Date.parse(a.time) - Date.parse(b.time));
  if (!(apart <= windowMs)) return null;
  const text = statementKey(a) === statementKey(b);
  const idA = idKey(a);
  const id = idA !== null && idA === idKey(b);
  if (text && id) return 0;
  if (text) return a.pid !== null && a.pid === b.pid ? 1 : 2;
  return id ? 3 : null;
}

/**
 * Whether two events are the same statement seen by both sources: different sources, at most `windowMs`
 * apart, and a key in common (the text key, or the id key where both have one).
 */
export function sameStatement(
  a: StatementFields,
  b: StatementFields,
  windowMs = DEFAULT_CORRELATION_WINDOW_MS,
): boolean {
  return matchStrength(a, b, windowMs) !== null;
}

/** One statement: its events (one per source, the activity stream's first) and the sources that saw it. */
export interface Statement<E extends StatementFields> {
  readonly events: readonly E[];
  readonly sources: 'das' | 'pgaudit' | 'das,pgaudit';
}

/**
 * Pairs events into statements: each event is in exactly one statement, a statement holds at most one
 * event per source. Candidate pairs (different sources, a key in common, within the window) are taken
 * strongest match first ({@link matchStrength}), then nearest in time, then in input order; an event
 * already paired is not taken again. Statements come out in input order of their first event.
 */
export function pairStatements<E extends StatementFields>(
  events: readonly E[],
  windowMs = DEFAULT_CORRELATION_WINDOW_MS,
): Statement<E>[] {
  const das: number[] = [];
  const pg: number[] = [];
  events.forEach((e, i) => {
    (e.source === 'das' ? das : pg).push(i);
  });
  const candidates: { d: number; p: number; strength: number; apart: number }[] = [];
  for (const d of das) {
    for (const p of pg) {
      const a = events[d] as E;
      const b = events[p] as E;
      const strength = matchStrength(a, b, windowMs);
      if (strength === null) continue;
      candidates.push({ d, p, strength, apart: Math.abs(Date.parse(a.time) - Date.parse(b.time)) });
    }
  }
  candidates.sort((x, y) => x.strength - y.strength || x.apart - y.apart || x.d - y.d || x.p - y.p);
  const partner = new Map<number, number>();
  for (const c of candidates) {
    if (partner.has(c.d) || partner.has(c.p)) continue;
    partner.set(c.d, c.p);
    partner.set(c.p, c.d);
  }
  const statements: Statement<E>[] = [];
  const done = new Set<number>();
  events.forEach((e, i) => {
    if (done.has(i)) return;
    done.add(i);
    const j = partner.get(i);
    if (j === undefined) {
      statements.push({ events: [e], sources: e.source });
      return;
    }
    done.add(j);
    const other = events[j] as E;
    statements.push({ events: e.source === 'das' ? [e, other] : [other, e], sources: 'das,pgaudit' });
  });
  return statements;
}
