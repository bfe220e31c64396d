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
import {
  type EnableRequest,
  STREAM_WORKFLOWS,
  type StreamWorkflow,
  type ValidationResult,
  validateEnableRequest,
} from './enable-request';
import type { PlanSettings } from './settings';

export interface ValidateEvent {
  readonly action: 'validate';
  /** Which workflow's input this is. @default 'enable-activity-stream' */
  readonly workflow?: StreamWorkflow;
  /** The execution input, as given. */
  readonly input: unknown;
}

export interface PlanEvent {
  readonly action: 'plan';
  readonly request: Pick<EnableRequest, 'window'>;
  /** The cluster as `rds:describeDBClusters` returned it (`DbClusters[0]`). */
  readonly cluster: { readonly PreferredMaintenanceWindow?: string };
}

export type PlanLambdaEvent = ValidateEvent | PlanEvent;

export interface PlanResult {
  readonly valid: boolean;
  readonly problem: string;
  readonly immediate: boolean;
  /** RFC 3339 UTC, for the Wait state's `TimestampPath`. */
  readonly startAt: string;
  readonly endAt: string;
  readonly waitSeconds: number;
  readonly description: string;
}

export class UnknownActionError extends Error {
  override readonly name = 'UnknownActionError';
}

export function createPlanHandler(settings: PlanSettings, clock: () => Date = () => new Date()) {
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
        return validateEnableRequest(event.input, settings, clock(), workflow);
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
