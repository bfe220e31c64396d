import { simulateThrottle } from '../../../../tasks/core/alerts/throttle';

const at = (iso: string) => Date.parse(iso);

describe('the throttling arithmetic', () => {
  it('lets the limit through per window and sends one digest for the rest', () => {
    const times = [
      ...Array.from({ length: 25 }, (_, i) => at(`2026-11-24T10:${String(i).padStart(2, '0')}:00Z`)),
      at('2026-11-24T11:05:00Z'),
    ];
    expect(simulateThrottle(times, 10, 3600)).toEqual([
      { windowStart: '2026-11-24T10:00:00.000Z', matches: 25, alerts: 10, suppressed: 15, emails: 11 },
      { windowStart: '2026-11-24T11:00:00.000Z', matches: 1, alerts: 1, suppressed: 0, emails: 1 },
    ]);
  });

  it('accounts for every match: alerts plus suppressed equal matches', () => {
    const times = Array.from({ length: 10_000 }, (_, i) => at('2026-11-24T00:00:00Z') + i * 7_000);
    const windows = simulateThrottle(times, 20, 3600);
    expect(windows.reduce((n, w) => n + w.alerts + w.suppressed, 0)).toBe(10_000);
    expect(windows.every((w) => w.emails <= 21)).toBe(true);
  });

  it('rejects a limit that is not a positive integer', () => {
    expect(() => simulateThrottle([], 0, 60)).toThrow('limit must be a positive integer, got 0');
  });
});
