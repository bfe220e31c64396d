/**
 * Growing polling intervals under a deadline. Step Functions bills every state transition, so a long
 * restart is polled rarely: the intervals grow by `initial` seconds each time up to `max`, and the last one
 * is cut so that the intervals add up to the deadline exactly. The state machine keeps an index into this
 * list (`States.ArrayGetItem(States.Array(…), index)`) and the seconds waited so far; when they reach the
 * deadline, the wait is over.
 */
export interface PollScheduleOptions {
  readonly deadlineSeconds: number;
  readonly initialSeconds: number;
  readonly maxSeconds: number;
}

export function pollSchedule({ deadlineSeconds, initialSeconds, maxSeconds }: PollScheduleOptions): number[] {
  if (!(Number.isInteger(deadlineSeconds) && deadlineSeconds > 0)) {
    throw new Error(`pollSchedule: deadlineSeconds must be a positive integer, got ${deadlineSeconds}`);
  }
  if (!(Number.isInteger(initialSeconds) && initialSeconds > 0 && initialSeconds <= maxSeconds)) {
    throw new Error(
      `pollSchedule: initialSeconds must be a positive integer at most maxSeconds, got ${initialSeconds} (max ${maxSeconds})`,
    );
  }
  const schedule: number[] = [];
  let total = 0;
  let next = initialSeconds;
  while (total < deadlineSeconds) {
    const interval = Math.min(next, maxSeconds, deadlineSeconds - total);
    schedule.push(interval);
    total += interval;
    next += initialSeconds;
  }
  return schedule;
}
