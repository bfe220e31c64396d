/**
 * The plan Lambda's work, as a factory over its settings and a clock (tests and the local workflow harness
 * pass a simulated one). Two actions, both pure computation:
 * - `validate`: checks the execution input of the enable or disable workflow (`workflow`) against the
 *   configuration and returns the normalized request and the lock timing;
 * - `plan`: computes when to start from the request and the cluster's `PreferredMaintenanceWindow`.
 * Bad input is a result (`valid: false`, `problem` naming the field), not an exception: the state machine
 * routes it to the `InvalidInput` failure. Anything thrown is a bug, caught by the state machine.
 */
import { planWindow, WindowPlanningError, type WindowRequest } from '../core/maintenance-window';
import type { PlanEvent, PlanLambdaEvent, PlanResult } from './contract';
import type { PlanSettings } from './settings';
import {
  STREAM_WORKFLOWS,
  streamRequestRules,
  type ValidationResult,
  validateStreamRequest,
} from './stream-request';

export type { PlanEvent, PlanLambdaEvent, PlanResult, ValidateEvent } from './contract';

export class UnknownActionError extends Error {
  override readonly name = 'UnknownActionError';
}

export function createPlanHandler(settings: PlanSettings, clock: () => Date = () => new Date()) {
  const rules = streamRequestRules(settings);
  function plan(event: PlanEvent): PlanResult {
    const now = clock();
    const window = event.request?.window as WindowRequest | undefined;
    const fixed = settings.WINDOW_POLICY === 'fixed';
    try {
      const planned = planWindow({
        request: window ?? { kind: 'next' },
        weeklyWindow: fixed ? settings.FIXED_WINDOW : event.cluster?.PreferredMaintenanceWindow,
        weeklyWindowSource: fixed
          ? 'the configured fixed window (maintenanceWindow.fixedWindow)'
          : "the cluster's PreferredMaintenanceWindow",
        now,
        minMinutesLeft: settings.MIN_MINUTES_LEFT,
        maxWaitSeconds: settings.MAX_WAIT_SECONDS,
      });
      return { valid: true, problem: '', ...planned, endAt: planned.endAt ?? '' };
    } catch (err) {
      if (!(err instanceof WindowPlanningError)) throw err;
      return {
        valid: false,
        problem: err.message,
        immediate: false,
        startAt: now.toISOString(),
        endAt: '',
        waitSeconds: 0,
        description: '',
      };
    }
  }

  return async (event: PlanLambdaEvent): Promise<ValidationResult | PlanResult> => {
    switch (event?.action) {
      case 'validate': {
        const workflow = event.workflow ?? 'enable-activity-stream';
        if (!STREAM_WORKFLOWS.includes(workflow)) {
          throw new UnknownActionError(
            `unknown workflow ${JSON.stringify(workflow)}: expected ${STREAM_WORKFLOWS.join(' or ')}`,
          );
        }
        return validateStreamRequest(event.input, rules, clock(), workflow);
      }
      case 'plan':
        return plan(event);
      default:
        throw new UnknownActionError(
          `unknown action ${JSON.stringify((event as { action?: unknown } | undefined)?.action)}: expected validate or plan`,
        );
    }
  };
}
