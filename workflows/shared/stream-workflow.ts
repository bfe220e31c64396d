/**
 * The frame the enable and disable workflows share: input validation by the plan Lambda, the per-cluster
 * lock, the failure chain (release the lock if this run holds it, describe the cluster for the report,
 * notify, fail with the error), the RDS describe calls, the polling loop at growing intervals and the
 * success notification. Each workflow builds its own steps between these.
 *
 * The document the states share: `request`, `lock` (from Validate input), `described` (the cluster),
 * `instances`, `plan`, `poll`, `outcome`, `failure`, `caught`, `report`. Only fields that are always present
 * are read by paths (a missing path is a `States.Runtime` error that no Catch can handle); optional ones are
 * guarded with `IsPresent`.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { PlanEvent, PlanResult, ValidateEvent } from '../../tasks/plan-maintenance-window/contract';
import type { StreamWorkflowName } from '../registry';
import { CAUGHT_CAUSE, causeField, type FailureCause, recordCaughtCause } from './caught-cause';
import { payloadFields } from './lambda-payload';
import { acquireLockTask, LOCK_HELD_ERRORS, releaseLockTask } from './lock';
import { retryThrottling } from './retry';

/** The names of the frame's states, the same in both workflows. */
export const FRAME_STATES = {
  validate: 'Validate input',
  checkInput: 'Input valid?',
  acquireLock: 'Acquire lock',
  startPolling: 'Start polling',
  waitForRestarts: 'Wait for restarts',
  nextPoll: 'Schedule next poll',
  releaseLock: 'Release lock',
  notifySuccess: 'Notify success',
  releaseLockAfterFailure: 'Release lock after failure',
  describeForReport: 'Describe cluster for report',
  summarizeClusterState: 'Summarize cluster state',
  clusterStateWithStream: 'Cluster state with stream',
  clusterState: 'Cluster state',
  clusterStateUnknown: 'Cluster state unknown',
  causeRecorded: 'Cause recorded?',
  caughtCause: 'Caught error and cause',
  caughtWithoutCause: 'Caught error without cause',
  notifyFailure: 'Notify failure',
  failed: 'Failed',
} as const;

/** The stream workflows' names, from the registry. */
export type { StreamWorkflowName };

/** An error a run can end with: when it happens and what to do (sent in the failure notification). */
export interface WorkflowErrorInfo {
  readonly when: string;
  readonly advice: string;
}

/** The errors every stream workflow has, because the frame raises them. */
export type FrameErrorName =
  | 'InvalidInput'
  | 'AlreadyRunning'
  | 'LockFailed'
  | 'ClusterNotFound'
  | 'UnsupportedCluster'
  | 'RdsDescribeFailed'
  | 'WindowPlanningFailed'
  | 'PlanningFunctionFailed'
  | 'LockReleaseFailed'
  | 'NotificationFailed';

/** The frame errors whose meaning does not depend on the workflow (each workflow's errors.ts spreads them). */
export const COMMON_STREAM_ERRORS = {
  InvalidInput: {
    when: 'a field of the input is malformed, the cluster is not in the configuration, or the requested window cannot be used',
    advice: 'Fix the field named in the cause and start a new execution. Nothing was changed on the cluster.',
  },
  AlreadyRunning: {
    when: 'another run holds the lock of the cluster',
    advice:
      'Another enable or disable run is working on this cluster: let it finish (see its notification). A run that was stopped leaves its lock until the lock expires. Nothing was changed by this run.',
  },
  LockFailed: {
    when: 'the lock table could not be written (other than the lock being held)',
    advice:
      'Check the lock table and the state machine role, then start a new execution. Nothing was changed on the cluster.',
  },
  ClusterNotFound: {
    when: 'RDS has no DB cluster with this identifier in this account and region',
    advice:
      'Check clusters[].identifier in the configuration and the region the stack is deployed to. Nothing was changed.',
  },
  WindowPlanningFailed: {
    when: 'the plan Lambda failed (a bug or its settings), not the input',
    advice: "Read the plan Lambda's log group for the error. Nothing was changed on the cluster.",
  },
  PlanningFunctionFailed: {
    when: 'the input could not be validated because the plan Lambda failed',
    advice: "Read the plan Lambda's log group for the error. Nothing was changed.",
  },
} as const satisfies Record<string, WorkflowErrorInfo>;

