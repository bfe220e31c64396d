import {
  nextOccurrence,
  parseTimestamp,
  parseWeeklyWindow,
  planWindow,
  WindowPlanningError,
} from '../../../tasks/core/maintenance-window';

const at = (iso: string) => new Date(iso);
const plan = (
  request: Parameters<typeof planWindow>[0]['request'],
  now: string,
  weeklyWindow?: string,
  minMinutesLeft = 30,
) => planWindow({ request, now: at(now), weeklyWindow, minMinutesLeft, maxWaitSeconds: 8 * 86400 });

// 2026-11-24 is a Tuesday; 2026-11-29 a Sunday; 2026-11-30 a Monday.
describe('parseWeeklyWindow', () => {
  it('reads ddd:hh24:mi-ddd:hh24:mi as minutes since Monday 00:00 UTC', () => {
    expect(parseWeeklyWindow('sun:03:00-sun:04:00')).toEqual({
      text: 'sun:03:00-sun:04:00',
      startMinute: 6 * 1440 + 180,
      durationMinutes: 60,
    });
    expect(parseWeeklyWindow('Mon:00:00-mon:00:30')).toMatchObject({ startMinute: 0, durationMinutes: 30 });
  });

  it('handles windows that cross midnight and the end of the week', () => {
    expect(parseWeeklyWindow('sat:23:30-sun:00:30').durationMinutes).toBe(60);
    expect(parseWeeklyWindow('sun:23:00-mon:01:00')).toMatchObject({
      startMinute: 6 * 1440 + 23 * 60,
      durationMinutes: 120,
    });
  });

  it.each(['sun:3:00-sun:04:00', 'sun:24:00-mon:00:30', 'sunday:03:00-sunday:04:00', '', 'sun:03:00'])(
    'refuses %j, naming the field',
    (text) => {
      expect(() => parseWeeklyWindow(text, 'window')).toThrow(WindowPlanningError);
      expect(() => parseWeeklyWindow(text, 'window')).toThrow(/^window: must be "ddd:hh24:mi-ddd:hh24:mi"/);
    },
  );

  it('refuses an empty window', () => {
    expect(() => parseWeeklyWindow('tue:03:00-tue:03:00')).toThrow(/must not start and end at the same time/);
  });
});

describe('nextOccurrence', () => {
  const weekly = parseWeeklyWindow('sun:03:00-sun:04:00');

  it('is later in the same week when the window is ahead', () => {
    expect(nextOccurrence(weekly, at('2026-11-24T10:00:00Z'), 30)).toEqual({
      start: at('2026-11-29T03:00:00Z'),
      end: at('2026-11-29T04:00:00Z'),
    });
  });

  it('is the current one when inside it with enough time left', () => {
    expect(nextOccurrence(weekly, at('2026-11-29T03:29:00Z'), 30).start).toEqual(at('2026-11-29T03:00:00Z'));
    expect(nextOccurrence(weekly, at('2026-11-29T03:30:00Z'), 30).start).toEqual(at('2026-11-29T03:00:00Z'));
  });

  it('is the following week when too little of the current one is left, or it is over', () => {
    expect(nextOccurrence(weekly, at('2026-11-29T03:31:00Z'), 30).start).toEqual(at('2026-12-06T03:00:00Z'));
    expect(nextOccurrence(weekly, at('2026-11-29T05:00:00Z'), 30).start).toEqual(at('2026-12-06T03:00:00Z'));
  });

  it('finds a window that started the previous week (crossing the end of the week)', () => {
    const crossing = parseWeeklyWindow('sun:23:00-mon:01:00');
    // Monday 00:10, inside the window that began on Sunday 23:00: 50 minutes left.
    expect(nextOccurrence(crossing, at('2026-11-30T00:10:00Z'), 30)).toEqual({
      start: at('2026-11-29T23:00:00Z'),
      end: at('2026-11-30T01:00:00Z'),
    });
    // Monday 00:45: 15 minutes left, so next Sunday.
    expect(nextOccurrence(crossing, at('2026-11-30T00:45:00Z'), 30).start).toEqual(
      at('2026-12-06T23:00:00Z'),
    );
  });

  it('handles a window crossing midnight', () => {
    const crossing = parseWeeklyWindow('sat:23:30-sun:00:30');
    expect(nextOccurrence(crossing, at('2026-11-28T23:50:00Z'), 30).start).toEqual(
      at('2026-11-28T23:30:00Z'),
    );
    expect(nextOccurrence(crossing, at('2026-11-29T00:05:00Z'), 30).start).toEqual(
      at('2026-12-05T23:30:00Z'),
    );
  });
});

