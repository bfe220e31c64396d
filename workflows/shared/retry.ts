/**
 * Retry policies shared by aurora-audit's state machines. Step Functions matches the error names of its
 * integrations, which are NOT the API reference's:
 * - AWS SDK integrations (`arn:aws:states:::aws-sdk:…`) name errors `<Service>.<AWS SDK for Java v2 class>`:
 *   the error shape's name in Java v2 PascalCase, `Fault` turned into `Exception` (`DBClusterNotFoundFault` →
 *   `Rds.DbClusterNotFoundException`). An error the operation does not declare — throttling included when the
 *   service declares none, as RDS — arrives as the service's base exception (`Rds.RdsException`).
 * - Optimized integrations (`arn:aws:states:::dynamodb:putItem`, `sns:publish`, `athena:…`, `lambda:invoke`)
 *   use their own prefix (`DynamoDB.`, `SNS.`, `Athena.`, `Lambda.`) and the error as the service reports it.
 *   Whether that is the wire code or the SDK class name (`DynamoDB.InternalServerError` or
 *   `DynamoDB.InternalServerErrorException`) is not documented and cannot be known offline: every transient
 *   error is retried in each spelling.
 * Every name here is checked against the errors each called operation declares in the AWS service models
 * (test/workflows/service-model.test.ts, table from botocore by test/workflows/service-model/generate.py).
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/** Error names that mean "slow down and try again", per integration. */
export const THROTTLING_ERRORS = {
  /**
   * RDS declares no throttling error (and DescribeDBClusters/Instances declare only NotFound): throttling
   * (code `Throttling`) arrives as the base `Rds.RdsException`. That also retries other undeclared errors
   * (e.g. InvalidParameterCombination) before the Catch sees them: a few wasted attempts, never a lost one.
   */
  rds: ['Rds.RdsException'],
  kinesis: ['Kinesis.LimitExceededException', 'Kinesis.KinesisException'],
  /**
   * RDS Data API (`aws-sdk:rdsdata`, serviceId `RDS Data`): it declares no throttling error, so throttling
   * arrives as the base `RdsData.RdsDataException`; its 5xx (`ServiceUnavailableError`,
   * `InternalServerErrorException`), the writer being unavailable (`DatabaseUnavailableException`, e.g. a
   * failover) and a paused Serverless v2 writer resuming (`DatabaseResumingException`, "wait a few seconds and
   * try again") are transient too. The canary's statements change nothing when run twice.
   */
  rdsData: [
    'RdsData.RdsDataException',
    'RdsData.ServiceUnavailableErrorException',
    'RdsData.InternalServerErrorException',
    'RdsData.DatabaseUnavailableException',
    'RdsData.DatabaseResumingException',
  ],
  /** Lambda control-plane API (event source mappings). */
  lambda: ['Lambda.TooManyRequestsException', 'Lambda.ServiceException', 'Lambda.LambdaException'],
  /**
   * Optimized DynamoDB integration, each transient error in both spellings (wire code and SDK class) since
   * which one arrives is not documented.
   */
  dynamodb: [
    'DynamoDB.ProvisionedThroughputExceededException',
    'DynamoDB.ThrottlingException',
    'DynamoDB.RequestLimitExceeded',
    'DynamoDB.RequestLimitExceededException',
    'DynamoDB.InternalServerError',
    'DynamoDB.InternalServerErrorException',
  ],
  /**
   * Optimized SNS integration. Publish declares no throttling error of its own (a `Throttling` answer arrives
   * as the base `SNS.AmazonSNSException`); a KMS-encrypted topic can throttle on KMS (`KMSThrottling`), and
   * `InternalError` is SNS's 5xx: both in wire-code and class spelling.
   */
  sns: [
    'SNS.AmazonSNSException',
    'SNS.KMSThrottlingException',
    'SNS.KMSThrottling',
    'SNS.InternalErrorException',
    'SNS.InternalError',
  ],
  /**
   * Step Functions through the AWS SDK integration (`aws-sdk:sfn`, serviceId `SFN`): StartExecution declares no
   * throttling error, so throttling arrives as the base `Sfn.SfnException`; `KmsThrottlingException` (a state
   * machine encrypted with a customer-managed key) and `ExecutionLimitExceededException` (the account's open
   * executions) clear by themselves.
   */
  sfn: ['Sfn.SfnException', 'Sfn.KmsThrottlingException', 'Sfn.ExecutionLimitExceededException'],
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
  /**
   * CloudWatch PutMetricData (`aws-sdk:cloudwatch`): its 5xx `InternalServiceFault` (Java v2
   * `InternalServiceException`); throttling is not declared and arrives as the base `CloudWatch.CloudWatchException`.
   */
  cloudwatch: ['CloudWatch.InternalServiceException', 'CloudWatch.CloudWatchException'],
  /** S3 PutObject (`aws-sdk:s3`) declares no throttling error: `SlowDown` and 5xx arrive as the base `S3.S3Exception`. */
  s3: ['S3.S3Exception'],
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
