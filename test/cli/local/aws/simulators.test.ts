/** The simulators answer in Step Functions' spellings and move through their states with the clock. */
import { type AttributeValue, evaluateCondition } from '../../../../cli/local/aws/dynamodb';
import { AwsWorld } from '../../../../cli/local/aws/world';

const call = (world: AwsWorld, resource: string, input: unknown, stateName = 'S') =>
  world.dispatch({
    stateName,
    resource,
    input,
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:m:e',
  });
const sdk = (service: string, action: string) => `arn:aws:states:::aws-sdk:${service}:${action}`;

describe('the RDS simulator', () => {
  it('describes clusters and instances with the AWS SDK for Java v2 field names', async () => {
    const world = new AwsWorld();
    world.rds.addCluster({ identifier: 'orders-db' });
    const clusters = (await call(world, sdk('rds', 'describeDBClusters'), {
      DbClusterIdentifier: 'orders-db',
    })) as {
      DbClusters: Record<string, unknown>[];
    };
    expect(clusters.DbClusters[0]).toMatchObject({
      DbClusterIdentifier: 'orders-db',
      DbClusterArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:orders-db',
      DbClusterResourceId: 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
      Engine: 'aurora-postgresql',
      Status: 'available',
      ActivityStreamStatus: 'stopped',
      DbClusterMembers: [
        expect.objectContaining({ DbInstanceIdentifier: 'orders-db-1', IsClusterWriter: true }),
        expect.objectContaining({ DbInstanceIdentifier: 'orders-db-2', IsClusterWriter: false }),
      ],
    });
    const instances = await call(world, sdk('rds', 'describeDBInstances'), {
      Filters: [{ Name: 'db-cluster-id', Values: ['arn:aws:rds:eu-west-1:123456789012:cluster:orders-db'] }],
    });
    expect(instances).toMatchObject({
      DbInstances: [
        {
          DbInstanceIdentifier: 'orders-db-1',
          DbInstanceClass: 'db.r6g.large',
          DbInstanceStatus: 'available',
        },
        { DbInstanceIdentifier: 'orders-db-2', DbInstanceStatus: 'available' },
      ],
    });
  });

  it('fails as Step Functions reports RDS errors', async () => {
    const world = new AwsWorld();
    await expect(
      call(world, sdk('rds', 'describeDBClusters'), { DbClusterIdentifier: 'nope' }),
    ).rejects.toMatchObject({
      name: 'Rds.DbClusterNotFoundException',
      message: expect.stringMatching(
        /^DBCluster nope not found\. \(Service: Rds, Status Code: 404, Request ID: /,
      ),
    });
    world.rds.addCluster({ identifier: 'orders-db' });
    await expect(
      call(world, sdk('rds', 'describeDBInstances'), { Filters: [{ Name: 'engine', Values: ['x'] }] }),
    ).rejects.toMatchObject({ name: 'Rds.RdsException' });
  });

  it('starts an activity stream that restarts the instances, then reports started', async () => {
    const world = new AwsWorld();
    world.rds.addCluster({ identifier: 'orders-db', restartSeconds: 600 });
    const started = await call(world, sdk('rds', 'startActivityStream'), {
      ResourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:orders-db',
      Mode: 'async',
      KmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/k',
      ApplyImmediately: true,
    });
    expect(started).toEqual({
      KinesisStreamName: 'aws-rds-das-cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
      Status: 'starting',
      Mode: 'async',
      KmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/k',
      ApplyImmediately: true,
    });
    expect(world.rds.snapshot('orders-db')).toMatchObject({
      status: 'configuring-activity-stream',
      activityStream: 'starting',
      instances: [{ status: 'configuring-activity-stream' }, { status: 'configuring-activity-stream' }],
    });
    world.clock.advanceBy(400);
    expect(world.rds.snapshot('orders-db').instances.map((i) => i.status)).toEqual([
      'rebooting',
      'rebooting',
    ]);
    world.clock.advanceBy(200);
    expect(world.rds.snapshot('orders-db')).toMatchObject({
      status: 'available',
      activityStream: 'started',
      instances: [{ status: 'available' }, { status: 'available' }],
    });
    // A second start is refused with the cluster's state.
    await expect(
      call(world, sdk('rds', 'startActivityStream'), {
        ResourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:orders-db',
        Mode: 'async',
        KmsKeyId: 'k',
        ApplyImmediately: true,
      }),
    ).rejects.toMatchObject({
      name: 'Rds.InvalidDbClusterStateException',
      message: expect.stringContaining('DbCluster orders-db is in'),
    });
  });
});

describe('the Kinesis and Lambda simulators', () => {
  it('create one mapping per function and stream, and move it through its states', async () => {
    const world = new AwsWorld();
    world.lambda.addFunction('decrypt');
    const stream = world.kinesis.createStream('aws-rds-das-x', 10);
    expect(
      await call(world, sdk('kinesis', 'describeStreamSummary'), { StreamName: 'aws-rds-das-x' }),
    ).toMatchObject({
      StreamDescriptionSummary: { StreamStatus: 'CREATING', StreamARN: stream.arn },
    });
    world.clock.advanceBy(10);
    const params = {
      FunctionName: world.lambda.arnOf('decrypt'),
      EventSourceArn: stream.arn,
      StartingPosition: 'TRIM_HORIZON',
    };
    const created = (await call(world, sdk('lambda', 'createEventSourceMapping'), params)) as {
      Uuid: string;
      State: string;
    };
    expect(created.State).toBe('Creating');
    await expect(call(world, sdk('lambda', 'createEventSourceMapping'), params)).rejects.toMatchObject({
      name: 'Lambda.ResourceConflictException',
    });
    world.clock.advanceBy(5);
    expect(
      await call(world, sdk('lambda', 'listEventSourceMappings'), {
        EventSourceArn: stream.arn,
        FunctionName: 'decrypt',
      }),
    ).toMatchObject({
      EventSourceMappings: [{ Uuid: created.Uuid, State: 'Enabled', StartingPosition: 'TRIM_HORIZON' }],
    });
    await call(world, sdk('lambda', 'updateEventSourceMapping'), { Uuid: created.Uuid, Enabled: false });
    await expect(
      call(world, sdk('lambda', 'updateEventSourceMapping'), { Uuid: created.Uuid, Enabled: true }),
    ).rejects.toMatchObject({
      name: 'Lambda.ResourceInUseException',
    });
    world.clock.advanceBy(5);
    expect(world.lambda.currentMappings().map((m) => m.state)).toEqual(['Disabled']);
  });

  it('invokes in-process handlers as lambda:invoke does, errors named after their type', async () => {
    const world = new AwsWorld();
    world.lambda.addFunction('plan', (event) => ({ echo: event }));
    world.lambda.addFunction('broken', () => {
      throw new RangeError('nope');
    });
    expect(
      await call(world, 'arn:aws:states:::lambda:invoke', {
        FunctionName: world.lambda.arnOf('plan'),
        Payload: { a: 1 },
      }),
    ).toMatchObject({
      StatusCode: 200,
      Payload: { echo: { a: 1 } },
    });
    const error = await call(world, 'arn:aws:states:::lambda:invoke', {
      FunctionName: 'broken',
      Payload: {},
    }).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'RangeError' });
    expect(JSON.parse((error as Error).message)).toMatchObject({
      errorType: 'RangeError',
      errorMessage: 'nope',
    });
    expect(await call(world, world.lambda.arnOf('plan'), { b: 2 })).toEqual({ echo: { b: 2 } });
  });
});

