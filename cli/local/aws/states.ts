/**
 * Step Functions (`states`), answering the AWS SDK integration `arn:aws:states:::aws-sdk:sfn:startExecution` in
 * Step Functions' spelling: request members after the AWS SDK for Java v2 (`StateMachineArn`, `Name`, `Input`,
 * `TraceHeader`), `Input` a JSON string of at most 262,144 bytes, errors `Sfn.<class>` as the service model
 * (botocore stepfunctions 2016-11-23) declares them for StartExecution, the answer `ExecutionArn` and
 * `StartDate` (both required in the model).
 *
 * It starts nothing itself: each accepted start is recorded in `started`, with the execution ARN a
 * `LocalWorkflow` run of that name gets, for the scenario to run (in AWS the execution runs on its own: the
 * caller does not wait for it).
 */
import { randomUUID } from 'node:crypto';
import type { SimClock } from '../stepfunctions/clock';
import { AwsServiceError, sdkCause } from './errors';

const MEMBERS = new Set(['StateMachineArn', 'Name', 'Input', 'TraceHeader']);
/** StartExecution's `input` (shape SensitiveData): at most this many bytes. */
export const MAX_INPUT_BYTES = 262_144;

export interface StartedExecution {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly executionArn: string;
  /** The parsed input. */
  readonly input: unknown;
  readonly at: string;
}

export class StatesSimulator {
  /** The state machines of the account, by ARN. */
  readonly stateMachines = new Set<string>();
  /** Executions started, in order. */
  readonly started: StartedExecution[] = [];

  constructor(private readonly clock: SimClock) {}

  handlers(): Record<string, (params: Record<string, unknown>) => unknown> {
    return { 'sfn:startExecution': (params) => this.startExecution(params) };
  }

  private startExecution(params: Record<string, unknown>): unknown {
    const unknown = Object.keys(params).filter((k) => !MEMBERS.has(k));
    if (unknown.length > 0) {
      throw new AwsServiceError(
        'States.Runtime',
        `The field(s) ${unknown.join(', ')} are not supported by Step Functions for sfn:startExecution`,
      );
    }
    const arn = params.StateMachineArn;
    if (typeof arn !== 'string') {
      throw new AwsServiceError('Sfn.SfnException', sdkCause('Sfn', 400, 'StateMachineArn must not be null'));
    }
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/.test(arn)) {
      throw new AwsServiceError('Sfn.InvalidArnException', sdkCause('Sfn', 400, `Invalid Arn: '${arn}'`));
    }
    if (!this.stateMachines.has(arn)) {
      throw new AwsServiceError(
        'Sfn.StateMachineDoesNotExistException',
        sdkCause('Sfn', 400, `State Machine Does Not Exist: '${arn}'`),
      );
    }
    const raw = params.Input ?? '{}';
    if (typeof raw !== 'string') {
      throw new AwsServiceError(
        'Sfn.SfnException',
        sdkCause('Sfn', 400, 'Input: a string is expected (the JSON text of the input)'),
      );
    }
    if (Buffer.byteLength(raw) > MAX_INPUT_BYTES) {
      throw new AwsServiceError(
        'Sfn.InvalidExecutionInputException',
        sdkCause('Sfn', 400, `Input exceeds the maximum size of ${MAX_INPUT_BYTES} bytes`),
      );
    }
    let input: unknown;
    try {
      input = JSON.parse(raw);
    } catch {
      throw new AwsServiceError(
        'Sfn.InvalidExecutionInputException',
        sdkCause('Sfn', 400, 'Invalid State Machine Execution Input'),
      );
    }
    const name = typeof params.Name === 'string' ? params.Name : randomUUID();
    const executionArn = `${arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const same = this.started.find((e) => e.executionArn === executionArn);
    if (same && JSON.stringify(same.input) !== JSON.stringify(input)) {
      throw new AwsServiceError(
        'Sfn.ExecutionAlreadyExistsException',
        sdkCause('Sfn', 400, `Execution Already Exists: '${executionArn}'`),
      );
    }
    const at = this.clock.iso();
    if (!same) this.started.push({ stateMachineArn: arn, name, executionArn, input, at });
    return { ExecutionArn: executionArn, StartDate: same?.at ?? at };
  }
}