export interface StreamWorkflowFrameProps<E extends string> {
  readonly workflow: StreamWorkflowName;
  /** The workflow's errors (its `errors.ts`), frame errors included. */
  readonly errors: Readonly<Record<E | FrameErrorName, WorkflowErrorInfo>>;
  /** The plan Lambda (validation and window planning). */
  readonly planFunction: lambda.IFunction;
  readonly lockTable: dynamodb.ITable;
  readonly topic: sns.ITopic;
  /** ARNs of the configured clusters (DescribeDBClusters). */
  readonly clusterArns: readonly string[];
  /** Resources for DescribeDBInstances (instance names are not configured). */
  readonly instanceArns: readonly string[];
  /** Prefix of notification subjects, `[prefix] …`. */
  readonly subjectPrefix: string;
  /** The failure subject after the prefix, before the cluster: `Activity stream FAILED`. */
  readonly failureSubject: string;
  /** The failure message's first line, `{}` standing for the cluster. */
  readonly failureHeadline: string;
  /** Polling intervals in seconds; they add up to the deadline. */
  readonly pollSchedule: readonly number[];
}

/** Where `addCatch` can be called: a Task or a CustomState. */
export interface Catchable {
  addCatch(handler: sfn.IChainable, props?: sfn.CatchProps): unknown;
}

export interface SuccessNotification {
  /** The subject after the prefix, before the cluster: `Activity stream enabled`. */
  readonly subject: string;
  readonly comment: string;
  /** The message lines, `{}` for each of `values`; the change ticket and the execution are appended. */
  readonly lines: readonly string[];
  readonly values: readonly string[];
}

export const DESCRIBED = '$.described.cluster';

/**
 * Members of the described cluster that later states read (Choice rules, the instance filter, Start/Stop's
 * ResourceArn, causes). The RDS model marks no member of DBCluster required: a Choice checks them with
 * IsPresent before anything reads them (an absent one read is `States.Runtime`, which no Catch catches).
 */
export const CLUSTER_MEMBERS_READ = ['Engine', 'DbClusterArn', 'DbClusterResourceId'] as const;
/** The same after a poll: the instance filter and the timeout's cause. */
export const POLLED_MEMBERS_READ = ['DbClusterArn', 'Status'] as const;

/** A failure's cause that is the caught error (`Error: Cause`, or the error alone when it has no Cause). */
export { CAUGHT_CAUSE };

/** The shared states of one workflow, built under `scope`. */
export class StreamWorkflowFrame<E extends string> {
  /** The start of the chain: Validate input → Input valid? → Acquire lock → (`acquireLock.next(…)`). */
  readonly start: sfn.IChainable;
  readonly acquireLock: tasks.DynamoPutItem;
  readonly notifyFailure: tasks.SnsPublish;
  /** The way into the failure notification: fills in `$.failure.cause` from the caught error if need be. */
  readonly toNotifyFailure: sfn.Choice;
  readonly describeForReport: tasks.CallAwsService;
  readonly releaseAfterFailure: tasks.DynamoDeleteItem;
  /** Polling: `startPolling → waitForRestarts → (waitForRestarts.next(poll))`; `nextPoll` loops back. */
  readonly startPolling: sfn.Pass;
  readonly waitForRestarts: sfn.Wait;
  readonly nextPoll: sfn.Pass;
  /** Sum of the polling intervals, seconds. */
  readonly deadline: number;
  private readonly prefix: string;

