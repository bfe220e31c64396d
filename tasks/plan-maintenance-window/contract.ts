/**
 * The contract between the enable and disable workflows (`workflows/shared/stream-workflow.ts`, the states
 * `Validate input` and `Plan window` / `Plan stop`) and the plan Lambda (`tasks/plan-maintenance-window/`):
 * the events the state machines send and the results they read. Both sides import these types: the
 * definitions' `Parameters` objects are checked with `satisfies` against the events, their `ResultSelector`
 * fields against the results.
 *
 * The run:
 * 1. `validate`: the execution input, as given, with the workflow it is for → {@link ValidationResult}, kept
 *    whole (`OutputPath: $.Payload`): the states read `$.valid`, `$.problem`, `$.request.*` and `$.lock.*`.
 * 2. `plan`: the validated request and the cluster as `rds:describeDBClusters` returned it →
 *    {@link PlanResult} under `$.plan`; the Wait state reads `$.plan.startAt` (RFC 3339).
 */
import type { StreamRequest, StreamWorkflow, ValidationResult } from './stream-request';

export type { StreamRequest, StreamWorkflow, ValidationResult };

export interface ValidateEvent {
  readonly action: 'validate';
  /** Which workflow's input this is. @default 'enable-activity-stream' */
  readonly workflow?: StreamWorkflow;
  /** The execution input, as given. */
  readonly input: unknown;
}

export interface PlanEvent {
  readonly action: 'plan';
  readonly request: Pick<StreamRequest, 'window'>;
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
