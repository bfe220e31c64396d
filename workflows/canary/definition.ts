/**
 * The canary workflow's states (CDK L2, JSONPath only: the local executor silently mis-runs JSONata).
 *
 *   Group of clusters? (the input lists `clusters`: what a schedule sends)
 *     → Start cluster runs (a Map: one StartExecution of this same state machine per listed cluster, with that
 *       cluster's input; each run then succeeds, fails and notifies on its own) → Every run started? →
 *       Cluster runs started | CanaryRunsNotStarted
 *   otherwise, one cluster's input (a run started by the dispatch, or by hand):
 *   Input valid? → Prepare canary (the run's nonce: States.UUID())
 *     → Write ROLE statement → Write DDL statement (RDS Data API ExecuteStatement as the canary user, each
 *       statement marked `aurora-audit canary <nonce>`, tasks/core/canary.ts)
 *     → Next poll → Wait for arrivals (growing intervals, `pollSeconds` of the input, adding up to the
 *       deadline) → Read arrivals (one GetItem of `canary#<nonce>` in the alert state table, which the alert
 *       Lambda fills as the statements arrive through each source) → Arrived?
 *         every enabled source has both statements → Canary arrived (the arrival item, with latencies)
 *         polls left → Next poll
 *         deadline reached → Which path is silent? → ActivityStreamPathSilent | PgAuditPathSilent |
 *           BothPathsSilent
 *   Every failure → Cause recorded? → Notify failure (the severity, what is broken, what to check first) →
 *   Failed with the error name (errors.ts).
 *
 * A cluster's input (infra: `canaryInput`): `cluster`, `resourceArn`, `secretArn`, `database`, `sources`
 * (`activityStream`, `pgAudit`: booleans), `pollSeconds` (the waits), `deadlineSeconds`. A schedule sends
 * `{"clusters": [<cluster input>, …]}` for the clusters sharing its expression and time zone (`CanaryGroupInput`).
 * The states add `run` (nonce, poll counters), `arrival` (the GetItem result), `failure`, `caught`; a group run
 * `dispatch` (one entry per listed cluster: `index`, `status` STARTED with `executionArn` or NOT_STARTED with
 * `error`) and `dispatched`.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import {
  arrivalAttribute,
  CANARY_METRICS,
  CANARY_SOURCES,
  CANARY_STATEMENTS,
  type CanaryClass,
  canaryStreakKey,
} from '../../tasks/core/canary';
import { CANARY_RUNS_PREFIX } from '../../tasks/core/storage-layout';
import { CAUGHT_CAUSE, causeField, type FailureCause, recordCaughtCause } from '../shared/caught-cause';
import { operatorNotice } from '../shared/notice';
import { retryThrottling } from '../shared/retry';
import { sdkTask } from '../shared/sdk-task';
import { CANARY_ERRORS, type CanaryErrorName } from './errors';

/** The names of the states, as they appear in the console, the execution history and the local harness. */
export const STATES = {
  group: 'Group of clusters?',
  startRuns: 'Start cluster runs',
  startRun: 'Start cluster run',
  runStarted: 'Cluster run started',
  runNotStarted: 'Cluster run not started',
  everyRunStarted: 'Every run started?',
  allStarted: 'All started?',
  listNotStarted: 'List runs not started',
  runsStarted: 'Cluster runs started',
  checkInput: 'Input valid?',
  prepare: 'Prepare canary',
  writeRole: 'Write ROLE statement',
  writeDdl: 'Write DDL statement',
  nextPoll: 'Next poll',
  wait: 'Wait for arrivals',
  read: 'Read arrivals',
  arrived: 'Arrived?',
  silent: 'Which path is silent?',
  succeeded: 'Canary arrived',
  causeRecorded: 'Cause recorded?',
  caughtCause: 'Caught error and cause',
  caughtWithoutCause: 'Caught error without cause',
  notifyFailure: 'Notify failure',
  failed: 'Failed',
  // ---- evidence (issue 22 point 3): at the end of every run but one with invalid input
  outcome: 'Run outcome?',
  countFailed: 'Count failed run',
  resetFailed: 'Reset failed runs',
  activityStreamEvidence: 'Activity-stream evidence?',
  activityStreamArrived: 'Activity stream arrived',
  activityStreamSilent: 'Activity stream silent',
  activityStreamUntested: 'Activity stream untested',
  activityStreamMetrics: 'Publish activity-stream metrics',
  pgAuditEvidence: 'pgAudit evidence?',
  pgAuditArrived: 'pgAudit arrived',
  pgAuditSilent: 'pgAudit silent',
  pgAuditUntested: 'pgAudit untested',
  pgAuditMetrics: 'Publish pgAudit metrics',
  runMetrics: 'Publish failed-run streak',
  runRecord: 'Run record',
  writeRecord: 'Write run record',
  evidenceNotRecorded: 'Evidence not recorded',
  ended: 'Run ended',
  evidenceError: 'Failed to record evidence',
} as const;

