/**
 * Report periods, shared by the report workflow and the CLI.
 *
 * - `daily`: the previous calendar day, `weekly`: the previous Monday to Sunday, `monthly`: the previous
 *   calendar month, all in the schedule's IANA time zone and relative to `now`;
 * - `{ from, to }`: explicit local dates (`YYYY-MM-DD`, both inclusive) in that time zone.
 *
 * A period is the UTC instant range [start, end) from the start of its first local day to the start of the
 * day after its last, the `day` and `hour` partitions (UTC, as the events are stored) that cover the range, and the
 * previous period of equal length in local days (the comparison of "seen for the first time"). A local day
 * starts at the first instant whose local date is that day: where midnight does not exist (a DST change at
 * midnight) that is the change itself, and a day a time zone skipped (Pacific/Apia, 2011-12-30) is empty.
 * Time-zone arithmetic uses `Intl.DateTimeFormat` only.
 */

export type PeriodName = 'daily' | 'weekly' | 'monthly';
export const PERIOD_NAMES: readonly PeriodName[] = ['daily', 'weekly', 'monthly'];
export type PeriodRequest = { readonly period: PeriodName } | { readonly from: string; readonly to: string };

export interface Period {
  /** Inclusive start, ISO-8601 UTC with milliseconds (`2026-11-22T23:00:00.000Z`). */
  readonly start: string;
  /** Exclusive end, ISO-8601 UTC with milliseconds. */
  readonly end: string;
  /** First `day` partition (UTC day, `YYYY-MM-DD`) the range touches. */
  readonly fromDay: string;
  /** Last `day` partition the range touches (`fromDay` for the empty range of a skipped day). */
  readonly toDay: string;
  /** `hour` partition (UTC hour, `00` to `23`) of the range's start, within `fromDay`. */
  readonly fromHour: string;
  /** `hour` partition of the range's last instant, within `toDay` (`fromHour` for an empty range). */
  readonly toHour: string;
  /** First and last local date of the period, inclusive (for titles). */
  readonly firstDate: string;
  readonly lastDate: string;
  /** Length in local calendar days. */
  readonly days: number;
  readonly timeZone: string;
}

export interface ReportPeriod extends Period {
  /** The period of equal length in local days that ends where this one starts. */
  readonly previous: Period;
}

/** Whether `Intl` knows the IANA time zone (`Europe/Berlin`, `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

export class InvalidPeriodError extends Error {
  override readonly name = 'InvalidPeriodError';
}

/** A local calendar date. */
interface LocalDate {
  readonly y: number;
  readonly m: number;
  readonly d: number;
}

