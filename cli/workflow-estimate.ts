/**
 * How long a stream workflow run has left, from the step it is in and the workflow's own document, for
 * `enable|disable --wait`. The workflows have three phases of known bounds (workflows/shared/stream-workflow.ts):
 *   1. until the planned start: the plan Lambda's `$.plan.startAt` (the Wait state waits for it), or the CLI's own
 *      planned start before the plan is made;
 *   2. the restart and polling: at most the deadline the stack deploys (STREAM_WORKFLOW_DEFAULTS.deadlineSeconds,
 *      45 min) after polling began (`$.poll.since`); RDS does not say how long a restart takes, so this is a bound;
 *   3. connecting (enable: the Kinesis stream checks and event source mapping checks, 30 s apart, at most 10 of
 *      each, definition defaults) or disconnecting (disable: a few Lambda API calls).
 * Pure: the caller gives the step, the state's input document, when it was entered, and the time now.
 */
import { STREAM_WORKFLOW_DEFAULTS } from '../workflows/shared/stream-workflow-defaults';

/**
 * The states of each phase, by the names the execution history shows (the definitions' `STATES`; spelled here so
 * that the CLI bundle does not load aws-cdk-lib: test/cli/workflow-estimate.test.ts checks them against the
 * definitions).
 */
export const STREAM_PHASES: Readonly<
  Record<'enable' | 'disable', Readonly<Record<Phase, readonly string[]>>>
> = {
  enable: {
    before: [
      'Validate input',
      'Input valid?',
      'Acquire lock',
      'Describe cluster',
      'Check cluster',
      'Describe instances',
      'Check instance classes',
      'Plan window',
      'Check plan',
      'Wait for maintenance window',
    ],
    restart: [
      'Start activity stream',
      'Start polling',
      'Wait for restarts',
      'Schedule next poll',
      'Poll cluster',
      'Check stream status',
      'Poll instances',
      'Check instances available',
    ],
    connect: [
      'Restarts finished',
      'Already started',
      'Describe Kinesis stream',
      'Check Kinesis stream',
      'Wait for Kinesis stream',
      'Count Kinesis check',
      'List event source mappings',
      'Wait for mapping deletion',
      'Count mapping check',
      'Check event source mapping',
      'Create event source mapping',
      'Enable event source mapping',
      'Mapping already enabled',
    ],
    finish: ['Release lock', 'Notify success', 'Enabled'],
    failing: [],
  },
  disable: {
    before: [
      'Validate input',
      'Input valid?',
      'Acquire lock',
      'Describe cluster',
      'Check cluster',
      'Stop now?',
      'Plan window',
      'Check plan',
      'Wait for maintenance window',
    ],
    restart: [
      'Stop activity stream',
      'Start polling',
      'Wait for restarts',
      'Schedule next poll',
      'Poll cluster',
      'Check stream status',
      'Poll instances',
      'Check instances available',
    ],
    connect: [
      'Restarts finished',
      'Already stopped',
      'List event source mappings',
      'Check event source mapping',
      'Disable event source mapping',
      'Delete event source mapping',
      'No event source mapping',
      'Mapping already being deleted',
      'Mapping gone',
    ],
    finish: ['Release lock', 'Notify success', 'Disabled'],
    failing: [],
  },
};

/** The failure chain's states, shared by both workflows. */
export const FAILURE_STATES = [
  'Release lock after failure',
  'Describe cluster for report',
  'Summarize cluster state',
  'Cluster state with stream',
  'Cluster state',
  'Cluster state unknown',
  'Cause recorded?',
  'Caught error and cause',
  'Caught error without cause',
  'Notify failure',
  'Failed',
];

export type Phase = 'before' | 'restart' | 'connect' | 'finish' | 'failing';

export interface StepSnapshot {
  readonly step: string;
  /** The input of the state as entered (the workflow's document), when the history gives it. */
  readonly document?: unknown;
  readonly enteredAt?: Date;
  readonly now: Date;
  /** The start the CLI planned (the window's start, or now), before the workflow's own plan is known. */
  readonly plannedStart?: Date;
}

/** The enablement workflow's Kinesis and mapping checks, 30 s apart (definition defaults). */
const CONNECT_BOUND_SECONDS = (10 + 10) * 30;

function minutes(seconds: number): string {
  const m = Math.max(0, Math.ceil(seconds / 60));
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

function field(doc: unknown, path: string[]): unknown {
  let cur = doc;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function dateAt(doc: unknown, path: string[]): Date | undefined {
  const v = field(doc, path);
  if (typeof v !== 'string') return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function phaseOf(action: 'enable' | 'disable', step: string): Phase | undefined {
  if (FAILURE_STATES.includes(step)) return 'failing';
  const phases = STREAM_PHASES[action];
  return (Object.keys(phases) as Phase[]).find((p) => phases[p].includes(step));
}

/**
 * The estimate of the time left, with what it is based on; undefined for a step the workflow does not have
 * (nothing is guessed).
 */
export function streamEstimate(action: 'enable' | 'disable', snap: StepSnapshot): string | undefined {
  const phase = phaseOf(action, snap.step);
  if (!phase) return undefined;
  const deadline = STREAM_WORKFLOW_DEFAULTS.deadlineSeconds;
  const restart = `at most ${minutes(deadline)} for the restart and polling (the workflow's deadline)`;
  const connectNote =
    action === 'enable'
      ? `then connecting the stream (at most ${minutes(CONNECT_BOUND_SECONDS)}: Kinesis and mapping checks, 30 s apart)`
      : 'then disconnecting the mapping (seconds)';
  const now = snap.now.getTime();
  switch (phase) {
    case 'before': {
      const immediate = field(snap.document, ['plan', 'immediate']) === true;
      const start = immediate ? snap.now : (dateAt(snap.document, ['plan', 'startAt']) ?? snap.plannedStart);
      if (!start)
        return `until the maintenance window (read from RDS by the workflow), then ${restart}, ${connectNote}`;
      const wait = (start.getTime() - now) / 1000;
      const source = dateAt(snap.document, ['plan', 'startAt']) ? "the workflow's plan" : 'the planned start';
      return wait > 60
        ? `about ${minutes(wait)} until the window opens at ${start.toISOString()} (${source}), then ${restart}, ${connectNote}`
        : `starting now, then ${restart}, ${connectNote}`;
    }
    case 'restart': {
      const since = dateAt(snap.document, ['poll', 'since']);
      if (!since) return `${restart}, ${connectNote}`;
      const left = deadline - (now - since.getTime()) / 1000;
      return left > 0
        ? `at most ${minutes(left)} left of the ${minutes(deadline)} deadline for the restart (polling since ${since.toISOString()}), ${connectNote}`
        : `the ${minutes(deadline)} deadline for the restart has passed: the run is about to end`;
    }
    case 'connect':
      return action === 'enable'
        ? `restart done; connecting the stream: at most ${minutes(CONNECT_BOUND_SECONDS)} (Kinesis and mapping checks, 30 s apart)`
        : 'restart done; disconnecting the mapping: seconds';
    case 'finish':
      return 'finishing: releasing the lock and notifying';
    case 'failing':
      return 'the run is failing: recording the cause and notifying';
  }
}
