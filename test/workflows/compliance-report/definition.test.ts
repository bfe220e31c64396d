/**
 * Static checks of the synthesized compliance-report definition: every Task retries throttling and catches
 * everything (into the failure notification, or, inside the Map, into a FAILED section), JSONPath only, every
 * state reachable, every error used, results never in the payload.
 */

import { reachableFrom, taskProblems } from '../../../cli/local/stepfunctions/checks';
import { nestedStates } from '../../../cli/local/stepfunctions/runner';
import type { AslDefinition, AslState } from '../../../cli/local/stepfunctions/template';
import { STATES } from '../../../workflows/compliance-report/definition';
import { REPORT_ERROR_NAMES } from '../../../workflows/compliance-report/errors';
import { ALL_THROTTLING_ERRORS, THROTTLING_ERRORS } from '../../../workflows/shared/retry';
import { reportDeployment } from './fixture';

const { definition } = reportDeployment();

const check = (def: AslDefinition) =>
  taskProblems(def, {
    throttlingErrors: ALL_THROTTLING_ERRORS,
    notifyFailure: STATES.notifyFailure,
    failed: STATES.failed,
  });

type Iterator = { StartAt: string; States: Record<string, AslState>; ProcessorConfig?: unknown };
const map = definition.States[STATES.runQueries] as AslState & {
  ItemProcessor: Iterator;
  MaxConcurrency: number;
};
const iterator = map.ItemProcessor;

/**
 * What is wrong with the iterator's Tasks: each retries Athena throttling and catches everything into a FAILED
 * section — through `Query failed`, which reads the caught `Cause` only when it is present.
 */
function iteratorProblems(states: Record<string, AslState>): string[] {
  const problems: string[] = [];
  for (const [name, state] of Object.entries(states)) {
    if (state.Type !== 'Task') continue;
    const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
    if (!THROTTLING_ERRORS.athena.every((e) => retried.includes(e)))
      problems.push(`${name}: no Retry for throttling`);
    const all = (state.Catch ?? []).find((c) => c.ErrorEquals.includes('States.ALL'));
    if (!all) problems.push(`${name}: no Catch of States.ALL`);
    else if (all.Next !== STATES.queryFailed) problems.push(`${name}: Catch States.ALL → ${all.Next}`);
  }
  return problems;
}

const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');

