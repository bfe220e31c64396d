/**
 * The error names a compliance-report run can end with (the execution's `error`, the failure notification's
 * `Error:` line and its `error` message attribute), when each happens and what to do. A failed Athena query
 * is not among them: it becomes a FAILED section of a report that is still sent (and the operators are told
 * the report is incomplete).
 */
export interface ReportErrorInfo {
  /** When the run ends with this error. */
  readonly when: string;
  /** What to do: sent in the failure notification. */
  readonly advice: string;
}

export const REPORT_ERRORS = {
  InvalidInput: {
    when: 'a field of the input is malformed (period, dates, time zone), names a cluster that is not configured, or the period is not over yet',
    advice:
      'Fix the field named in the cause and start a new execution. No query was run and no report was sent.',
  },
  PreparationFailed: {
    when: 'the report Lambda failed while preparing the run (a bug or its settings), not because of the input',
    advice:
      "Read the report Lambda's log group for the error, then start a new execution with the same input. No query was run and no report was sent.",
  },
  SummaryFailed: {
    when: "the period summary (the run's one query over the stored events, a CREATE TABLE AS) failed or timed out: no section can be computed without it",
    advice:
      "Read the cause (the Athena query's state change reason; the workgroup's query history has the query), fix it (e.g. the bytes-scanned cutoff, Glue or S3 permissions), then start a new execution with the same input. No report was sent; the run's summary table was dropped.",
  },
  QueriesFailed: {
    when: 'the Map of report queries failed as a whole (an error Step Functions raises on the Map, e.g. States.DataLimitExceeded when the sections outgrow the 256 KiB payload; not a failed query: those become FAILED sections)',
    advice:
      'Open the execution in the Step Functions console to see which iteration failed and why, then start a new execution. No report was sent.',
  },
  RenderFailed: {
    when: 'the report Lambda failed to read the results, render, archive or send the report (SES refused the message, S3 or KMS denied, a bug)',
    advice:
      "Read the report Lambda's log group: an SES MessageRejected means the sender identity is not verified (or the account is in the SES sandbox and a recipient is not verified). The queries ran; to retry, start a new execution with from and to set to the period's dates (the subject names them): the same period input on another day would report another period. Objects already archived under reports/ by this run may be incomplete.",
  },
  NotificationFailed: {
    when: 'the report was sent, but the notice that some of its sections failed could not be published',
    advice:
      'The report was sent and archived with FAILED sections. Check the topic, its key policy and the state machine role; see the execution output for the sections.',
  },
} as const satisfies Record<string, ReportErrorInfo>;

export type ReportErrorName = keyof typeof REPORT_ERRORS;
export const REPORT_ERROR_NAMES = Object.keys(REPORT_ERRORS) as ReportErrorName[];
