/**
 * The audit event search (`aurora-audit events`): `events.sql` beside this module, complete and
 * parameterized like the report queries (Athena execution parameters, never string interpolation), reading
 * the table through its `cluster`, `day` and `hour` partitions and the exact instant range, and showing statements
 * (the two sources' entries of one statement paired as in the reports) with the `sources` that saw them.
 *
 * The time range is given in local wall-clock time of an IANA time zone (or as instants with an offset) and
 * becomes the UTC instant range [start, end) and the `day` and `hour` partitions (UTC, as stored) it touches.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isTimeZone, localDayStart } from '../../tasks/core/report-period';
import { athenaExecutionParameters } from '../queries';

export class InvalidSearchError extends Error {
  override readonly name = 'InvalidSearchError';
}

/** The SQL names the table so; the deployed table's name replaces it (as the report statements do). */
export const SEARCH_EVENTS_TABLE = 'aurora_audit.audit_events';

/** The result columns, in select-list order. */
export const EVENT_SEARCH_COLUMNS = [
  'time',
  'cluster',
  'user',
  'database',
  'class',
  'command',
  'objecttype',
  'objectname',
  'remotehost',
  'sources',
  'commandtext',
  'id',
] as const;

/** What `--source` accepts, and the `sources` value it matches. */
export const SOURCE_FILTERS: Readonly<Record<string, string>> = {
  das: 'das',
  pgaudit: 'pgaudit',
  both: 'das,pgaudit',
};

export interface EventFilters {
  /** A cluster resource id (`cluster-…`), or `*` (default) for all clusters. */
  readonly cluster?: string;
  readonly user?: string;
  readonly database?: string;
  readonly class?: string;
  readonly command?: string;
  /** Part of the object name. */
  readonly object?: string;
  /** `das`, `pgaudit` (seen by that source) or `both`. */
  readonly source?: string;
  /** Part of the statement text. */
  readonly text?: string;
}

export interface SearchRange {
  /** Inclusive start, ISO-8601 UTC with milliseconds. */
  readonly start: string;
  /** Exclusive end, ISO-8601 UTC with milliseconds. */
  readonly end: string;
  /** First and last `day` partition (UTC day) the range touches. */
  readonly fromDay: string;
  readonly toDay: string;
  /** `hour` partition (UTC, `00`–`23`) of the range's start (in `fromDay`) and of its last instant (in `toDay`). */
  readonly fromHour: string;
  readonly toHour: string;
  readonly timeZone: string;
}

/** The SQL text of the search: its file, exactly as Athena and the embedded engine run it. */
export function eventSearchSql(): string {
  return readFileSync(join(__dirname, 'events.sql'), 'utf8');
}

const TABLE_NAME = /^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/;

