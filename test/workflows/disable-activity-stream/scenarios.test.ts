/**
 * The disable workflow, run locally: the synthesized definition with aws-local-stepfunctions, the simulators
 * answering its Task states in Step Functions' spellings, simulated time, injected faults. Each scenario
 * asserts the final status, the error, the RDS and Lambda calls made and the notifications sent.
 */

import type { AwsWorld } from '../../../cli/local/aws/world';
import {
  CLUSTER,
  disableDeployment,
  disableScenario,
  RESOURCE_ID,
  rdsActions,
} from '../../../cli/local/scenarios/disable-activity-stream';
import type { ExecutionResult } from '../../../cli/local/stepfunctions/runner';
import { STATES } from '../../../workflows/disable-activity-stream/definition';
import { notificationExpectations } from '../shared/stream-expectations';

const NOW = { clusterIdentifier: CLUSTER, window: 'now', changeTicket: 'CHG-2001', requestedBy: 'bob' };
const CLUSTER_ARN = `arn:aws:rds:eu-west-1:123456789012:cluster:${CLUSTER}`;
const STREAM_NAME = `aws-rds-das-${RESOURCE_ID}`;

beforeAll(() => {
  disableDeployment();
}, 300_000);

const { expectOneNotification, expectFailure: expectNotifiedFailure } = notificationExpectations(
  disableDeployment,
  'disable-activity-stream',
  'Activity stream disable FAILED',
);

function expectFailure(run: ExecutionResult, world: AwsWorld, error: string) {
  const message = expectNotifiedFailure(run, world, error);
  expect(message.message).toMatch(/^aurora-audit could not disable Database Activity Streams on orders-db\./);
  return message;
}

