/**
 * The enablement workflow's states (CDK L2, JSONPath only: the local executor silently mis-runs JSONata).
 *
 *   Validate input → Acquire lock → preflight (Describe cluster, Describe instances)
 *     → [Plan window → Wait for maintenance window → preflight again] → Start activity stream
 *     → poll with growing intervals until the stream is started and every instance available
 *     → connect (Kinesis stream ACTIVE, event source mapping created or enabled, never duplicated)
 *     → Release lock → Notify success.
 * Every Task retries throttling and catches everything else into a failure Pass that records the step, the
 * error name (errors.ts), the cause and what to do; the failure chain releases the lock (if this run holds
 * it), describes the cluster for the report, notifies and fails with that error. Validation, the lock, the
 * polling loop, the failure chain and the notifications are the frame shared with the disable workflow
 * (../shared/stream-workflow.ts); this file adds `stream`, `mappings` and `mapping` to the document.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { EventSourceMappingDefinition } from '../../infra/constructs/stream-processing';
import { retryThrottling } from '../shared/retry';
import { sdkTask } from '../shared/sdk-task';
import {
  CAUGHT_CAUSE,
  CLUSTER_MEMBERS_READ,
  DESCRIBED,
  FRAME_STATES,
  StreamWorkflowFrame,
} from '../shared/stream-workflow';
import { ENABLE_ERRORS, type EnableErrorName } from './errors';

/** The names of the states, as they appear in the console, the execution history and the local harness. */
export const STATES = {
  ...FRAME_STATES,
  describeCluster: 'Describe cluster',
  checkCluster: 'Check cluster',
  describeInstances: 'Describe instances',
  checkInstanceClasses: 'Check instance classes',
  planWindow: 'Plan window',
  checkPlan: 'Check plan',
  waitForWindow: 'Wait for maintenance window',
  start: 'Start activity stream',
  pollCluster: 'Poll cluster',
  checkStream: 'Check stream status',
  pollInstances: 'Poll instances',
  checkInstances: 'Check instances available',
  restartsFinished: 'Restarts finished',
  alreadyStarted: 'Already started',
  describeKinesis: 'Describe Kinesis stream',
  checkKinesis: 'Check Kinesis stream',
  waitForKinesis: 'Wait for Kinesis stream',
  countKinesisCheck: 'Count Kinesis check',
  listMappings: 'List event source mappings',
  waitForMappingDeletion: 'Wait for mapping deletion',
  countMappingCheck: 'Count mapping check',
  checkMapping: 'Check event source mapping',
  createMapping: 'Create event source mapping',
  enableMapping: 'Enable event source mapping',
  mappingExists: 'Mapping already enabled',
  succeeded: 'Enabled',
} as const;

export interface EnableDefinitionProps {
  /** The plan Lambda (validation and window planning). */
  readonly planFunction: lambda.IFunction;
  readonly lockTable: dynamodb.ITable;
  readonly topic: sns.ITopic;
  /** ARNs of the configured clusters (DescribeDBClusters, StartActivityStream). */
  readonly clusterArns: readonly string[];
  /** Resources for DescribeDBInstances (instance names are not configured). */
  readonly instanceArns: readonly string[];
  /** ARNs of the configured clusters' activity streams (DescribeStreamSummary). */
  readonly streamArns: readonly string[];
  /** The event source mapping's parameters, except the stream (taken from the validated request). */
  readonly eventSourceMapping: Omit<EventSourceMappingDefinition, 'EventSourceArn'>;
  /** Polling intervals in seconds; they add up to the deadline. */
  readonly pollSchedule: readonly number[];
  /** Checks of the Kinesis stream (30 s apart) before giving up. @default 10 */
  readonly kinesisChecks?: number;
  /** Checks (30 s apart) of a mapping found being deleted before giving up. @default 10 */
  readonly mappingChecks?: number;
  /** Prefix of notification subjects, `[prefix] …`. */
  readonly subjectPrefix: string;
}

