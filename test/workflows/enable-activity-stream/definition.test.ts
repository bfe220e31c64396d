/**
 * Static checks of the synthesized enablement definition: every Task retries throttling and catches into
 * the failure notification, JSONPath only, every state reachable, every error documented.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { enableDeployment } from '../../../cli/local/scenarios/enable-activity-stream';
import { reachableFrom, taskProblems } from '../../../cli/local/stepfunctions/checks';
import type { AslDefinition } from '../../../cli/local/stepfunctions/template';
import { STATES } from '../../../workflows/enable-activity-stream/definition';
import { ENABLE_ERROR_NAMES } from '../../../workflows/enable-activity-stream/errors';
import { ALL_THROTTLING_ERRORS } from '../../../workflows/shared/retry';

const { definition } = enableDeployment();

const check = (def: AslDefinition) =>
  taskProblems(def, {
    throttlingErrors: ALL_THROTTLING_ERRORS,
    notifyFailure: STATES.notifyFailure,
    failed: STATES.failed,
  });

const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');

describe('the enablement definition', () => {
  it('has Task states (sanity)', () => {
    expect(tasks.length).toBeGreaterThanOrEqual(15);
  });

  it.each(tasks.map(([name]) => name))(
    '%s retries throttling and catches everything into the failure notification',
    (name) => {
      expect(check(definition).filter((p) => p.startsWith(`${name}:`))).toEqual([]);
    },
  );

  it('the check fails when a Task forgets its Retry or its Catch', () => {
    const withoutCatch: AslDefinition = {
      ...definition,
      States: {
        ...definition.States,
        [STATES.start]: { ...definition.States[STATES.start]!, Catch: undefined },
      },
    };
    expect(check(withoutCatch)).toEqual([`${STATES.start}: no Catch of States.ALL`]);
    const withoutRetry: AslDefinition = {
      ...definition,
      States: {
        ...definition.States,
        [STATES.pollCluster]: { ...definition.States[STATES.pollCluster]!, Retry: undefined },
      },
    };
    expect(check(withoutRetry)).toEqual([`${STATES.pollCluster}: no Retry for throttling`]);
    const catchToNowhere: AslDefinition = {
      ...definition,
      States: {
        ...definition.States,
        [STATES.listMappings]: {
          ...definition.States[STATES.listMappings]!,
          Catch: [{ ErrorEquals: ['States.ALL'], Next: STATES.succeeded }],
        },
      },
    };
    expect(check(catchToNowhere)).toEqual([
      `${STATES.listMappings}: Catch States.ALL → ${STATES.succeeded} never reaches ${STATES.notifyFailure}`,
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

  it('reaches every state from the start, and ends only in Enabled or Failed', () => {
    expect([...reachableFrom(definition, definition.StartAt)].sort()).toEqual(
      Object.keys(definition.States).sort(),
    );
    const terminal = Object.entries(definition.States).filter(
      ([, s]) => s.Type === 'Succeed' || s.Type === 'Fail' || s.End,
    );
    expect(terminal.map(([n]) => n).sort()).toEqual([STATES.succeeded, STATES.failed].sort());
  });

  it('is a standard workflow with an overall timeout', () => {
    expect(definition.TimeoutSeconds).toBe(8 * 24 * 3600);
  });

  it('fails with the documented error names, and uses them all', () => {
    const used = new Set(
      Object.values(definition.States)
        .map((s) => (s.Parameters as { error?: string; failure?: { error?: string } } | undefined) ?? {})
        .map((p) => p.error ?? p.failure?.error)
        .filter((e): e is string => typeof e === 'string'),
    );
    expect([...used].sort()).toEqual([...ENABLE_ERROR_NAMES].sort());
    expect(definition.States[STATES.failed]).toMatchObject({
      ErrorPath: '$.failure.error',
      CausePath: '$.failure.cause',
    });
  });

  it('calls AWS through SDK integrations in Step Functions spelling, and Lambda only for planning', () => {
    const resources = tasks.map(([, s]) => s.Resource);
    expect(new Set(resources)).toEqual(
      new Set([
        'arn:aws:states:::lambda:invoke',
        'arn:aws:states:::dynamodb:putItem',
        'arn:aws:states:::dynamodb:deleteItem',
        'arn:aws:states:::aws-sdk:rds:describeDBClusters',
        'arn:aws:states:::aws-sdk:rds:describeDBInstances',
        'arn:aws:states:::aws-sdk:rds:startActivityStream',
        'arn:aws:states:::aws-sdk:kinesis:describeStreamSummary',
        'arn:aws:states:::aws-sdk:lambda:listEventSourceMappings',
        'arn:aws:states:::aws-sdk:lambda:createEventSourceMapping',
        'arn:aws:states:::aws-sdk:lambda:updateEventSourceMapping',
        'arn:aws:states:::sns:publish',
      ]),
    );
    // Parameter names and result paths in the AWS SDK for Java v2 spelling, never the API reference's.
    const keys: string[] = [];
    const collect = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(collect);
      else if (v && typeof v === 'object') {
        for (const [k, inner] of Object.entries(v)) {
          keys.push(k);
          collect(inner);
        }
      }
    };
    for (const [, s] of tasks) collect([s.Parameters, s.ResultSelector]);
    expect(keys).toEqual(expect.arrayContaining(['DbClusterIdentifier.$', 'Uuid.$', 'Filters']));
    expect(keys.filter((k) => /^DB[A-Z]|UUID/.test(k))).toEqual([]);
    const paths = JSON.stringify(tasks.map(([, s]) => s.ResultSelector));
    expect(paths).toContain('$.DbClusters[0]');
    expect(paths).not.toMatch(/\$\.DBClusters|\$\.DBInstances/);
    expect(definition.States[STATES.describeCluster]?.Catch?.[0]?.ErrorEquals).toEqual([
      'Rds.DbClusterNotFoundException',
    ]);
  });

  it('waits for the window on a timestamp and polls on growing seconds', () => {
    expect(definition.States[STATES.waitForWindow]).toMatchObject({
      Type: 'Wait',
      TimestampPath: '$.plan.startAt',
    });
    expect(definition.States[STATES.waitForRestarts]).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.poll.interval',
    });
    const schedule = enableDeployment().pollSchedule;
    expect(schedule).toEqual([60, 120, 180, 240, 300, 300, 300, 300, 300, 300, 300]);
    expect(schedule.reduce((a, b) => a + b, 0)).toBe(45 * 60);
  });

  it('documents every error name in the README', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'workflows.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Enablement workflow'),
      readme.indexOf('## Disable workflow'),
    );
    expect(section.length).toBeGreaterThan(100);
    for (const name of ENABLE_ERROR_NAMES) expect(section).toMatch(new RegExp(`^\\| \`${name}\``, 'm'));
  });
});
