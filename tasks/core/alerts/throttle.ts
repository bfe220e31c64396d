/**
 * The throttling arithmetic: per rule, at most `limit` alert emails per window; the further matches of the
 * window are counted into one digest email. Shared by the alert Lambda's documentation of its behaviour and
 * by `aurora-audit rules test`, which replays events by their time (the Lambda counts by arrival time).
 */
export interface WindowSummary {
  /** ISO start of the window. */
  readonly windowStart: string;
  readonly matches: number;
  /** Alert emails (≤ limit). */
  readonly alerts: number;
  /** Matches counted into the digest instead. */
  readonly suppressed: number;
  /** Emails in all: alerts plus one digest when anything was suppressed. */
  readonly emails: number;
}

export function simulateThrottle(
  timesMs: readonly number[],
  limit: number,
  windowSeconds: number,
): WindowSummary[] {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  if (!(windowSeconds > 0)) throw new RangeError(`windowSeconds must be positive, got ${windowSeconds}`);
  const windowMs = windowSeconds * 1000;
  const counts = new Map<number, number>();
  for (const t of timesMs) {
    const start = Math.floor(t / windowMs) * windowMs;
    counts.set(start, (counts.get(start) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, matches]) => {
      const alerts = Math.min(matches, limit);
      const suppressed = matches - alerts;
      return {
        windowStart: new Date(start).toISOString(),
        matches,
        alerts,
        suppressed,
        emails: alerts + (suppressed > 0 ? 1 : 0),
      };
    });
}
