/**
 * The compliance-report workflow's states (CDK L2, JSONPath only: the local executor silently mis-runs JSONata).
 *
 *   Prepare report (report Lambda: validate the input, compute the period, plan the period summary's CTAS, the
 *   sections' query strings over its table and its DROP)
 *     → Input valid? → Build period summary (athena:startQueryExecution.sync of the CTAS: the run's one read of
 *       the stored events; a failure → Summary failed)
 *     → Run report queries (Map, at most `maxConcurrency` at once: Run query = athena:startQueryExecution.sync of
 *         the section's query string → a SUCCEEDED section holding only the query execution id; any failure of
 *         the query → a FAILED section with the error and cause, never a failed run)
 *     → Render and send report (report Lambda: reads each section's results with GetQueryResults, renders,
 *       sends with SES, archives)
 *     → Drop period summary (DROP TABLE IF EXISTS; also after Summary failed, Queries failed, Rendering failed;
 *       a failed drop → Notify summary not dropped, and the run goes on) → Run failed? (`$.failure` set → the
 *       failure notification) → Report incomplete? → [Notify incomplete report] → Report sent.
 * Every Task retries throttling and catches everything else into a failure Pass that records the step, the
 * error name (errors.ts), the cause and what to do; the failure chain notifies the operators and fails with
 * that error.
 *
 * Query results never travel through the state payloads (256 KiB limit): the Map keeps query execution ids
 * and error names only (`SectionOutcome` in tasks/render-report/contract.ts).
 *
 * The document the states share, beside the execution input's own fields: `prepared` (the PrepareResult),
 * `summary` (the CTAS's query execution id), `sections` (the Map's SectionOutcome list), `rendered` (the
 * RenderResult), `incomplete`, `failure`, `caught`, `dropCaught`. The Lambda and the notifications read the
 * input from the context (`$$.Execution.Input`), so a field of the input that has one of these names does no harm.
 */
