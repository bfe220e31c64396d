/**
 * Static checks of the synthesized canary definition (example configuration with a canary on orders-db):
 * every Task retries throttling and catches into the failure notification, JSONPath only, every state
 * reachable, every error documented, the Data API called in Step Functions' spelling.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canaryDeployment } from '../../../cli/local/scenarios/canary';
import { reachableFrom, taskProblems } from '../../../cli/local/stepfunctions/checks';
import type { AslDefinition } from '../../../cli/local/stepfunctions/template';
import { STATES } from '../../../workflows/canary/definition';
import { CANARY_ERROR_NAMES } from '../../../workflows/canary/errors';
import { ALL_THROTTLING_ERRORS } from '../../../workflows/shared/retry';

const { definition, input } = canaryDeployment();

const check = (def: AslDefinition) =>
  taskProblems(def, {
    throttlingErrors: ALL_THROTTLING_ERRORS,
    notifyFailure: STATES.notifyFailure,
    failed: STATES.failed,
  });

const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');

describe('the canary definition', () => {
  it('has its four Task states, and those of the evidence (sanity)', () => {
    expect(tasks.map(([n]) => n).sort()).toEqual(
      [
        STATES.writeRole,
        STATES.writeDdl,
        STATES.read,
        STATES.notifyFailure,
        STATES.countFailed,
        STATES.resetFailed,
        STATES.activityStreamMetrics,
        `${STATES.activityStreamMetrics} (missed)`,
        STATES.pgAuditMetrics,
        `${STATES.pgAuditMetrics} (missed)`,
        STATES.runMetrics,
        STATES.writeRecord,
      ].sort(),
    );
  });

  it.each(tasks.map(([name]) => name))(
    '%s retries throttling and catches everything into the failure notification',
    (name) => {
      expect(check(definition).filter((p) => p.startsWith(`${name}:`))).toEqual([]);
    },
  );

  it('the check fails when a Task forgets its Retry or its Catch', () => {
    const without = (name: string, field: 'Retry' | 'Catch'): AslDefinition => ({
      ...definition,
      States: { ...definition.States, [name]: { ...definition.States[name]!, [field]: undefined } },
    });
    expect(check(without(STATES.read, 'Catch'))).toEqual([`${STATES.read}: no Catch of States.ALL`]);
    expect(check(without(STATES.writeRole, 'Retry'))).toEqual([
      `${STATES.writeRole}: no Retry for throttling`,
    ]);
  });

  it('uses JSONPath only (the local executor silently mis-runs JSONata)', () => {
    const text = JSON.stringify(definition);
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    expect(text).not.toContain('JSONata');
    expect(text).not.toContain('{%');
    for (const state of Object.values(definition.States)) {
      expect(state).not.toHaveProperty('Arguments');
      expect(state).not.toHaveProperty('Output');
    }
  });

  it('reaches every state from the start, and ends only in Canary arrived, Failed or (a group run) Cluster runs started', () => {
    expect([...reachableFrom(definition, definition.StartAt)].sort()).toEqual(
      Object.keys(definition.States).sort(),
    );
    const terminal = Object.entries(definition.States).filter(
      ([, s]) => s.Type === 'Succeed' || s.Type === 'Fail' || s.End,
    );
    expect(terminal.map(([n]) => n).sort()).toEqual(
      [STATES.succeeded, STATES.failed, STATES.runsStarted].sort(),
    );
  });

  it("starts a group's runs with one StartExecution of its own state machine per cluster, retrying throttling and catching every error", () => {
    const map = definition.States[STATES.startRuns]!;
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.clusters', MaxConcurrency: 10 });
    expect(map.Catch?.map((c) => c.ErrorEquals)).toEqual([['States.ALL']]);
    const processor = map.ItemProcessor as AslDefinition;
    const start = processor.States[STATES.startRun]!;
    expect(start.Resource).toBe('arn:aws:states:::aws-sdk:sfn:startExecution');
    expect(start.Parameters).toEqual({
      'StateMachineArn.$': '$$.StateMachine.Id',
      'Input.$': 'States.JsonToString($.input)',
    });
    expect((start.Retry ?? []).flatMap((r) => r.ErrorEquals)).toEqual(
      expect.arrayContaining(['Sfn.SfnException']),
    );
    expect(start.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.caught', Next: STATES.runNotStarted },
    ]);
    // Reached before any single-cluster state: a cluster's input has no `clusters`.
    expect(definition.StartAt).toBe(STATES.group);
    expect(definition.States[STATES.group]?.Default).toBe(STATES.checkInput);
  });

  it('times out 30 minutes after the longest deadline', () => {
    expect(definition.TimeoutSeconds).toBe(60 * 60);
  });

  it('fails with the documented error names, and uses them all', () => {
    const used = new Set(
      Object.values(definition.States)
        .map((s) => (s.Parameters as { error?: string } | undefined)?.error)
        .filter((e): e is string => typeof e === 'string'),
    );
    expect([...used].sort()).toEqual([...CANARY_ERROR_NAMES].sort());
    expect(definition.States[STATES.failed]).toMatchObject({
      ErrorPath: '$.failure.error',
      CausePath: '$.failure.cause',
    });
  });

  it('calls the Data API through the AWS SDK integration in Step Functions spelling, and reads arrivals with one GetItem', () => {
    expect(new Set(tasks.map(([, s]) => s.Resource))).toEqual(
      new Set([
        'arn:aws:states:::aws-sdk:rdsdata:executeStatement',
        'arn:aws:states:::dynamodb:getItem',
        'arn:aws:states:::sns:publish',
        // Evidence: the failed-run streak, the metrics and the run record.
        'arn:aws:states:::dynamodb:updateItem',
        'arn:aws:states:::aws-sdk:cloudwatch:putMetricData',
        'arn:aws:states:::aws-sdk:s3:putObject',
      ]),
    );
    for (const name of [STATES.writeRole, STATES.writeDdl]) {
      expect(Object.keys(definition.States[name]?.Parameters ?? {}).sort()).toEqual(
        ['Database.$', 'ResourceArn.$', 'SecretArn.$', 'Sql.$'].sort(),
      );
    }
    expect(definition.States[STATES.read]?.Parameters).toMatchObject({ ConsistentRead: true });
  });

  it('polls on growing waits that add up to the deadline, from the schedule input', () => {
    expect(definition.States[STATES.wait]).toMatchObject({ Type: 'Wait', SecondsPath: '$.run.wait' });
    expect(input.pollSeconds.slice(0, 5)).toEqual([15, 30, 45, 60, 75]);
    expect(input.pollSeconds.reduce((a, b) => a + b, 0)).toBe(input.deadlineSeconds);
    expect(input.deadlineSeconds).toBe(30 * 60);
    expect(input).toMatchObject({
      cluster: 'orders-db',
      resourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:orders-db',
      sources: { activityStream: true, pgAudit: true },
    });
  });

  it('documents every error name in docs/workflows.md', () => {
    const page = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'workflows.md'), 'utf8');
    const start = page.indexOf('## Canary workflow');
    expect(start).toBeGreaterThan(0);
    const end = page.indexOf('\n## ', start + 5);
    const section = page.slice(start, end < 0 ? undefined : end);
    for (const name of CANARY_ERROR_NAMES) expect(section).toMatch(new RegExp(`^\\| \`${name}\``, 'm'));
  });
});
