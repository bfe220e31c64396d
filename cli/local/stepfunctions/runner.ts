/**
 * Runs a synthesized state machine definition locally with `aws-local-stepfunctions`, in simulated time.
 *
 * - Every Task state is answered by `dispatch` (the simulators, see ../simulators), given the state's name,
 *   its `Resource` ARN and its effective input (after InputPath and Parameters).
 * - Wait states do not sleep: the harness reads what each was given (Seconds, Timestamp, SecondsPath,
 *   TimestampPath) from the execution's event log, advances the simulated clock and records it.
 *   Retry back-offs advance the clock the same way (IntervalSeconds × BackoffRate^n, capped by MaxDelaySeconds).
 *   The clock is brought up to date before each Task runs, so simulators always see the right time.
 * - `$$.State.EnteredTime` reads the simulated clock (as of the last Task); `$$.Execution.Id`, `.Name` and
 *   `.Input` are set.
 * - Task states inside Map iterators and Parallel branches are answered the same way (by state name). `$$.Execution.StartTime` is the executor's real time: definitions should not depend on it.
 * - The definition's `TimeoutSeconds` is enforced on the simulated clock (the run ends `TIMED_OUT`).
 * - A run returns once every Task call it made has been answered, those of iterations a failing Map aborted
 *   included (a simulator is never left working after the run).
 * - `States.DataLimitExceeded` is matched only by a Catch or Retry naming it, never by `States.ALL` (as in AWS;
 *   the package matches it like any error: see executor.ts). A simulator raises it like any other fault.
 * The executor needs `Promise.withResolvers` (Node 22); it is polyfilled here for Node 20.
 */
import type { SimClock } from './clock';
import { type LocalStepFunctions, localStepFunctions } from './executor';
import { readPath } from './path';
import type { AslDefinition, AslState } from './template';

if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

type LocalStateMachine = InstanceType<LocalStepFunctions['StateMachine']>;
// The package's CommonJS build (it is ESM-typed), with `States.DataLimitExceeded` matched as AWS does
// (executor.ts).
const { StateMachine } = localStepFunctions();

/** Validating a definition is the slow part of constructing a state machine: once per definition. */
const machines = new WeakMap<AslDefinition, LocalStateMachine>();

/** A Task state to answer. */
export interface TaskCall {
  readonly stateName: string;
  /** The state's `Resource`, e.g. `arn:aws:states:::aws-sdk:rds:describeDBClusters`. */
  readonly resource: string;
  /** The effective input: the state's `Parameters` evaluated. */
  readonly input: unknown;
  readonly executionArn: string;
}

/** Answers Task states; throws an error whose `name` is the Step Functions error (`Rds.ThrottlingException`). */
export type TaskDispatcher = (call: TaskCall) => Promise<unknown> | unknown;

export interface WaitRecord {
  readonly state: string;
  /** What the state was given: `seconds` (Seconds, SecondsPath) or `timestamp` (Timestamp, TimestampPath). */
  readonly kind: 'seconds' | 'timestamp';
  readonly seconds?: number;
  readonly timestamp?: string;
  /** Simulated time when the wait started and ended. */
  readonly from: string;
  readonly until: string;
}

export interface RetryRecord {
  readonly state: string;
  readonly error: string;
  /** 1 for the first retry. */
  readonly attempt: number;
  readonly delaySeconds: number;
  readonly at: string;
}

export interface ExecutionEvent {
  readonly type: string;
  readonly state?: {
    readonly name: string;
    readonly type: string;
    readonly input?: unknown;
    readonly output?: unknown;
  };
  readonly Error?: string;
  readonly Cause?: unknown;
  readonly retry?: { readonly retrier: NonNullable<AslState['Retry']>[number]; readonly attempt: number };
}

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionResult {
  readonly executionArn: string;
  readonly status: ExecutionStatus;
  readonly output?: unknown;
  /** The execution's error (a Fail state's `Error`, or a States.* error). */
  readonly error?: string;
  readonly cause?: string;
  readonly startedAt: string;
  readonly stoppedAt: string;
  /** Names of the states entered, in order (a state entered twice appears twice). */
  readonly states: readonly string[];
  /** State transitions as Step Functions bills them: states entered plus retries. */
  readonly transitions: number;
  readonly waits: readonly WaitRecord[];
  readonly retries: readonly RetryRecord[];
  readonly events: readonly ExecutionEvent[];
}