/** The input fields the schedule sends (and an operator starting a run by hand gives). */
export const CANARY_INPUT_FIELDS = [
  'cluster',
  'resourceArn',
  'secretArn',
  'database',
  'sources',
  'pollSeconds',
  'deadlineSeconds',
] as const;

/** One cluster's canary: an entry of what a schedule sends, and what a run started by hand takes. */
export interface CanaryInput {
  readonly cluster: string;
  /** The cluster's ARN (the Data API's `resourceArn`). */
  readonly resourceArn: string;
  readonly secretArn: string;
  readonly database: string;
  /** The sources to wait for. */
  readonly sources: { readonly activityStream: boolean; readonly pgAudit: boolean };
  /** The waits between polls, growing, adding up to `deadlineSeconds`. */
  readonly pollSeconds: readonly number[];
  readonly deadlineSeconds: number;
}

/** What a schedule sends: the inputs of the clusters that share its expression and time zone. */
export interface CanaryGroupInput {
  readonly clusters: readonly CanaryInput[];
}

/** Errors of ExecuteStatement that mean "this request will not work as it is" (not retried). */
const REFUSED = [
  'RdsData.BadRequestException',
  'RdsData.DatabaseErrorException',
  'RdsData.ForbiddenException',
  'RdsData.AccessDeniedException',
  'RdsData.DatabaseNotFoundException',
  'RdsData.InvalidResourceStateException',
];
const SECRET = ['RdsData.SecretsErrorException', 'RdsData.InvalidSecretException'];
const ENDPOINT_DISABLED = ['RdsData.HttpEndpointNotEnabledException'];

export interface CanaryDefinitionProps {
  /** The alert state table (`canary#<nonce>` items, and each cluster's `canary-streak#<cluster>`). */
  readonly alertTable: dynamodb.ITable;
  /** The bucket the run records go to (`canary-runs/`, tasks/core/storage-layout.ts). */
  readonly evidenceBucket: s3.IBucket;
  /** The CloudWatch namespace of the canary's metrics (tasks/core/canary.ts `CANARY_METRICS`). */
  readonly metricNamespace: string;
  /** Topic of the failure notification (the stack's alert topic). */
  readonly topic: sns.ITopic;
  /** Prefix of notification subjects, `[prefix] …`. */
  readonly subjectPrefix: string;
}