describe('faults, hooks and the call log', () => {
  it('injects faults by target (RDS throttling as Rds.RdsException: RDS declares no throttling error) and records every call', async () => {
    const world = new AwsWorld();
    world.rds.addCluster({ identifier: 'orders-db' });
    world.faults.throttle('rds:describeDBClusters', 2);
    const seen: number[] = [];
    world.before('rds:describeDBClusters', (n) => seen.push(n));
    const describe = () =>
      call(world, sdk('rds', 'describeDBClusters'), { DbClusterIdentifier: 'orders-db' });
    await expect(describe()).rejects.toMatchObject({
      name: 'Rds.RdsException',
      message: 'Rate exceeded',
    });
    await expect(describe()).rejects.toMatchObject({ name: 'Rds.RdsException' });
    await expect(describe()).resolves.toBeDefined();
    expect(seen).toEqual([1, 2, 3]);
    expect(world.callsTo('rds').map((c) => c.error)).toEqual([
      'Rds.RdsException',
      'Rds.RdsException',
      undefined,
    ]);
    await expect(call(world, sdk('ec2', 'describeInstances'), {})).rejects.toThrow(
      /no simulator answers ec2:describeInstances/,
    );
  });

  it('injects a fault without a Cause, as AWS may send one', async () => {
    const world = new AwsWorld();
    world.rds.addCluster({ identifier: 'orders-db' });
    world.faults.inject({ target: 'rds:describeDBClusters', error: 'Rds.RdsException', cause: null });
    const error = await call(world, sdk('rds', 'describeDBClusters'), {
      DbClusterIdentifier: 'orders-db',
    }).catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ name: 'Rds.RdsException' });
    expect((error as Error).message).toBeUndefined();
  });
});