describe('planWindow', () => {
  it('starts now for "now"', () => {
    expect(plan({ kind: 'now' }, '2026-11-24T10:00:00Z')).toEqual({
      immediate: true,
      startAt: '2026-11-24T10:00:00.000Z',
      endAt: null,
      waitSeconds: 0,
      description: 'immediately (window "now")',
    });
  });

  it('waits days for the next window, as an RFC 3339 timestamp', () => {
    const p = plan({ kind: 'next' }, '2026-11-24T10:00:00Z', 'sun:03:00-sun:04:00');
    expect(p).toMatchObject({
      immediate: false,
      startAt: '2026-11-29T03:00:00.000Z',
      endAt: '2026-11-29T04:00:00.000Z',
      waitSeconds: 4 * 86400 + 17 * 3600,
    });
    expect(p.description).toContain('next occurrence');
  });

  it('starts at once inside the window with enough left, else takes the following one', () => {
    expect(plan({ kind: 'next' }, '2026-11-29T03:15:00Z', 'sun:03:00-sun:04:00')).toMatchObject({
      immediate: true,
      startAt: '2026-11-29T03:15:00.000Z',
    });
    expect(plan({ kind: 'next' }, '2026-11-29T03:45:00Z', 'sun:03:00-sun:04:00').startAt).toBe(
      '2026-12-06T03:00:00.000Z',
    );
  });

  it('honours the minimum minutes left', () => {
    expect(plan({ kind: 'next' }, '2026-11-29T03:45:00Z', 'sun:03:00-sun:04:00', 10).immediate).toBe(true);
    expect(plan({ kind: 'next' }, '2026-11-29T03:45:00Z', 'sun:03:00-sun:04:00', 0).immediate).toBe(true);
  });

  it('refuses "next" without a window, or with one shorter than the minimum', () => {
    expect(() => plan({ kind: 'next' }, '2026-11-24T10:00:00Z', undefined)).toThrow(
      /^window: "next" needs a maintenance window/,
    );
    expect(() => plan({ kind: 'next' }, '2026-11-24T10:00:00Z', 'sun:03:00-sun:03:20')).toThrow(
      /lasts 20 min, less than the 30 min required/,
    );
  });

  it('waits for a given window in the future', () => {
    expect(
      plan(
        { kind: 'range', start: '2026-11-25T02:00:00Z', end: '2026-11-25T03:00:00Z' },
        '2026-11-24T10:00:00Z',
      ),
    ).toMatchObject({
      immediate: false,
      startAt: '2026-11-25T02:00:00.000Z',
      endAt: '2026-11-25T03:00:00.000Z',
      waitSeconds: 16 * 3600,
    });
  });

  it('starts at once in a given window that has begun, when enough is left', () => {
    expect(
      plan(
        { kind: 'range', start: '2026-11-24T09:00:00Z', end: '2026-11-24T11:00:00Z' },
        '2026-11-24T10:00:00Z',
      ),
    ).toMatchObject({
      immediate: true,
      startAt: '2026-11-24T10:00:00.000Z',
    });
  });

  it.each([
    [
      'start after end',
      '2026-11-25T03:00:00Z',
      '2026-11-25T02:00:00Z',
      /^window\.end: must be after window\.start/,
    ],
    [
      'start equal to end',
      '2026-11-25T03:00:00Z',
      '2026-11-25T03:00:00Z',
      /^window\.end: must be after window\.start/,
    ],
    ['in the past', '2026-11-23T03:00:00Z', '2026-11-23T04:00:00Z', /^window\.end: is in the past/],
    [
      'too little left',
      '2026-11-24T09:00:00Z',
      '2026-11-24T10:20:00Z',
      /^window\.end: leaves 20 min from now/,
    ],
    [
      'too short',
      '2026-11-25T03:00:00Z',
      '2026-11-25T03:10:00Z',
      /^window\.end: leaves 10 min from window\.start/,
    ],
    [
      'too far ahead',
      '2026-12-24T03:00:00Z',
      '2026-12-24T04:00:00Z',
      /^window\.start: starts in \d+ h, beyond/,
    ],
    ['not a timestamp', 'tomorrow', '2026-11-25T04:00:00Z', /^window\.start: must be an ISO-8601 timestamp/],
  ])('refuses a given window %s, naming the field', (_case, start, end, message) => {
    expect(() => plan({ kind: 'range', start, end }, '2026-11-24T10:00:00Z')).toThrow(message);
  });
});

describe('parseTimestamp', () => {
  it('reads RFC 3339 with Z or an offset', () => {
    expect(parseTimestamp('2026-11-29T03:00:00Z', 'f').toISOString()).toBe('2026-11-29T03:00:00.000Z');
    expect(parseTimestamp('2026-11-29T04:00:00.5+01:00', 'f').toISOString()).toBe('2026-11-29T03:00:00.500Z');
  });

  it.each(['2026-11-29T03:00:00', '2026-11-29', '2026-02-30T03:00:00Z', 1732849200, null])(
    'refuses %j',
    (value) => {
      expect(() => parseTimestamp(value, 'window.start')).toThrow(/^window\.start: /);
    },
  );
});