/** Builds the states under `scope` and returns the start of the chain. */
export function buildCanaryDefinition(scope: Construct, props: CanaryDefinitionProps): sfn.IChainable {
  const prefix = props.subjectPrefix.replace(/[{}'\\\n\r]/g, '');

  // ---------------------------------------------------------------- failure chain
  const failed = new sfn.Fail(scope, STATES.failed, {
    comment: 'Ends the run with the error recorded in $.failure.',
    errorPath: '$.failure.error',
    causePath: '$.failure.cause',
  });
  const notifyFailure = operatorNotice(scope, STATES.notifyFailure, {
    comment:
      'Tells the operators: the severity, which path is broken or why the canary could not run, what to check first.',
    topic: props.topic,
    subject: [
      `[${prefix}] {} audit canary FAILED on {}: {}`,
      sfn.JsonPath.stringAt('$.failure.severity'),
      sfn.JsonPath.stringAt('$.failure.cluster'),
      sfn.JsonPath.stringAt('$.failure.error'),
    ],
    lines: [
      'aurora-audit canary on {} failed: {}.',
      'Error: {}',
      'Cause: {}',
      'What to check first: {}',
      'Step: {}',
      'Execution: {}',
    ],
    values: [
      sfn.JsonPath.stringAt('$.failure.cluster'),
      sfn.JsonPath.stringAt('$.failure.summary'),
      sfn.JsonPath.stringAt('$.failure.error'),
      sfn.JsonPath.stringAt('$.failure.cause'),
      sfn.JsonPath.stringAt('$.failure.advice'),
      sfn.JsonPath.stringAt('$.failure.step'),
      sfn.JsonPath.executionId,
    ],
    workflow: 'canary',
    outcome: 'FAILED',
    attributes: {
      severity: sfn.JsonPath.stringAt('$.failure.severity'),
      error: sfn.JsonPath.stringAt('$.failure.error'),
    },
  });
  notifyFailure.addRetry({
    errors: [sfn.Errors.TASKS_FAILED],
    interval: Duration.seconds(5),
    maxAttempts: 2,
  });
  const toNotifyFailure = recordCaughtCause(
    scope,
    { check: STATES.causeRecorded, withCause: STATES.caughtCause, withoutCause: STATES.caughtWithoutCause },
    '$.failure',
    ['cluster', 'step', 'error', 'severity', 'summary', 'advice'],
    notifyFailure,
  );

  /** A Pass that records the failure, then notifies. */
  const failure = (
    name: string,
    error: CanaryErrorName,
    step: string,
    cause: FailureCause,
    cluster = sfn.JsonPath.stringAt('$.cluster'),
  ) =>
    new sfn.Pass(scope, name, {
      comment: `${error}: ${CANARY_ERRORS[error].when}.`,
      resultPath: '$.failure',
      parameters: {
        cluster,
        step,
        error,
        severity: CANARY_ERRORS[error].severity,
        summary: CANARY_ERRORS[error].when,
        ...causeField(cause),
        advice: CANARY_ERRORS[error].advice,
      },
    }).next(toNotifyFailure);

  // Every run that got past its input ends by recording its evidence (metrics, failed-run streak, run record);
  // a run that succeeded but whose evidence could not be recorded fails with EvidenceNotRecorded and notifies.
  const evidence = buildEvidence(
    scope,
    props,
    failed,
    failure(STATES.evidenceNotRecorded, 'EvidenceNotRecorded', STATES.evidenceError, CAUGHT_CAUSE),
  );
  // Nothing is left to tell anyone with (the failed-run alarm still fires): record the evidence, end with the error.
  notifyFailure.addCatch(evidence.start, { resultPath: '$.notifyError' });
  notifyFailure.next(evidence.start);

  // ---------------------------------------------------------------- statements
  const statementFailures = (cls: CanaryClass, step: string) => ({
    endpoint: failure(`${cls}: Data API not enabled`, 'DataApiNotEnabled', step, CAUGHT_CAUSE),
    secret: failure(`${cls}: secret unusable`, 'CanarySecretUnusable', step, CAUGHT_CAUSE),
    refused: failure(`${cls}: statement refused`, 'CanaryStatementRefused', step, CAUGHT_CAUSE),
    other: failure(`${cls}: statement failed`, 'CanaryStatementFailed', step, CAUGHT_CAUSE),
  });
  const statement = (cls: CanaryClass, name: string) => {
    const task = sdkTask(scope, name, {
      service: 'rdsdata',
      action: 'executeStatement',
      comment: `Runs the canary's ${cls} statement through the RDS Data API as the canary user, marked with the run's nonce.`,
      // The AWS SDK integration names members after the Java SDK v2 (ResourceArn, not resourceArn).
      parameters: {
        ResourceArn: sfn.JsonPath.stringAt('$.resourceArn'),
        SecretArn: sfn.JsonPath.stringAt('$.secretArn'),
        Database: sfn.JsonPath.stringAt('$.database'),
        Sql: sfn.JsonPath.format(CANARY_STATEMENTS[cls], sfn.JsonPath.stringAt('$.run.nonce')),
      },
      resultPath: sfn.JsonPath.DISCARD,
    });
    // The statements change nothing when run again (a GRANT the owner has, the same comment).
    retryThrottling(task, 'rdsData', { interval: Duration.seconds(3), maxAttempts: 5 });
    const f = statementFailures(cls, name);
    task.addCatch(f.endpoint, { errors: ENDPOINT_DISABLED, resultPath: '$.caught' });
    task.addCatch(f.secret, { errors: SECRET, resultPath: '$.caught' });
    task.addCatch(f.refused, { errors: REFUSED, resultPath: '$.caught' });
    task.addCatch(f.other, { errors: [sfn.Errors.ALL], resultPath: '$.caught' });
    return task;
  };
  const writeRole = statement('ROLE', STATES.writeRole);
  const writeDdl = statement('DDL', STATES.writeDdl);

  // ---------------------------------------------------------------- waiting for the arrivals
  const nextPoll = new sfn.Pass(scope, STATES.nextPoll, {
    comment: 'The next wait (pollSeconds[poll]) and the poll count.',
    resultPath: '$.run',
    parameters: {
      nonce: sfn.JsonPath.stringAt('$.run.nonce'),
      polls: sfn.JsonPath.numberAt('$.run.polls'),
      poll: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt('$.run.poll'), 1),
      wait: sfn.JsonPath.arrayGetItem(
        sfn.JsonPath.listAt('$.pollSeconds'),
        sfn.JsonPath.numberAt('$.run.poll'),
      ),
    },
  });
  const wait = new sfn.Wait(scope, STATES.wait, {
    comment: 'Growing intervals: few polls (state transitions are billed), the last one at the deadline.',
    time: sfn.WaitTime.secondsPath('$.run.wait'),
  });
  const read = tasks.DynamoGetItem.jsonPath(scope, STATES.read, {
    comment:
      "One consistent GetItem of the run's arrival item canary#<nonce>, which the alert Lambda writes.",
    table: props.alertTable,
    key: {
      pk: tasks.DynamoAttributeValue.fromString(
        sfn.JsonPath.format('canary#{}', sfn.JsonPath.stringAt('$.run.nonce')),
      ),
    },
    consistentRead: true,
    // The whole result: `Item` is absent until the first arrival (read only behind IsPresent checks).
    resultPath: '$.arrival',
  });
  retryThrottling(read, 'dynamodb');
  read.addCatch(failure('Arrival check failed', 'ArrivalCheckFailed', STATES.read, CAUGHT_CAUSE), {
    errors: [sfn.Errors.ALL],
    resultPath: '$.caught',
  });

  const arrivedThrough = (source: 'das' | 'pgaudit') =>
    sfn.Condition.and(
      sfn.Condition.isPresent(`$.arrival.Item.${arrivalAttribute(source, 'ROLE')}`),
      sfn.Condition.isPresent(`$.arrival.Item.${arrivalAttribute(source, 'DDL')}`),
    );
  const dasDone = sfn.Condition.or(
    sfn.Condition.booleanEquals('$.sources.activityStream', false),
    arrivedThrough('das'),
  );
  const pgAuditDone = sfn.Condition.or(
    sfn.Condition.booleanEquals('$.sources.pgAudit', false),
    arrivedThrough('pgaudit'),
  );

  const silentCause = (path: string) =>
    sfn.JsonPath.format(
      `Canary run {}: its ROLE and DDL statements did not both arrive through ${path} within {} s. Arrivals recorded: {}`,
      sfn.JsonPath.stringAt('$.run.nonce'),
      sfn.JsonPath.stringAt('$.deadlineSeconds'),
      sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.arrival')),
    );
  const silent = new sfn.Choice(scope, STATES.silent, {
    comment: 'The deadline has passed: name the silent path (a source that is not checked is never silent).',
  })
    .when(
      sfn.Condition.and(sfn.Condition.not(dasDone), sfn.Condition.not(pgAuditDone)),
      failure('Both paths silent', 'BothPathsSilent', STATES.arrived, silentCause('either source')),
    )
    .when(
      sfn.Condition.not(dasDone),
      failure(
        'Activity-stream path silent',
        'ActivityStreamPathSilent',
        STATES.arrived,
        silentCause('the activity stream'),
      ),
    )
    .otherwise(failure('pgAudit path silent', 'PgAuditPathSilent', STATES.arrived, silentCause('pgAudit')));

  const succeeded = new sfn.Succeed(scope, STATES.succeeded, {
    comment: "Every enabled source delivered both statements: the run's output is the arrival item.",
    outputPath: '$.arrival',
  });
  evidence.end.otherwise(succeeded);
  const arrived = new sfn.Choice(scope, STATES.arrived)
    .when(sfn.Condition.and(dasDone, pgAuditDone), evidence.start)
    .when(sfn.Condition.numberLessThanJsonPath('$.run.poll', '$.run.polls'), nextPoll)
    .otherwise(silent);

  nextPoll.next(wait).next(read).next(arrived);

  // ---------------------------------------------------------------- start
  const prepare = new sfn.Pass(scope, STATES.prepare, {
    comment: "The run's nonce (marks its statements and names its arrival item) and the poll counters.",
    resultPath: '$.run',
    parameters: {
      nonce: sfn.JsonPath.uuid(),
      polls: sfn.JsonPath.arrayLength(sfn.JsonPath.listAt('$.pollSeconds')),
      poll: 0,
    },
  });
  prepare.next(writeRole).next(writeDdl).next(nextPoll);

  // And evaluates in order: each type test only once IsPresent held (a missing path would be States.Runtime).
  const present = (path: string, typed: (p: string) => sfn.Condition) => [
    sfn.Condition.isPresent(path),
    typed(path),
  ];
  const inputValid = sfn.Condition.and(
    ...['$.cluster', '$.resourceArn', '$.secretArn', '$.database'].flatMap((p) =>
      present(p, sfn.Condition.isString),
    ),
    ...['$.sources.activityStream', '$.sources.pgAudit'].flatMap((p) => present(p, sfn.Condition.isBoolean)),
    ...['$.deadlineSeconds', '$.pollSeconds[0]'].flatMap((p) => present(p, sfn.Condition.isNumeric)),
  );
  const checkInput = new sfn.Choice(scope, STATES.checkInput)
    .when(inputValid, prepare)
    .otherwise(
      failure(
        'Invalid input',
        'InvalidInput',
        STATES.checkInput,
        sfn.JsonPath.format('Input: {}', sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$'))),
        '(unknown cluster)',
      ),
    );

  // ---------------------------------------------------------------- dispatch (a schedule's group of clusters)
  const groupSize = sfn.JsonPath.format(
    'a group of {} clusters',
    sfn.JsonPath.arrayLength(sfn.JsonPath.listAt('$.clusters')),
  );
  const startRun = sdkTask(scope, STATES.startRun, {
    service: 'sfn',
    action: 'startExecution',
    comment:
      "Starts this same state machine with one cluster's input: its run, failure and notification are its own.",
    // Java SDK v2 member names; the state machine's own ARN from the context object (no self-reference).
    parameters: {
      StateMachineArn: sfn.JsonPath.stringAt('$$.StateMachine.Id'),
      Input: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.input')),
    },
    resultSelector: { executionArn: sfn.JsonPath.stringAt('$.ExecutionArn') },
    resultPath: '$.start',
  });
  retryThrottling(startRun, 'sfn');
  const runNotStarted = new sfn.Pass(scope, STATES.runNotStarted, {
    comment: 'Records the error; the other clusters are still started (the group run fails at the end).',
    parameters: {
      index: sfn.JsonPath.numberAt('$.index'),
      status: 'NOT_STARTED',
      error: sfn.JsonPath.stringAt('$.caught.Error'),
    },
  });
  startRun.addCatch(runNotStarted, { errors: [sfn.Errors.ALL], resultPath: '$.caught' });
  const runStarted = new sfn.Pass(scope, STATES.runStarted, {
    parameters: {
      index: sfn.JsonPath.numberAt('$.index'),
      status: 'STARTED',
      executionArn: sfn.JsonPath.stringAt('$.start.executionArn'),
    },
  });
  const startRuns = new sfn.Map(scope, STATES.startRuns, {
    comment:
      "One execution per listed cluster, ten at a time; each entry's position in `clusters` is its index.",
    itemsPath: '$.clusters',
    itemSelector: {
      index: sfn.JsonPath.numberAt('$$.Map.Item.Index'),
      input: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
    },
    maxConcurrency: 10,
    resultPath: '$.dispatch',
  });
  startRuns.itemProcessor(startRun.next(runStarted));
  startRuns.addCatch(
    failure('Dispatch failed', 'CanaryRunsNotStarted', STATES.startRuns, CAUGHT_CAUSE, groupSize),
    { errors: [sfn.Errors.ALL], resultPath: '$.caught' },
  );
  const runsStarted = new sfn.Succeed(scope, STATES.runsStarted, {
    comment: "Every cluster's run is started: each ends, and notifies, on its own.",
    outputPath: '$.dispatch',
  });
  const listNotStarted = new sfn.Pass(scope, STATES.listNotStarted, {
    resultPath: '$.dispatched',
    // At least one entry matches here (All started? said so).
    parameters: { notStarted: sfn.JsonPath.listAt("$.dispatch[?(@.status == 'NOT_STARTED')]") },
  }).next(
    failure(
      'Runs not started',
      'CanaryRunsNotStarted',
      STATES.startRuns,
      sfn.JsonPath.format(
        'Runs not started (index: position in the input clusters, from 0): {}',
        sfn.JsonPath.jsonToString(sfn.JsonPath.listAt('$.dispatched.notStarted')),
      ),
      groupSize,
    ),
  );
  const everyRunStarted = new sfn.Pass(scope, STATES.everyRunStarted, {
    resultPath: '$.dispatched',
    parameters: {
      anyFailed: sfn.JsonPath.arrayContains(sfn.JsonPath.listAt('$.dispatch[*].status'), 'NOT_STARTED'),
    },
  });
  startRuns
    .next(everyRunStarted)
    .next(
      new sfn.Choice(scope, STATES.allStarted)
        .when(sfn.Condition.booleanEquals('$.dispatched.anyFailed', true), listNotStarted)
        .otherwise(runsStarted),
    );

  return new sfn.Choice(scope, STATES.group, {
    comment: "A schedule's input lists its clusters; a single cluster's input has none.",
  })
    .when(
      sfn.Condition.and(sfn.Condition.isPresent('$.clusters'), sfn.Condition.isPresent('$.clusters[0]')),
      startRuns,
    )
    .otherwise(checkInput);
}

// ---------------------------------------------------------------- evidence (issue 22 point 3)

/** The silent-path errors that make a source's status `silent` (it was waited for up to the deadline). */
const SILENT_ERRORS = {
  activityStream: ['BothPathsSilent', 'ActivityStreamPathSilent'],
  pgAudit: ['BothPathsSilent', 'PgAuditPathSilent'],
} as const;

/** A source that was not waited for (not enabled for the cluster): no metric, `unchecked` in the run record. */
const UNCHECKED = { status: 'unchecked' };

/**
 * The end of every run whose input was valid, success or named failure (docs/workflows.md "Canary evidence"):
 *
 *   Run outcome? → Count failed run | Reset failed runs (one UpdateItem of `canary-streak#<cluster>` in the alert
 *     state table: the cluster's consecutive failed runs)
 *   → Activity-stream evidence? → arrived | silent | untested → Publish activity-stream metrics
 *   → pgAudit evidence? → arrived | silent | untested → Publish pgAudit metrics (a source not checked: neither)
 *   → Publish failed-run streak → Run record → Write run record (canary-runs/ of the audit bucket)
 *   → Run ended: Failed (with the run's error) | Canary arrived.
 *
 * A run whose evidence cannot be recorded (after the retries) still ends with its own error when it failed; a run
 * that succeeded ends FAILED with `EvidenceNotRecorded` (the failed-execution alarm fires): a control whose
 * evidence is missing did not demonstrably operate. Invalid input records nothing (no cluster to record it for),
 * nor does a schedule's group run that could not start every run (`CanaryRunsNotStarted`: each started run records
 * its own).
 */
function buildEvidence(
  scope: Construct,
  props: CanaryDefinitionProps,
  failed: sfn.Fail,
  evidenceNotRecorded: sfn.IChainable,
): { start: sfn.Choice; end: sfn.Choice } {
  const end = new sfn.Choice(scope, STATES.ended, { comment: 'The run ends with its outcome.' }).when(
    sfn.Condition.isPresent('$.failure'),
    failed,
  );
  const evidenceError = new sfn.Choice(scope, STATES.evidenceError, {
    comment:
      'A failed run (already notified) keeps its own error; a run that succeeded fails with EvidenceNotRecorded and notifies.',
  })
    .when(sfn.Condition.isPresent('$.failure'), failed)
    .otherwise(evidenceNotRecorded);
  const guard = <T extends sfn.TaskStateBase | sfn.CustomState>(
    task: T,
    service: 'dynamodb' | 'cloudwatch' | 's3',
  ): T => {
    retryThrottling(task, service, { maxAttempts: 4 });
    task.addCatch(evidenceError, { errors: [sfn.Errors.ALL], resultPath: '$.caught' });
    return task;
  };

  // ---- the cluster's streak of failed runs (the alarm's metric)
  const streakKey = (clusterPath: string) => ({
    pk: tasks.DynamoAttributeValue.fromString(
      sfn.JsonPath.format(canaryStreakKey('{}'), sfn.JsonPath.stringAt(clusterPath)),
    ),
  });
  const sourcesUnchecked = { activityStream: UNCHECKED, pgAudit: UNCHECKED };
  const countFailed = guard(
    new tasks.DynamoUpdateItem(scope, STATES.countFailed, {
      comment: "One more failed run in a row for the cluster (the alarm's ConsecutiveFailedRuns).",
      table: props.alertTable,
      key: streakKey('$.failure.cluster'),
      updateExpression:
        'ADD failedRuns :one SET lastOutcome = :outcome, lastError = :error, lastExecution = :execution',
      expressionAttributeValues: {
        ':one': tasks.DynamoAttributeValue.fromNumber(1),
        ':outcome': tasks.DynamoAttributeValue.fromString('FAILED'),
        ':error': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.failure.error')),
        ':execution': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId),
      },
      returnValues: tasks.DynamoReturnValues.UPDATED_NEW,
      resultSelector: {
        failedRuns: sfn.JsonPath.stringToJson(sfn.JsonPath.stringAt('$.Attributes.failedRuns.N')),
        outcome: 'FAILED',
        error: sfn.JsonPath.stringAt('$.Attributes.lastError.S'),
        ...sourcesUnchecked,
      },
      resultPath: '$.evidence',
    }),
    'dynamodb',
  );
  const resetFailed = guard(
    new tasks.DynamoUpdateItem(scope, STATES.resetFailed, {
      comment: 'The run succeeded: no failed run in a row for the cluster.',
      table: props.alertTable,
      key: streakKey('$.cluster'),
      updateExpression:
        'SET failedRuns = :zero, lastOutcome = :outcome, lastExecution = :execution REMOVE lastError',
      expressionAttributeValues: {
        ':zero': tasks.DynamoAttributeValue.fromNumber(0),
        ':outcome': tasks.DynamoAttributeValue.fromString('SUCCEEDED'),
        ':execution': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId),
      },
      returnValues: tasks.DynamoReturnValues.UPDATED_NEW,
      resultSelector: {
        failedRuns: sfn.JsonPath.stringToJson(sfn.JsonPath.stringAt('$.Attributes.failedRuns.N')),
        outcome: 'SUCCEEDED',
        error: '',
        ...sourcesUnchecked,
      },
      resultPath: '$.evidence',
    }),
    'dynamodb',
  );

  // ---- per source: its status, latencies and metrics
  const dimensions = (source: string) => [
    { Name: CANARY_METRICS.dimensions.cluster, Value: sfn.JsonPath.stringAt('$.cluster') },
    { Name: CANARY_METRICS.dimensions.source, Value: source },
  ];
  const runMetrics = guard(
    sdkTask(scope, STATES.runMetrics, {
      service: 'cloudwatch',
      action: 'putMetricData',
      comment:
        "The cluster's failed runs in a row, per cluster and without dimensions (the one alarm of the fleet: its Maximum).",
      parameters: {
        Namespace: props.metricNamespace,
        MetricData: [
          {
            MetricName: CANARY_METRICS.consecutiveFailedRuns,
            Dimensions: [
              { Name: CANARY_METRICS.dimensions.cluster, Value: sfn.JsonPath.stringAt('$.cluster') },
            ],
            Value: sfn.JsonPath.numberAt('$.evidence.failedRuns'),
            Unit: 'Count',
          },
          {
            MetricName: CANARY_METRICS.consecutiveFailedRuns,
            Value: sfn.JsonPath.numberAt('$.evidence.failedRuns'),
            Unit: 'Count',
          },
        ],
      },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'cloudwatch',
  );
  const sourceEvidence = (
    key: 'activityStream' | 'pgAudit',
    source: 'das' | 'pgaudit',
    next: sfn.IChainable,
  ) => {
    const names =
      key === 'activityStream'
        ? {
            choice: STATES.activityStreamEvidence,
            arrived: STATES.activityStreamArrived,
            silent: STATES.activityStreamSilent,
            untested: STATES.activityStreamUntested,
            metrics: STATES.activityStreamMetrics,
          }
        : {
            choice: STATES.pgAuditEvidence,
            arrived: STATES.pgAuditArrived,
            silent: STATES.pgAuditSilent,
            untested: STATES.pgAuditUntested,
            metrics: STATES.pgAuditMetrics,
          };
    const latency = (cls: CanaryClass) =>
      sfn.JsonPath.stringToJson(
        sfn.JsonPath.stringAt(`$.arrival.Item.${arrivalAttribute(source, cls)}LatencyMs.N`),
      );
    const metricSource = CANARY_SOURCES[source];
    const publish = (name: string, success: 0 | 1) =>
      guard(
        sdkTask(scope, name, {
          service: 'cloudwatch',
          action: 'putMetricData',
          comment: `Success ${success} for the ${metricSource} path of the cluster${success ? ', and the latency of each statement' : ''}.`,
          parameters: {
            Namespace: props.metricNamespace,
            MetricData: [
              {
                MetricName: CANARY_METRICS.success,
                Dimensions: dimensions(metricSource),
                Value: success,
                Unit: 'Count',
              },
              ...(success
                ? [
                    {
                      MetricName: CANARY_METRICS.arrivalLatency,
                      Dimensions: dimensions(metricSource),
                      Values: sfn.JsonPath.array(
                        sfn.JsonPath.stringAt(`$.evidence.${key}.roleLatencyMs`),
                        sfn.JsonPath.stringAt(`$.evidence.${key}.ddlLatencyMs`),
                      ),
                      Unit: 'Milliseconds',
                    },
                  ]
                : []),
            ],
          },
          resultPath: sfn.JsonPath.DISCARD,
        }),
        'cloudwatch',
      ).next(next);
    const missed = publish(`${names.metrics} (missed)`, 0);
    const status = (name: string, value: 'silent' | 'untested') =>
      new sfn.Pass(scope, name, {
        comment:
          value === 'silent'
            ? `The ${metricSource} path did not deliver both statements by the deadline.`
            : `The run failed before the ${metricSource} path could be checked (its statements were not written, or the arrivals could not be read).`,
        resultPath: `$.evidence.${key}`,
        parameters: { status: value },
      }).next(missed);
    const arrived = new sfn.Pass(scope, names.arrived, {
      comment: `Both statements arrived through the ${metricSource} path: their latencies (ms from the statement to its arrival).`,
      resultPath: `$.evidence.${key}`,
      parameters: {
        status: 'arrived',
        roleLatencyMs: latency('ROLE'),
        ddlLatencyMs: latency('DDL'),
      },
    }).next(publish(names.metrics, 1));
    return new sfn.Choice(scope, names.choice)
      .when(sfn.Condition.booleanEquals(`$.sources.${key}`, false), next)
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent(`$.arrival.Item.${arrivalAttribute(source, 'ROLE')}LatencyMs.N`),
          sfn.Condition.isPresent(`$.arrival.Item.${arrivalAttribute(source, 'DDL')}LatencyMs.N`),
        ),
        arrived,
      )
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent('$.failure.error'),
          sfn.Condition.or(
            ...SILENT_ERRORS[key].map((e) => sfn.Condition.stringEquals('$.failure.error', e)),
          ),
        ),
        status(names.silent, 'silent'),
      )
      .otherwise(status(names.untested, 'untested'));
  };

  // ---- the run record: one JSON object per run, what the report's "Control evidence" reads
  const writeRecord = guard(
    sdkTask(scope, STATES.writeRecord, {
      service: 's3',
      action: 'putObject',
      comment:
        'The run record, kept as evidence for the report (canary-runs/cluster=<cluster>/day=<UTC day the run started>/<execution>.json).',
      parameters: {
        Bucket: props.evidenceBucket.bucketName,
        Key: sfn.JsonPath.format(
          `${CANARY_RUNS_PREFIX}day={}/{}.{}.json`,
          sfn.JsonPath.arrayGetItem(
            sfn.JsonPath.stringSplit(sfn.JsonPath.stringAt('$.record.endedAt'), 'T'),
            0,
          ),
          sfn.JsonPath.stringAt('$.cluster'),
          sfn.JsonPath.stringAt('$$.Execution.Name'),
        ),
        Body: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.record')),
        ContentType: 'application/json',
      },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    's3',
  ).next(end);
  const record = new sfn.Pass(scope, STATES.runRecord, {
    comment: 'What the run proved (tasks/core/canary.ts CanaryRunRecord).',
    resultPath: '$.record',
    parameters: {
      cluster: sfn.JsonPath.stringAt('$.cluster'),
      execution: sfn.JsonPath.stringAt('$$.Execution.Name'),
      nonce: sfn.JsonPath.stringAt('$.run.nonce'),
      startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
      endedAt: sfn.JsonPath.stringAt('$$.State.EnteredTime'),
      outcome: sfn.JsonPath.stringAt('$.evidence.outcome'),
      error: sfn.JsonPath.stringAt('$.evidence.error'),
      deadlineSeconds: sfn.JsonPath.numberAt('$.deadlineSeconds'),
      consecutiveFailedRuns: sfn.JsonPath.numberAt('$.evidence.failedRuns'),
      // Each `{status}`, with `roleLatencyMs` and `ddlLatencyMs` when its status is `arrived`.
      activityStream: sfn.JsonPath.objectAt('$.evidence.activityStream'),
      pgAudit: sfn.JsonPath.objectAt('$.evidence.pgAudit'),
    },
  }).next(writeRecord);
  const pgAudit = sourceEvidence('pgAudit', 'pgaudit', runMetrics);
  runMetrics.next(record);
  const activityStream = sourceEvidence('activityStream', 'das', pgAudit);
  countFailed.next(activityStream);
  resetFailed.next(activityStream);

  const start = new sfn.Choice(scope, STATES.outcome, {
    comment:
      "Invalid input is no run of a configured canary, and a schedule's group run (the dispatch) is no cluster's run: nothing to record (each started run records its own).",
  })
    .when(
      sfn.Condition.and(
        sfn.Condition.isPresent('$.failure'),
        sfn.Condition.or(
          sfn.Condition.stringEquals('$.failure.error', 'InvalidInput'),
          sfn.Condition.stringEquals('$.failure.error', 'CanaryRunsNotStarted'),
        ),
      ),
      failed,
    )
    .when(sfn.Condition.isPresent('$.failure'), countFailed)
    .otherwise(resetFailed);
  return { start, end };
}