describe('the DynamoDB simulator', () => {
  const values: Record<string, AttributeValue> = { ':now': { N: '100' }, ':me': { S: 'a' } };
  const names = { '#key': 'K', '#exp': 'ExpiresAt', '#owner': 'Owner' };
  it.each<[string, Record<string, AttributeValue> | undefined, boolean]>([
    ['attribute_not_exists(#key) OR #exp < :now', undefined, true],
    ['attribute_not_exists(#key) OR #exp < :now', { K: { S: 'x' }, ExpiresAt: { N: '99' } }, true],
    ['attribute_not_exists(#key) OR #exp < :now', { K: { S: 'x' }, ExpiresAt: { N: '101' } }, false],
    ['#owner = :me', { K: { S: 'x' }, Owner: { S: 'a' } }, true],
    ['#owner = :me', { K: { S: 'x' }, Owner: { S: 'b' } }, false],
    ['#owner = :me', undefined, false],
    ['NOT (#owner = :me) AND attribute_exists(#key)', { K: { S: 'x' }, Owner: { S: 'b' } }, true],
    ['begins_with(#owner, :me)', { K: { S: 'x' }, Owner: { S: 'abc' } }, true],
  ])('%s on %j is %s', (expression, item, expected) => {
    expect(evaluateCondition(expression, item, names, values)).toBe(expected);
  });

  it('fails a conditional write with DynamoDB.ConditionalCheckFailedException', async () => {
    const world = new AwsWorld();
    world.dynamodb.addTable('Locks', 'K');
    const put = (owner: string) =>
      call(world, 'arn:aws:states:::dynamodb:putItem', {
        TableName: 'Locks',
        Item: { K: { S: 'orders-db' }, Owner: { S: owner } },
        ConditionExpression: 'attribute_not_exists(K)',
      });
    await put('a');
    await expect(put('b')).rejects.toMatchObject({ name: 'DynamoDB.ConditionalCheckFailedException' });
    expect(world.dynamodb.items('Locks')).toEqual([{ K: { S: 'orders-db' }, Owner: { S: 'a' } }]);
  });
});

describe('the Step Functions simulator (StartExecution through aws-sdk:sfn)', () => {
  const machine = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Canary';
  const world = () => {
    const w = new AwsWorld();
    w.states.stateMachines.add(machine);
    return w;
  };

  it('records the start with its parsed input and answers ExecutionArn and StartDate, the members the model requires', async () => {
    const w = world();
    const answer = (await call(w, sdk('sfn', 'startExecution'), {
      StateMachineArn: machine,
      Input: '{"cluster":"orders-db"}',
    })) as { ExecutionArn: string; StartDate: string };
    expect(answer.ExecutionArn).toMatch(
      /^arn:aws:states:eu-west-1:123456789012:execution:Canary:[0-9a-f-]{36}$/,
    );
    expect(answer.StartDate).toBe(w.clock.iso());
    expect(w.states.started).toEqual([
      expect.objectContaining({ executionArn: answer.ExecutionArn, input: { cluster: 'orders-db' } }),
    ]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['the API reference spelling', { stateMachineArn: machine, Input: '{}' }, 'States.Runtime'],
    [
      'an unknown state machine',
      { StateMachineArn: `${machine}Other`, Input: '{}' },
      'Sfn.StateMachineDoesNotExistException',
    ],
    [
      'input that is not JSON',
      { StateMachineArn: machine, Input: '{' },
      'Sfn.InvalidExecutionInputException',
    ],
    [
      'input over 262,144 bytes',
      { StateMachineArn: machine, Input: JSON.stringify({ x: 'a'.repeat(262_144) }) },
      'Sfn.InvalidExecutionInputException',
    ],
    [
      'the same name with another input',
      { StateMachineArn: machine, Name: 'run-1', Input: '{"b":2}' },
      'Sfn.ExecutionAlreadyExistsException',
    ],
  ])('refuses %s', async (_label, params, error) => {
    const w = world();
    await call(w, sdk('sfn', 'startExecution'), {
      StateMachineArn: machine,
      Name: 'run-1',
      Input: '{"a":1}',
    });
    await expect(call(w, sdk('sfn', 'startExecution'), params)).rejects.toMatchObject({ name: error });
    expect(w.states.started).toHaveLength(1);
  });
});
