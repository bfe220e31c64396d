/**
 * Report periods, shared by the report workflow and the CLI: `daily` is the previous calendar day,
 * `weekly` the previous Monday–Sunday, `monthly` the previous calendar month, all in the schedule's IANA
 * time zone; or explicit `{from, to}` dates (inclusive, in that time zone). A period is a UTC instant range
 * [start, end) plus the `day` partitions (UTC days) that cover it, and the previous period of equal length
 * (for "seen for the first time").
 */

export type PeriodName = 'daily' | 'weekly' | 'monthly';
export type PeriodRequest = { period: PeriodName } | { from: string; to: string };

export interface Period {
  /** Inclusive start, ISO-8601 UTC. */
  readonly start: string;
  /** Exclusive end, ISO-8601 UTC. */
  readonly end: string;
  /** First and last `day` partition (UTC) that the range touches. */
  readonly fromDay: string;
  readonly toDay: string;
  /** The local dates the period covers, inclusive (for titles). */
  readonly firstDate: string;
  readonly lastDate: string;
  readonly timeZone: string;
}

export interface ReportPeriod extends Period {
  /** The period of equal length (in local days) just before. */
  readonly previous: Period;
}

export class InvalidPeriodError extends Error {
  override readonly name = 'InvalidPeriodError';
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Local calendar date parts of an instant in a time zone. */
function localDate(instant: number, timeZone: string): { y: number; m: number; d: number; weekday: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    weekday: 'short',
  }).formatToParts(new Date(instant));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(get('weekday')); // 0 = Monday
  return { y: Number(get('year')), m: Number(get('month')), d: Number(get('day')), weekday };
}

/** The offset (ms) of a time zone at an instant: local wall time minus UTC. */
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
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}

/** The UTC instant of local midnight starting date y-m-d in the time zone (DST-safe). */
export function localMidnight(y: number, m: number, d: number, timeZone: string): number {
  const wall = Date.UTC(y, m - 1, d);
  let instant = wall - offsetAt(wall, timeZone);
  // Converge where the offset at the guess differs from the offset at midnight (DST change days).
  for (let i = 0; i < 3; i++) {
    const next = wall - offsetAt(instant, timeZone);
    if (next === instant) break;
    instant = next;
  }
  return instant;
}

const ymd = (y: number, m: number, d: number) => {
  const t = new Date(Date.UTC(y, m - 1, d));
  return `${t.getUTCFullYear()}-${String(t.getUTCMonth() + 1).padStart(2, '0')}-${String(t.getUTCDate()).padStart(2, '0')}`;
};

function parseDate(text: string, field: string): { y: number; m: number; d: number } {
  const m = DATE.exec(text);
  if (!m) throw new InvalidPeriodError(`${field} must be YYYY-MM-DD, got ${JSON.stringify(text)}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (ymd(y, mo, d) !== text)
    throw new InvalidPeriodError(`${field} is not a calendar date: ${JSON.stringify(text)}`);
  return { y, m: mo, d };
}

function addDays(date: { y: number; m: number; d: number }, days: number) {
  const t = new Date(Date.UTC(date.y, date.m - 1, date.d + days));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

const dayCount = (a: { y: number; m: number; d: number }, b: { y: number; m: number; d: number }) =>
  Math.round((Date.UTC(b.y, b.m - 1, b.d) - Date.UTC(a.y, a.m - 1, a.d)) / 86_400_000) + 1;

/** The period from local date `first` to local date `last`, inclusive. */
function between(
  first: { y: number; m: number; d: number },
  last: { y: number; m: number; d: number },
  timeZone: string,
): Period {
  const start = localMidnight(first.y, first.m, first.d, timeZone);
  const afterLast = addDays(last, 1);
  const end = localMidnight(afterLast.y, afterLast.m, afterLast.d, timeZone);
  return {
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    fromDay: new Date(start).toISOString().slice(0, 10),
    toDay: new Date(end - 1).toISOString().slice(0, 10),
    firstDate: ymd(first.y, first.m, first.d),
    lastDate: ymd(last.y, last.m, last.d),
    timeZone,
  };
}

/** The report period for a request, relative to `now`, in `timeZone` (IANA). */
export function reportPeriod(request: PeriodRequest, timeZone: string, now: Date = new Date()): ReportPeriod {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new InvalidPeriodError(`timeZone must be an IANA time zone, got ${JSON.stringify(timeZone)}`);
  }
  let first: { y: number; m: number; d: number };
  let last: { y: number; m: number; d: number };
  if ('period' in request) {
    const today = localDate(now.getTime(), timeZone);
    if (request.period === 'daily') {
      first = addDays(today, -1);
      last = first;
    } else if (request.period === 'weekly') {
      last = addDays(today, -today.weekday - 1); // the Sunday before this week's Monday
      first = addDays(last, -6);
    } else if (request.period === 'monthly') {
      first = { y: today.m === 1 ? today.y - 1 : today.y, m: today.m === 1 ? 12 : today.m - 1, d: 1 };
      last = addDays({ y: today.y, m: today.m, d: 1 }, -1);
    } else {
      throw new InvalidPeriodError(
        `period must be daily, weekly or monthly, got ${JSON.stringify((request as { period: unknown }).period)}`,
      );
    }
  } else {
    first = parseDate(request.from, 'from');
    last = parseDate(request.to, 'to');
    if (dayCount(first, last) < 1)
      throw new InvalidPeriodError(`from (${request.from}) must not be after to (${request.to})`);
    if (dayCount(first, last) > 366) throw new InvalidPeriodError('a report period is at most 366 days');
  }
  const length = dayCount(first, last);
  const previousLast = addDays(first, -1);
  const previousFirst = addDays(previousLast, -(length - 1));
  return { ...between(first, last, timeZone), previous: between(previousFirst, previousLast, timeZone) };
}
