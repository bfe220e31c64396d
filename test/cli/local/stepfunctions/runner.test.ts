/** The local workflow harness itself, on small hand-written definitions. */
import { SimClock } from '../../../../cli/local/stepfunctions/clock';
import { readPath } from '../../../../cli/local/stepfunctions/path';
import { HarnessError, LocalWorkflow, type TaskCall } from '../../../../cli/local/stepfunctions/runner';
import type { AslDefinition } from '../../../../cli/local/stepfunctions/template';
import { TemplateResolver } from '../../../../cli/local/stepfunctions/template';

const task = (next: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task' as const,
  Resource: 'arn:aws:states:::aws-sdk:rds:describeDBClusters',
  Parameters: { 'DbClusterIdentifier.$': '$.id' },
  ResultPath: '$.result',
  Next: next,
  ...extra,
});

describe('LocalWorkflow', () => {
  it('advances the simulated clock through Wait states and records what they were given', async () => {
    const clock = new SimClock('2026-11-24T10:00:00Z');
    const calls: { at: string; call: TaskCall }[] = [];
    const definition: AslDefinition = {
      StartAt: 'Seconds',
      States: {
        Seconds: { Type: 'Wait', Seconds: 90, Next: 'SecondsPath' },
        SecondsPath: { Type: 'Wait', SecondsPath: '$.delay', Next: 'Timestamp' },
        Timestamp: { Type: 'Wait', Timestamp: '2026-11-25T00:00:00Z', Next: 'TimestampPath' },
        TimestampPath: { Type: 'Wait', InputPath: '$.plan', TimestampPath: '$.at', Next: 'Call' },
        Call: task('Done'),
        Done: { Type: 'Succeed' },
      },
    };
    const workflow = new LocalWorkflow(definition, {
      clock,
      dispatch: (call) => {
        calls.push({ at: clock.iso(), call });
        return { DbClusters: [] };
      },
    });
    // The last Wait's InputPath narrows the document to `plan`, which the Task reads.
    const run = await workflow.run(
      { id: 'ignored', delay: 30, plan: { at: '2026-11-29T03:00:00Z', id: 'orders-db' } },
      { name: 'x' },
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.waits).toEqual([
      {
        state: 'Seconds',
        kind: 'seconds',
        seconds: 90,
        from: '2026-11-24T10:00:00.000Z',
        until: '2026-11-24T10:01:30.000Z',
      },
      {
        state: 'SecondsPath',
        kind: 'seconds',
        seconds: 30,
        from: '2026-11-24T10:01:30.000Z',
        until: '2026-11-24T10:02:00.000Z',
      },
      {
        state: 'Timestamp',
        kind: 'timestamp',
        timestamp: '2026-11-25T00:00:00Z',
        from: '2026-11-24T10:02:00.000Z',
        until: '2026-11-25T00:00:00.000Z',
      },
      {
        state: 'TimestampPath',
        kind: 'timestamp',
        timestamp: '2026-11-29T03:00:00Z',
        from: '2026-11-25T00:00:00.000Z',
        until: '2026-11-29T03:00:00.000Z',
      },
    ]);
    expect(calls).toEqual([
      {
        at: '2026-11-29T03:00:00.000Z',
        call: {
          stateName: 'Call',
          resource: 'arn:aws:states:::aws-sdk:rds:describeDBClusters',
          input: { DbClusterIdentifier: 'orders-db' },
          executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:local:x',
        },
      },
    ]);
    expect(run.output).toMatchObject({ result: { DbClusters: [] } });
    expect(run.states).toEqual(['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath', 'Call', 'Done']);
    expect(run.transitions).toBe(6);
  });

  it('retries by error name, counting back-offs on the simulated clock, and catches', async () => {
    const clock = new SimClock('2026-11-24T10:00:00Z');
    let n = 0;
    const definition: AslDefinition = {
      StartAt: 'Call',
      States: {
        Call: task('Done', {
          Retry: [
            {
              ErrorEquals: ['Rds.ThrottlingException'],
              IntervalSeconds: 2,
              BackoffRate: 3,
              MaxAttempts: 3,
              MaxDelaySeconds: 10,
            },
          ],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.caught', Next: 'Caught' }],
        }),
        Caught: { Type: 'Fail', ErrorPath: '$.caught.Error', CausePath: '$.caught.Cause' },
        Done: { Type: 'Succeed' },
      },
    };
    const workflow = new LocalWorkflow(definition, {
      clock,
      dispatch: () => {
        n += 1;
        throw new HarnessError('Rds.ThrottlingException', `Rate exceeded (${n})`);
      },
    });
    const run = await workflow.run({ id: 'x' });
    expect(n).toBe(4);
    expect(run.retries.map((r) => [r.attempt, r.delaySeconds])).toEqual([
      [1, 2],
      [2, 6],
      [3, 10],
    ]);
    expect(clock.iso()).toBe('2026-11-24T10:00:18.000Z');
    expect({ status: run.status, error: run.error, cause: run.cause }).toEqual({
      status: 'FAILED',
      error: 'Rds.ThrottlingException',
      cause: 'Rate exceeded (4)',
    });
    expect(run.transitions).toBe(2 + 3); // Call, Caught and three retries
  });

  it('exposes $$.Execution.Id and a simulated $$.State.EnteredTime', async () => {
    const clock = new SimClock('2026-11-24T10:00:00Z');
    const definition: AslDefinition = {
      StartAt: 'Wait',
      States: {
        Wait: { Type: 'Wait', Seconds: 60, Next: 'Call' },
        Call: task('Context'),
        Context: {
          Type: 'Pass',
          Parameters: {
            'id.$': '$$.Execution.Id',
            'name.$': '$$.Execution.Name',
            'at.$': '$$.State.EnteredTime',
          },
          End: true,
        },
      },
    };
    const workflow = new LocalWorkflow(definition, { clock, dispatch: () => ({}) });
    const run = await workflow.run({ id: 'x' }, { name: 'ctx' });
    expect(run.output).toEqual({
      id: 'arn:aws:states:eu-west-1:123456789012:execution:local:ctx',
      name: 'ctx',
      at: '2026-11-24T10:01:00.000Z',
    });
  });

  it('times an execution out on the simulated clock', async () => {
    const clock = new SimClock('2026-11-24T10:00:00Z');
    const definition: AslDefinition = {
      StartAt: 'Long',
      TimeoutSeconds: 3600,
      States: {
        Long: { Type: 'Wait', Seconds: 7200, Next: 'Call' },
        Call: task('Done'),
        Done: { Type: 'Succeed' },
      },
    };
    const dispatch = jest.fn(() => ({}));
    const run = await new LocalWorkflow(definition, { clock, dispatch }).run({ id: 'x' });
    expect(run.status).toBe('TIMED_OUT');
    expect(run.error).toBe('States.Timeout');
    expect(dispatch).not.toHaveBeenCalled();
  });

  it('reports a Task nobody answers as a failure of the run', async () => {
    const definition: AslDefinition = {
      StartAt: 'Call',
      States: { Call: task('Done'), Done: { Type: 'Succeed' } },
    };
    const run = await new LocalWorkflow(definition, {
      clock: new SimClock(),
      dispatch: () => {
        throw new Error('AwsWorld: no simulator answers rds:describeDBClusters');
      },
    }).run({ id: 'x' });
    expect(run.status).toBe('FAILED');
    expect(run.cause).toContain('no simulator answers');
  });

  it('lets States.ALL catch neither States.DataLimitExceeded nor States.TaskFailed retry it; a Catch naming it does, in a Map too', async () => {
    // AWS: States.DataLimitExceeded is terminal for States.ALL; named explicitly it is caught.
    const limit = () => {
      throw new HarnessError('States.DataLimitExceeded', 'The state/task returned a result too large');
    };
    const iteration = {
      StartAt: 'Call',
      States: {
        Call: task('Ok', {
          Retry: [{ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 2 }],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.caught', Next: 'Ok' }],
        }),
        Ok: { Type: 'Succeed' },
      },
    };
    const map = (catchers: { ErrorEquals: string[]; Next: string }[]): AslDefinition => ({
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.ids',
          ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...iteration },
          ItemSelector: { 'id.$': '$$.Map.Item.Value' },
          ResultPath: '$.each',
          Catch: catchers.map((c) => ({ ...c, ResultPath: '$.caught' })),
          Next: 'Done',
        },
        Handled: { Type: 'Pass', Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    });
    const calls: string[] = [];
    const dispatch = (call: TaskCall) => {
      calls.push(call.stateName);
      return limit();
    };
    const wildcardOnly = await new LocalWorkflow(map([{ ErrorEquals: ['States.ALL'], Next: 'Handled' }]), {
      clock: new SimClock(),
      dispatch,
    }).run({ ids: ['a'] });
    expect({ status: wildcardOnly.status, error: wildcardOnly.error }).toEqual({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
    });
    expect(wildcardOnly.retries).toEqual([]);
    expect(calls).toEqual(['Call']);

    const named = await new LocalWorkflow(
      map([
        { ErrorEquals: ['States.DataLimitExceeded'], Next: 'Handled' },
        { ErrorEquals: ['States.ALL'], Next: 'Done' },
      ]),
      { clock: new SimClock(), dispatch },
    ).run({ ids: ['a'] });
    expect(named.status).toBe('SUCCEEDED');
    expect(named.states).toEqual(['Each', 'Call', 'Handled', 'Done']);
    expect(named.output).toMatchObject({ caught: { Error: 'States.DataLimitExceeded' } });

    // Any other error is still caught by States.ALL inside the iteration.
    const other = await new LocalWorkflow(map([{ ErrorEquals: ['States.ALL'], Next: 'Handled' }]), {
      clock: new SimClock(),
      dispatch: () => {
        throw new HarnessError('Rds.RdsException', 'Rate exceeded');
      },
    }).run({ ids: ['a'] });
    expect(other.status).toBe('SUCCEEDED');
    expect(other.states).not.toContain('Handled');
  });

  it('refuses JSONata definitions', () => {
    const definition = {
      QueryLanguage: 'JSONata',
      StartAt: 'Done',
      States: { Done: { Type: 'Succeed' } },
    } as AslDefinition;
    expect(() => new LocalWorkflow(definition, { clock: new SimClock(), dispatch: () => ({}) })).toThrow(
      /JSONata/,
    );
  });
});

