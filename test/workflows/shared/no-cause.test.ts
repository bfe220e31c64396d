/**
 * Guard: the States Language makes a caught error's `Cause` optional. For every failure state of the enable
 * and disable workflows that takes its cause from a caught error, a run in which that error comes without a
 * `Cause` must still end in the failure state's named error, with the lock released (or, for
 * LockReleaseFailed, left to expire) and the operators notified — not in `States.Runtime`, which no Catch
 * catches. The cases are read out of the synthesized definitions, so a new failure state needs a way to
 * reach it (REACH) or this test fails.
 */

import { disableScenario } from '../../../cli/local/scenarios/disable-activity-stream';
import {
  CLUSTER,
  type StreamDeployment,
  streamDeployments,
  streamScenario,
} from '../../../cli/local/scenarios/stream';
import type { AslDefinition, AslState } from '../../../cli/local/stepfunctions/template';
import { calledOperation, matchableErrors } from '../service-model/guard';

/** How a run reaches a Task: the call to fail (its n-th call of the action), the input window, a mapping. */
interface Reach {
  readonly target: string;
  readonly nth: number;
  readonly window?: 'next';
  readonly mapping?: 'Disabled';
}

const COMMON: Record<string, Reach> = {
  'Validate input': { target: 'lambda:invoke', nth: 1 },
  'Acquire lock': { target: 'dynamodb:putItem', nth: 1 },
  'Describe cluster': { target: 'rds:describeDBClusters', nth: 1 },
  'Plan window': { target: 'lambda:invoke', nth: 2, window: 'next' },
  'Poll cluster': { target: 'rds:describeDBClusters', nth: 2 },
  'List event source mappings': { target: 'lambda:listEventSourceMappings', nth: 1 },
  'Release lock': { target: 'dynamodb:deleteItem', nth: 1 },
  'Notify success': { target: 'sns:publish', nth: 1 },
};
const REACH: Record<'enable' | 'disable', Record<string, Reach>> = {
  enable: {
    ...COMMON,
    'Describe instances': { target: 'rds:describeDBInstances', nth: 1 },
    'Start activity stream': { target: 'rds:startActivityStream', nth: 1 },
    'Poll instances': { target: 'rds:describeDBInstances', nth: 2 },
    'Describe Kinesis stream': { target: 'kinesis:describeStreamSummary', nth: 1 },
    'Create event source mapping': { target: 'lambda:createEventSourceMapping', nth: 1 },
    'Enable event source mapping': { target: 'lambda:updateEventSourceMapping', nth: 1, mapping: 'Disabled' },
  },
  disable: {
    ...COMMON,
    'Stop activity stream': { target: 'rds:stopActivityStream', nth: 1 },
    'Poll instances': { target: 'rds:describeDBInstances', nth: 1 },
    'Disable event source mapping': { target: 'lambda:updateEventSourceMapping', nth: 1 },
    'Delete event source mapping': { target: 'lambda:deleteEventSourceMapping', nth: 1, mapping: 'Disabled' },
  },
};

interface Case {
  readonly task: string;
  readonly failureState: string;
  /** The named error the run must end with. */
  readonly expected: string;
  /**
   * The error to raise, without a Cause: one the Catch takes, preferably one no Retry of the Task retries
   * (else it is raised until the retries are spent).
   */
  readonly inject: string;
  /** How many calls in a row fail: 1, or the retrier's MaxAttempts + 1. */
  readonly times: number;
}

/** The failure record a Pass writes (`error`, and `cause`/`cause.$` when it has its own), if it is a failure state. */
function failureRecord(state: AslState | undefined): Record<string, unknown> | undefined {
  const p = state?.Type === 'Pass' ? (state.Parameters as Record<string, unknown> | undefined) : undefined;
  if (!p) return undefined;
  const record = (p.failure as Record<string, unknown> | undefined) ?? p;
  return typeof record.error === 'string' ? record : undefined;
}