describe('the compliance-report definition', () => {
  it('has its Task states (sanity)', () => {
    expect(tasks.map(([n]) => n).sort()).toEqual(
      [
        STATES.prepare,
        STATES.buildSummary,
        STATES.render,
        STATES.dropSummary,
        STATES.notifyNotDropped,
        STATES.notifyIncomplete,
        STATES.notifyFailure,
      ].sort(),
    );
    expect(Object.keys(iterator.States)).toContain(STATES.runQuery);
  });

  it.each(tasks.map(([name]) => name))(
    '%s retries throttling and catches everything into the failure notification',
    (name) => {
      expect(check(definition).filter((p) => p.startsWith(`${name}:`))).toEqual([]);
    },
  );

  it('Run query (in the Map) retries Athena throttling and catches everything into a FAILED section', () => {
    expect(iteratorProblems(iterator.States)).toEqual([]);
    // A query that ran and failed is not retried: it would fail again.
    const retried = (iterator.States[STATES.runQuery]?.Retry ?? []).flatMap((r) => r.ErrorEquals);
    expect(retried).not.toContain('States.TaskFailed');
    expect(retried).not.toContain('States.ALL');
  });

  it('the checks fail when a Task forgets its Retry or its Catch', () => {
    const withoutCatch: AslDefinition = {
      ...definition,
      States: {
        ...definition.States,
        [STATES.render]: { ...definition.States[STATES.render]!, Catch: undefined },
      },
    };
    expect(check(withoutCatch)).toEqual([`${STATES.render}: no Catch of States.ALL`]);
    const withoutRetry: AslDefinition = {
      ...definition,
      States: {
        ...definition.States,
        [STATES.prepare]: { ...definition.States[STATES.prepare]!, Retry: undefined },
      },
    };
    expect(check(withoutRetry)).toEqual([`${STATES.prepare}: no Retry for throttling`]);
    const runQuery = iterator.States[STATES.runQuery]!;
    expect(iteratorProblems({ [STATES.runQuery]: { ...runQuery, Retry: undefined } })).toEqual([
      `${STATES.runQuery}: no Retry for throttling`,
    ]);
    expect(iteratorProblems({ [STATES.runQuery]: { ...runQuery, Catch: undefined } })).toEqual([
      `${STATES.runQuery}: no Catch of States.ALL`,
    ]);
    expect(
      iteratorProblems({
        [STATES.runQuery]: {
          ...runQuery,
          Catch: [{ ErrorEquals: ['States.ALL'], Next: STATES.sectionSucceeded }],
        },
      }),
    ).toEqual([`${STATES.runQuery}: Catch States.ALL → ${STATES.sectionSucceeded}`]);
  });

  it('catches a failure of the Map as a whole into the failure notification, States.DataLimitExceeded by name (States.ALL does not catch it)', () => {
    expect(map.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.DataLimitExceeded'], ResultPath: '$.caught' }),
      expect.objectContaining({ ErrorEquals: ['States.ALL'], ResultPath: '$.caught' }),
    ]);
    for (const c of map.Catch ?? []) {
      expect(c.Next).toBe('Queries failed');
      expect(reachableFrom(definition, c.Next).has(STATES.notifyFailure)).toBe(true);
    }
  });

  it('uses JSONPath only (the local executor silently mis-runs JSONata)', () => {
    const text = JSON.stringify(definition);
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    expect(text).not.toContain('JSONata');
    expect(text).not.toContain('{%');
    for (const state of [...Object.values(definition.States), ...nestedStates(definition).values()]) {
      expect(state).not.toHaveProperty('Arguments');
      expect(state).not.toHaveProperty('Output');
    }
  });

  it('reaches every state from the start, and ends only in Report sent or Failed', () => {
    expect([...reachableFrom(definition, definition.StartAt)].sort()).toEqual(
      Object.keys(definition.States).sort(),
    );
    expect([...reachableFrom(iterator as AslDefinition, iterator.StartAt)].sort()).toEqual(
      Object.keys(iterator.States).sort(),
    );
    const terminal = Object.entries(definition.States).filter(
      ([, s]) => s.Type === 'Succeed' || s.Type === 'Fail' || s.End,
    );
    expect(terminal.map(([n]) => n).sort()).toEqual([STATES.succeeded, STATES.failed].sort());
  });

  it('is a standard workflow with a one-hour timeout', () => {
    expect(definition.TimeoutSeconds).toBe(3600);
  });

  it('fails with the documented error names, and uses them all', () => {
    const used = new Set(
      Object.values(definition.States)
        .map((s) => (s.Parameters as { error?: string } | undefined)?.error)
        .filter((e): e is string => typeof e === 'string'),
    );
    expect([...used].sort()).toEqual([...REPORT_ERROR_NAMES].sort());
    expect(definition.States[STATES.failed]).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.failure.error',
      CausePath: '$.failure.cause',
    });
  });

  it("builds the run's summary with its CTAS (.sync) and drops it on every path once it may exist", () => {
    expect(definition.States[STATES.buildSummary]).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::athena:startQueryExecution.sync',
      Parameters: { 'QueryString.$': '$.prepared.summary.createQuery', WorkGroup: 'aurora-audit' },
      TimeoutSeconds: 1800,
      Next: STATES.runQueries,
    });
    expect(definition.States[STATES.dropSummary]).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::athena:startQueryExecution.sync',
      Parameters: { 'QueryString.$': '$.prepared.summary.dropQuery', WorkGroup: 'aurora-audit' },
      ResultPath: null,
      Next: STATES.runFailed,
    });
    // A failed drop is told, never the run's failure: its Catch goes on to the same Choice.
    expect(definition.States[STATES.dropSummary]?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.dropCaught', Next: STATES.notifyNotDropped },
    ]);
    expect(definition.States[STATES.notifyNotDropped]?.Next).toBe(STATES.runFailed);
    expect(definition.States[STATES.render]?.Next).toBe(STATES.dropSummary);
    for (const failure of ['Summary failed', 'Queries failed', 'Rendering failed'])
      expect(definition.States[failure]?.Next).toBe(STATES.dropSummary);
    // Before the summary exists (bad input, a failed preparation), nothing is dropped.
    for (const failure of ['Invalid input', 'Preparation failed'])
      expect(reachableFrom(definition, failure).has(STATES.dropSummary)).toBe(false);
  });

  it("runs each item's query string over the run's summary in the workgroup, .sync, keeping only the id", () => {
    expect(map).toMatchObject({
      ItemsPath: '$.prepared.queries',
      MaxConcurrency: 5,
      ResultPath: '$.sections',
    });
    const runQuery = iterator.States[STATES.runQuery]!;
    expect(runQuery).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::athena:startQueryExecution.sync',
      Parameters: { 'QueryString.$': '$.queryString', WorkGroup: 'aurora-audit' },
      ResultSelector: { 'queryExecutionId.$': '$.QueryExecution.QueryExecutionId' },
      TimeoutSeconds: 1800,
    });
    // The sections carry ids and error names, never a result set.
    const outcome = (name: string) => iterator.States[name]?.Parameters as Record<string, unknown>;
    expect(Object.keys(outcome(STATES.sectionSucceeded)).sort()).toEqual(
      ['cluster.$', 'query.$', 'queryExecutionId.$', 'status'].sort(),
    );
    expect(Object.keys(outcome(STATES.sectionFailed)).sort()).toEqual(
      ['cause.$', 'cluster.$', 'error.$', 'query.$', 'status'].sort(),
    );
    expect(Object.keys(outcome(STATES.sectionFailedWithoutCause)).sort()).toEqual(
      ['cause', 'cluster.$', 'error.$', 'query.$', 'status'].sort(),
    );
    // The caught Cause is optional in the States Language: read only where the Choice found it.
    expect(iterator.States[STATES.queryFailed]).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.caught.Cause', IsPresent: true, Next: STATES.sectionFailed }],
      Default: STATES.sectionFailedWithoutCause,
    });
  });

  it('invokes the report Lambda with the contract events', () => {
    expect(definition.States[STATES.prepare]?.Parameters).toMatchObject({
      Payload: { action: 'prepare', 'input.$': '$$.Execution.Input', 'executionName.$': '$$.Execution.Name' },
    });
    expect(definition.States[STATES.render]?.Parameters).toMatchObject({
      Payload: { action: 'render', 'request.$': '$.prepared.request', 'sections.$': '$.sections' },
    });
    expect(definition.States[STATES.succeeded]).toMatchObject({ Type: 'Succeed', OutputPath: '$.rendered' });
  });
});