const MAX_DAYS = 366;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A cached formatter giving the local wall-clock parts of an instant in a time zone. */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new InvalidPeriodError(`timeZone must be an IANA time zone, got ${JSON.stringify(timeZone)}`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** The local wall-clock time of an instant, as milliseconds of the proleptic UTC calendar (whole seconds). */
function wallClock(instant: number, timeZone: string): number {
  const parts = formatter(timeZone).formatToParts(new Date(instant));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const wall = new Date(0);
  wall.setUTCFullYear(get('year'), get('month') - 1, get('day'));
  wall.setUTCHours(get('hour'), get('minute'), get('second'), 0);
  return wall.getTime();
}

const utcOf = (date: LocalDate) => {
  const t = new Date(0);
  t.setUTCFullYear(date.y, date.m - 1, date.d);
  return t.getTime();
};

const dateOf = (utcMs: number): LocalDate => {
  const t = new Date(utcMs);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
};

const addDays = (date: LocalDate, days: number): LocalDate => dateOf(utcOf(date) + days * DAY_MS);

const iso = (date: LocalDate) => new Date(utcOf(date)).toISOString().slice(0, 10);

/** The local calendar date of an instant in a time zone. */
export function localDateOf(instant: Date, timeZone: string): string {
  return new Date(wallClock(instant.getTime(), timeZone)).toISOString().slice(0, 10);
}

/**
 * The instant (epoch ms) a local date starts in a time zone: the first instant whose local wall-clock time
 * is at or after that date's midnight. UTC offsets lie within −12 h and +14 h, so the start is within
 * (midnight − 15 h, midnight + 13 h] of midnight read as UTC; a binary search over whole seconds finds it.
 */
export function localDayStart(date: string, timeZone: string): number {
  const midnight = utcOf(parseDate(date, 'date'));
  let before = Math.floor((midnight - 15 * HOUR_MS) / 1000); // local time certainly before midnight
  let atOrAfter = Math.floor((midnight + 13 * HOUR_MS) / 1000); // local time certainly after it
  while (atOrAfter - before > 1) {
    const mid = Math.floor((before + atOrAfter) / 2);
    if (wallClock(mid * 1000, timeZone) >= midnight) atOrAfter = mid;
    else before = mid;
  }
  return atOrAfter * 1000;
}

function parseDate(text: string, field: string): LocalDate {
  const match = DATE.exec(text);
  if (!match) throw new InvalidPeriodError(`${field} must be YYYY-MM-DD, got ${JSON.stringify(text)}`);
  const date = { y: Number(match[1]), m: Number(match[2]), d: Number(match[3]) };
  if (iso(date) !== text)
    throw new InvalidPeriodError(`${field} is not a calendar date: ${JSON.stringify(text)}`);
  return date;
}

const dayCount = (first: LocalDate, last: LocalDate) => Math.round((utcOf(last) - utcOf(first)) / DAY_MS) + 1;

/** The period from local date `first` to local date `last`, both inclusive. */
function between(first: LocalDate, last: LocalDate, timeZone: string): Period {
  const start = localDayStart(iso(first), timeZone);
  const end = localDayStart(iso(addDays(last, 1)), timeZone);
  return {
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    fromDay: new Date(start).toISOString().slice(0, 10),
    toDay: new Date(Math.max(start, end - 1)).toISOString().slice(0, 10),
    fromHour: new Date(start).toISOString().slice(11, 13),
    toHour: new Date(Math.max(start, end - 1)).toISOString().slice(11, 13),
    firstDate: iso(first),
    lastDate: iso(last),
    days: dayCount(first, last),
    timeZone,
  };
}

/** The local dates a request covers, relative to `now`. */
function localDates(
  request: PeriodRequest,
  timeZone: string,
  now: Date,
): { first: LocalDate; last: LocalDate } {
  if ('period' in request) {
    if (Number.isNaN(now.getTime())) throw new InvalidPeriodError('now must be a valid date');
    const today = parseDate(localDateOf(now, timeZone), 'now');
    switch (request.period) {
      case 'daily': {
        const yesterday = addDays(today, -1);
        return { first: yesterday, last: yesterday };
      }
      case 'weekly': {
        const sinceMonday = (new Date(utcOf(today)).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
        const last = addDays(today, -sinceMonday - 1); // the Sunday before this week's Monday
        return { first: addDays(last, -6), last };
      }
      case 'monthly': {
        const first = today.m === 1 ? { y: today.y - 1, m: 12, d: 1 } : { y: today.y, m: today.m - 1, d: 1 };
        return { first, last: addDays({ y: today.y, m: today.m, d: 1 }, -1) };
      }
      default:
        throw new InvalidPeriodError(
          `period must be one of ${PERIOD_NAMES.join(', ')}, got ${JSON.stringify((request as { period: unknown }).period)}`,
        );
    }
  }
  const first = parseDate(request.from, 'from');
  const last = parseDate(request.to, 'to');
  if (dayCount(first, last) < 1)
    throw new InvalidPeriodError(`from (${request.from}) must not be after to (${request.to})`);
  if (dayCount(first, last) > MAX_DAYS)
    throw new InvalidPeriodError(`a report period is at most ${MAX_DAYS} days, got ${dayCount(first, last)}`);
  return { first, last };
}

/**
 * The report period of a request in an IANA time zone, relative to `now` for `daily`, `weekly` and
 * `monthly`; with the previous period of equal length (in local days).
 */
export function reportPeriod(request: PeriodRequest, timeZone: string, now: Date = new Date()): ReportPeriod {
  formatter(timeZone); // validates the time zone
  const { first, last } = localDates(request, timeZone, now);
  const length = dayCount(first, last);
  const previousLast = addDays(first, -1);
  const previousFirst = addDays(previousLast, -(length - 1));
  return { ...between(first, last, timeZone), previous: between(previousFirst, previousLast, timeZone) };
}

/** Every `day` partition (UTC day) from `fromDay` to `toDay`, in order. */
export function dayPartitions(period: Pick<Period, 'fromDay' | 'toDay'>): string[] {
  const days: string[] = [];
  for (let t = utcOf(parseDate(period.fromDay, 'fromDay')); ; t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (day > period.toDay) return days;
    days.push(day);
  }
}
