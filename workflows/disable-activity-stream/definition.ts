/**
 * The disable workflow's states (CDK L2, JSONPath only: the local executor silently mis-runs JSONata), the
 * mirror of enablement on the same frame (../shared/stream-workflow.ts):
 *
 *   Validate input → Acquire lock → Describe cluster
 *     → [Plan window → Wait for maintenance window → Describe cluster again] → Stop activity stream
 *     → poll with growing intervals until the stream is stopped and every instance available
 *     → disconnect (disable, then delete the decrypt Lambda's event source mapping of the stream)
 *     → Release lock → Notify success.
 *
 * Why the stream is stopped before the mapping is removed: until RDS has stopped the stream (and deleted
 * its Kinesis stream), it keeps writing activity records, and the decrypt Lambda keeps reading them through
 * the mapping. Removing the mapping first would leave every statement of the minutes of `stopping`
 * unread, and Kinesis keeps them only until RDS deletes the stream: audit records lost. A stream found
 * `stopped` (an earlier run, or someone in the console) goes straight to disconnecting, so a run that
 * failed after stopping can be repeated. The Lambda allows one mapping per function and stream, which is
 * the one this workflow removes.
 *
 * Every Task retries throttling and catches everything else into a failure Pass that records the step, the
 * error name (errors.ts), the cause and what to do. This file adds `mappings` and `mapping` to the
 * document the frame's states share.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { retryThrottling } from '../shared/retry';
import { sdkTask } from '../shared/sdk-task';
import {
  CAUGHT_CAUSE,
  CLUSTER_MEMBERS_READ,
  DESCRIBED,
  FRAME_STATES,
  StreamWorkflowFrame,
} from '../shared/stream-workflow';
import { DISABLE_ERRORS, type DisableErrorName } from './errors';

/** The names of the states, as they appear in the console, the execution history and the local harness. */
export const STATES = {
  ...FRAME_STATES,
  describeCluster: 'Describe cluster',
  checkCluster: 'Check cluster',
  stopNow: 'Stop now?',
  planWindow: 'Plan window',
  checkPlan: 'Check plan',
  waitForWindow: 'Wait for maintenance window',
  stop: 'Stop activity stream',
  alreadyStopped: 'Already stopped',
  pollCluster: 'Poll cluster',
  checkStream: 'Check stream status',
  pollInstances: 'Poll instances',
  checkInstances: 'Check instances available',
  restartsFinished: 'Restarts finished',
  listMappings: 'List event source mappings',
  checkMapping: 'Check event source mapping',
  disableMapping: 'Disable event source mapping',
  deleteMapping: 'Delete event source mapping',
  noMapping: 'No event source mapping',
  mappingBeingDeleted: 'Mapping already being deleted',
  mappingGone: 'Mapping gone',
  succeeded: 'Disabled',
} as const;

export interface DisableDefinitionProps {
  /** The plan Lambda (validation and window planning), shared with the enablement workflow. */
  readonly planFunction: lambda.IFunction;
  readonly lockTable: dynamodb.ITable;
  readonly topic: sns.ITopic;
  /** ARNs of the configured clusters (DescribeDBClusters, StopActivityStream). */
  readonly clusterArns: readonly string[];
  /** Resources for DescribeDBInstances (instance names are not configured). */
  readonly instanceArns: readonly string[];
  /** The decrypt Lambda whose event source mapping of the stream is removed. */
  readonly decryptFunctionArn: string;
  /** Polling intervals in seconds; they add up to the deadline. */
  readonly pollSchedule: readonly number[];
  /** Prefix of notification subjects, `[prefix] …`. */
  readonly subjectPrefix: string;
}