  constructor(
    private readonly scope: Construct,
    private readonly props: StreamWorkflowFrameProps<E>,
  ) {
    const S = FRAME_STATES;
    this.prefix = props.subjectPrefix.replace(/[{}'\\\n\r]/g, '');
    const schedule = props.pollSchedule;
    const first = schedule[0];
    if (first === undefined) throw new Error(`${props.workflow}: pollSchedule must not be empty`);
    this.deadline = schedule.reduce((a, b) => a + b, 0);

    // ---------------------------------------------------------------- failure chain
    const failed = new sfn.Fail(scope, S.failed, {
      comment: 'Ends the run with the error recorded in $.failure.',
      errorPath: '$.failure.error',
      causePath: '$.failure.cause',
    });
    this.notifyFailure = new tasks.SnsPublish(scope, S.notifyFailure, {
      comment: 'Tells the operators: the step, the error, the cause, the cluster now, what to do.',
      topic: props.topic,
      subject: sfn.JsonPath.format(
        `[${this.prefix}] ${props.failureSubject}: {}`,
        sfn.JsonPath.stringAt('$.request.displayName'),
      ),
      message: sfn.TaskInput.fromText(
        sfn.JsonPath.format(
          [
            props.failureHeadline,
            'Step: {}',
            'Error: {}',
            'Cause: {}',
            'Cluster now: {}',
            'What to do: {}',
            'Change ticket: {}; requested by: {}',
            'Execution: {}',
          ].join('\n'),
          sfn.JsonPath.stringAt('$.request.displayName'),
          sfn.JsonPath.stringAt('$.failure.step'),
          sfn.JsonPath.stringAt('$.failure.error'),
          sfn.JsonPath.stringAt('$.failure.cause'),
          sfn.JsonPath.stringAt('$.failure.clusterState.summary'),
          sfn.JsonPath.stringAt('$.failure.advice'),
          sfn.JsonPath.stringAt('$.request.changeTicket'),
          sfn.JsonPath.stringAt('$.request.requestedBy'),
          sfn.JsonPath.executionId,
        ),
      ),
      messageAttributes: {
        workflow: { value: props.workflow },
        outcome: { value: 'FAILED' },
        error: { value: sfn.JsonPath.stringAt('$.failure.error') },
        cluster: { value: sfn.JsonPath.stringAt('$.request.displayName') },
      },
      resultPath: sfn.JsonPath.DISCARD,
    });
    this.retryNotification(this.notifyFailure);
    // Nothing is left to tell anyone with: end the run with its error.
    this.notifyFailure.addCatch(failed, { resultPath: '$.notifyError' });
    this.notifyFailure.next(failed);
    this.toNotifyFailure = recordCaughtCause(
      scope,
      { check: S.causeRecorded, withCause: S.caughtCause, withoutCause: S.caughtWithoutCause },
      '$.failure',
      ['step', 'error', 'advice', 'clusterState'],
      this.notifyFailure,
    );

    const clusterStateWithStream = new sfn.Pass(scope, S.clusterStateWithStream, {
      resultPath: '$.failure.clusterState',
      parameters: {
        summary: sfn.JsonPath.format(
          'status {}, activity stream {}',
          sfn.JsonPath.stringAt('$.report.cluster.Status'),
          sfn.JsonPath.stringAt('$.report.cluster.ActivityStreamStatus'),
        ),
      },
    }).next(this.toNotifyFailure);
    const clusterState = new sfn.Pass(scope, S.clusterState, {
      resultPath: '$.failure.clusterState',
      parameters: {
        summary: sfn.JsonPath.format('status {}', sfn.JsonPath.stringAt('$.report.cluster.Status')),
      },
    }).next(this.toNotifyFailure);
    const clusterStateUnknown = new sfn.Pass(scope, S.clusterStateUnknown, {
      resultPath: '$.failure.clusterState',
      parameters: { summary: 'not reported by DescribeDBClusters' },
    }).next(this.toNotifyFailure);
    // Status and ActivityStreamStatus are optional members of the answer: read only what is there.
    const statusPresent = sfn.Condition.isPresent('$.report.cluster.Status');
    const summarize = new sfn.Choice(scope, S.summarizeClusterState)
      .when(
        sfn.Condition.and(statusPresent, sfn.Condition.isPresent('$.report.cluster.ActivityStreamStatus')),
        clusterStateWithStream,
      )
      .when(statusPresent, clusterState)
      .otherwise(clusterStateUnknown);

    this.describeForReport = this.describeClusters(S.describeForReport, '$.report', {
      'cluster.$': '$.DbClusters[0]',
    });
    this.describeForReport.addCatch(this.toNotifyFailure, { resultPath: '$.reportError' });
    this.describeForReport.next(summarize);

    this.releaseAfterFailure = releaseLockTask(
      scope,
      S.releaseLockAfterFailure,
      props.lockTable,
      '$.request.clusterIdentifier',
    );
    retryThrottling(this.releaseAfterFailure, 'dynamodb');
    // A lock that cannot be released expires by itself: go on telling the operators.
    this.releaseAfterFailure.addCatch(this.describeForReport, { resultPath: '$.releaseError' });
    this.releaseAfterFailure.next(this.describeForReport);

    // ---------------------------------------------------------------- validation and lock
    const validate = new tasks.LambdaInvoke(scope, S.validate, {
      comment:
        'Checks the input against the configuration; returns the normalized request and the lock timing (the plan Lambda).',
      lambdaFunction: props.planFunction,
      payload: sfn.TaskInput.fromObject({
        action: 'validate',
        workflow: props.workflow,
        input: sfn.JsonPath.entirePayload,
      } satisfies Record<keyof ValidateEvent, unknown>),
      outputPath: '$.Payload',
    });
    retryThrottling(validate, 'lambdaInvoke');
    validate.addCatch(
      new sfn.Pass(scope, 'Validation crashed', {
        comment: 'PlanningFunctionFailed: the input could not be validated.',
        parameters: {
          request: {
            clusterIdentifier: '',
            displayName: '(unknown)',
            changeTicket: '(unknown)',
            requestedBy: '(unknown)',
          },
          // The cause is the caught error's (Cause recorded? fills it in).
          failure: {
            step: S.validate,
            error: 'PlanningFunctionFailed' satisfies FrameErrorName,
            advice: props.errors.PlanningFunctionFailed.advice,
            clusterState: { summary: 'not checked' },
          },
          'caught.$': '$.caught',
        },
      }).next(this.toNotifyFailure),
      { resultPath: '$.caught' },
    );

    this.acquireLock = acquireLockTask(scope, S.acquireLock, props.lockTable, {
      cluster: '$.request.clusterIdentifier',
      now: '$.lock.now',
      expiresAt: '$.lock.expiresAt',
      attributes: {
        ChangeTicket: '$.request.changeTicket',
        RequestedBy: '$.request.requestedBy',
        Workflow: '$.request.workflow',
      },
    });
    retryThrottling(this.acquireLock, 'dynamodb');
    this.catchInto(
      this.acquireLock,
      this.failure(
        'Already running',
        'AlreadyRunning',
        S.acquireLock,
        sfn.JsonPath.format(
          'another run holds the lock of cluster {} in the lock table',
          sfn.JsonPath.stringAt('$.request.clusterIdentifier'),
        ),
        this.describeForReport,
      ),
      [...LOCK_HELD_ERRORS],
    );
    this.catchInto(this.acquireLock, this.failure('Lock failed', 'LockFailed', S.acquireLock, CAUGHT_CAUSE));

    const checkInput = new sfn.Choice(scope, S.checkInput)
      .when(
        sfn.Condition.booleanEquals('$.valid', false),
        this.failure(
          'Invalid input',
          'InvalidInput',
          S.validate,
          sfn.JsonPath.stringAt('$.problem'),
          this.toNotifyFailure,
        ),
      )
      .otherwise(this.acquireLock);
    this.start = validate.next(checkInput);

    // ---------------------------------------------------------------- polling
    const scheduleArray = `States.Array(${schedule.join(', ')})`;
    this.startPolling = new sfn.Pass(scope, S.startPolling, {
      comment: `Polls at growing intervals (${schedule.join(', ')} s), ${this.deadline} s in all.`,
      resultPath: '$.poll',
      parameters: { index: 0, interval: first, elapsed: first, since: sfn.JsonPath.stateEnteredTime },
    });
    this.waitForRestarts = new sfn.Wait(scope, S.waitForRestarts, {
      time: sfn.WaitTime.secondsPath('$.poll.interval'),
    });
    const nextIndex = 'States.MathAdd($.poll.index, 1)';
    this.nextPoll = new sfn.Pass(scope, S.nextPoll, {
      resultPath: '$.poll',
      parameters: {
        'index.$': nextIndex,
        'interval.$': `States.ArrayGetItem(${scheduleArray}, ${nextIndex})`,
        'elapsed.$': `States.MathAdd($.poll.elapsed, States.ArrayGetItem(${scheduleArray}, ${nextIndex}))`,
        'since.$': '$.poll.since',
      },
    });
    this.nextPoll.next(this.waitForRestarts);
    this.startPolling.next(this.waitForRestarts);
  }

  /** A Pass that records the failure, then goes on to `next` (lock release by default). */
  failure(name: string, error: E | FrameErrorName, step: string, cause: FailureCause, next?: sfn.IChainable) {
    return new sfn.Pass(this.scope, name, {
      comment: `${error}: ${this.props.errors[error].when}.`,
      resultPath: '$.failure',
      parameters: {
        step,
        error,
        ...causeField(cause),
        advice: this.props.errors[error].advice,
        clusterState: { summary: 'not checked' },
      },
    }).next(next ?? this.releaseAfterFailure);
  }

  /** Catches `errors` (default everything) into `target`, the error in `$.caught`. */
  catchInto(state: Catchable, target: sfn.IChainable, errors: string[] = [sfn.Errors.ALL]): void {
    state.addCatch(target, { errors, resultPath: '$.caught' });
  }

  /** `DescribeDBClusters` of the request's cluster. */
  describeClusters(id: string, resultPath: string, resultSelector: Record<string, string>) {
    const task = new tasks.CallAwsService(this.scope, id, {
      service: 'rds',
      action: 'describeDBClusters',
      parameters: { DbClusterIdentifier: sfn.JsonPath.stringAt('$.request.clusterIdentifier') },
      iamResources: [...this.props.clusterArns],
      resultSelector,
      resultPath,
    });
    return retryThrottling(task, 'rds');
  }

  /** `DescribeDBInstances` filtered by the described cluster. */
  describeClusterInstances(id: string, resultPath: string, resultSelector: Record<string, string>) {
    const task = new tasks.CallAwsService(this.scope, id, {
      service: 'rds',
      action: 'describeDBInstances',
      parameters: {
        Filters: [
          {
            Name: 'db-cluster-id',
            Values: sfn.JsonPath.array(sfn.JsonPath.stringAt(`${DESCRIBED}.DbClusterArn`)),
          },
        ],
      },
      iamResources: [...this.props.instanceArns],
      resultSelector,
      resultPath,
    });
    return retryThrottling(task, 'rds');
  }

  /** The instance poll's result: whether every instance is `available`, and what they are, for causes. */
  static readonly INSTANCE_POLL_SELECTOR = {
    'distinct.$': 'States.ArrayLength(States.ArrayUnique($.DbInstances[*].DbInstanceStatus))',
    'anyAvailable.$': "States.ArrayContains($.DbInstances[*].DbInstanceStatus, 'available')",
    'identifiers.$': 'States.JsonToString($.DbInstances[*].DbInstanceIdentifier)',
    'statuses.$': 'States.JsonToString($.DbInstances[*].DbInstanceStatus)',
  } as const;

  /** True when the instance poll saw every instance `available`. */
  static allInstancesAvailable(): sfn.Condition {
    return sfn.Condition.and(
      sfn.Condition.numberEquals('$.instances.distinct', 1),
      sfn.Condition.booleanEquals('$.instances.anyAvailable', true),
    );
  }

  /** True when the described cluster lacks one of `members` (none of which the RDS model promises). */
  static describedLacks(members: readonly string[]): sfn.Condition {
    const absent = members.map((m) => sfn.Condition.not(sfn.Condition.isPresent(`${DESCRIBED}.${m}`)));
    const [first, ...rest] = absent;
    if (!first) throw new Error('describedLacks: no member');
    return rest.length === 0 ? first : sfn.Condition.or(first, ...rest);
  }

  /** True when the described cluster has every one of `members`. */
  static describedHas(members: readonly string[]): sfn.Condition[] {
    return members.map((m) => sfn.Condition.isPresent(`${DESCRIBED}.${m}`));
  }

  /**
   * RdsDescribeFailed as `step`: DescribeDBClusters answered without a member a later state reads (`members`,
   * in the cause).
   */
  incompleteDescription(name: string, step: string, members: string): sfn.IChainable {
    return this.failure(
      name,
      'RdsDescribeFailed',
      step,
      `DescribeDBClusters answered without ${members}, which the RDS API does not promise and this workflow reads; nothing was changed by this step`,
    );
  }

  /** True when the described cluster's activity stream has `status`. */
  static streamIs(status: string): sfn.Condition {
    return sfn.Condition.and(
      sfn.Condition.isPresent(`${DESCRIBED}.ActivityStreamStatus`),
      sfn.Condition.stringEquals(`${DESCRIBED}.ActivityStreamStatus`, status),
    );
  }

  /**
   * `DescribeDBClusters` into `$.described` (the cluster and its member count), failing with ClusterNotFound or
   * RdsDescribeFailed as `step`.
   */
  describeClusterStep(id: string, names: { readonly notFound: string; readonly failed: string }) {
    const task = this.describeClusters(id, '$.described', { 'cluster.$': '$.DbClusters[0]' });
    this.catchInto(task, this.failure(names.notFound, 'ClusterNotFound', id, CAUGHT_CAUSE), [
      'Rds.DbClusterNotFoundException',
    ]);
    this.catchInto(task, this.failure(names.failed, 'RdsDescribeFailed', id, CAUGHT_CAUSE));
    return task;
  }

  /**
   * A Choice that first refuses an answer without a member the workflow reads (CLUSTER_MEMBERS_READ: to
   * `incomplete`), then a cluster that is not aurora-postgresql or no longer has the configured resource id
   * (UnsupportedCluster, as `step`); the caller adds its own branches.
   */
  checkClusterIdentity(id: string, step: string, verb: string, incomplete: sfn.IChainable): sfn.Choice {
    return new sfn.Choice(this.scope, id)
      .when(StreamWorkflowFrame.describedLacks(CLUSTER_MEMBERS_READ), incomplete)
      .when(
        sfn.Condition.not(sfn.Condition.stringEquals(`${DESCRIBED}.Engine`, 'aurora-postgresql')),
        this.failure(
          'Unsupported engine',
          'UnsupportedCluster',
          step,
          sfn.JsonPath.format(
            `the engine is {}; aurora-audit ${verb} activity streams on aurora-postgresql only`,
            sfn.JsonPath.stringAt(`${DESCRIBED}.Engine`),
          ),
        ),
      )
      .when(
        sfn.Condition.not(
          sfn.Condition.stringEqualsJsonPath(
            `${DESCRIBED}.DbClusterResourceId`,
            '$.request.clusterResourceId',
          ),
        ),
        this.failure(
          'Resource id mismatch',
          'UnsupportedCluster',
          step,
          sfn.JsonPath.format(
            'the cluster resource id is {} but the configuration says {} (was the cluster re-created?)',
            sfn.JsonPath.stringAt(`${DESCRIBED}.DbClusterResourceId`),
            sfn.JsonPath.stringAt('$.request.clusterResourceId'),
          ),
        ),
      );
  }

  /**
   * Plan window (the plan Lambda) → Check plan: an unusable window is InvalidInput, `now` (or a window already
   * open) goes to `act`, anything else waits until the planned start and goes to `again` (the preflight).
   * Returns the planning Task, the entry.
   */
  planWindow(
    names: { readonly plan: string; readonly check: string; readonly wait: string },
    what: string,
    act: sfn.IChainable,
    again: sfn.IChainable,
  ): tasks.LambdaInvoke {
    const plan = new tasks.LambdaInvoke(this.scope, names.plan, {
      comment: `Computes when to ${what}: now, the next maintenance window (cluster's or fixed), or the given one.`,
      lambdaFunction: this.props.planFunction,
      payload: sfn.TaskInput.fromObject({
        action: 'plan',
        request: sfn.JsonPath.objectAt('$.request'),
        cluster: sfn.JsonPath.objectAt(DESCRIBED),
      } satisfies Record<keyof PlanEvent, unknown>),
      resultSelector: payloadFields<PlanResult>(['valid', 'problem', 'immediate', 'startAt', 'description']),
      resultPath: '$.plan',
    });
    retryThrottling(plan, 'lambdaInvoke');
    this.catchInto(plan, this.failure('Planning failed', 'WindowPlanningFailed', names.plan, CAUGHT_CAUSE));
    const wait = new sfn.Wait(this.scope, names.wait, {
      comment: 'Waits until the planned start, then runs the preflight again.',
      time: sfn.WaitTime.timestampPath('$.plan.startAt'),
    }).next(again);
    const check = new sfn.Choice(this.scope, names.check)
      .when(
        sfn.Condition.booleanEquals('$.plan.valid', false),
        this.failure('Invalid window', 'InvalidInput', names.plan, sfn.JsonPath.stringAt('$.plan.problem')),
      )
      .when(sfn.Condition.booleanEquals('$.plan.immediate', true), act)
      .otherwise(wait);
    plan.next(check);
    return plan;
  }

  /**
   * The polling loop after StartActivityStream or StopActivityStream (or a stream found in that transition):
   * wait → Poll cluster → Check stream status → (target reached) Poll instances → Check instances available
   * → Restarts finished (`$.outcome.summary`) → `next`. A stream that goes the other way (`reverse`, or back to
   * `from` after the first poll: right after the call the status may still read `from`) fails with
   * `errors.reversed`; the deadline fails with `errors.timeout` or `InstancesNotAvailableTimeout`.
   */
  pollUntil(options: {
    readonly states: {
      readonly pollCluster: string;
      readonly checkStream: string;
      readonly pollInstances: string;
      readonly checkInstances: string;
      readonly restartsFinished: string;
    };
    /** The status the call leads to (`started`), the one it comes from (`stopped`), the wrong way (`stopping`). */
    readonly target: string;
    readonly from: string;
    readonly reverse: string;
    /** `start` or `stop`: in causes and the summary. */
    readonly verb: 'start' | 'stop';
    readonly errors: { readonly reversed: E; readonly timeout: E; readonly instances: E };
    readonly names: { readonly reversed: string; readonly timeout: string };
    /** Members of the described cluster the steps after `target` read besides POLLED_MEMBERS_READ. */
    readonly targetMembers?: readonly string[];
    /** Extra fields of `$.outcome` (e.g. a counter the next steps use). */
    readonly outcome?: Readonly<Record<string, unknown>>;
    readonly next: sfn.IChainable;
  }): void {
    const { states, target, deadline } = { ...options, deadline: this.deadline };
    const call = options.verb === 'start' ? 'StartActivityStream' : 'StopActivityStream';
    const going = options.verb === 'start' ? 'starting' : 'stopping';
    const pollCluster = this.describeClusters(states.pollCluster, '$.described', {
      'cluster.$': '$.DbClusters[0]',
    });
    this.catchInto(
      pollCluster,
      this.failure('Cluster not found while polling', 'ClusterNotFound', states.pollCluster, CAUGHT_CAUSE),
      ['Rds.DbClusterNotFoundException'],
    );
    this.catchInto(
      pollCluster,
      this.failure('Polling failed', 'RdsDescribeFailed', states.pollCluster, CAUGHT_CAUSE),
    );
    const pollInstances = this.describeClusterInstances(
      states.pollInstances,
      '$.instances',
      StreamWorkflowFrame.INSTANCE_POLL_SELECTOR,
    );
    this.catchInto(
      pollInstances,
      this.failure('Instance polling failed', 'RdsDescribeFailed', states.pollInstances, CAUGHT_CAUSE),
    );
    const streamIs = StreamWorkflowFrame.streamIs;
    const reversed = this.failure(
      options.names.reversed,
      options.errors.reversed,
      states.pollCluster,
      sfn.JsonPath.format(
        `the activity stream went to {} while ${going}, after {} s`,
        sfn.JsonPath.stringAt(`${DESCRIBED}.ActivityStreamStatus`),
        sfn.JsonPath.stringAt('$.poll.elapsed'),
      ),
    );
    const targetMembers = options.targetMembers ?? [];
    const incomplete = this.incompleteDescription(
      `Polled cluster incomplete`,
      states.pollCluster,
      [...POLLED_MEMBERS_READ, ...targetMembers.map((m) => `${m} (the stream ${target})`)].join(', '),
    );
    const checkStream = new sfn.Choice(this.scope, states.checkStream).when(
      StreamWorkflowFrame.describedLacks(POLLED_MEMBERS_READ),
      incomplete,
    );
    if (targetMembers.length > 0) {
      checkStream
        .when(
          sfn.Condition.and(streamIs(target), ...StreamWorkflowFrame.describedHas(targetMembers)),
          pollInstances,
        )
        .when(streamIs(target), incomplete);
    } else {
      checkStream.when(streamIs(target), pollInstances);
    }
    checkStream
      .when(streamIs(options.reverse), reversed)
      .when(
        sfn.Condition.and(streamIs(options.from), sfn.Condition.numberGreaterThanEquals('$.poll.index', 1)),
        reversed,
      )
      .when(
        sfn.Condition.numberGreaterThanEquals('$.poll.elapsed', deadline),
        this.failure(
          options.names.timeout,
          options.errors.timeout,
          states.pollCluster,
          sfn.JsonPath.format(
            `the activity stream was not ${target} after {} s (deadline ${deadline} s); cluster status {}`,
            sfn.JsonPath.stringAt('$.poll.elapsed'),
            sfn.JsonPath.stringAt(`${DESCRIBED}.Status`),
          ),
        ),
      )
      .otherwise(this.nextPoll);
    const restartsFinished = new sfn.Pass(this.scope, states.restartsFinished, {
      resultPath: '$.outcome',
      parameters: {
        summary: sfn.JsonPath.format(
          `${call} accepted (or the stream found ${going}) at {}; the stream was ${target} and every instance available within {} s`,
          sfn.JsonPath.stringAt('$.poll.since'),
          sfn.JsonPath.stringAt('$.poll.elapsed'),
        ),
        ...options.outcome,
      },
    }).next(options.next);
    const checkInstances = new sfn.Choice(this.scope, states.checkInstances)
      .when(StreamWorkflowFrame.allInstancesAvailable(), restartsFinished)
      .when(
        sfn.Condition.numberGreaterThanEquals('$.poll.elapsed', deadline),
        this.failure(
          'Instances not available',
          options.errors.instances,
          states.pollInstances,
          sfn.JsonPath.format(
            `the activity stream is ${target} but instances {} were {} after {} s (deadline ${deadline} s)`,
            sfn.JsonPath.stringAt('$.instances.identifiers'),
            sfn.JsonPath.stringAt('$.instances.statuses'),
            sfn.JsonPath.stringAt('$.poll.elapsed'),
          ),
        ),
      )
      .otherwise(this.nextPoll);
    this.waitForRestarts.next(pollCluster);
    pollCluster.next(checkStream);
    pollInstances.next(checkInstances);
  }

  /** Release lock → Notify success → Succeed(`succeededName`); returns the lock release to chain into. */
  succeed(succeededName: string, notification: SuccessNotification): tasks.DynamoDeleteItem {
    const S = FRAME_STATES;
    const succeeded = new sfn.Succeed(this.scope, succeededName);
    const notifySuccess = new tasks.SnsPublish(this.scope, S.notifySuccess, {
      comment: notification.comment,
      topic: this.props.topic,
      subject: sfn.JsonPath.format(
        `[${this.prefix}] ${notification.subject}: {}`,
        sfn.JsonPath.stringAt('$.request.displayName'),
      ),
      message: sfn.TaskInput.fromText(
        sfn.JsonPath.format(
          [...notification.lines, 'Change ticket: {}; requested by: {}', 'Execution: {}'].join('\n'),
          ...notification.values,
          sfn.JsonPath.stringAt('$.request.changeTicket'),
          sfn.JsonPath.stringAt('$.request.requestedBy'),
          sfn.JsonPath.executionId,
        ),
      ),
      messageAttributes: {
        workflow: { value: this.props.workflow },
        outcome: { value: 'SUCCEEDED' },
        cluster: { value: sfn.JsonPath.stringAt('$.request.displayName') },
      },
      resultPath: sfn.JsonPath.DISCARD,
    });
    this.retryNotification(notifySuccess);
    this.catchInto(
      notifySuccess,
      this.failure(
        'Notification failed',
        'NotificationFailed',
        S.notifySuccess,
        CAUGHT_CAUSE,
        this.describeForReport,
      ),
    );
    notifySuccess.next(succeeded);

    const releaseLock = releaseLockTask(
      this.scope,
      S.releaseLock,
      this.props.lockTable,
      '$.request.clusterIdentifier',
    );
    retryThrottling(releaseLock, 'dynamodb');
    this.catchInto(
      releaseLock,
      this.failure(
        'Lock release failed',
        'LockReleaseFailed',
        S.releaseLock,
        CAUGHT_CAUSE,
        this.describeForReport,
      ),
    );
    releaseLock.next(notifySuccess);
    return releaseLock;
  }

  private retryNotification(task: tasks.SnsPublish): void {
    retryThrottling(task, 'sns');
    task.addRetry({ errors: [sfn.Errors.TASKS_FAILED], interval: Duration.seconds(5), maxAttempts: 2 });
  }
}