export interface LocalWorkflowOptions {
  readonly clock: SimClock;
  readonly dispatch: TaskDispatcher;
  /** @default arn:aws:states:eu-west-1:123456789012:stateMachine:local */
  readonly stateMachineArn?: string;
}

export interface RunOptions {
  /** Execution name. @default run-<n> */
  readonly name?: string;
  /**
   * Called with each execution event once the harness has handled it (so a Wait's simulated time has
   * passed), e.g. to show progress. Observes only: it cannot change the run.
   */
  readonly onEvent?: (event: ExecutionEvent, simulatedTime: string) => void;
}

export class LocalWorkflow {
  private readonly machine: LocalStateMachine;
  private runs = 0;
  readonly timeoutSeconds: number | undefined;

  constructor(
    readonly definition: AslDefinition,
    private readonly options: LocalWorkflowOptions,
  ) {
    if (
      definition.QueryLanguage === 'JSONata' ||
      Object.values(definition.States).some((s) => s.QueryLanguage === 'JSONata')
    ) {
      throw new Error(
        'LocalWorkflow: JSONata states are not supported by the local executor (it runs them wrongly)',
      );
    }
    // The executor would enforce TimeoutSeconds on the real clock: the harness does it on the simulated one.
    const { TimeoutSeconds, ...rest } = definition;
    this.timeoutSeconds = TimeoutSeconds;
    const cached = machines.get(definition);
    this.machine =
      cached ??
      new StateMachine(rest as ConstructorParameters<typeof StateMachine>[0], {
        validationOptions: { checkArn: true, checkPaths: true },
      });
    machines.set(definition, this.machine);
  }

  /** The names of the definition's states of a type. */
  statesOfType(type: AslState['Type']): string[] {
    return Object.entries(this.definition.States)
      .filter(([, s]) => s.Type === type)
      .map(([name]) => name);
  }