/** Builds the states under `scope` and returns the start of the chain. */
export function buildDisableDefinition(scope: Construct, props: DisableDefinitionProps): sfn.IChainable {
  const frame = new StreamWorkflowFrame<DisableErrorName>(scope, {
    workflow: 'disable-activity-stream',
    errors: DISABLE_ERRORS,
    planFunction: props.planFunction,
    lockTable: props.lockTable,
    topic: props.topic,
    clusterArns: props.clusterArns,
    instanceArns: props.instanceArns,
    subjectPrefix: props.subjectPrefix,
    failureSubject: 'Activity stream disable FAILED',
    failureHeadline: 'aurora-audit could not disable Database Activity Streams on {}.',
    pollSchedule: props.pollSchedule,
  });
  const { startPolling } = frame;
  const failure = frame.failure.bind(frame);
  const catchInto = frame.catchInto.bind(frame);
  const streamIs = StreamWorkflowFrame.streamIs;

  // ---------------------------------------------------------------- success
  const releaseLock = frame.succeed(STATES.succeeded, {
    subject: 'Activity stream disabled',
    comment: 'Tells the operators: the cluster, how the stream was stopped, what happened to the mapping.',
    lines: [
      'Database Activity Streams are stopped on {} and disconnected from aurora-audit.',
      'Stop: {}',
      'Event source mapping {}: {}',
      'Audit events already delivered stay in the audit bucket; pgAudit logging is not changed by this workflow.',
    ],
    values: [
      sfn.JsonPath.stringAt('$.request.displayName'),
      sfn.JsonPath.stringAt('$.outcome.summary'),
      sfn.JsonPath.stringAt('$.mapping.uuid'),
      sfn.JsonPath.stringAt('$.mapping.action'),
    ],
  });

  // ---------------------------------------------------------------- disconnect
  const disconnectFailed = (name: string, step: string) =>
    failure(name, 'StreamDisconnectFailed', step, CAUGHT_CAUSE);
  const mappingGone = new sfn.Pass(scope, STATES.mappingGone, {
    comment: 'The mapping was deleted meanwhile (by someone else, or by an earlier attempt of this call).',
    resultPath: '$.mapping',
    parameters: {
      uuid: sfn.JsonPath.stringAt('$.mappings.mappings[0].Uuid'),
      action: 'was deleted meanwhile',
    },
  }).next(releaseLock);

  const deleteMapping = sdkTask(scope, STATES.deleteMapping, {
    comment: 'Deletes the disabled mapping.',
    service: 'lambda',
    action: 'deleteEventSourceMapping',
    parameters: { Uuid: sfn.JsonPath.stringAt('$.mappings.mappings[0].Uuid') },
    // IAM: granted by the construct, limited to the decrypt Lambda's mappings (lambda:FunctionArn).
    resultSelector: { 'uuid.$': '$.Uuid', action: 'was disabled and deleted' },
    resultPath: '$.mapping',
  });
  retryThrottling(deleteMapping, 'lambda');
  deleteMapping.addRetry({
    // Still `Disabling` (or being updated): Lambda refuses to delete a mapping in a transition.
    errors: ['Lambda.ResourceInUseException', 'Lambda.ResourceConflictException'],
    interval: Duration.seconds(5),
    maxAttempts: 6,
    backoffRate: 2,
  });
  catchInto(deleteMapping, mappingGone, ['Lambda.ResourceNotFoundException']);
  catchInto(deleteMapping, disconnectFailed('Mapping deletion failed', STATES.deleteMapping));
  deleteMapping.next(releaseLock);

  const disableMapping = sdkTask(scope, STATES.disableMapping, {
    comment: 'Stops the mapping from invoking the decrypt Lambda before it is deleted.',
    service: 'lambda',
    action: 'updateEventSourceMapping',
    parameters: { Uuid: sfn.JsonPath.stringAt('$.mappings.mappings[0].Uuid'), Enabled: false },
    // IAM: granted by the construct, limited to the decrypt Lambda's mappings (lambda:FunctionArn).
    resultPath: sfn.JsonPath.DISCARD,
  });
  retryThrottling(disableMapping, 'lambda');
  disableMapping.addRetry({
    // Creating, enabling or updating: wait for it.
    errors: ['Lambda.ResourceInUseException', 'Lambda.ResourceConflictException'],
    interval: Duration.seconds(10),
    maxAttempts: 3,
    backoffRate: 2,
  });
  catchInto(disableMapping, mappingGone, ['Lambda.ResourceNotFoundException']);
  catchInto(disableMapping, disconnectFailed('Mapping update failed', STATES.disableMapping));
  disableMapping.next(deleteMapping);

  const noMapping = new sfn.Pass(scope, STATES.noMapping, {
    resultPath: '$.mapping',
    parameters: { uuid: '(none)', action: 'none existed, nothing to remove' },
  }).next(releaseLock);
  const mappingBeingDeleted = new sfn.Pass(scope, STATES.mappingBeingDeleted, {
    resultPath: '$.mapping',
    parameters: {
      uuid: sfn.JsonPath.stringAt('$.mappings.mappings[0].Uuid'),
      action: 'was already being deleted',
    },
  }).next(releaseLock);
  const mappingState = '$.mappings.mappings[0].State';
  const checkMapping = new sfn.Choice(scope, STATES.checkMapping)
    .when(sfn.Condition.numberEquals('$.mappings.count', 0), noMapping)
    .when(
      // Uuid and State are not required members of a listed mapping (Lambda's model).
      sfn.Condition.or(
        sfn.Condition.not(sfn.Condition.isPresent('$.mappings.mappings[0].Uuid')),
        sfn.Condition.not(sfn.Condition.isPresent(mappingState)),
      ),
      failure(
        'Mapping listed incomplete',
        'StreamDisconnectFailed',
        STATES.listMappings,
        "ListEventSourceMappings listed the decrypt Lambda's mapping of the stream without its UUID or State, which the Lambda API does not promise; nothing was changed by this step",
      ),
    )
    .when(sfn.Condition.stringEquals(mappingState, 'Deleting'), mappingBeingDeleted)
    .when(sfn.Condition.stringEquals(mappingState, 'Disabled'), deleteMapping)
    .otherwise(disableMapping);

  const listMappings = new tasks.CallAwsService(scope, STATES.listMappings, {
    comment:
      "Looks for the decrypt Lambda's mapping of this stream (Lambda allows one per function and stream).",
    service: 'lambda',
    action: 'listEventSourceMappings',
    parameters: {
      EventSourceArn: sfn.JsonPath.stringAt('$.request.streamArn'),
      FunctionName: props.decryptFunctionArn,
    },
    // ListEventSourceMappings has no resource-level permissions.
    iamResources: ['*'],
    resultSelector: {
      'count.$': 'States.ArrayLength($.EventSourceMappings)',
      'mappings.$': '$.EventSourceMappings',
    },
    resultPath: '$.mappings',
  });
  retryThrottling(listMappings, 'lambda');
  catchInto(listMappings, disconnectFailed('Mapping list failed', STATES.listMappings));
  listMappings.next(checkMapping);

  // ---------------------------------------------------------------- polling
  frame.pollUntil({
    states: STATES,
    target: 'stopped',
    from: 'started',
    reverse: 'starting',
    verb: 'stop',
    errors: {
      reversed: 'ActivityStreamStopFailed',
      timeout: 'ActivityStreamStopTimeout',
      instances: 'InstancesNotAvailableTimeout',
    },
    names: { reversed: 'Stream not stopping', timeout: 'Stream stop timed out' },
    next: listMappings,
  });

  // ---------------------------------------------------------------- stop
  const stop = new tasks.CallAwsService(scope, STATES.stop, {
    comment: 'StopActivityStream, applied immediately (restarts the instances).',
    service: 'rds',
    action: 'stopActivityStream',
    parameters: {
      ResourceArn: sfn.JsonPath.stringAt(`${DESCRIBED}.DbClusterArn`),
      ApplyImmediately: true,
    },
    iamResources: [...props.clusterArns],
    // Nothing is read from the answer (its members are all optional): the polls follow the stream.
    resultPath: sfn.JsonPath.DISCARD,
  });
  retryThrottling(stop, 'rds');
  catchInto(stop, failure('Stop failed', 'ActivityStreamStopFailed', STATES.stop, CAUGHT_CAUSE));
  stop.next(startPolling);

  const alreadyStopped = new sfn.Pass(scope, STATES.alreadyStopped, {
    resultPath: '$.outcome',
    parameters: {
      summary: 'the activity stream was already stopped before this run: no restart was needed',
    },
  }).next(listMappings);

  // ---------------------------------------------------------------- window
  const describeCluster = frame.describeClusterStep(STATES.describeCluster, {
    notFound: 'Cluster not found',
    failed: 'Describe failed',
  });
  const planWindow = frame.planWindow(
    { plan: STATES.planWindow, check: STATES.checkPlan, wait: STATES.waitForWindow },
    'stop',
    stop,
    describeCluster,
  );

  const stopNow = new sfn.Choice(scope, STATES.stopNow)
    // Back from the window's Wait (the plan exists), or asked for now: stop.
    .when(sfn.Condition.isPresent('$.plan'), stop)
    .when(sfn.Condition.stringEquals('$.request.window.kind', 'now'), stop)
    .otherwise(planWindow);

  const checkCluster = frame
    .checkClusterIdentity(
      STATES.checkCluster,
      STATES.describeCluster,
      'manages',
      frame.incompleteDescription(
        'Cluster description incomplete',
        STATES.describeCluster,
        CLUSTER_MEMBERS_READ.join(', '),
      ),
    )
    .when(streamIs('started'), stopNow)
    .when(streamIs('stopping'), startPolling)
    .when(
      streamIs('starting'),
      failure(
        'Stream starting',
        'ActivityStreamStarting',
        STATES.describeCluster,
        'the activity stream is starting; it can be stopped once it is started',
      ),
    )
    // `stopped`, or no activity stream status at all (never enabled).
    .otherwise(alreadyStopped);
  describeCluster.next(checkCluster);
  frame.acquireLock.next(describeCluster);

  return frame.start;
}
