/**
 * Maintenance-window planning for the enablement workflow: a pure function of the request, the cluster's
 * `PreferredMaintenanceWindow` and the current time. No AWS client, no clock of its own.
 *
 * RDS writes weekly windows as `ddd:hh24:mi-ddd:hh24:mi` in UTC (`sun:03:00-sun:04:00`); a window may cross
 * midnight (`sat:23:30-sun:00:30`) and the end of the week (`sun:23:00-mon:01:00`).
 */
import { WEEKLY_WINDOW } from './identifiers';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type WeekDay = (typeof DAYS)[number];

const MINUTES_PER_WEEK = 7 * 24 * 60;
const MINUTE_MS = 60_000;
/** RFC 3339 with a zone, as Step Functions' `Wait.TimestampPath` requires. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** A planning problem that the caller caused: the field it names is wrong. */
export class WindowPlanningError extends Error {
  override readonly name = 'WindowPlanningError';
  constructor(
    /** The input field at fault, e.g. `window.start`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A weekly window, as minutes since Monday 00:00 UTC. */
export interface WeeklyWindow {
  /** The text it was parsed from. */
  readonly text: string;
  /** Start, minutes since Monday 00:00 UTC (0–10079). */
  readonly startMinute: number;
  /** Length in minutes (1–10079); the end may fall in the following week. */
  readonly durationMinutes: number;
}

/**
 * Parses `ddd:hh24:mi-ddd:hh24:mi` (UTC).
 * @throws WindowPlanningError naming `field` when the text is not such a window or is empty (start = end).
 */
export function parseWeeklyWindow(text: string, field = 'preferredMaintenanceWindow'): WeeklyWindow {
  const m = WEEKLY_WINDOW.exec(text.trim().toLowerCase());
  if (!m) {
    throw new WindowPlanningError(
      field,
      `must be "ddd:hh24:mi-ddd:hh24:mi" in UTC, e.g. "sun:03:00-sun:04:00" (got ${JSON.stringify(text)})`,
    );
  }
  const [, d1, h1, m1, d2, h2, m2] = m as unknown as [
    string,
    WeekDay,
    string,
    string,
    WeekDay,
    string,
    string,
  ];
  const start = DAYS.indexOf(d1) * 1440 + Number(h1) * 60 + Number(m1);
  const end = DAYS.indexOf(d2) * 1440 + Number(h2) * 60 + Number(m2);
  const duration = (((end - start) % MINUTES_PER_WEEK) + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
  if (duration === 0)
    throw new WindowPlanningError(
      field,
      `must not start and end at the same time (got ${JSON.stringify(text)})`,
    );
  return { text, startMinute: start, durationMinutes: duration };
}

/** Monday 00:00 UTC of the week containing `at`. */
function weekStart(at: Date): number {
  const day = (at.getUTCDay() + 6) % 7; // Monday = 0
  return Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() - day);
}

export interface WindowOccurrence {
  /** When the occurrence starts (may be before `now` when `now` is inside it). */
  readonly start: Date;
  readonly end: Date;
}

/**
 * The first occurrence of a weekly window that ends after `now` with at least `minMinutesLeft` minutes left
 * from `max(now, start)`: the current one when `now` is inside it with enough time left, otherwise the next.
 */
export function nextOccurrence(window: WeeklyWindow, now: Date, minMinutesLeft: number): WindowOccurrence {
  const base = weekStart(now);
  // The previous week's occurrence can still be running (windows that cross the end of the week).
  for (let week = -1; week <= 2; week++) {
    const start = base + (week * MINUTES_PER_WEEK + window.startMinute) * MINUTE_MS;
    const end = start + window.durationMinutes * MINUTE_MS;
    const from = Math.max(start, now.getTime());
    if (end - from >= minMinutesLeft * MINUTE_MS) return { start: new Date(start), end: new Date(end) };
  }
  // Unreachable for durationMinutes >= minMinutesLeft; a window shorter than the minimum never qualifies.
  throw new WindowPlanningError(
    'preferredMaintenanceWindow',
    `${JSON.stringify(window.text)} lasts ${window.durationMinutes} min, less than the ${minMinutesLeft} min required`,
  );
}

/**
 * Parses an RFC 3339 timestamp with a zone (`2026-11-29T03:00:00Z`, `…+01:00`).
 * @throws WindowPlanningError naming `field`.
 */
export function parseTimestamp(value: unknown, field: string): Date {
  if (typeof value !== 'string') {
    throw new WindowPlanningError(
      field,
      `must be an ISO-8601 timestamp with a zone, e.g. "2026-11-29T03:00:00Z" (got ${JSON.stringify(value) ?? 'nothing'})`,
    );
  }
  const m = RFC3339.exec(value);
  const date = new Date(value);
  if (!m || Number.isNaN(date.getTime())) {
    throw new WindowPlanningError(
      field,
      `must be an ISO-8601 timestamp with a zone, e.g. "2026-11-29T03:00:00Z" (got ${JSON.stringify(value)})`,
    );
  }
  // Reject dates that Date silently rolls over (Feb 30).
  const [, y, mo, d] = m as unknown as [string, string, string, string];
  const probe = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (probe.getUTCMonth() !== Number(mo) - 1 || probe.getUTCDate() !== Number(d)) {
    throw new WindowPlanningError(field, `is not a valid date (got ${JSON.stringify(value)})`);
  }
  return date;
}

/** What the request asks for: start now, in the next maintenance window, or in a given window. */
export type WindowRequest =
  | { readonly kind: 'now' }
  | { readonly kind: 'next' }
  | { readonly kind: 'range'; readonly start: string; readonly end: string };

export interface PlanWindowInput {
  readonly request: WindowRequest;
  /** The weekly window `next` refers to: the cluster's PreferredMaintenanceWindow, or a fixed one. */
  readonly weeklyWindow?: string;
  /** Where `weeklyWindow` comes from, for messages (`the cluster's PreferredMaintenanceWindow`). */
  readonly weeklyWindowSource?: string;
  readonly now: Date;
  /** Minimum minutes left in a window to start in it. */
  readonly minMinutesLeft: number;
  /** The latest start accepted, in seconds from now (the workflow's timeout budget). */
  readonly maxWaitSeconds: number;
}

export interface PlannedWindow {
  /** Start now, without waiting. */
  readonly immediate: boolean;
  /** When to start (RFC 3339, UTC): `now` when immediate. */
  readonly startAt: string;
  /** End of the window, or null for `now`. */
  readonly endAt: string | null;
  /** Seconds from `now` to `startAt`. */
  readonly waitSeconds: number;
  /** One line for people, e.g. `next maintenance window sun:03:00-sun:04:00: 2026-11-29T03:00:00.000Z`. */
  readonly description: string;
}

/**
 * Plans when to start the activity stream.
 * - `now`: immediately.
 * - `next`: the next occurrence of the weekly window with at least `minMinutesLeft` left (the current one
 *   when inside it), else the one after.
 * - a given window: must end at least `minMinutesLeft` from now, start before it ends, and start within
 *   `maxWaitSeconds`; a window already begun starts now.
 * @throws WindowPlanningError naming the field at fault.
 */
export function planWindow(input: PlanWindowInput): PlannedWindow {
  const { now, minMinutesLeft } = input;
  const plan = (start: Date, end: Date | null, description: string): PlannedWindow => {
    const startMs = Math.max(start.getTime(), now.getTime());
    const waitSeconds = Math.ceil((startMs - now.getTime()) / 1000);
    if (waitSeconds > input.maxWaitSeconds) {
      throw new WindowPlanningError(
        input.request.kind === 'range' ? 'window.start' : 'window',
        `starts in ${Math.round(waitSeconds / 3600)} h, beyond the workflow's limit of ${Math.floor(input.maxWaitSeconds / 3600)} h`,
      );
    }
    return {
      immediate: waitSeconds === 0,
      startAt: new Date(startMs).toISOString(),
      endAt: end ? end.toISOString() : null,
      waitSeconds,
      description,
    };
  };

  switch (input.request.kind) {
    case 'now':
      return plan(now, null, 'immediately (window "now")');
    case 'next': {
      if (!input.weeklyWindow) {
        throw new WindowPlanningError(
          'window',
          `"next" needs a maintenance window, and ${input.weeklyWindowSource ?? 'the cluster'} has none`,
        );
      }
      const weekly = parseWeeklyWindow(input.weeklyWindow, 'preferredMaintenanceWindow');
      if (weekly.durationMinutes < minMinutesLeft) {
        throw new WindowPlanningError(
          'window',
          `${input.weeklyWindowSource ?? 'the maintenance window'} ${weekly.text} lasts ${weekly.durationMinutes} min, less than the ${minMinutesLeft} min required`,
        );
      }
      const occurrence = nextOccurrence(weekly, now, minMinutesLeft);
      return plan(
        occurrence.start,
        occurrence.end,
        `${occurrence.start.getTime() <= now.getTime() ? 'current' : 'next'} occurrence of ${input.weeklyWindowSource ?? 'the maintenance window'} ${weekly.text} (${occurrence.start.toISOString()} to ${occurrence.end.toISOString()})`,
      );
    }
    case 'range': {
      const start = parseTimestamp(input.request.start, 'window.start');
      const end = parseTimestamp(input.request.end, 'window.end');
      if (start.getTime() >= end.getTime()) {
        throw new WindowPlanningError(
          'window.end',
          `must be after window.start (got ${input.request.start} to ${input.request.end})`,
        );
      }
      const left = (end.getTime() - Math.max(start.getTime(), now.getTime())) / MINUTE_MS;
      if (left < minMinutesLeft) {
        throw new WindowPlanningError(
          'window.end',
          end.getTime() <= now.getTime()
            ? `is in the past (${input.request.end}; now ${now.toISOString()})`
            : `leaves ${Math.max(0, Math.floor(left))} min from ${start.getTime() > now.getTime() ? 'window.start' : 'now'}, less than the ${minMinutesLeft} min required`,
        );
      }
      return plan(start, end, `given window ${start.toISOString()} to ${end.toISOString()}`);
    }
  }
}