/** The SQL reading the deployed table `<database>.<table>` (the stack's `GlueTable` output). */
export function deployedEventSearchSql(table: string): string {
  if (!TABLE_NAME.test(table))
    throw new InvalidSearchError(`the events table must be <database>.<table>, got ${JSON.stringify(table)}`);
  return eventSearchSql().split(SEARCH_EVENTS_TABLE).join(table);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The longest range searched at once (the report's longest period). */
export const MAX_SEARCH_DAYS = 366;
/** The range searched without --from: the last 24 hours. */
export const DEFAULT_SEARCH_HOURS = 24;

/** The offset (ms) of a time zone at an instant: local wall-clock time minus UTC. */
function offsetAt(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(instant));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant of a local wall-clock time. A time that exists twice (clocks set back) is its first
 * occurrence; a time skipped by clocks set forward moves forward by the gap (02:30 → 03:30), as
 * JavaScript's Temporal does by default.
 */
function localInstant(wall: number, timeZone: string): number {
  const before = wall - offsetAt(wall - 14 * HOUR_MS, timeZone);
  const after = wall - offsetAt(wall + 14 * HOUR_MS, timeZone);
  const existing = [before, after].filter((t) => t + offsetAt(t, timeZone) === wall).sort((a, b) => a - b);
  return existing[0] ?? before;
}

/** An instant of `--from`/`--to`; a bare date is its local day's start (`--to`: the next day's start). */
function instantOf(text: string, field: string, timeZone: string, endOfDate: boolean): number {
  if (DATE.test(text)) {
    const midnight = Date.parse(`${text}T00:00:00Z`);
    if (Number.isNaN(midnight) || new Date(midnight).toISOString().slice(0, 10) !== text)
      throw new InvalidSearchError(`${field} is not a calendar date: ${JSON.stringify(text)}`);
    if (!endOfDate) return localDayStart(text, timeZone);
    const next = new Date(midnight + DAY_MS).toISOString().slice(0, 10);
    return localDayStart(next, timeZone);
  }
  const local = LOCAL_TIME.exec(text);
  if (local) {
    const [, date, h, m, s, fraction] = local;
    const wall = Date.parse(`${date}T${h}:${m}:${s ?? '00'}${fraction ?? ''}Z`);
    if (Number.isNaN(wall) || new Date(wall).toISOString().slice(0, 10) !== date)
      throw new InvalidSearchError(`${field} is not a valid date and time: ${JSON.stringify(text)}`);
    return localInstant(wall, timeZone);
  }
  if (INSTANT.test(text)) {
    const t = Date.parse(text.replace(' ', 'T'));
    if (!Number.isNaN(t)) return t;
  }
  throw new InvalidSearchError(
    `${field} must be YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] (local time in --time-zone) or an instant with Z or an offset, got ${JSON.stringify(text)}`,
  );
}

/**
 * The range of `--from` / `--to` in `timeZone` (default UTC), relative to `now`: a bare `--to` date is
 * inclusive (its whole local day), a date and time exclusive. Without `--to`, up to `now`; without
 * `--from`, the {@link DEFAULT_SEARCH_HOURS} before the end.
 */
export function eventSearchRange(
  options: { readonly from?: string; readonly to?: string; readonly timeZone?: string },
  now: Date,
): SearchRange {
  const timeZone = options.timeZone ?? 'UTC';
  if (!isTimeZone(timeZone))
    throw new InvalidSearchError(
      `time zone must be an IANA time zone such as Europe/Berlin, got ${JSON.stringify(timeZone)}`,
    );
  const end = options.to === undefined ? now.getTime() : instantOf(options.to, 'to', timeZone, true);
  const start =
    options.from === undefined
      ? end - DEFAULT_SEARCH_HOURS * HOUR_MS
      : instantOf(options.from, 'from', timeZone, false);
  if (!(start < end))
    throw new InvalidSearchError(
      `from (${new Date(start).toISOString()}) must be before to (${new Date(end).toISOString()})`,
    );
  if (end - start > MAX_SEARCH_DAYS * DAY_MS)
    throw new InvalidSearchError(`a search covers at most ${MAX_SEARCH_DAYS} days`);
  return {
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    fromDay: new Date(start).toISOString().slice(0, 10),
    toDay: new Date(end - 1).toISOString().slice(0, 10),
    fromHour: new Date(start).toISOString().slice(11, 13),
    toHour: new Date(end - 1).toISOString().slice(11, 13),
    timeZone,
  };
}

const CLUSTER = /^(\*|[A-Za-z0-9][A-Za-z0-9._-]*)$/;
/** Athena's limit on one execution parameter (service model: ExecutionParameter, 1 to 1024 characters). */
export const MAX_EXECUTION_PARAMETER_CHARS = 1024;

/**
 * The parameter values of `events.sql` (in placeholder order) for a range and filters; each filter value
 * is checked to fit in one Athena execution parameter once quoted.
 */
export function eventSearchParameters(range: SearchRange, filters: EventFilters): string[] {
  const cluster = filters.cluster ?? '*';
  if (!CLUSTER.test(cluster))
    throw new InvalidSearchError(
      `cluster must be a cluster resource id or '*', got ${JSON.stringify(cluster)}`,
    );
  let source = '';
  if (filters.source !== undefined) {
    const value = SOURCE_FILTERS[filters.source];
    if (value === undefined)
      throw new InvalidSearchError(
        `source must be one of ${Object.keys(SOURCE_FILTERS).join(', ')}, got ${JSON.stringify(filters.source)}`,
      );
    source = value;
  }
  const value = (name: keyof EventFilters) => {
    const v = filters[name] ?? '';
    if ((athenaExecutionParameters([v])[0] ?? '').length > MAX_EXECUTION_PARAMETER_CHARS)
      throw new InvalidSearchError(
        `${name} is too long: at most ${MAX_EXECUTION_PARAMETER_CHARS} characters once quoted as a SQL literal`,
      );
    return v;
  };
  const twice = (v: string) => [v, v];
  return [
    range.fromDay,
    range.toDay,
    range.fromDay,
    range.fromHour,
    range.toDay,
    range.toHour,
    cluster,
    cluster,
    range.start,
    range.end,
    ...twice(value('user')),
    ...twice(value('database')),
    ...twice(value('class')),
    ...twice(value('command')),
    ...twice(value('object')),
    source,
    source,
    source,
    ...twice(value('text')),
  ];
}