describe('readPath', () => {
  const doc = { a: { b: [{ c: 1 }], 'd-e': 'x' } };
  it.each([
    ['$', doc],
    ['$.a.b[0].c', 1],
    ["$['a']['d-e']", 'x'],
  ])('reads %s', (path, value) => {
    expect(readPath(path, doc)).toEqual(value);
  });
  it('reads the context with $$', () => {
    expect(readPath('$$.Execution.Id', {}, { Execution: { Id: 'e' } })).toBe('e');
  });
  it.each(['$.missing', '$.a.b[3]', '$..c', 'a.b'])('refuses %s', (path) => {
    expect(() => readPath(path, doc)).toThrow();
  });
});

describe('TemplateResolver', () => {
  const resolver = new TemplateResolver({
    Resources: {
      Fn: {
        Type: 'AWS::Lambda::Function',
        Properties: { Environment: { Variables: { TABLE: { Ref: 'Table' } } } },
      },
      Table: { Type: 'AWS::DynamoDB::Table' },
      Topic: { Type: 'AWS::SNS::Topic' },
      Machine: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: {
          DefinitionString: {
            'Fn::Join': [
              '',
              [
                '{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"',
                { 'Fn::GetAtt': ['Fn', 'Arn'] },
                '","End":true}}}',
              ],
            ],
          },
        },
      },
    },
  });

  it('resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub and pseudo parameters deterministically', () => {
    expect(resolver.resolve({ Ref: 'Topic' })).toBe('arn:aws:sns:eu-west-1:123456789012:Topic');
    expect(resolver.resolve({ 'Fn::GetAtt': ['Table', 'Arn'] })).toBe(
      'arn:aws:dynamodb:eu-west-1:123456789012:table/Table',
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub template, not JavaScript
    const sub = 'arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId}:${Fn.Arn}';
    expect(resolver.resolve({ 'Fn::Sub': sub })).toBe(
      'arn:aws:x:eu-west-1:123456789012:arn:aws:lambda:eu-west-1:123456789012:function:Fn',
    );
    expect(resolver.resolve({ 'Fn::Select': [1, { 'Fn::Split': [':', 'a:b:c'] }] })).toBe('b');
  });

  it('renders a state machine definition and a function environment', () => {
    expect(resolver.stateMachineDefinition('Machine').States.A).toEqual({
      Type: 'Pass',
      Result: 'arn:aws:lambda:eu-west-1:123456789012:function:Fn',
      End: true,
    });
    expect(resolver.functionEnvironment('Fn')).toEqual({ TABLE: 'Table' });
  });
});

describe('LocalWorkflow onEvent', () => {
  it('shows each event with the simulated time once the harness has handled it, without changing the run', async () => {
    const definition: AslDefinition = {
      StartAt: 'Wait',
      States: {
        Wait: { Type: 'Wait', Seconds: 120, Next: 'Call' },
        Call: task('Done'),
        Done: { Type: 'Succeed' },
      },
    };
    const seen: [string, string | undefined, string][] = [];
    const workflow = new LocalWorkflow(definition, {
      clock: new SimClock('2026-11-24T10:00:00Z'),
      dispatch: () => ({}),
    });
    const run = await workflow.run(
      { id: 'x' },
      { onEvent: (event, at) => seen.push([event.type, event.state?.name, at]) },
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(seen.filter(([type]) => type === 'StateEntered')).toEqual([
      ['StateEntered', 'Wait', '2026-11-24T10:02:00.000Z'],
      ['StateEntered', 'Call', '2026-11-24T10:02:00.000Z'],
      ['StateEntered', 'Done', '2026-11-24T10:02:00.000Z'],
    ]);
    expect(seen).toHaveLength(run.events.length);
  });
});