describe('the disable workflow, happy path', () => {
  it('stops the stream now, waits through the restarts, removes the mapping and notifies', async () => {
    const s = disableScenario();
    const run = await s.run(NOW);

    expect(run.status).toBe('SUCCEEDED');
    expect(rdsActions(s.world)).toEqual([
      'describeDBClusters',
      'stopActivityStream',
      'describeDBClusters×6',
      'describeDBInstances',
    ]);
    const [stop] = s.world.callsTo('rds', 'stopActivityStream');
    expect(stop?.params).toEqual({ ResourceArn: CLUSTER_ARN, ApplyImmediately: true });
    expect(stop?.at).toBe('2026-11-24T10:00:00.000Z');
    expect(run.waits.map((w) => w.seconds)).toEqual([60, 120, 180, 240, 300, 300]);
    // Disable, then delete (the first delete meets the mapping still Disabling and is retried).
    expect(s.world.actions('lambda')).toEqual([
      'invoke',
      'listEventSourceMappings',
      'updateEventSourceMapping',
      'deleteEventSourceMapping',
      'deleteEventSourceMapping',
    ]);
    expect(s.world.callsTo('lambda', 'updateEventSourceMapping')[0]?.params).toEqual({
      Uuid: s.mapping?.Uuid,
      Enabled: false,
    });
    expect(s.world.callsTo('lambda', 'deleteEventSourceMapping').map((c) => c.error)).toEqual([
      'Lambda.ResourceInUseException',
      undefined,
    ]);
    expect(s.world.callsTo('lambda', 'listEventSourceMappings')[0]?.params).toEqual({
      EventSourceArn: s.deployment.streamArn,
      FunctionName: `arn:aws:lambda:eu-west-1:123456789012:function:${s.deployment.decryptFunction}`,
    });
    s.world.clock.advanceBy(10);
    expect(s.world.lambda.currentMappings()).toEqual([]);
    expect(s.world.rds.snapshot(CLUSTER)).toMatchObject({ activityStream: 'stopped' });
    // RDS deletes the stream's Kinesis stream once it is stopped.
    const kinesis = s.world.kinesis.streams.get(STREAM_NAME);
    expect(kinesis && s.world.kinesis.status(kinesis)).toBe('DELETING');
    expect(s.world.actions('dynamodb')).toEqual(['putItem', 'deleteItem']);
    expect(s.locks()).toEqual([]);

    const message = expectOneNotification(s.world, 'SUCCEEDED');
    expect(message.subject).toBe(`[aurora-audit] Activity stream disabled: ${CLUSTER}`);
    expect(message.message).toContain('stopped on orders-db and disconnected from aurora-audit');
    expect(message.message).toContain('every instance available within 1200 s');
    expect(message.message).toContain(`Event source mapping ${s.mapping?.Uuid}: was disabled and deleted`);
    expect(message.message).toContain('Change ticket: CHG-2001; requested by: bob');
    expect(run.transitions).toBeLessThan(60);
  });

  it('keeps the decrypt Lambda reading the stream until RDS has stopped it (no record left unread)', async () => {
    const s = disableScenario();
    const seen: { at: string; stream: string; mapping: string | undefined }[] = [];
    s.world.before('rds:describeDBClusters', () => {
      seen.push({
        at: s.world.clock.iso(),
        stream: s.world.rds.snapshot(CLUSTER).activityStream,
        mapping: s.world.lambda.currentMappings()[0]?.state,
      });
    });
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    // Every poll while the stream was stopping saw the mapping enabled.
    const stopping = seen.filter((p) => p.stream === 'stopping');
    expect(stopping.length).toBeGreaterThanOrEqual(5);
    expect(new Set(stopping.map((p) => p.mapping))).toEqual(new Set(['Enabled']));
    const [disable] = s.world.callsTo('lambda', 'updateEventSourceMapping');
    const stoppedAt = seen.find((p) => p.stream === 'stopped')?.at;
    expect(stoppedAt).toBe('2026-11-24T10:20:00.000Z');
    expect(Date.parse(disable!.at)).toBeGreaterThanOrEqual(Date.parse(stoppedAt!));
  });

  it('deletes a mapping that is already disabled without updating it', async () => {
    const s = disableScenario({ mapping: 'Disabled' });
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    expect(s.world.actions('lambda')).toEqual([
      'invoke',
      'listEventSourceMappings',
      'deleteEventSourceMapping',
    ]);
  });

  it('waits for the next maintenance window when asked for "next" (the default), then stops', async () => {
    const s = disableScenario();
    const run = await s.run({ clusterIdentifier: CLUSTER, changeTicket: 'CHG-2002' });
    expect(run.status).toBe('SUCCEEDED');
    const windowWait = run.waits.find((w) => w.state === STATES.waitForWindow);
    expect(windowWait?.timestamp).toBe('2026-11-29T03:00:00.000Z');
    expect(s.world.callsTo('rds', 'stopActivityStream')[0]?.at).toBe('2026-11-29T03:00:00.000Z');
    expect(s.world.actions('lambda').filter((a) => a === 'invoke')).toHaveLength(2);
  });
});

