/**
 * Simulated time for local workflow runs: Wait states and retry back-offs advance it instead of sleeping,
 * and the simulators read it to move resources through their states (a cluster restarting for 20 minutes
 * is `starting` until the clock has moved 20 minutes past StartActivityStream).
 */
export class SimClock {
  private ms: number;

  constructor(start: Date | string = '2026-11-24T10:00:00.000Z') {
    this.ms = new Date(start).getTime();
    if (Number.isNaN(this.ms)) throw new Error(`SimClock: not a date: ${String(start)}`);
  }

  now(): Date {
    return new Date(this.ms);
  }

  nowMs(): number {
    return this.ms;
  }

  iso(): string {
    return new Date(this.ms).toISOString();
  }

  /** Moves the clock forward (never back). */
  advanceBy(seconds: number): void {
    if (seconds > 0) this.ms += seconds * 1000;
  }

  /** Moves the clock to `at` if that is later; returns the seconds advanced. */
  advanceTo(at: Date | string | number): number {
    const target = new Date(at).getTime();
    if (Number.isNaN(target)) throw new Error(`SimClock: not a date: ${String(at)}`);
    const delta = Math.max(0, target - this.ms);
    this.ms += delta;
    return delta / 1000;
  }
}
