/**
 * The enablement workflow, run locally: the synthesized definition with aws-local-stepfunctions, the
 * simulators answering its Task states in Step Functions' spellings, simulated time, injected faults.
 * Each scenario asserts the final status, the error, the RDS calls made and the notifications sent.
 */

import {
  CLUSTER,
  enableDeployment,
  enableScenario,
  KMS_KEY,
  RESOURCE_ID,
} from '../../../cli/local/scenarios/enable-activity-stream';
import { rdsActions } from '../../../cli/local/scenarios/stream';
import { STATES } from '../../../workflows/enable-activity-stream/definition';
import { notificationExpectations } from '../shared/stream-expectations';

const NOW = { clusterIdentifier: CLUSTER, window: 'now', changeTicket: 'CHG-1042', requestedBy: 'alice' };
const CLUSTER_ARN = `arn:aws:rds:eu-west-1:123456789012:cluster:${CLUSTER}`;
const STREAM_NAME = `aws-rds-das-${RESOURCE_ID}`;

beforeAll(() => {
  enableDeployment();
}, 300_000);

const { expectOneNotification, expectFailure } = notificationExpectations(
  enableDeployment,
  'enable-activity-stream',
  'Activity stream FAILED',
);

describe('the enablement workflow, happy path', () => {
  it('starts the stream now, waits through 20 minutes of restarts, connects it and notifies', async () => {
    const s = enableScenario();
    const run = await s.run(NOW);

    expect(run.status).toBe('SUCCEEDED');
    expect(rdsActions(s.world)).toEqual([
      'describeDBClusters',
      'describeDBInstances',
      'startActivityStream',
      'describeDBClusters×6',
      'describeDBInstances',
    ]);
    const [start] = s.world.callsTo('rds', 'startActivityStream');
    expect(start?.params).toEqual({
      ResourceArn: CLUSTER_ARN,
      Mode: 'async',
      KmsKeyId: KMS_KEY,
      ApplyImmediately: true,
    });
    expect(start?.at).toBe('2026-11-24T10:00:00.000Z');
    // Growing polling intervals, the stream started after 20 minutes.
    expect(run.waits.map((w) => w.seconds)).toEqual([60, 120, 180, 240, 300, 300]);
    expect(s.world.actions('kinesis')).toEqual(['describeStreamSummary']);
    expect(s.world.actions('lambda')).toEqual([
      'invoke',
      'listEventSourceMappings',
      'createEventSourceMapping',
    ]);
    const [create] = s.world.callsTo('lambda', 'createEventSourceMapping');
    expect(create?.params).toEqual({
      FunctionName: `arn:aws:lambda:eu-west-1:123456789012:function:${s.deployment.decryptFunction}`,
      EventSourceArn: s.deployment.streamArn,
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      MaximumRecordAgeInSeconds: 21600,
      MaximumRetryAttempts: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: expect.stringMatching(/^arn:aws:s3:::storagebucket/) } },
      Enabled: true,
    });
    // Lock taken and released.
    expect(s.world.actions('dynamodb')).toEqual(['putItem', 'deleteItem']);
    expect(s.locks()).toEqual([]);

    const message = expectOneNotification(s.world, 'SUCCEEDED');
    expect(message.subject).toBe(`[aurora-audit] Activity stream enabled: ${CLUSTER}`);
    expect(message.message).toContain(`Kinesis stream: ${STREAM_NAME}`);
    expect(message.message).toContain('Change ticket: CHG-1042; requested by: alice');
    expect(message.message).toContain('at 2026-11-24T10:00:00.000Z');
    expect(message.message).toContain('every instance available within 1200 s');
    expect(message.message).toMatch(/Event source mapping [0-9a-f-]{36}: created/);
    expect(message.at).toBe('2026-11-24T10:20:00.000Z');
    expect(run.transitions).toBeLessThan(60);
    expect(s.world.rds.snapshot(CLUSTER).activityStream).toBe('started');
  });

  it('passes the requested mode (sync) to StartActivityStream', async () => {
    const s = enableScenario();
    const run = await s.run({ clusterIdentifier: CLUSTER, window: 'now', mode: 'sync' });
    expect(run.status).toBe('SUCCEEDED');
    expect(s.world.callsTo('rds', 'startActivityStream')[0]?.params.Mode).toBe('sync');
    expect(s.world.sns.messages[0]?.message).toContain('Change ticket: (none); requested by: (none)');
  });

  it('survives restarts of 40 minutes (within the 45-minute deadline)', async () => {
    const s = enableScenario({ cluster: { restartSeconds: 40 * 60 } });
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.waits.reduce((sum, w) => sum + (w.seconds ?? 0), 0)).toBe(2400);
    expect(s.world.sns.messages[0]?.message).toContain('within 2400 s');
    expect(s.world.callsTo('rds', 'startActivityStream')).toHaveLength(1);
    expect(run.transitions).toBeLessThan(60);
  });

  it('waits for the instances that come back after the stream reports started', async () => {
    const s = enableScenario({ cluster: { restartSeconds: 600, instanceLagSeconds: 200 } });
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    // Started at 600 s (poll at 600), the instances available at 800 s (poll at 900).
    expect(rdsActions(s.world)).toEqual([
      'describeDBClusters',
      'describeDBInstances',
      'startActivityStream',
      'describeDBClusters×4',
      'describeDBInstances',
      'describeDBClusters',
      'describeDBInstances',
    ]);
    expect(s.world.sns.messages[0]?.message).toContain('within 900 s');
  });

  it('waits for the Kinesis stream to become ACTIVE before creating the mapping', async () => {
    const s = enableScenario({ cluster: { restartSeconds: 600, kinesisActiveAfterSeconds: 620 } });
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    expect(s.world.actions('kinesis')).toEqual(['describeStreamSummary', 'describeStreamSummary']);
    expect(run.waits.filter((w) => w.state === STATES.waitForKinesis)).toHaveLength(1);
  });
});

