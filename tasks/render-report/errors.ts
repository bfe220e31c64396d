/**
 * The report Lambda's errors. Their `name` is what the state machine's Retry and Catch match (Lambda
 * reports it as the error type). Every AWS failure is wrapped in the error of the step it happened in, so the
 * state machine needs to know these names only; the AWS error's own name (e.g. `ThrottlingException`) is
 * kept in `awsError` and in the message, and `retryable` says whether trying again can help.
 *
 * | name                       | when                                                   | retry?                  |
 * | -------------------------- | ------------------------------------------------------ | ----------------------- |
 * | `InvalidReportEventError`  | the event is not a prepare or render event of the contract | no (a workflow bug) |
 * | `ReportQueryResultsError`  | `GetQueryResults` failed or returned malformed pages   | yes (throttling, 5xx)   |
 * | `ReportRenderError`        | the chart could not be rendered (assets, WebAssembly)  | no                      |
 * | `ReportArchiveError`       | an archive `PutObject` failed; nothing was sent        | yes                     |
 * | `ReportSendError`          | `SendRawEmail` failed; the archive is complete         | yes (idempotent archive; a retry may send twice if SES accepted but the answer was lost) |
 *
 * Bad execution input is not an error: `prepare` returns `valid: false` and the problem.
 */

export class InvalidReportEventError extends Error {
  override readonly name = 'InvalidReportEventError';
}

/** A failure of one AWS call, with the AWS error's name. */
abstract class ReportAwsStepError extends Error {
  readonly awsError: string;
  readonly retryable: boolean;
  constructor(message: string, cause: unknown) {
    const awsError = (cause as { name?: unknown } | undefined)?.name;
    const name = typeof awsError === 'string' ? awsError : 'Error';
    super(`${message}: ${name}: ${(cause as Error | undefined)?.message ?? String(cause)}`, { cause });
    this.awsError = name;
    const meta = (cause as { $retryable?: unknown; $fault?: unknown } | undefined) ?? {};
    this.retryable =
      Boolean(meta.$retryable) ||
      meta.$fault === 'server' ||
      /Throttl|TooManyRequests|RequestLimitExceeded|SlowDown|ServiceUnavailable|InternalServer|Timeout|ECONNRESET/i.test(
        name,
      );
  }
}

export class ReportQueryResultsError extends ReportAwsStepError {
  override readonly name = 'ReportQueryResultsError';
}

export class ReportArchiveError extends ReportAwsStepError {
  override readonly name = 'ReportArchiveError';
}

export class ReportSendError extends ReportAwsStepError {
  override readonly name = 'ReportSendError';
}

export class ReportRenderError extends Error {
  override readonly name = 'ReportRenderError';
}