describe('the disable workflow picks up where the cluster is', () => {
  it('only removes the mapping when the stream is already stopped (a repeated run)', async () => {
    const s = disableScenario({ cluster: { activityStream: 'stopped' }, mapping: 'Enabled' });
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    expect(rdsActions(s.world)).toEqual(['describeDBClusters']);
    expect(s.world.actions('lambda')).toEqual([
      'invoke',
      'listEventSourceMappings',
      'updateEventSourceMapping',
      'deleteEventSourceMapping',
      'deleteEventSourceMapping',
    ]);
    expect(run.waits.filter((w) => w.state === STATES.waitForRestarts)).toEqual([]);
    expect(expectOneNotification(s.world, 'SUCCEEDED').message).toContain(
      'the activity stream was already stopped before this run: no restart was needed',
    );
  });

  it('succeeds without changing anything when the stream is stopped and no mapping exists', async () => {
    const s = disableScenario({ cluster: { activityStream: 'stopped' }, mapping: null });
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    expect(s.world.callsTo('rds', 'stopActivityStream')).toEqual([]);
    expect(s.world.actions('lambda')).toEqual(['invoke', 'listEventSourceMappings']);
    expect(expectOneNotification(s.world, 'SUCCEEDED').message).toContain(
      'Event source mapping (none): none existed, nothing to remove',
    );
  });

  it('waits for a stop that someone else started, without stopping twice', async () => {
    const s = disableScenario();
    s.world.rds.handlers()['rds:stopActivityStream']?.({ ResourceArn: CLUSTER_ARN, ApplyImmediately: true });
    s.world.clock.advanceBy(300);
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    expect(s.world.callsTo('rds', 'stopActivityStream')).toEqual([]);
    expect(expectOneNotification(s.world, 'SUCCEEDED').message).toContain('the stream found stopping');
  });

  it('does not stop a stream that is still starting: ActivityStreamStarting', async () => {
    const s = disableScenario({ cluster: { activityStream: 'starting' } });
    const run = await s.run(NOW);
    expectFailure(run, s.world, 'ActivityStreamStarting');
    expect(s.world.callsTo('rds', 'stopActivityStream')).toEqual([]);
    expect(s.world.lambda.currentMappings().map((m) => m.state)).toEqual(['Enabled']);
    expect(s.locks()).toEqual([]);
  });

  it('treats a mapping that is already being deleted as removed', async () => {
    const s = disableScenario({ cluster: { activityStream: 'stopped' }, mapping: 'Disabled' });
    s.world.lambda.handlers()['lambda:deleteEventSourceMapping']?.({ Uuid: s.mapping?.Uuid });
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    expect(s.world.actions('lambda')).toEqual(['invoke', 'listEventSourceMappings']);
    expect(s.world.sns.messages[0]?.message).toContain('was already being deleted');
  });
});

describe('the disable workflow refuses bad input', () => {
  it.each([
    [{ clusterIdentifier: 'billing-db' }, 'clusterIdentifier: "billing-db" is not a configured cluster'],
    [{ clusterIdentifier: CLUSTER, mode: 'sync' }, 'mode: is not a known field'],
    [{ clusterIdentifier: CLUSTER, window: 'tomorrow' }, 'window: must be "now", "next"'],
    [{}, 'clusterIdentifier: is required'],
  ])('%j → InvalidInput, nothing called, no lock', async (input, problem) => {
    const s = disableScenario();
    const run = await s.run(input);
    expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'InvalidInput' });
    expect(run.cause).toContain(problem);
    expect(s.world.actions('rds')).toEqual([]);
    expect(s.world.actions('dynamodb')).toEqual([]);
    expect(s.world.sns.messages[0]?.attributes.error).toBe('InvalidInput');
  });
});