describe('the enablement workflow and the maintenance window', () => {
  it("waits for the cluster's next window days away (the Wait gets its start), then runs the preflight again", async () => {
    // Tuesday 10:00; the window is sun:03:00-sun:04:00.
    const s = enableScenario();
    const run = await s.run({ clusterIdentifier: CLUSTER, changeTicket: 'CHG-7' });
    expect(run.status).toBe('SUCCEEDED');
    const windowWait = run.waits.find((w) => w.state === STATES.waitForWindow);
    expect(windowWait).toEqual({
      state: STATES.waitForWindow,
      kind: 'timestamp',
      timestamp: '2026-11-29T03:00:00.000Z',
      from: '2026-11-24T10:00:00.000Z',
      until: '2026-11-29T03:00:00.000Z',
    });
    expect(rdsActions(s.world)).toEqual([
      'describeDBClusters',
      'describeDBInstances',
      // after the wait: the preflight again, then the start
      'describeDBClusters',
      'describeDBInstances',
      'startActivityStream',
      'describeDBClusters×6',
      'describeDBInstances',
    ]);
    expect(s.world.callsTo('rds', 'startActivityStream')[0]?.at).toBe('2026-11-29T03:00:00.000Z');
    expect(
      s.world.callsTo('lambda', 'invoke').map((c) => (c.params.Payload as { action: string }).action),
    ).toEqual(['validate', 'plan']);
    expect(s.locks()).toEqual([]);
  });

  it('starts at once inside the window when enough time is left', async () => {
    const s = enableScenario({ start: '2026-11-29T03:10:00.000Z' });
    const run = await s.run({ clusterIdentifier: CLUSTER, window: 'next' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.waits.find((w) => w.state === STATES.waitForWindow)).toBeUndefined();
    expect(s.world.callsTo('rds', 'startActivityStream')[0]?.at).toBe('2026-11-29T03:10:00.000Z');
  });

  it('takes the following window when too little of the current one is left', async () => {
    const s = enableScenario({ start: '2026-11-29T03:40:00.000Z' });
    const run = await s.run({ clusterIdentifier: CLUSTER, window: 'next' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.waits.find((w) => w.state === STATES.waitForWindow)?.timestamp).toBe(
      '2026-12-06T03:00:00.000Z',
    );
  });

  it('waits for a given window', async () => {
    const s = enableScenario();
    const run = await s.run({
      clusterIdentifier: CLUSTER,
      window: { start: '2026-11-25T22:00:00+01:00', end: '2026-11-25T23:30:00+01:00' },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.waits.find((w) => w.state === STATES.waitForWindow)?.timestamp).toBe(
      '2026-11-25T21:00:00.000Z',
    );
    expect(s.world.callsTo('rds', 'startActivityStream')[0]?.at).toBe('2026-11-25T21:00:00.000Z');
  });

  it('connects a stream someone else started during the wait, without starting it again', async () => {
    const s = enableScenario();
    // Started by hand before the window: the preflight after the wait finds it started.
    s.world.before('rds:describeDBClusters', (n) => {
      if (n === 2) s.world.rds.setActivityStream(CLUSTER, 'started');
    });
    const run = await s.run({ clusterIdentifier: CLUSTER });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.waits.map((w) => w.state)).toEqual([STATES.waitForWindow]);
    expect(rdsActions(s.world)).toEqual(['describeDBClusters', 'describeDBInstances', 'describeDBClusters']);
    expect(s.world.actions('lambda')).toEqual([
      'invoke',
      'invoke',
      'listEventSourceMappings',
      'createEventSourceMapping',
    ]);
  });

  it('rechecks the cluster after the wait: a class changed to burstable meanwhile is refused', async () => {
    const s = enableScenario({
      cluster: { instances: [{ identifier: 'orders-db-1' }, { identifier: 'orders-db-2' }] },
    });
    s.world.before('rds:describeDBInstances', (n) => {
      if (n === 2) {
        const cluster = s.world.rds.clusters.get(CLUSTER)!;
        (cluster.instances as { instanceClass: string }[])[1]!.instanceClass = 'db.t3.medium';
      }
    });
    const run = await s.run({ clusterIdentifier: CLUSTER });
    expectFailure(run, s.world, 'UnsupportedCluster');
    expect(s.world.callsTo('rds', 'startActivityStream')).toEqual([]);
  });

  it('refuses a window whose plan is impossible after the preflight: InvalidInput from the plan', async () => {
    // A weekly window shorter than the 30 minutes required.
    const s = enableScenario({ cluster: { preferredMaintenanceWindow: 'sun:03:00-sun:03:20' } });
    const run = await s.run({ clusterIdentifier: CLUSTER });
    expectFailure(run, s.world, 'InvalidInput');
    expect(run.cause).toContain('lasts 20 min, less than the 30 min required');
    expect(s.locks()).toEqual([]);
  });
});

describe('the enablement workflow is idempotent', () => {
  it('connects a stream that is already started, with no restart', async () => {
    const s = enableScenario({ cluster: { activityStream: 'started' } });
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    expect(rdsActions(s.world)).toEqual(['describeDBClusters']);
    expect(s.world.actions('lambda')).toEqual([
      'invoke',
      'listEventSourceMappings',
      'createEventSourceMapping',
    ]);
    expect(run.waits).toEqual([]);
    expect(expectOneNotification(s.world, 'SUCCEEDED').message).toContain('already started before this run');
  });

  it('waits for a start already in progress instead of starting again', async () => {
    const s = enableScenario({ cluster: { activityStream: 'starting', startingSecondsLeft: 500 } });
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    expect(s.world.callsTo('rds', 'startActivityStream')).toEqual([]);
    // The preflight, then four polls.
    expect(rdsActions(s.world)).toEqual(['describeDBClusters×5', 'describeDBInstances']);
    expect(run.waits.map((w) => w.seconds)).toEqual([60, 120, 180, 240]);
  });

  it('leaves an existing enabled mapping alone (no duplicate)', async () => {
    const s = enableScenario({ cluster: { activityStream: 'started' } });
    const existing = s.world.lambda.seedMapping(s.deployment.decryptFunction, s.deployment.streamArn, true);
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    expect(s.world.actions('lambda')).toEqual(['invoke', 'listEventSourceMappings']);
    expect(s.world.lambda.currentMappings()).toHaveLength(1);
    expect(s.world.sns.messages[0]?.message).toContain(
      `Event source mapping ${existing.Uuid}: already existed and was enabled`,
    );
  });

  it('enables an existing disabled mapping instead of creating another', async () => {
    const s = enableScenario({ cluster: { activityStream: 'started' } });
    const existing = s.world.lambda.seedMapping(s.deployment.decryptFunction, s.deployment.streamArn, false);
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    expect(s.world.actions('lambda')).toEqual([
      'invoke',
      'listEventSourceMappings',
      'updateEventSourceMapping',
    ]);
    expect(s.world.callsTo('lambda', 'updateEventSourceMapping')[0]?.params).toEqual({
      Uuid: existing.Uuid,
      Enabled: true,
    });
    s.world.clock.advanceBy(10);
    expect(s.world.lambda.currentMappings().map((m) => m.state)).toEqual(['Enabled']);
    expect(s.world.sns.messages[0]?.message).toContain('existed disabled and was enabled');
  });

  it('waits for a mapping found being deleted to be gone, then creates a new one (not "already existed")', async () => {
    const s = enableScenario({ cluster: { activityStream: 'started' } });
    const old = s.world.lambda.seedMapping(s.deployment.decryptFunction, s.deployment.streamArn, true);
    s.world.lambda.startDeleting(old, 50);
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    // Deleting at 0 s and 30 s, gone at 60 s: two waits, then a new mapping.
    expect(run.waits.filter((w) => w.state === STATES.waitForMappingDeletion).map((w) => w.seconds)).toEqual([
      30, 30,
    ]);
    expect(s.world.actions('lambda')).toEqual([
      'invoke',
      'listEventSourceMappings',
      'listEventSourceMappings',
      'listEventSourceMappings',
      'createEventSourceMapping',
    ]);
    const mappings = s.world.lambda.currentMappings();
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.Uuid).not.toBe(old.Uuid);
    const message = expectOneNotification(s.world, 'SUCCEEDED').message;
    expect(message).toContain(`Event source mapping ${mappings[0]?.Uuid}: created`);
    expect(message).not.toContain('already existed');
  });

  it('gives up on a mapping that stays in Deleting: StreamConnectFailed naming it, lock released', async () => {
    const s = enableScenario({ cluster: { activityStream: 'started' } });
    const old = s.world.lambda.seedMapping(s.deployment.decryptFunction, s.deployment.streamArn, true);
    s.world.lambda.startDeleting(old, Number.POSITIVE_INFINITY);
    const run = await s.run(NOW);
    const message = expectFailure(run, s.world, 'StreamConnectFailed');
    expect(message.message).toContain(
      `event source mapping ${old.Uuid} of the stream was still being deleted`,
    );
    expect(run.waits.filter((w) => w.state === STATES.waitForMappingDeletion)).toHaveLength(10);
    expect(s.world.callsTo('lambda', 'createEventSourceMapping')).toEqual([]);
    expect(s.locks()).toEqual([]);
  });

  it('runs twice in a row: the second run only checks', async () => {
    const s = enableScenario();
    expect((await s.run(NOW, 'first')).status).toBe('SUCCEEDED');
    const before = s.world.calls.length;
    const second = await s.run(NOW, 'second');
    expect(second.status).toBe('SUCCEEDED');
    const actions = s.world.calls.slice(before).map((c) => `${c.service}:${c.action}`);
    expect(actions).toEqual([
      'lambda:invoke',
      'dynamodb:putItem',
      'rds:describeDBClusters',
      'kinesis:describeStreamSummary',
      'lambda:listEventSourceMappings',
      'dynamodb:deleteItem',
      'sns:publish',
    ]);
    expect(s.world.lambda.currentMappings()).toHaveLength(1);
  });
});

describe('the enablement workflow refuses', () => {
  it('a cluster RDS does not know: ClusterNotFound', async () => {
    const s = enableScenario({ cluster: null });
    const run = await s.run(NOW);
    const message = expectFailure(run, s.world, 'ClusterNotFound');
    expect(run.cause).toContain('Rds.DbClusterNotFoundException');
    expect(rdsActions(s.world)).toEqual(['describeDBClusters×2']); // the preflight, the report
    expect(message.message).toContain('Cluster now: not checked');
    expect(s.locks()).toEqual([]);
  });

  it('an engine other than aurora-postgresql: UnsupportedCluster', async () => {
    const s = enableScenario({ cluster: { engine: 'aurora-mysql' } });
    const run = await s.run(NOW);
    const message = expectFailure(run, s.world, 'UnsupportedCluster');
    expect(run.cause).toContain('the engine is aurora-mysql');
    expect(s.world.callsTo('rds', 'startActivityStream')).toEqual([]);
    expect(message.message).toContain('Cluster now: status available, activity stream stopped');
    expect(s.locks()).toEqual([]);
  });

  it('a member on a burstable class: UnsupportedCluster', async () => {
    const s = enableScenario({
      cluster: {
        instances: [
          { identifier: 'orders-db-1' },
          { identifier: 'orders-db-2', instanceClass: 'db.t4g.medium' },
        ],
      },
    });
    const run = await s.run(NOW);
    expectFailure(run, s.world, 'UnsupportedCluster');
    expect(run.cause).toContain('db.t4g.medium');
    expect(rdsActions(s.world)).toEqual(['describeDBClusters', 'describeDBInstances', 'describeDBClusters']);
    expect(s.locks()).toEqual([]);
  });

  it('a cluster whose resource id is not the configured one: UnsupportedCluster', async () => {
    const s = enableScenario({ cluster: { resourceId: 'cluster-ZZZZZZZZZZZZZZZZZZZZZZZZZZ' } });
    const run = await s.run(NOW);
    expectFailure(run, s.world, 'UnsupportedCluster');
    expect(run.cause).toContain('cluster-ZZZZZZZZZZZZZZZZZZZZZZZZZZ');
  });

  it('a cluster without instances: UnsupportedCluster', async () => {
    const s = enableScenario({ cluster: { instances: [] } });
    const run = await s.run(NOW);
    expectFailure(run, s.world, 'UnsupportedCluster');
    expect(run.cause).toContain('no DB instance');
  });
});

describe('the enablement workflow validates its input', () => {
  // [case, input, problem in the cause, cluster named in the notification]
  const cases: [string, unknown, string, string][] = [
    ['a missing clusterIdentifier', { window: 'now' }, 'clusterIdentifier: is required', '(none)'],
    [
      'a cluster not in the configuration',
      { clusterIdentifier: 'payments-db' },
      'clusterIdentifier: "payments-db" is not a configured cluster',
      'payments-db',
    ],
    [
      'a malformed window',
      { clusterIdentifier: CLUSTER, window: 'tomorrow' },
      'window: must be "now", "next"',
      CLUSTER,
    ],
    [
      'a window start that is not a timestamp',
      { clusterIdentifier: CLUSTER, window: { start: 'soon', end: '2026-11-25T03:00:00Z' } },
      'window.start: must be an ISO-8601 timestamp',
      CLUSTER,
    ],
    [
      'a window end before its start',
      { clusterIdentifier: CLUSTER, window: { start: '2026-11-25T03:00:00Z', end: '2026-11-25T02:00:00Z' } },
      'window.end: must be after window.start',
      CLUSTER,
    ],
    [
      'a window in the past',
      { clusterIdentifier: CLUSTER, window: { start: '2026-11-20T03:00:00Z', end: '2026-11-20T04:00:00Z' } },
      'window.end: is in the past',
      CLUSTER,
    ],
    [
      'a window too far ahead',
      { clusterIdentifier: CLUSTER, window: { start: '2027-01-20T03:00:00Z', end: '2027-01-20T04:00:00Z' } },
      'window.start: is more than',
      CLUSTER,
    ],
    [
      'an unknown window field',
      {
        clusterIdentifier: CLUSTER,
        window: { start: '2026-11-25T03:00:00Z', end: '2026-11-25T04:00:00Z', tz: 'UTC' },
      },
      'window.tz: is not a known field',
      CLUSTER,
    ],
    [
      'a bad mode',
      { clusterIdentifier: CLUSTER, mode: 'fast' },
      'mode: must be "async" or "sync" (got "fast")',
      CLUSTER,
    ],
    [
      'a changeTicket that is not text',
      { clusterIdentifier: CLUSTER, changeTicket: 1042 },
      'changeTicket: must be',
      CLUSTER,
    ],
    [
      'an empty requestedBy',
      { clusterIdentifier: CLUSTER, requestedBy: '' },
      'requestedBy: must be',
      CLUSTER,
    ],
    [
      'an unknown field',
      { clusterIdentifier: CLUSTER, windows: 'now' },
      'windows: is not a known field',
      CLUSTER,
    ],
    ['an input that is not an object', 'orders-db', 'input: must be a JSON object', '(none)'],
  ];

  it.each(cases)(
    'ends with InvalidInput on %s, naming the field, before touching anything',
    async (_name, input, problem, cluster) => {
      const s = enableScenario();
      const run = await s.run(input);
      const message = expectFailure(run, s.world, 'InvalidInput', cluster);
      expect(run.cause).toContain(problem);
      expect(message.message).toContain(problem);
      expect(s.world.actions('rds')).toEqual([]);
      expect(s.world.actions('dynamodb')).toEqual([]);
    },
  );

  it('reports every problem at once', async () => {
    const s = enableScenario();
    const run = await s.run({ clusterIdentifier: CLUSTER, window: 'later', mode: 'fast' });
    expect(run.error).toBe('InvalidInput');
    expect(run.cause).toContain('window:');
    expect(run.cause).toContain('mode:');
  });

  it('ends with PlanningFunctionFailed when the plan Lambda itself fails', async () => {
    const s = enableScenario();
    s.world.lambda.addFunction(s.deployment.planFunction, () => {
      throw new TypeError('boom');
    });
    const run = await s.run(NOW);
    expect(run.error).toBe('PlanningFunctionFailed');
    expect(run.cause).toContain('TypeError');
    expect(s.world.sns.messages[0]?.subject).toBe('[aurora-audit] Activity stream FAILED: (unknown)');
  });
});

describe('the enablement workflow runs once per cluster', () => {
  it('lets only one of two concurrent runs through: the other ends AlreadyRunning', async () => {
    const s = enableScenario();
    const [a, b] = await Promise.all([s.run(NOW, 'a'), s.run(NOW, 'b')]);
    expect([a.status, b.status].sort()).toEqual(['FAILED', 'SUCCEEDED']);
    const loser = a.status === 'FAILED' ? a : b;
    expect(loser.error).toBe('AlreadyRunning');
    expect(s.world.callsTo('rds', 'startActivityStream')).toHaveLength(1);
    expect(s.world.lambda.currentMappings()).toHaveLength(1);
    expect(s.world.sns.messages.map((m) => m.attributes.outcome).sort()).toEqual(['FAILED', 'SUCCEEDED']);
    // The loser never deleted the winner's lock; the winner released it.
    expect(s.locks()).toEqual([]);
  });

  it("does not release another run's lock", async () => {
    const s = enableScenario();
    const held = {
      ClusterIdentifier: { S: CLUSTER },
      Owner: { S: 'arn:aws:states:eu-west-1:123456789012:execution:sm:other' },
      ExpiresAt: { N: String(Date.parse('2026-11-30T00:00:00Z') / 1000) },
    };
    s.world.dynamodb.seed(s.deployment.lockTable, held);
    const run = await s.run(NOW);
    expectFailure(run, s.world, 'AlreadyRunning');
    expect(s.world.actions('dynamodb')).toEqual(['putItem']);
    expect(s.locks()).toEqual([held]);
    expect(s.world.callsTo('rds', 'startActivityStream')).toEqual([]);
  });

  it('takes over an expired lock (a run that was stopped)', async () => {
    const s = enableScenario();
    s.world.dynamodb.seed(s.deployment.lockTable, {
      ClusterIdentifier: { S: CLUSTER },
      Owner: { S: 'arn:aws:states:eu-west-1:123456789012:execution:sm:stopped' },
      ExpiresAt: { N: String(Date.parse('2026-11-20T00:00:00Z') / 1000) },
    });
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    expect(s.locks()).toEqual([]);
  });

  it('holds the lock while waiting for the window, with its owner and an expiry', async () => {
    const s = enableScenario();
    let lockDuringWait: unknown[] = [];
    s.world.before('rds:describeDBClusters', (n) => {
      if (n === 2) lockDuringWait = s.locks();
    });
    const run = await s.run({ clusterIdentifier: CLUSTER, changeTicket: 'CHG-9' }, 'waiting');
    expect(run.status).toBe('SUCCEEDED');
    expect(lockDuringWait).toEqual([
      {
        ClusterIdentifier: { S: CLUSTER },
        Owner: { S: run.executionArn },
        ExpiresAt: { N: String(Date.parse('2026-11-24T10:00:00Z') / 1000 + 8 * 86400 + 3600) },
        ChangeTicket: { S: 'CHG-9' },
        RequestedBy: { S: '(none)' },
        Workflow: { S: 'enable-activity-stream' },
      },
    ]);
    expect(s.locks()).toEqual([]);
  });
});

describe('the enablement workflow and failures of AWS', () => {
  it('retries throttling with backoff and succeeds', async () => {
    const s = enableScenario();
    s.world.faults.throttle('rds:startActivityStream', 2);
    s.world.faults.inject({
      target: 'rds:describeDBClusters',
      error: 'Rds.RdsException',
      cause: 'Rate exceeded',
      times: 1,
    });
    s.world.faults.throttle('lambda:createEventSourceMapping', 1);
    s.world.faults.throttle('sns:publish', 1);
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.retries.map((r) => [r.state, r.error, r.attempt])).toEqual([
      [STATES.describeCluster, 'Rds.RdsException', 1],
      [STATES.start, 'Rds.RdsException', 1],
      [STATES.start, 'Rds.RdsException', 2],
      [STATES.createMapping, 'Lambda.TooManyRequestsException', 1],
      [STATES.notifySuccess, 'SNS.AmazonSNSException', 1],
    ]);
    expect(run.retries.filter((r) => r.state === STATES.start).map((r) => r.delaySeconds)).toEqual([2, 4]);
    expect(s.world.callsTo('rds', 'startActivityStream').map((c) => c.error)).toEqual([
      'Rds.RdsException',
      'Rds.RdsException',
      undefined,
    ]);
    expect(s.world.sns.messages).toHaveLength(1);
  });

  it('gives up on throttling that does not stop: ActivityStreamStartFailed', async () => {
    const s = enableScenario();
    s.world.faults.throttle('rds:startActivityStream', Number.POSITIVE_INFINITY);
    const run = await s.run(NOW);
    expectFailure(run, s.world, 'ActivityStreamStartFailed');
    expect(s.world.callsTo('rds', 'startActivityStream')).toHaveLength(7);
    expect(s.locks()).toEqual([]);
  });

  it('does not retry a KMS key RDS cannot use: ActivityStreamStartFailed, with what to do', async () => {
    const s = enableScenario({
      cluster: { accessibleKmsKeys: ['arn:aws:kms:eu-west-1:123456789012:key/other'] },
    });
    const run = await s.run(NOW);
    const message = expectFailure(run, s.world, 'ActivityStreamStartFailed');
    expect(run.cause).toMatch(/^Rds\.KmsKeyNotAccessibleException: /);
    expect(s.world.callsTo('rds', 'startActivityStream')).toHaveLength(1);
    expect(message.message).toContain('Step: Start activity stream');
    expect(message.message).toContain('kms:CreateGrant');
    expect(message.message).toContain('Cluster now: status available, activity stream stopped');
    expect(s.locks()).toEqual([]);
  });

  it('times out when the stream never starts: ActivityStreamStartTimeout after 45 minutes', async () => {
    const s = enableScenario({ cluster: { neverStarts: true } });
    const run = await s.run(NOW);
    const message = expectFailure(run, s.world, 'ActivityStreamStartTimeout');
    expect(run.waits.reduce((sum, w) => sum + (w.seconds ?? 0), 0)).toBe(45 * 60);
    expect(run.waits.map((w) => w.seconds)).toEqual(enableDeployment().pollSchedule);
    expect(run.cause).toContain('not started after 2700 s');
    expect(s.world.actions('lambda')).toEqual(['invoke']);
    expect(message.message).toContain('activity stream starting');
    expect(s.locks()).toEqual([]);
  });

  it('times out on an instance stuck rebooting: InstancesNotAvailableTimeout naming it', async () => {
    const s = enableScenario({
      cluster: {
        instances: [{ identifier: 'orders-db-1' }, { identifier: 'orders-db-2', stuckIn: 'rebooting' }],
      },
    });
    const run = await s.run(NOW);
    expectFailure(run, s.world, 'InstancesNotAvailableTimeout');
    expect(run.cause).toContain('["orders-db-1","orders-db-2"] were ["available","rebooting"]');
    expect(s.world.actions('lambda')).toEqual(['invoke']);
    expect(s.locks()).toEqual([]);
  });

  it('fails when the stream goes back to stopped while starting: ActivityStreamStartFailed', async () => {
    const s = enableScenario();
    s.world.before('rds:describeDBClusters', (n) => {
      if (n === 4) s.world.rds.setActivityStream(CLUSTER, 'stopped');
    });
    const run = await s.run(NOW);
    expectFailure(run, s.world, 'ActivityStreamStartFailed');
    expect(run.cause).toContain('the activity stream went to stopped while starting');
  });

  it('ends ClusterNotFound when the cluster disappears while polling', async () => {
    const s = enableScenario();
    s.world.faults.inject({
      target: 'rds:describeDBClusters',
      error: 'Rds.DbClusterNotFoundException',
      cause: 'DBCluster orders-db not found.',
      when: () => s.world.callsTo('rds', 'describeDBClusters').length === 3,
    });
    const run = await s.run(NOW);
    expectFailure(run, s.world, 'ClusterNotFound');
    expect(s.locks()).toEqual([]);
  });

  it('reports StreamConnectFailed when the mapping cannot be created, and says the stream runs', async () => {
    const s = enableScenario({ cluster: { activityStream: 'started' } });
    s.world.faults.inject({
      target: 'lambda:createEventSourceMapping',
      error: 'Lambda.InvalidParameterValueException',
      cause: 'Cannot access the destination',
    });
    const run = await s.run(NOW);
    const message = expectFailure(run, s.world, 'StreamConnectFailed');
    expect(message.message).toContain('Step: Create event source mapping');
    expect(message.message).toContain('Cluster now: status available, activity stream started');
    expect(message.message).toContain('Kinesis keeps records for 24 hours');
    expect(s.locks()).toEqual([]);
  });

  it.each([
    ['DynamoDB.InternalServerError', 'DynamoDB.InternalServerErrorException'],
    ['DynamoDB.RequestLimitExceeded', 'DynamoDB.RequestLimitExceededException'],
  ])(
    'retries a DynamoDB transient error on the lock whichever spelling arrives (%s or %s)',
    async (wire, klass) => {
      const s = enableScenario({ cluster: { activityStream: 'started' } });
      s.world.faults.inject({ target: 'dynamodb:putItem', error: wire, cause: 'Internal server error' });
      s.world.faults.inject({ target: 'dynamodb:deleteItem', error: klass, cause: 'Internal server error' });
      const run = await s.run(NOW);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.retries.map((r) => [r.state, r.error])).toEqual([
        [STATES.acquireLock, wire],
        [STATES.releaseLock, klass],
      ]);
      expect(s.locks()).toEqual([]);
    },
  );

  it('retries an event source mapping creation that conflicts with an operation in progress', async () => {
    const s = enableScenario({ cluster: { activityStream: 'started' } });
    s.world.faults.inject({
      target: 'lambda:createEventSourceMapping',
      error: 'Lambda.ResourceConflictException',
      cause: 'An update is in progress for resource',
    });
    const run = await s.run(NOW);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.retries.map((r) => [r.state, r.error])).toEqual([
      [STATES.createMapping, 'Lambda.ResourceConflictException'],
    ]);
    expect(s.world.lambda.currentMappings()).toHaveLength(1);
  });

  it('ends LockReleaseFailed when the lock cannot be released after connecting', async () => {
    const s = enableScenario({ cluster: { activityStream: 'started' } });
    s.world.faults.inject({
      target: 'dynamodb:deleteItem',
      error: 'DynamoDB.AmazonDynamoDBException',
      times: 1,
    });
    const run = await s.run(NOW);
    expectFailure(run, s.world, 'LockReleaseFailed');
    expect(s.world.lambda.currentMappings()).toHaveLength(1);
  });

  it('fails with the error even when the failure notification cannot be sent', async () => {
    const s = enableScenario({ cluster: null });
    s.world.faults.inject({
      target: 'sns:publish',
      error: 'SNS.AuthorizationErrorException',
      times: Number.POSITIVE_INFINITY,
    });
    const run = await s.run(NOW);
    expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'ClusterNotFound' });
    expect(s.world.sns.messages).toEqual([]);
  });
});

