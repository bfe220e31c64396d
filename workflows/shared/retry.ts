/**
 * Retry policies shared by aurora-audit's state machines. Step Functions matches the error names of its
 * integrations, which are NOT the API reference's: AWS SDK integrations (`arn:aws:states:::aws-sdk:…`) name
 * errors after the AWS SDK for Java v2 (`Rds.DbClusterNotFoundException`, `Rds.RdsException` for anything
 * without its own class, throttling included), optimized integrations after the service
 * (`DynamoDB.ConditionalCheckFailedException`, `SNS.…`). See ../shared/reference FACTS "Step Functions, locally".
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/** Error names that mean "slow down and try again", per integration. */
export const THROTTLING_ERRORS = {
  /** RDS throttling arrives as the generic `Rds.RdsException` (code `Throttling`) in the Java SDK v2. */
  rds: ['Rds.ThrottlingException', 'Rds.RdsException'],
  kinesis: ['Kinesis.LimitExceededException', 'Kinesis.KinesisException'],
  /** Lambda control-plane API (event source mappings). */
  lambda: ['Lambda.TooManyRequestsException', 'Lambda.ServiceException', 'Lambda.LambdaException'],
  /** Optimized DynamoDB integration. */
  dynamodb: [
    'DynamoDB.ProvisionedThroughputExceededException',
    'DynamoDB.ThrottlingException',
    'DynamoDB.RequestLimitExceeded',
    'DynamoDB.InternalServerErrorException',
  ],
  /** Optimized SNS integration (a KMS-encrypted topic can also throttle on KMS). */
  sns: ['SNS.ThrottledException', 'SNS.KMSThrottlingException', 'SNS.InternalErrorException'],
  /** Lambda invoke (on top of the retries LambdaInvoke adds for service errors). */
  lambdaInvoke: ['Lambda.TooManyRequestsException'],
  /**
   * Optimized Athena integration (`athena:startQueryExecution.sync`): throttling and the concurrent-query
   * limit are `TooManyRequestsException`; unmodeled errors (e.g. `ThrottlingException`) arrive as the
   * generic `Athena.AmazonAthenaException`. A query that ran and FAILED is `States.TaskFailed`: not retried.
   */
  athena: [
    'Athena.TooManyRequestsException',
    'Athena.InternalServerException',
    'Athena.AmazonAthenaException',
  ],
} as const;

export type ThrottledService = keyof typeof THROTTLING_ERRORS;

/** Every throttling name, for the definition test that checks each Task retries throttling. */
export const ALL_THROTTLING_ERRORS: readonly string[] = Object.values(THROTTLING_ERRORS).flat();

export interface ThrottlingRetryOptions {
  /** @default Duration.seconds(2) */
  readonly interval?: Duration;
  /** @default 6 */
  readonly maxAttempts?: number;
  /** @default Duration.seconds(60) */
  readonly maxDelay?: Duration;
}

/** A state with a `Retry` field: a Task, or a CustomState Task. */
export interface Retryable {
  addRetry(props?: sfn.RetryProps): unknown;
}

/** Adds a retry with exponential backoff and full jitter for `service`'s throttling errors. */
export function retryThrottling<T extends Retryable>(
  state: T,
  service: ThrottledService,
  options: ThrottlingRetryOptions = {},
): T {
  state.addRetry({
    errors: [...THROTTLING_ERRORS[service]],
    interval: options.interval ?? Duration.seconds(2),
    maxAttempts: options.maxAttempts ?? 6,
    backoffRate: 2,
    maxDelay: options.maxDelay ?? Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return state;
}