describe('the disable workflow and failures', () => {
  it('fails with ClusterNotFound when RDS has no such cluster, and releases the lock', async () => {
    const s = disableScenario({ cluster: null, mapping: null });
    const run = await s.run(NOW);
    expectFailure(run, s.world, 'ClusterNotFound');
    expect(s.locks()).toEqual([]);
  });

  it('fails with UnsupportedCluster when the cluster was re-created (another resource id)', async () => {
    const s = disableScenario({ cluster: { resourceId: 'cluster-ZZZZZZZZZZZZZZZZZZZZZZZZZZ' } });
    const run = await s.run(NOW);
    const message = expectFailure(run, s.world, 'UnsupportedCluster');
    expect(message.message).toContain('was the cluster re-created?');
    expect(s.world.callsTo('rds', 'stopActivityStream')).toEqual([]);
  });

  it('times out a stream stuck in stopping: ActivityStreamStopTimeout, the mapping kept', async () => {
    const s = disableScenario({ cluster: { neverStops: true } });
    const run = await s.run(NOW);
    const message = expectFailure(run, s.world, 'ActivityStreamStopTimeout');
    expect(run.waits.reduce((sum, w) => sum + (w.seconds ?? 0), 0)).toBe(45 * 60);
    expect(message.message).toContain('was not stopped after 2700 s');
    expect(message.message).toContain(
      'Cluster now: status configuring-activity-stream, activity stream stopping',
    );
    // The stream is still running: its records must still be read.
    expect(s.world.lambda.currentMappings().map((m) => m.state)).toEqual(['Enabled']);
    expect(s.locks()).toEqual([]);
  });

  it('times out instances that do not come back: InstancesNotAvailableTimeout', async () => {
    const s = disableScenario({
      cluster: {
        instances: [{ identifier: 'orders-db-1' }, { identifier: 'orders-db-2', stuckIn: 'rebooting' }],
      },
    });
    const run = await s.run(NOW);
    const message = expectFailure(run, s.world, 'InstancesNotAvailableTimeout');
    expect(message.message).toContain('["orders-db-1","orders-db-2"] were ["available","rebooting"]');
  });

  it('reports a refused StopActivityStream as ActivityStreamStopFailed and touches nothing else', async () => {
    const s = disableScenario();
    s.world.faults.inject({
      target: 'rds:stopActivityStream',
      error: 'Rds.InvalidDbClusterStateException',
      cause: 'DbCluster orders-db is in backing-up state (Service: Rds, Status Code: 400)',
    });
    const run = await s.run(NOW);
    const message = expectFailure(run, s.world, 'ActivityStreamStopFailed');
    expect(message.message).toContain(
      'Rds.InvalidDbClusterStateException: DbCluster orders-db is in backing-up state',
    );
    expect(s.world.lambda.currentMappings().map((m) => m.state)).toEqual(['Enabled']);
  });

  it('fails with AlreadyRunning while another run holds the lock, changing nothing', async () => {
    const s = disableScenario();
    s.world.dynamodb.seed(s.deployment.lockTable, {
      ClusterIdentifier: { S: CLUSTER },
      Owner: { S: 'arn:aws:states:eu-west-1:123456789012:execution:enable:other' },
      ExpiresAt: { N: String(Date.parse('2026-11-25T10:00:00Z') / 1000) },
    });
    const run = await s.run(NOW);
    expectFailure(run, s.world, 'AlreadyRunning');
    expect(s.world.actions('rds')).toEqual(['describeDBClusters']);
    // The other run's lock is still there.
    expect(s.locks()).toHaveLength(1);
  });

  it('retries throttling with backoff and succeeds', async () => {
    const s = disableScenario();
    s.world.faults.throttle('rds:stopActivityStream', 2);
    s.world.faults.throttle('lambda:updateEventSourceMapping', 1);
    s.world.faults.throttle('sns:publish', 1);
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.retries.map((r) => [r.state, r.error])).toEqual([
      [STATES.stop, 'Rds.RdsException'],
      [STATES.stop, 'Rds.RdsException'],
      [STATES.disableMapping, 'Lambda.TooManyRequestsException'],
      [STATES.deleteMapping, 'Lambda.ResourceInUseException'],
      [STATES.notifySuccess, 'SNS.AmazonSNSException'],
    ]);
    expect(s.world.callsTo('rds', 'stopActivityStream').filter((c) => !c.error)).toHaveLength(1);
  });

  it('reports a mapping that cannot be deleted as StreamDisconnectFailed; a second run finishes the job', async () => {
    const s = disableScenario();
    s.world.faults.inject({
      target: 'lambda:deleteEventSourceMapping',
      error: 'Lambda.AccessDeniedException',
      cause: 'User is not authorized to perform: lambda:DeleteEventSourceMapping',
      times: 1,
    });
    const first = await s.run(NOW, 'first');
    const message = expectFailure(first, s.world, 'StreamDisconnectFailed');
    expect(message.message).toContain('Step: Delete event source mapping');
    expect(message.message).toContain('Cluster now: status available, activity stream stopped');
    expect(s.locks()).toEqual([]);

    s.world.sns.messages.length = 0;
    const second = await s.run(NOW, 'second');
    expect(second.status).toBe('SUCCEEDED');
    expect(s.world.callsTo('rds', 'stopActivityStream')).toHaveLength(1);
    s.world.clock.advanceBy(10);
    expect(s.world.lambda.currentMappings()).toEqual([]);
  });

  it('notifies a failure with the state machine failed even when SNS keeps failing', async () => {
    const s = disableScenario({ cluster: null, mapping: null });
    s.world.faults.inject({ target: 'sns:publish', error: 'SNS.AuthorizationErrorException', times: 10 });
    const run = await s.run(NOW);
    expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'ClusterNotFound' });
    expect(s.world.sns.messages).toEqual([]);
  });
});