import { Aws, Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type {
  PrepareEvent,
  PrepareResult,
  RenderEvent,
  RenderResult,
} from '../../tasks/render-report/contract';
import { CAUGHT_CAUSE, causeField, type FailureCause, recordCaughtCause } from '../shared/caught-cause';
import { payloadFields } from '../shared/lambda-payload';
import { operatorNotice } from '../shared/notice';
import { retryThrottling } from '../shared/retry';
import { REPORT_ERRORS, type ReportErrorName } from './errors';

/** The terminal error `States.ALL` does not catch (Step Functions Developer Guide, error names). */
export const DATA_LIMIT_EXCEEDED = 'States.DataLimitExceeded';

/** The names of the states, as they appear in the console, the execution history and the local harness. */
export const STATES = {
  prepare: 'Prepare report',
  checkInput: 'Input valid?',
  buildSummary: 'Build period summary',
  runQueries: 'Run report queries',
  runQuery: 'Run query',
  sectionSucceeded: 'Section succeeded',
  queryFailed: 'Query failed',
  sectionFailed: 'Section failed',
  sectionFailedWithoutCause: 'Section failed without cause',
  render: 'Render and send report',
  checkIncomplete: 'Report incomplete?',
  collectFailed: 'Collect failed sections',
  notifyIncomplete: 'Notify incomplete report',
  dropSummary: 'Drop period summary',
  notifyNotDropped: 'Notify summary not dropped',
  runFailed: 'Run failed?',
  succeeded: 'Report sent',
  causeRecorded: 'Cause recorded?',
  caughtCause: 'Caught error and cause',
  caughtWithoutCause: 'Caught error without cause',
  notifyFailure: 'Notify failure',
  failed: 'Failed',
} as const;

export interface ReportDefinitionProps {
  /** The report Lambda (`prepare` and `render`). */
  readonly reportFunction: lambda.IFunction;
  /** The Athena workgroup the run's queries run in. */
  readonly workGroupName: string;
  /** Topic of the failure and incomplete-report notifications (the stack's alert topic). */
  readonly topic: sns.ITopic;
  /** Prefix of notification subjects, `[prefix] …`. */
  readonly subjectPrefix: string;
  /** Queries running at once. */
  readonly maxConcurrency: number;
  /** How long one query may run (queued time included) before its section is FAILED with States.Timeout. */
  readonly queryTimeout: Duration;
}

/** Builds the states under `scope` and returns the start of the chain. */
export function buildReportDefinition(scope: Construct, props: ReportDefinitionProps): sfn.IChainable {
  const prefix = props.subjectPrefix.replace(/[{}'\\\n\r]/g, '');

  // ---------------------------------------------------------------- failure chain
  const failed = new sfn.Fail(scope, STATES.failed, {
    comment: 'Ends the run with the error recorded in $.failure.',
    errorPath: '$.failure.error',
    causePath: '$.failure.cause',
  });
  const notifyFailure = operatorNotice(scope, STATES.notifyFailure, {
    comment: 'Tells the operators: which report, the step, the error, the cause, what to do, the input.',
    topic: props.topic,
    subject: [`[${prefix}] Compliance report FAILED: {}`, sfn.JsonPath.stringAt('$.failure.report')],
    lines: [
      'aurora-audit could not produce the compliance report ({}). No report was sent by this run.',
      'Step: {}',
      'Error: {}',
      'Cause: {}',
      'What to do: {}',
      'Input: {}',
      'Execution: {}',
    ],
    values: [
      sfn.JsonPath.stringAt('$.failure.report'),
      sfn.JsonPath.stringAt('$.failure.step'),
      sfn.JsonPath.stringAt('$.failure.error'),
      sfn.JsonPath.stringAt('$.failure.cause'),
      sfn.JsonPath.stringAt('$.failure.advice'),
      sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$$.Execution.Input')),
      sfn.JsonPath.executionId,
    ],
    workflow: 'compliance-report',
    outcome: 'FAILED',
    attributes: {
      error: sfn.JsonPath.stringAt('$.failure.error'),
    },
  });
  notifyFailure.addRetry({
    errors: [sfn.Errors.TASKS_FAILED],
    interval: Duration.seconds(5),
    maxAttempts: 2,
  });
  // Nothing is left to tell anyone with (the failed-run alarm still fires): end the run with its error.
  notifyFailure.addCatch(failed, { resultPath: '$.notifyError' });
  notifyFailure.next(failed);
  // A Catch's error output may lack `Cause` (optional in the States Language): filled in here, never read raw.
  const toNotifyFailure = recordCaughtCause(
    scope,
    { check: STATES.causeRecorded, withCause: STATES.caughtCause, withoutCause: STATES.caughtWithoutCause },
    '$.failure',
    ['report', 'step', 'error', 'advice'],
    notifyFailure,
  );

  /** What the failure notification calls the report, once Prepare report has named it. */
  const reportName = sfn.JsonPath.format(
    '{} report {} to {}',
    sfn.JsonPath.stringAt('$.prepared.request.periodName'),
    sfn.JsonPath.stringAt('$.prepared.request.period.firstDate'),
    sfn.JsonPath.stringAt('$.prepared.request.period.lastDate'),
  );
  /** A Pass that records the failure, then notifies (after `then`, e.g. dropping the run's summary table). */
  const failure = (
    name: string,
    error: ReportErrorName,
    step: string,
    cause: FailureCause,
    report: string,
    then: sfn.IChainable = toNotifyFailure,
  ) =>
    new sfn.Pass(scope, name, {
      comment: `${error}: ${REPORT_ERRORS[error].when}.`,
      resultPath: '$.failure',
      parameters: { report, step, error, ...causeField(cause), advice: REPORT_ERRORS[error].advice },
    }).next(then);
  const catchInto = (
    state: { addCatch(handler: sfn.IChainable, props?: sfn.CatchProps): unknown },
    target: sfn.IChainable,
  ) => state.addCatch(target, { errors: [sfn.Errors.ALL], resultPath: '$.caught' });

  // ---------------------------------------------------------------- prepare
  const prepareEvent = {
    action: 'prepare',
    input: sfn.JsonPath.objectAt('$$.Execution.Input'),
    executionName: sfn.JsonPath.executionName,
  } satisfies Record<keyof PrepareEvent, unknown>;
  const prepare = new tasks.LambdaInvoke(scope, STATES.prepare, {
    comment:
      'Validates the input against the configuration and the clock, computes the period, lists the query items (report Lambda).',
    lambdaFunction: props.reportFunction,
    payload: sfn.TaskInput.fromObject(prepareEvent),
    // (Not ResultPath `$`: aws-local-stepfunctions 3.0 writes that to a key named `$`.)
    resultSelector: payloadFields<PrepareResult>(['valid', 'problem', 'request', 'summary', 'queries']),
    resultPath: '$.prepared',
  });
  retryThrottling(prepare, 'lambdaInvoke');
  catchInto(
    prepare,
    failure('Preparation failed', 'PreparationFailed', STATES.prepare, CAUGHT_CAUSE, 'input not prepared'),
  );

  // ---------------------------------------------------------------- the run's period summary table
  /** An Athena query string from the state (optimized integration, Run a Job: waits for the query). */
  const athenaQuery = (id: string, comment: string, queryPath: string, resultPath: string | null) =>
    new sfn.CustomState(scope, id, {
      stateJson: {
        Type: 'Task',
        Comment: comment,
        Resource: `arn:${Aws.PARTITION}:states:::athena:startQueryExecution.sync`,
        Parameters: { 'QueryString.$': queryPath, WorkGroup: props.workGroupName },
        TimeoutSeconds: props.queryTimeout.toSeconds(),
        ...(resultPath === null
          ? { ResultPath: null }
          : {
              ResultSelector: { 'queryExecutionId.$': '$.QueryExecution.QueryExecutionId' },
              ResultPath: resultPath,
            }),
      },
    });
  // Success and failure paths alike end here once the summary may exist: then to the failure notification,
  // or to the incomplete-report check (`.otherwise`, below).
  const runFailed = new sfn.Choice(scope, STATES.runFailed).when(
    sfn.Condition.isPresent('$.failure'),
    toNotifyFailure,
  );
  const dropSummary = athenaQuery(
    STATES.dropSummary,
    "DROP TABLE IF EXISTS <the run's summary table> (its Parquet files under <results>/tables/ expire with the results' lifecycle rule); runs on every path once the summary may exist.",
    '$.prepared.summary.dropQuery',
    null,
  );
  retryThrottling(dropSummary, 'athena', { interval: Duration.seconds(5), maxAttempts: 8 });
  const notifyNotDropped = operatorNotice(scope, STATES.notifyNotDropped, {
    comment:
      'The summary table could not be dropped: tells the operators (the report itself is not affected).',
    topic: props.topic,
    subject: [
      `[${prefix}] Compliance report: summary table {} not dropped`,
      sfn.JsonPath.stringAt('$.prepared.summary.table'),
    ],
    lines: [
      "The compliance report run could not drop its period summary table {}. The report's outcome is not affected by this (see the run's other notifications and its execution).",
      'Error: {}',
      'What to do: run this in the Athena console in the report workgroup: {}',
      'Execution: {}',
    ],
    values: [
      sfn.JsonPath.stringAt('$.prepared.summary.table'),
      sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.dropCaught')),
      sfn.JsonPath.stringAt('$.prepared.summary.dropQuery'),
      sfn.JsonPath.executionId,
    ],
    workflow: 'compliance-report',
    outcome: 'SUMMARY_NOT_DROPPED',
  });
  // Nothing more to tell it with: the execution history holds the error; the run goes on.
  notifyNotDropped.addCatch(runFailed, { errors: [sfn.Errors.ALL], resultPath: '$.notDroppedNotifyError' });
  notifyNotDropped.next(runFailed);
  dropSummary.addCatch(notifyNotDropped, { errors: [sfn.Errors.ALL], resultPath: '$.dropCaught' });
  dropSummary.next(runFailed);

  const buildSummary = athenaQuery(
    STATES.buildSummary,
    "CREATE TABLE <the run's summary table> WITH (format = 'PARQUET') AS <period summary>: the one query of the run that reads the stored events (both periods, once).",
    '$.prepared.summary.createQuery',
    '$.summary',
  );
  retryThrottling(buildSummary, 'athena', { interval: Duration.seconds(5), maxAttempts: 8 });
  catchInto(
    buildSummary,
    failure('Summary failed', 'SummaryFailed', STATES.buildSummary, CAUGHT_CAUSE, reportName, dropSummary),
  );

  // ---------------------------------------------------------------- queries
  // The item is a QueryItem: { query, queryString, cluster }.
  const runQuery = new sfn.CustomState(scope, STATES.runQuery, {
    stateJson: {
      Type: 'Task',
      Comment:
        "The section's query string over the run's period summary table, in the report workgroup; waits for the query (.sync) and keeps only its id.",
      // The optimized integration's Run a Job pattern, as tasks.AthenaStartQueryExecution (RUN_JOB) renders it.
      // Not that class: it grants glue:Delete*/Create*/Update* and S3 on `*` to the role; the construct grants
      // exactly what the queries need instead.
      Resource: `arn:${Aws.PARTITION}:states:::athena:startQueryExecution.sync`,
      Parameters: { 'QueryString.$': '$.queryString', WorkGroup: props.workGroupName },
      TimeoutSeconds: props.queryTimeout.toSeconds(),
      // Results stay in Athena (read by the render step with GetQueryResults): only the id travels.
      ResultSelector: { 'queryExecutionId.$': '$.QueryExecution.QueryExecutionId' },
      ResultPath: '$.athena',
    },
  });
  retryThrottling(runQuery, 'athena', { interval: Duration.seconds(5), maxAttempts: 8 });
  const sectionFailed = new sfn.Pass(scope, STATES.sectionFailed, {
    comment:
      'A failed, timed-out or refused query becomes a FAILED section: the report is still sent and says so.',
    parameters: {
      query: sfn.JsonPath.stringAt('$.query'),
      cluster: sfn.JsonPath.stringAt('$.cluster'),
      status: 'FAILED',
      error: sfn.JsonPath.stringAt('$.caught.Error'),
      cause: sfn.JsonPath.stringAt('$.caught.Cause'),
    },
  });
  const sectionFailedWithoutCause = new sfn.Pass(scope, STATES.sectionFailedWithoutCause, {
    comment: 'The same, for an error that came without a Cause (optional in the States Language).',
    parameters: {
      query: sfn.JsonPath.stringAt('$.query'),
      cluster: sfn.JsonPath.stringAt('$.cluster'),
      status: 'FAILED',
      error: sfn.JsonPath.stringAt('$.caught.Error'),
      cause: '(no cause given)',
    },
  });
  // `$.caught.Cause` is read only where it is present: a missing one would fail the whole Map (States.Runtime).
  const queryFailed = new sfn.Choice(scope, STATES.queryFailed)
    .when(sfn.Condition.isPresent('$.caught.Cause'), sectionFailed)
    .otherwise(sectionFailedWithoutCause);
  runQuery.addCatch(queryFailed, { errors: [sfn.Errors.ALL], resultPath: '$.caught' });
  const sectionSucceeded = new sfn.Pass(scope, STATES.sectionSucceeded, {
    parameters: {
      query: sfn.JsonPath.stringAt('$.query'),
      cluster: sfn.JsonPath.stringAt('$.cluster'),
      status: 'SUCCEEDED',
      queryExecutionId: sfn.JsonPath.stringAt('$.athena.queryExecutionId'),
    },
  });
  runQuery.next(sectionSucceeded);

  const runQueries = new sfn.Map(scope, STATES.runQueries, {
    comment: `Runs every query item, ${props.maxConcurrency} at a time; each iteration ends with a SectionOutcome.`,
    itemsPath: '$.prepared.queries',
    maxConcurrency: props.maxConcurrency,
    resultPath: '$.sections',
  });
  runQueries.itemProcessor(runQuery);
  const queriesFailed = failure(
    'Queries failed',
    'QueriesFailed',
    STATES.runQueries,
    CAUGHT_CAUSE,
    reportName,
    dropSummary,
  );
  // States.ALL does not catch States.DataLimitExceeded (terminal in AWS: the Map's result, or an iteration's,
  // over the payload quota; the iteration's own Catch does not take it either): named, it fails the run
  // QueriesFailed with a notification instead of ending it silently.
  runQueries.addCatch(queriesFailed, { errors: [DATA_LIMIT_EXCEEDED], resultPath: '$.caught' });
  catchInto(runQueries, queriesFailed);

  const checkInput = new sfn.Choice(scope, STATES.checkInput)
    .when(
      sfn.Condition.booleanEquals('$.prepared.valid', false),
      failure(
        'Invalid input',
        'InvalidInput',
        STATES.prepare,
        sfn.JsonPath.stringAt('$.prepared.problem'),
        'input rejected',
      ),
    )
    .otherwise(buildSummary);

  // ---------------------------------------------------------------- render and send
  const renderEvent = {
    action: 'render',
    request: sfn.JsonPath.objectAt('$.prepared.request'),
    sections: sfn.JsonPath.listAt('$.sections'),
  } satisfies Record<keyof RenderEvent, unknown>;
  const render = new tasks.LambdaInvoke(scope, STATES.render, {
    comment:
      "Reads each section's results (GetQueryResults), renders HTML, text and the chart, sends the MIME message with SES, archives under reports/ (report Lambda).",
    lambdaFunction: props.reportFunction,
    payload: sfn.TaskInput.fromObject(renderEvent),
    resultSelector: payloadFields<RenderResult>([
      'subject',
      'messageId',
      'archived',
      'failedSections',
      'counts',
    ]),
    resultPath: '$.rendered',
  });
  retryThrottling(render, 'lambdaInvoke');
  // Reading results or archiving failed (throttling, a 5xx): nothing was sent yet, so trying again is safe.
  // A failed send (ReportSendError) is not retried here: SES may have accepted it.
  render.addRetry({
    errors: ['ReportQueryResultsError', 'ReportArchiveError'],
    interval: Duration.seconds(10),
    maxAttempts: 3,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  });
  catchInto(
    render,
    failure('Rendering failed', 'RenderFailed', STATES.render, CAUGHT_CAUSE, reportName, dropSummary),
  );

  const succeeded = new sfn.Succeed(scope, STATES.succeeded, {
    comment: 'The execution output is the RenderResult: subject, SES message id, archived keys, counts.',
    outputPath: '$.rendered',
  });
  const notifyIncomplete = operatorNotice(scope, STATES.notifyIncomplete, {
    comment: 'The report was sent with FAILED sections: tells the operators which and why.',
    topic: props.topic,
    subject: [`[${prefix}] Compliance report INCOMPLETE: {}`, reportName],
    lines: [
      'The compliance report ({}) was sent, but {} of its sections failed and say so in the report.',
      'Subject: {}',
      'Failed sections: {}',
      'What to do: read the error and cause of each failed section (Athena console: the query history of the workgroup), fix it, and start a new execution with the same input to send a complete report.',
      'Execution: {}',
    ],
    values: [
      reportName,
      sfn.JsonPath.stringAt('$.rendered.failedSections'),
      sfn.JsonPath.stringAt('$.rendered.subject'),
      sfn.JsonPath.jsonToString(sfn.JsonPath.listAt('$.incomplete.sections')),
      sfn.JsonPath.executionId,
    ],
    workflow: 'compliance-report',
    outcome: 'INCOMPLETE',
  });
  notifyIncomplete.addRetry({
    errors: [sfn.Errors.TASKS_FAILED],
    interval: Duration.seconds(5),
    maxAttempts: 2,
  });
  catchInto(
    notifyIncomplete,
    failure('Notification failed', 'NotificationFailed', STATES.notifyIncomplete, CAUGHT_CAUSE, reportName),
  );
  notifyIncomplete.next(succeeded);
  // Guarded by failedSections > 0: in the local executor a filter matching nothing fails (AWS gives []).
  const collectFailed = new sfn.Pass(scope, STATES.collectFailed, {
    resultPath: '$.incomplete',
    parameters: { sections: sfn.JsonPath.listAt("$.sections[?(@.status == 'FAILED')]") },
  }).next(notifyIncomplete);
  const checkIncomplete = new sfn.Choice(scope, STATES.checkIncomplete)
    .when(sfn.Condition.numberGreaterThan('$.rendered.failedSections', 0), collectFailed)
    .otherwise(succeeded);

  render.next(dropSummary);
  runFailed.otherwise(checkIncomplete);
  runQueries.next(render);
  buildSummary.next(runQueries);
  prepare.next(checkInput);
  return prepare;
}
