/**
 * Static checks of the synthesized disable definition: every Task retries throttling and catches into the
 * failure notification, JSONPath only, every state reachable, every error documented.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { disableDeployment } from '../../../cli/local/scenarios/disable-activity-stream';
import { reachableFrom, taskProblems } from '../../../cli/local/stepfunctions/checks';
import { STATES } from '../../../workflows/disable-activity-stream/definition';
import { DISABLE_ERROR_NAMES } from '../../../workflows/disable-activity-stream/errors';
import { ALL_THROTTLING_ERRORS } from '../../../workflows/shared/retry';

const { definition } = disableDeployment();
const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');

describe('the disable definition', () => {
  it('has the Task states of a disable run', () => {
    expect(tasks.map(([, s]) => s.Resource).sort()).toEqual(
      [
        'arn:aws:states:::lambda:invoke',
        'arn:aws:states:::lambda:invoke',
        'arn:aws:states:::dynamodb:putItem',
        'arn:aws:states:::dynamodb:deleteItem',
        'arn:aws:states:::dynamodb:deleteItem',
        'arn:aws:states:::aws-sdk:rds:describeDBClusters',
        'arn:aws:states:::aws-sdk:rds:describeDBClusters',
        'arn:aws:states:::aws-sdk:rds:describeDBClusters',
        'arn:aws:states:::aws-sdk:rds:describeDBInstances',
        'arn:aws:states:::aws-sdk:rds:stopActivityStream',
        'arn:aws:states:::aws-sdk:lambda:listEventSourceMappings',
        'arn:aws:states:::aws-sdk:lambda:updateEventSourceMapping',
        'arn:aws:states:::aws-sdk:lambda:deleteEventSourceMapping',
        'arn:aws:states:::sns:publish',
        'arn:aws:states:::sns:publish',
      ].sort(),
    );
  });

  it('retries throttling in every Task and catches everything into the failure notification', () => {
    expect(
      taskProblems(definition, {
        throttlingErrors: ALL_THROTTLING_ERRORS,
        notifyFailure: STATES.notifyFailure,
        failed: STATES.failed,
      }),
    ).toEqual([]);
  });

  it('uses JSONPath only (the local executor silently mis-runs JSONata)', () => {
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    expect(JSON.stringify(definition)).not.toContain('{%');
  });

  it('reaches every state from the start, and ends only in Disabled or Failed', () => {
    expect([...reachableFrom(definition, definition.StartAt)].sort()).toEqual(
      Object.keys(definition.States).sort(),
    );
    const terminal = Object.entries(definition.States).filter(
      ([, s]) => s.Type === 'Succeed' || s.Type === 'Fail' || s.End,
    );
    expect(terminal.map(([n]) => n).sort()).toEqual([STATES.succeeded, STATES.failed].sort());
  });

  it('stops before it disconnects: no path from the mapping states back to StopActivityStream', () => {
    for (const state of [STATES.listMappings, STATES.disableMapping, STATES.deleteMapping]) {
      expect(reachableFrom(definition, state).has(STATES.stop)).toBe(false);
    }
    expect(reachableFrom(definition, STATES.stop).has(STATES.deleteMapping)).toBe(true);
  });

  it('shares the enablement timeout, and polls on growing seconds up to 45 minutes', () => {
    expect(definition.TimeoutSeconds).toBe(8 * 24 * 3600);
    const schedule = disableDeployment().pollSchedule;
    expect(schedule.reduce((a, b) => a + b, 0)).toBe(45 * 60);
    expect(definition.States[STATES.waitForRestarts]).toMatchObject({ SecondsPath: '$.poll.interval' });
  });

  it('fails with the documented error names, and uses them all', () => {
    const used = new Set(
      Object.values(definition.States)
        .map((s) => (s.Parameters as { error?: string; failure?: { error?: string } } | undefined) ?? {})
        .map((p) => p.error ?? p.failure?.error)
        .filter((e): e is string => typeof e === 'string'),
    );
    expect([...used].sort()).toEqual([...DISABLE_ERROR_NAMES].sort());
  });

  it('documents every error name in the README', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'workflows.md'), 'utf8');
    const start = readme.indexOf('## Disable workflow');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 5));
    expect(start).toBeGreaterThan(0);
    for (const name of DISABLE_ERROR_NAMES) expect(section).toMatch(new RegExp(`^\\| \`${name}\``, 'm'));
  });
});
