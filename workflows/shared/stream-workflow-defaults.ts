/**
 * The stream workflows' timing defaults and the plan Lambda's request limits derived from them. Light (no CDK):
 * the kit (`stream-workflow-kit.ts`) builds the plan Lambda's settings from them, and the CLI validates a request
 * with the same values before starting anything (the deployed stack uses these defaults).
 */
export const STREAM_WORKFLOW_DEFAULTS = {
  /** Minimum minutes left in a given window to start in it. */
  minimumMinutesLeft: 30,
  /** How long the workflow waits for the stream to start, in seconds (45 minutes). */
  deadlineSeconds: 45 * 60,
  /** The state machine's timeout, in seconds (8 days: a weekly window plus margin). */
  timeoutSeconds: 8 * 24 * 3600,
} as const;

/** The plan Lambda's `MAX_WAIT_SECONDS` and `LOCK_TTL_SECONDS` for a workflow's deadline and timeout. */
export function planRequestLimits(timing: { deadlineSeconds: number; timeoutSeconds: number }): {
  maxWaitSeconds: number;
  lockTtlSeconds: number;
} {
  return {
    maxWaitSeconds: timing.timeoutSeconds - timing.deadlineSeconds - 3600,
    lockTtlSeconds: timing.timeoutSeconds + 3600,
  };
}
