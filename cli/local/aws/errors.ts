/**
 * Errors as Step Functions reports them to `Retry`/`Catch`: `name` is the error (`Rds.DbClusterNotFoundException`,
 * `DynamoDB.ConditionalCheckFailedException`), `message` the cause, worded like the service's. A `null` message
 * makes an error without a Cause (the States Language makes `Cause` optional): the error output a Catch
 * records then has `Error` only, as AWS may send it.
 */
export class AwsServiceError extends Error {
  constructor(
    override readonly name: string,
    message: string | null,
  ) {
    super(message ?? '');
    // The executor copies `message` into the error output's Cause: undefined leaves Cause out.
    if (message === null) Object.defineProperty(this, 'message', { value: undefined });
  }
}

let requestCounter = 0;
/** A request id for causes, deterministic within a process. */
export function requestId(): string {
  requestCounter += 1;
  return `00000000-0000-4000-8000-${requestCounter.toString(16).padStart(12, '0')}`;
}

/** `<message> (Service: Rds, Status Code: 400, Request ID: …)`, as the AWS SDK for Java v2 words causes. */
export function sdkCause(service: string, status: number, message: string): string {
  return `${message} (Service: ${service}, Status Code: ${status}, Request ID: ${requestId()})`;
}

/** A fault to inject into calls of `target` (`<service>:<action>`, e.g. `rds:startActivityStream`). */
export interface Fault {
  readonly target: string;
  /** The Step Functions error name, e.g. `Rds.ThrottlingException`. */
  readonly error: string;
  /** @default a generic cause naming the error; `null` for an error without a Cause */
  readonly cause?: string | null;
  /** How many matching calls fail. @default 1; Infinity for every call. */
  readonly times?: number;
  /** Only calls whose parameters match. */
  readonly when?: (params: Record<string, unknown>) => boolean;
}

export class FaultInjector {
  private readonly faults: { fault: Fault; left: number }[] = [];

  inject(fault: Fault): this {
    this.faults.push({ fault, left: fault.times ?? 1 });
    return this;
  }

  /** `times` calls of `target` fail with a throttling error. */
  throttle(target: string, times: number, error = defaultThrottlingError(target)): this {
    return this.inject({ target, error, times, cause: 'Rate exceeded' });
  }

  /** Throws the first live fault matching the call, consuming it. */
  check(target: string, params: Record<string, unknown>): void {
    for (const entry of this.faults) {
      if (entry.left <= 0 || entry.fault.target !== target) continue;
      if (entry.fault.when && !entry.fault.when(params)) continue;
      entry.left -= 1;
      throw new AwsServiceError(
        entry.fault.error,
        entry.fault.cause === undefined ? `injected fault: ${entry.fault.error}` : entry.fault.cause,
      );
    }
  }

  clear(): void {
    this.faults.length = 0;
  }
}

/**
 * How throttling reaches Step Functions, per service, in the spelling of the integration the workflows use for
 * it (see workflows/shared/retry.ts): RDS declares no throttling error, so its `Throttling` code arrives as the
 * base `Rds.RdsException`; SNS Publish declares none either (`SNS.AmazonSNSException`), nor does Step Functions'
 * StartExecution (`Sfn.SfnException`).
 */
function defaultThrottlingError(target: string): string {
  const service = target.split(':')[0];
  switch (service) {
    case 'rds':
      return 'Rds.RdsException';
    case 'kinesis':
      return 'Kinesis.LimitExceededException';
    case 'rdsdata':
      return 'RdsData.RdsDataException';
    case 'lambda':
      return 'Lambda.TooManyRequestsException';
    case 'dynamodb':
      return 'DynamoDB.ThrottlingException';
    case 'sns':
      return 'SNS.AmazonSNSException';
    case 'athena':
      return 'Athena.TooManyRequestsException';
    case 'sfn':
      return 'Sfn.SfnException';
    default:
      throw new Error(`FaultInjector: no default throttling error for ${target}`);
  }
}