/** Every (Task, Catch) whose failure state takes its cause from the caught error. */
function casesOf(definition: AslDefinition): Case[] {
  const cases: Case[] = [];
  for (const [task, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task' || !state.Resource) continue;
    const retried = new Set((state.Retry ?? []).flatMap((r) => r.ErrorEquals));
    const handled = new Set<string>();
    for (const c of state.Catch ?? []) {
      const record = failureRecord(definition.States[c.Next]);
      // Its cause comes from the caught error: left to `Cause recorded?`, or (as before that existed) read
      // from `$.caught` by the failure state itself.
      const fromCaught =
        record !== undefined &&
        !('cause' in record) &&
        (!('cause.$' in record) || String(record['cause.$']).includes('$.caught'));
      if (record && fromCaught) {
        const candidates = c.ErrorEquals.includes('States.ALL')
          ? [...matchableErrors(calledOperation(state.Resource))]
              .filter((e) => !e.startsWith('States.') && !handled.has(e))
              .sort()
          : [...c.ErrorEquals];
        const inject = candidates.find((e) => !retried.has(e)) ?? candidates[0];
        if (!inject) throw new Error(`${task}: no error to inject for its Catch into ${c.Next}`);
        // The first retrier that matches, as Step Functions picks it (States.TaskFailed matches any Task error).
        const retrier = (state.Retry ?? []).find((r) =>
          r.ErrorEquals.some((e) => e === inject || e === 'States.TaskFailed' || e === 'States.ALL'),
        );
        const times = retrier ? (retrier.MaxAttempts ?? 3) + 1 : 1;
        cases.push({ task, failureState: c.Next, expected: record.error as string, inject, times });
      }
      for (const e of c.ErrorEquals) handled.add(e);
    }
  }
  return cases;
}

const workflows = [
  ['enable', () => streamDeployments().enable, 'Activity stream FAILED'],
  ['disable', () => streamDeployments().disable, 'Activity stream disable FAILED'],
] as const;

describe.each(workflows)(
  'the %s workflow, a caught error without a Cause',
  (workflow, deployment, subject) => {
    const cases = casesOf(deployment().definition);

    it('has failure states that take their cause from a caught error, each reachable here (sanity)', () => {
      expect(cases.length).toBeGreaterThanOrEqual(12);
      expect(cases.filter((c) => !REACH[workflow][c.task]).map((c) => c.task)).toEqual([]);
    });

    it.each(cases.map((c) => [c.failureState, c.expected, c.task, c.inject, c] as const))(
      '%s ends %s when %s fails with %s and no Cause: lock released (or left to expire), operators notified',
      async (_state, expected, task, inject, c: Case) => {
        const reach = REACH[workflow][task] as Reach;
        const d: StreamDeployment = deployment();
        const s =
          workflow === 'disable'
            ? disableScenario({ mapping: reach.mapping ?? 'Enabled' })
            : streamScenario(d, {});
        if (workflow === 'enable' && reach.mapping) {
          s.world.lambda.seedMapping(d.decryptFunction, d.streamArn, false);
        }
        s.world.before(reach.target, (n) => {
          if (n === reach.nth) {
            s.world.faults.inject({ target: reach.target, error: inject, cause: null, times: c.times });
          }
        });
        const run = await s.run({
          clusterIdentifier: CLUSTER,
          window: reach.window ?? 'now',
          changeTicket: 'CHG-7',
          requestedBy: 'carol',
        });

        // The fault was really raised, at that Task, without a Cause.
        const failedCalls = s.world.calls.filter((call) => call.error === inject);
        expect(failedCalls.map((call) => call.stateName)).toEqual(Array(c.times).fill(task));
        expect(run.states).toContain(c.failureState);

        expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: expected });
        expect(run.cause).toBe(`${inject} (the service gave no cause)`);
        expect(s.world.sns.messages).toHaveLength(1);
        const [message] = s.world.sns.messages;
        expect(message?.attributes).toMatchObject({ outcome: 'FAILED', error: expected });
        expect(message?.subject).toMatch(new RegExp(`^\\[aurora-audit\\] ${subject}: `));
        expect(message?.message).toContain(`Error: ${expected}`);
        expect(message?.message).toContain(`Cause: ${inject} (the service gave no cause)`);
        expect(message?.message).toMatch(/^What to do: .+/m);

        if (expected === 'LockReleaseFailed') {
          // The release itself failed: the lock stays until it expires (the advice says so).
          expect(s.locks()).toEqual([expect.objectContaining({ Owner: { S: run.executionArn } })]);
        } else {
          expect(s.locks()).toEqual([]);
        }
      },
    );
  },
);