/** Builds the states under `scope` and returns the start of the chain. */
export function buildEnableDefinition(scope: Construct, props: EnableDefinitionProps): sfn.IChainable {
  const kinesisChecks = props.kinesisChecks ?? 10;
  const mappingChecks = props.mappingChecks ?? 10;
  const frame = new StreamWorkflowFrame<EnableErrorName>(scope, {
    workflow: 'enable-activity-stream',
    errors: ENABLE_ERRORS,
    planFunction: props.planFunction,
    lockTable: props.lockTable,
    topic: props.topic,
    clusterArns: props.clusterArns,
    instanceArns: props.instanceArns,
    subjectPrefix: props.subjectPrefix,
    failureSubject: 'Activity stream FAILED',
    failureHeadline: 'aurora-audit could not enable Database Activity Streams on {}.',
    pollSchedule: props.pollSchedule,
  });
  const { startPolling } = frame;
  const streamIs = StreamWorkflowFrame.streamIs;
  const failure = frame.failure.bind(frame);
  const catchInto = frame.catchInto.bind(frame);

  // ---------------------------------------------------------------- preflight
  const describeCluster = frame.describeClusterStep(STATES.describeCluster, {
    notFound: 'Cluster not found',
    failed: 'Describe failed',
  });

  const describeInstances = frame.describeClusterInstances(STATES.describeInstances, '$.instances', {
    'classes.$': 'States.JsonToString($.DbInstances[*].DbInstanceClass)',
  });
  catchInto(
    describeInstances,
    failure('Describe instances failed', 'RdsDescribeFailed', STATES.describeInstances, CAUGHT_CAUSE),
  );

  // ---------------------------------------------------------------- start
  const start = new tasks.CallAwsService(scope, STATES.start, {
    comment:
      "StartActivityStream with the cluster's configured KMS key, applied immediately (restarts the instances).",
    service: 'rds',
    action: 'startActivityStream',
    parameters: {
      ResourceArn: sfn.JsonPath.stringAt(`${DESCRIBED}.DbClusterArn`),
      Mode: sfn.JsonPath.stringAt('$.request.mode'),
      KmsKeyId: sfn.JsonPath.stringAt('$.request.kmsKeyId'),
      ApplyImmediately: true,
    },
    iamResources: [...props.clusterArns],
    // Nothing is read from the answer (its members are all optional): the stream's name comes from
    // DescribeDBClusters once the stream is started.
    resultPath: sfn.JsonPath.DISCARD,
  });
  retryThrottling(start, 'rds');
  catchInto(start, failure('Start failed', 'ActivityStreamStartFailed', STATES.start, CAUGHT_CAUSE));

  // ---------------------------------------------------------------- connect
  const connectFailed = (name: string, step: string) =>
    failure(name, 'StreamConnectFailed', step, CAUGHT_CAUSE);
  const describeKinesis = new tasks.CallAwsService(scope, STATES.describeKinesis, {
    comment: "Checks the activity stream's Kinesis stream (ActivityStreamKinesisStreamName) is ACTIVE.",
    service: 'kinesis',
    action: 'describeStreamSummary',
    parameters: { StreamName: sfn.JsonPath.stringAt(`${DESCRIBED}.ActivityStreamKinesisStreamName`) },
    iamResources: [...props.streamArns],
    // StreamDescriptionSummary and its StreamStatus are required members of the answer: always present.
    resultSelector: { 'status.$': '$.StreamDescriptionSummary.StreamStatus' },
    resultPath: '$.stream',
  });
  retryThrottling(describeKinesis, 'kinesis');
  // RDS reports the stream before Kinesis does, at times.
  describeKinesis.addRetry({
    errors: ['Kinesis.ResourceNotFoundException'],
    interval: Duration.seconds(15),
    maxAttempts: 4,
    backoffRate: 2,
  });
  catchInto(describeKinesis, connectFailed('Kinesis stream check failed', STATES.describeKinesis));
  const countKinesisCheck = new sfn.Pass(scope, STATES.countKinesisCheck, {
    resultPath: '$.outcome',
    parameters: {
      'summary.$': '$.outcome.summary',
      'kinesisChecks.$': 'States.MathAdd($.outcome.kinesisChecks, 1)',
      'mappingChecks.$': '$.outcome.mappingChecks',
    },
  }).next(describeKinesis);
  const waitForKinesis = new sfn.Wait(scope, STATES.waitForKinesis, {
    time: sfn.WaitTime.duration(Duration.seconds(30)),
  }).next(countKinesisCheck);

  const listMappings = new tasks.CallAwsService(scope, STATES.listMappings, {
    comment: "Looks for the decrypt Lambda's mapping of this stream (never create a duplicate).",
    service: 'lambda',
    action: 'listEventSourceMappings',
    parameters: {
      EventSourceArn: sfn.JsonPath.stringAt('$.request.streamArn'),
      FunctionName: props.eventSourceMapping.FunctionName,
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
  catchInto(listMappings, connectFailed('Mapping list failed', STATES.listMappings));

  const { FunctionName, DestinationConfig, FunctionResponseTypes, ...settings } = props.eventSourceMapping;
  const createMapping = sdkTask(scope, STATES.createMapping, {
    comment:
      "Creates the decrypt Lambda's event source mapping (StreamProcessing.eventSourceMappingDefinition).",
    service: 'lambda',
    action: 'createEventSourceMapping',
    parameters: {
      FunctionName,
      EventSourceArn: sfn.JsonPath.stringAt('$.request.streamArn'),
      ...settings,
      FunctionResponseTypes: [...FunctionResponseTypes],
      DestinationConfig: { OnFailure: { Destination: DestinationConfig.OnFailure.Destination } },
    },
    // IAM: granted by the construct, limited to the decrypt Lambda (lambda:FunctionArn).
    resultSelector: { 'uuid.$': '$.Uuid', action: 'created' },
    resultPath: '$.mapping',
  });
  retryThrottling(createMapping, 'lambda');
  createMapping.addRetry({
    // Another operation on the function or the stream is in progress (CreateEventSourceMapping declares
    // ResourceConflictException for it; ResourceInUseException is UpdateEventSourceMapping's). A mapping created
    // meanwhile by someone else also conflicts: after the retries the run fails StreamConnectFailed, and the
    // next run finds that mapping.
    errors: ['Lambda.ResourceConflictException'],
    interval: Duration.seconds(10),
    maxAttempts: 3,
    backoffRate: 2,
  });
  catchInto(createMapping, connectFailed('Mapping creation failed', STATES.createMapping));

  const enableMapping = sdkTask(scope, STATES.enableMapping, {
    comment: 'The mapping exists but is disabled: enable it.',
    service: 'lambda',
    action: 'updateEventSourceMapping',
    parameters: { Uuid: sfn.JsonPath.stringAt('$.mappings.mappings[0].Uuid'), Enabled: true },
    // IAM: granted by the construct, limited to the decrypt Lambda's mappings (lambda:FunctionArn).
    resultSelector: { 'uuid.$': '$.Uuid', action: 'existed disabled and was enabled' },
    resultPath: '$.mapping',
  });
  retryThrottling(enableMapping, 'lambda');
  enableMapping.addRetry({
    errors: ['Lambda.ResourceInUseException', 'Lambda.ResourceConflictException'],
    interval: Duration.seconds(10),
    maxAttempts: 3,
    backoffRate: 2,
  });
  catchInto(enableMapping, connectFailed('Mapping update failed', STATES.enableMapping));

  const mappingExists = new sfn.Pass(scope, STATES.mappingExists, {
    resultPath: '$.mapping',
    parameters: {
      uuid: sfn.JsonPath.stringAt('$.mappings.mappings[0].Uuid'),
      state: sfn.JsonPath.stringAt('$.mappings.mappings[0].State'),
      action: 'already existed and was enabled',
    },
  });

  // A mapping being deleted (a disable run, someone in the console) cannot be enabled, and a new one cannot be
  // created until it is gone: wait for it, list again, then create.
  const countMappingCheck = new sfn.Pass(scope, STATES.countMappingCheck, {
    resultPath: '$.outcome',
    parameters: {
      'summary.$': '$.outcome.summary',
      'kinesisChecks.$': '$.outcome.kinesisChecks',
      'mappingChecks.$': 'States.MathAdd($.outcome.mappingChecks, 1)',
    },
  }).next(listMappings);
  const waitForDeletion = new sfn.Wait(scope, STATES.waitForMappingDeletion, {
    comment: "The decrypt Lambda's mapping of the stream is being deleted: wait, then list again.",
    time: sfn.WaitTime.duration(Duration.seconds(30)),
  }).next(countMappingCheck);
  const mappingDeleting = sfn.Condition.stringEquals('$.mappings.mappings[0].State', 'Deleting');

  const checkMapping = new sfn.Choice(scope, STATES.checkMapping)
    .when(sfn.Condition.numberEquals('$.mappings.count', 0), createMapping)
    .when(
      // Uuid and State are not required members of a listed mapping (Lambda's model).
      sfn.Condition.or(
        sfn.Condition.not(sfn.Condition.isPresent('$.mappings.mappings[0].Uuid')),
        sfn.Condition.not(sfn.Condition.isPresent('$.mappings.mappings[0].State')),
      ),
      failure(
        'Mapping listed incomplete',
        'StreamConnectFailed',
        STATES.listMappings,
        "ListEventSourceMappings listed the decrypt Lambda's mapping of the stream without its UUID or State, which the Lambda API does not promise; nothing was changed by this step",
      ),
    )
    .when(
      sfn.Condition.and(
        mappingDeleting,
        sfn.Condition.numberGreaterThanEquals('$.outcome.mappingChecks', mappingChecks),
      ),
      failure(
        'Mapping still being deleted',
        'StreamConnectFailed',
        STATES.listMappings,
        sfn.JsonPath.format(
          `the decrypt Lambda's event source mapping {} of the stream was still being deleted after ${mappingChecks} checks 30 s apart; run the workflow again once it is gone`,
          sfn.JsonPath.stringAt('$.mappings.mappings[0].Uuid'),
        ),
      ),
    )
    .when(mappingDeleting, waitForDeletion)
    .when(
      sfn.Condition.or(
        sfn.Condition.stringEquals('$.mappings.mappings[0].State', 'Disabled'),
        sfn.Condition.stringEquals('$.mappings.mappings[0].State', 'Disabling'),
      ),
      enableMapping,
    )
    .otherwise(mappingExists);

  const checkKinesis = new sfn.Choice(scope, STATES.checkKinesis)
    .when(
      sfn.Condition.or(
        sfn.Condition.stringEquals('$.stream.status', 'ACTIVE'),
        sfn.Condition.stringEquals('$.stream.status', 'UPDATING'),
      ),
      listMappings.next(checkMapping),
    )
    .when(
      sfn.Condition.numberGreaterThanEquals('$.outcome.kinesisChecks', kinesisChecks),
      failure(
        'Kinesis stream not active',
        'StreamConnectFailed',
        STATES.describeKinesis,
        sfn.JsonPath.format(
          `the Kinesis stream {} is {}, not ACTIVE, after ${kinesisChecks} checks`,
          sfn.JsonPath.stringAt(`${DESCRIBED}.ActivityStreamKinesisStreamName`),
          sfn.JsonPath.stringAt('$.stream.status'),
        ),
      ),
    )
    .otherwise(waitForKinesis);
  describeKinesis.next(checkKinesis);

  // ---------------------------------------------------------------- success
  const releaseLock = frame.succeed(STATES.succeeded, {
    subject: 'Activity stream enabled',
    comment: 'Tells the operators: the cluster, the stream, when it started, how long the restarts took.',
    lines: [
      'Database Activity Streams are running on {} and connected to aurora-audit.',
      'Kinesis stream: {}',
      'Requested mode: {}',
      'Start: {}',
      'Event source mapping {}: {}',
    ],
    values: [
      sfn.JsonPath.stringAt('$.request.displayName'),
      sfn.JsonPath.stringAt(`${DESCRIBED}.ActivityStreamKinesisStreamName`),
      sfn.JsonPath.stringAt('$.request.mode'),
      sfn.JsonPath.stringAt('$.outcome.summary'),
      sfn.JsonPath.stringAt('$.mapping.uuid'),
      sfn.JsonPath.stringAt('$.mapping.action'),
    ],
  });
  createMapping.next(releaseLock);
  enableMapping.next(releaseLock);
  mappingExists.next(releaseLock);

  // A started stream is connected from ActivityStreamKinesisStreamName, which the RDS model does not promise:
  // checked present wherever the stream is found started (Check cluster, Check stream status).
  const streamName = ['ActivityStreamKinesisStreamName'];
  const alreadyStarted = new sfn.Pass(scope, STATES.alreadyStarted, {
    resultPath: '$.outcome',
    parameters: {
      summary: 'the activity stream was already started before this run: no restart was needed',
      kinesisChecks: 0,
      mappingChecks: 0,
    },
  }).next(describeKinesis);
  frame.pollUntil({
    states: STATES,
    target: 'started',
    from: 'stopped',
    reverse: 'stopping',
    verb: 'start',
    errors: {
      reversed: 'ActivityStreamStartFailed',
      timeout: 'ActivityStreamStartTimeout',
      instances: 'InstancesNotAvailableTimeout',
    },
    names: { reversed: 'Stream stopped', timeout: 'Stream start timed out' },
    targetMembers: streamName,
    outcome: { kinesisChecks: 0, mappingChecks: 0 },
    next: describeKinesis,
  });

  // ---------------------------------------------------------------- window
  const planWindow = frame.planWindow(
    { plan: STATES.planWindow, check: STATES.checkPlan, wait: STATES.waitForWindow },
    'start',
    start,
    describeCluster,
  );

  const checkInstanceClasses = new sfn.Choice(scope, STATES.checkInstanceClasses)
    .when(
      sfn.Condition.stringMatches('$.instances.classes', '*"db.t*'),
      failure(
        'Burstable instance class',
        'UnsupportedCluster',
        STATES.describeInstances,
        sfn.JsonPath.format(
          'activity streams do not support burstable db.t* classes; instance classes: {}',
          sfn.JsonPath.stringAt('$.instances.classes'),
        ),
      ),
    )
    // Back from the window's Wait (the plan exists), or asked for now: start.
    .when(sfn.Condition.isPresent('$.plan'), start)
    .when(sfn.Condition.stringEquals('$.request.window.kind', 'now'), start)
    .otherwise(planWindow);
  describeInstances.next(checkInstanceClasses);

  const incomplete = frame.incompleteDescription(
    'Cluster description incomplete',
    STATES.describeCluster,
    `${CLUSTER_MEMBERS_READ.join(', ')} or (the stream started) ActivityStreamKinesisStreamName`,
  );
  const checkCluster = frame
    .checkClusterIdentity(STATES.checkCluster, STATES.describeCluster, 'enables', incomplete)
    .when(
      sfn.Condition.and(streamIs('started'), ...StreamWorkflowFrame.describedHas(streamName)),
      alreadyStarted,
    )
    .when(streamIs('started'), incomplete)
    .when(
      // DBClusterMembers is not a required member of the answer: an absent list is no instance too.
      sfn.Condition.not(sfn.Condition.isPresent(`${DESCRIBED}.DbClusterMembers[0]`)),
      failure(
        'No instances',
        'UnsupportedCluster',
        STATES.describeCluster,
        'the cluster has no DB instance: activity streams run on instances',
      ),
    )
    .when(streamIs('starting'), startPolling)
    .otherwise(describeInstances);

  start.next(startPolling);
  describeCluster.next(checkCluster);
  frame.acquireLock.next(describeCluster);

  return frame.start;
}