  async run(input: unknown, runOptions: RunOptions = {}): Promise<ExecutionResult> {
    const { clock } = this.options;
    const name = runOptions.name ?? `run-${++this.runs}`;
    const stateMachineArn =
      this.options.stateMachineArn ?? 'arn:aws:states:eu-west-1:123456789012:stateMachine:local';
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const startedAt = clock.iso();
    const deadlineMs =
      this.timeoutSeconds === undefined ? undefined : clock.nowMs() + this.timeoutSeconds * 1000;
    const events: ExecutionEvent[] = [];
    const waits: WaitRecord[] = [];
    const retries: RetryRecord[] = [];
    const context = {
      Execution: {
        Id: executionArn,
        Name: name,
        RoleArn: `${stateMachineArn}-role`,
        Input: JSON.parse(JSON.stringify(input ?? {})),
      },
      StateMachine: { Id: stateMachineArn, Name: stateMachineArn.split(':').pop() },
      // A getter: read when a path refers to it.
      State: {
        get EnteredTime() {
          return clock.iso();
        },
      },
    };
    let timedOut = false;

    const onEvent = (event: ExecutionEvent) => {
      events.push(event);
      if (event.type === 'StateEntered' && event.state?.type === 'Wait') {
        waits.push(this.applyWait(event.state.name, event.state.input, context));
      } else if (event.type === 'StateRetried' && event.state && event.retry) {
        const { retrier, attempt } = event.retry;
        const delay = Math.min(
          (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** (attempt - 1),
          retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY,
        );
        const failedEvent = [...events].reverse().find((e) => e.type === 'StateFailed');
        clock.advanceBy(delay);
        retries.push({
          state: event.state.name,
          error: failedEvent?.Error ?? 'unknown',
          attempt,
          delaySeconds: delay,
          at: clock.iso(),
        });
      }
      if (deadlineMs !== undefined && clock.nowMs() > deadlineMs && !timedOut) {
        timedOut = true;
        execution.abort();
      }
      runOptions.onEvent?.(event, clock.iso());
    };

    // Calls still being answered: a Map that fails aborts its other iterations, whose calls may still be
    // running in a simulator (a query on the SQL engine); the run returns once they are done.
    const inflight = new Set<Promise<unknown>>();
    const taskHandlers = new Proxy(
      {},
      {
        get: (_target, stateName) => {
          if (typeof stateName !== 'string') return undefined;
          // Top-level states, and those of Map iterators and Parallel branches (names are unique).
          const state = this.definition.States[stateName] ?? nestedStates(this.definition).get(stateName);
          if (state?.Type !== 'Task' || !state.Resource) return undefined;
          return async (taskInput: unknown) => {
            // Let the event log catch up (Wait states, retries) so the clock is current.
            await new Promise((resolve) => setImmediate(resolve));
            if (timedOut) throw new HarnessError('Harness.ExecutionTimedOut', 'the execution timed out');
            const call = Promise.resolve(
              this.options.dispatch({
                stateName,
                resource: state.Resource as string,
                input: taskInput,
                executionArn,
              }),
            );
            inflight.add(call);
            try {
              const result = await call;
              return JSON.parse(JSON.stringify(result ?? null));
            } finally {
              inflight.delete(call);
            }
          };
        },
      },
    );
    const zero = new Proxy({}, { get: (_t, key) => (typeof key === 'string' ? 0 : undefined) });

    const execution = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: taskHandlers as never,
        waitTimeOverrides: zero as never,
        retryIntervalOverrides: zero as never,
      },
      context: context as never,
      noThrowOnAbort: true,
    });
    const consumer = (async () => {
      for await (const event of execution.eventLogs) onEvent(event as ExecutionEvent);
    })();

    let status: ExecutionStatus = 'SUCCEEDED';
    let output: unknown;
    try {
      output = await execution.result;
      if (output === null && timedOut) status = 'TIMED_OUT';
    } catch {
      status = 'FAILED';
    }
    await consumer;
    await Promise.allSettled([...inflight]);
    const terminal = events.find((e) => e.type === 'ExecutionFailed' || e.type === 'ExecutionAborted');
    if (timedOut) status = 'TIMED_OUT';
    else if (terminal?.type === 'ExecutionAborted') status = 'ABORTED';
    const states = events.filter((e) => e.type === 'StateEntered').map((e) => e.state?.name ?? '?');
    return {
      executionArn,
      status,
      output: status === 'SUCCEEDED' ? output : undefined,
      error: status === 'FAILED' ? terminal?.Error : status === 'TIMED_OUT' ? 'States.Timeout' : undefined,
      cause: status === 'FAILED' ? stringify(terminal?.Cause) : undefined,
      startedAt,
      stoppedAt: clock.iso(),
      states,
      transitions: states.length + retries.length,
      waits,
      retries,
      events,
    };
  }

  /** Works out what a Wait state was given and advances the clock to its end. */
  private applyWait(name: string, rawInput: unknown, context: unknown): WaitRecord {
    const { clock } = this.options;
    const state = this.definition.States[name];
    if (!state) throw new Error(`LocalWorkflow: no state ${name}`);
    const input = state.InputPath ? readPath(state.InputPath, rawInput, context) : rawInput;
    const from = clock.iso();
    if (state.Seconds !== undefined || state.SecondsPath !== undefined) {
      const seconds =
        state.Seconds !== undefined
          ? state.Seconds
          : Number(readPath(state.SecondsPath as string, input, context));
      clock.advanceBy(seconds);
      return { state: name, kind: 'seconds', seconds, from, until: clock.iso() };
    }
    const timestamp = String(
      state.Timestamp !== undefined
        ? state.Timestamp
        : readPath(state.TimestampPath as string, input, context),
    );
    clock.advanceTo(timestamp);
    return { state: name, kind: 'timestamp', timestamp, from, until: clock.iso() };
  }
}

/** The states of a definition's Map iterators and Parallel branches, at any depth, by name. */
export function nestedStates(definition: Pick<AslDefinition, 'States'>): Map<string, AslState> {
  const found = new Map<string, AslState>();
  const visit = (states: Record<string, AslState>, nested: boolean) => {
    for (const [name, state] of Object.entries(states)) {
      if (nested) found.set(name, state);
      const processor = (state.ItemProcessor ?? state.Iterator) as
        | { States?: Record<string, AslState> }
        | undefined;
      if (processor?.States) visit(processor.States, true);
      for (const branch of (state.Branches ?? []) as { States: Record<string, AslState> }[])
        visit(branch.States, true);
    }
  };
  visit(definition.States, false);
  return found;
}

/** An error Step Functions would match by `name` (`Retry`/`Catch` `ErrorEquals`); `message` is its cause. */
export class HarnessError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

function stringify(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  return typeof cause === 'string' ? cause : cause instanceof Error ? cause.message : JSON.stringify(cause);
}
