/** The Athena simulator answers `athena:startQueryExecution.sync` as Step Functions does, running the SQL for real. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { literalValue } from '../../../../cli/local/aws/athena';
import { AwsWorld } from '../../../../cli/local/aws/world';
import { writeStoredEvents } from '../../../../cli/local/records/stored-events';
import { type SqlEngine, sqlEngine } from '../../../../cli/local/sql-engine';
import { event } from '../../../reports/report-fixture';

const SYNC = 'arn:aws:states:::athena:startQueryExecution.sync';
const call = (world: AwsWorld, input: Record<string, unknown>) =>
  world.dispatch({
    stateName: 'Run query',
    resource: SYNC,
    input,
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:m:e',
  });

let root: string;
let engine: SqlEngine;
beforeAll(async () => {
  root = writeStoredEvents([
    event('2026-11-23T08:00:00.000Z', { user: "o'brien" }),
    event('2026-11-23T09:00:00.000Z', { user: 'app_user' }),
  ]);
  engine = await sqlEngine(root);
});
afterAll(() => {
  engine.close();
  rmSync(root, { recursive: true, force: true });
});

function world(): AwsWorld {
  const w = new AwsWorld();
  w.athena.addWorkGroup('reports', 's3://bucket/athena-results/');
  w.athena.addPreparedStatement(
    'reports',
    'users_named',
    'SELECT "user", count(*) AS events FROM aurora_audit.audit_events WHERE day = ? AND "user" = ? GROUP BY 1',
  );
  w.athena.useEngine(engine);
  return w;
}

describe('the Athena simulator', () => {
  it('reads SQL string literals as Athena binds them', () => {
    expect(literalValue("'2026-11-23'")).toBe('2026-11-23');
    expect(literalValue("'o''brien'")).toBe("o'brien");
    expect(literalValue("''")).toBe('');
    expect(() => literalValue('42')).toThrow('not a SQL string literal: 42');
  });

  it('runs EXECUTE <statement> with the bound parameters and answers like .sync (the GetQueryExecution response)', async () => {
    const w = world();
    const result = (await call(w, {
      QueryString: 'EXECUTE users_named',
      WorkGroup: 'reports',
      ExecutionParameters: ["'2026-11-23'", "'o''brien'"],
    })) as {
      QueryExecution: { QueryExecutionId: string; Status: { State: string }; ResultConfiguration: unknown };
    };
    expect(result.QueryExecution).toMatchObject({
      Status: { State: 'SUCCEEDED' },
      WorkGroup: 'reports',
      ResultConfiguration: {
        OutputLocation: `s3://bucket/athena-results/${result.QueryExecution.QueryExecutionId}.csv`,
      },
    });
    expect(w.athena.results.get(result.QueryExecution.QueryExecutionId)).toEqual({
      columns: [
        { name: 'user', type: 'varchar' },
        { name: 'events', type: 'bigint' },
      ],
      rows: [{ user: "o'brien", events: '1' }],
    });
  });

  it('fails a query the engine cannot run with States.TaskFailed, its cause the failed GetQueryExecution', async () => {
    const w = world();
    const failure = call(w, {
      QueryString: 'EXECUTE users_named',
      WorkGroup: 'reports',
      ExecutionParameters: ["'2026-11-23'"],
    });
    await expect(failure).rejects.toMatchObject({ name: 'States.TaskFailed' });
    const cause = JSON.parse(((await failure.catch((e: Error) => e)) as Error).message);
    expect(cause.QueryExecution.Status).toMatchObject({
      State: 'FAILED',
      StateChangeReason: 'the SQL has 2 parameters, 1 given',
    });
    expect(w.athena.results.size).toBe(0);
    expect(w.athena.executions.size).toBe(1);
  });

  it('refuses an unknown statement or workgroup as Athena.InvalidRequestException, before any query exists', async () => {
    const w = world();
    await expect(call(w, { QueryString: 'EXECUTE nope', WorkGroup: 'reports' })).rejects.toMatchObject({
      name: 'Athena.InvalidRequestException',
      message: expect.stringContaining('Prepared statement nope was not found in workGroup reports'),
    });
    await expect(call(w, { QueryString: 'EXECUTE users_named', WorkGroup: 'other' })).rejects.toMatchObject({
      name: 'Athena.InvalidRequestException',
    });
    expect(w.athena.executions.size).toBe(0);
  });

  it('throttles with the Step Functions name when a fault is injected', async () => {
    const w = world();
    w.faults.throttle('athena:startQueryExecution', 1);
    await expect(
      call(w, {
        QueryString: 'EXECUTE users_named',
        WorkGroup: 'reports',
        ExecutionParameters: ["'x'", "'y'"],
      }),
    ).rejects.toMatchObject({ name: 'Athena.TooManyRequestsException' });
    expect(w.actions('athena')).toEqual(['startQueryExecution']);
  });

  describe('CREATE TABLE AS and DROP TABLE, as the period summary uses them', () => {
    const ctas = (table: string, properties = "format = 'PARQUET', write_compression = 'SNAPPY'") =>
      `CREATE TABLE aurora_audit.${table} WITH (${properties}) AS SELECT "user", count(*) AS events FROM aurora_audit.audit_events WHERE day = ? GROUP BY 1`;
    type Sync = { QueryExecution: { QueryExecutionId: string; StatementType: string } };

    it('writes the result as Parquet under the workgroup result location tables/<query id>/ and registers the table', async () => {
      const w = world();
      const results = mkdtempSync(join(tmpdir(), 'aa-athena-test-'));
      w.athena.useResultsRoot(results);
      try {
        const created = (await call(w, {
          QueryString: ctas('run_1'),
          WorkGroup: 'reports',
          ExecutionParameters: ["'2026-11-23'"],
        })) as Sync;
        const id = created.QueryExecution.QueryExecutionId;
        expect(created.QueryExecution).toMatchObject({
          StatementType: 'DDL',
          SubstatementType: 'CREATE_TABLE_AS_SELECT',
        });
        expect(w.athena.tables.get('aurora_audit.run_1')).toMatchObject({
          location: `s3://bucket/athena-results/tables/${id}/`,
          queryExecutionId: id,
        });
        expect(readdirSync(join(results, 'tables', id))).toEqual([`${id}.parquet`]);
        // A later query (a query string, no prepared statement) reads the table.
        const read = (await call(w, {
          QueryString: 'SELECT "user", events FROM aurora_audit.run_1 ORDER BY "user"',
          WorkGroup: 'reports',
        })) as Sync;
        expect(w.athena.results.get(read.QueryExecution.QueryExecutionId)?.rows).toEqual([
          { user: 'app_user', events: '1' },
          { user: "o'brien", events: '1' },
        ]);
        // DROP TABLE removes it from the catalog; its files stay (an external table's data).
        await call(w, { QueryString: 'DROP TABLE aurora_audit.run_1', WorkGroup: 'reports' });
        expect(w.athena.tables.has('aurora_audit.run_1')).toBe(false);
        expect(readdirSync(join(results, 'tables', id))).toEqual([`${id}.parquet`]);
        await expect(
          call(w, { QueryString: 'SELECT * FROM aurora_audit.run_1', WorkGroup: 'reports' }),
        ).rejects.toMatchObject({ name: 'States.TaskFailed' });
      } finally {
        rmSync(results, { recursive: true, force: true });
      }
    });

    it('fails a CTAS whose table exists, a DROP of an unknown table (unless IF EXISTS) and an external_location', async () => {
      const w = world();
      const params = { WorkGroup: 'reports', ExecutionParameters: ["'2026-11-23'"] };
      await call(w, { QueryString: ctas('run_2'), ...params });
      const again = call(w, { QueryString: ctas('run_2'), ...params });
      await expect(again).rejects.toMatchObject({ name: 'States.TaskFailed' });
      expect(
        JSON.parse(((await again.catch((e: Error) => e)) as Error).message).QueryExecution.Status,
      ).toMatchObject({
        State: 'FAILED',
        StateChangeReason: expect.stringContaining('TABLE_ALREADY_EXISTS'),
      });
      await expect(
        call(w, { QueryString: 'DROP TABLE aurora_audit.nope', WorkGroup: 'reports' }),
      ).rejects.toMatchObject({
        name: 'States.TaskFailed',
      });
      await call(w, { QueryString: 'DROP TABLE IF EXISTS aurora_audit.nope', WorkGroup: 'reports' });
      await expect(
        call(w, {
          QueryString: ctas('run_3', "format = 'PARQUET', external_location = 's3://bucket/x/'"),
          ...params,
        }),
      ).rejects.toMatchObject({ name: 'States.TaskFailed' });
      expect(w.athena.tables.has('aurora_audit.run_3')).toBe(false);
    });
  });
});