describe('the local harness on this workflow', () => {
  it('times a run out on the simulated clock at the definition TimeoutSeconds', async () => {
    const s = enableScenario();
    expect(s.workflow.timeoutSeconds).toBe(8 * 86400);
    s.world.lambda.addFunction(s.deployment.planFunction, async (event: unknown) => {
      const e = event as { action: string };
      if (e.action === 'validate') {
        return {
          valid: true,
          problem: '',
          request: {
            workflow: 'enable-activity-stream',
            clusterIdentifier: CLUSTER,
            displayName: CLUSTER,
            clusterResourceId: RESOURCE_ID,
            kmsKeyId: KMS_KEY,
            streamArn: s.deployment.streamArn,
            window: { kind: 'next' },
            mode: 'async',
            changeTicket: '(none)',
            requestedBy: '(none)',
          },
          lock: { now: '1', expiresAt: '2' },
        };
      }
      // A (buggy) plan 9 days ahead: beyond the workflow's timeout.
      return {
        valid: true,
        problem: '',
        immediate: false,
        startAt: '2026-12-03T10:00:00.000Z',
        description: '',
      };
    });
    const run = await s.run({ clusterIdentifier: CLUSTER });
    expect(run.status).toBe('TIMED_OUT');
    expect(run.error).toBe('States.Timeout');
  });
});
