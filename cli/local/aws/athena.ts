/**
 * Athena as the report workflow uses it: the optimized integration `arn:aws:states:::athena:startQueryExecution.sync`
 * running query strings (the period summary's CTAS, the sections over it, its DROP), and the results the report
 * Lambda reads afterwards with `GetQueryResults` (its AthenaClient is mocked in the tests and answered from here).
 *
 * - Workgroups come from the template (`provision`), and so would prepared statements
 *   (`AWS::Athena::PreparedStatement`, `QueryStatement` exactly as deployed): the stack deploys none, the report
 *   workflow runs no `EXECUTE`; the simulator still answers it as Athena does, with statements added directly.
 * - `EXECUTE name` resolves to that SQL; the execution parameters are SQL literals (`'2026-11-22'`): the
 *   quotes are stripped and doubled quotes undone, and the values bound in order, as strings, to the `?`
 *   placeholders. The SQL runs on the embedded engine (DuckDB with the Trino macros) over the stored
 *   fixture events, so a query is really executed.
 * - The `.sync` result is what Step Functions returns: the GetQueryExecution response
 *   (`{ QueryExecution: { QueryExecutionId, Status: { State: 'SUCCEEDED' }, … } }`, dates as epoch
 *   milliseconds as the Java SDK serializes them).
 * - A query that fails (SQL error, wrong parameter count, or `failQuery`) is stored FAILED and the Task fails
 *   with `States.TaskFailed`, the cause being the GetQueryExecution response of the failed query (the `.sync`
 *   pattern's failure). API errors before a query exists are `Athena.InvalidRequestException`; throttling is
 *   injected with the world's faults (`Athena.TooManyRequestsException`).
 * - Besides `EXECUTE`, a query string runs as given (execution parameters bound to its `?`), and two statements
 *   are answered as Athena does: `CREATE TABLE db.name WITH (format = 'PARQUET', …) AS SELECT …` (CTAS) writes
 *   the result as Parquet under the enforced workgroup's result location, `tables/<query id>/` (Athena's
 *   documented location when the workgroup overrides client settings), and registers the table, which later
 *   queries read; a name already taken fails the query (`TABLE_ALREADY_EXISTS`). `DROP TABLE [IF EXISTS]
 *   db.name` removes the table from the catalog and leaves its files, as Athena does for the external tables
 *   CTAS creates; an unknown table fails it unless `IF EXISTS`. The CTAS and DROP are `StatementType` DDL.
 * - Queries complete without moving the simulated clock.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineResult } from '../athena-results';
import type { SqlEngine } from '../sql-engine';
import type { SimClock } from '../stepfunctions/clock';
import type { TemplateResolver } from '../stepfunctions/template';
import { AwsServiceError, requestId } from './errors';

export interface StoredQueryExecution {
  readonly queryExecutionId: string;
  readonly workGroup: string;
  readonly queryString: string;
  /** The prepared statement run (`EXECUTE`), or '' for a query string run as given. */
  readonly statementName: string;
  readonly statementType: 'DML' | 'DDL';
  /** The ExecutionParameters as given (SQL literals). */
  readonly executionParameters: readonly string[];
  readonly state: 'SUCCEEDED' | 'FAILED';
  readonly stateChangeReason?: string;
  /** The result's columns (name and Athena type) and rows, as the engine returned them; empty when FAILED. */
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly rows: readonly Record<string, unknown>[];
  readonly submittedAtMs: number;
  readonly completedAtMs: number;
}

interface QueryFailure {
  /** A prepared statement's name, a query string as given, or a test of the query string. */
  readonly statementName: string | ((queryString: string) => boolean);
  readonly reason: string;
  left: number;
}

const EXECUTE = /^\s*EXECUTE\s+([A-Za-z_][A-Za-z0-9_]*)\s*;?\s*$/i;
const IDENTIFIER = '"?([A-Za-z_][A-Za-z0-9_]*)"?';
const CTAS = new RegExp(
  `^\\s*CREATE\\s+TABLE\\s+${IDENTIFIER}\\.${IDENTIFIER}\\s+WITH\\s*\\(([^)]*)\\)\\s+AS\\s+([\\s\\S]+)$`,
  'i',
);
const DROP = new RegExp(
  `^\\s*DROP\\s+TABLE\\s+(IF\\s+EXISTS\\s+)?${IDENTIFIER}\\.${IDENTIFIER}\\s*;?\\s*$`,
  'i',
);

/** A table a CTAS created: where its files are (the S3 location and the local directory standing for it). */
export interface CreatedTable {
  readonly name: string;
  readonly location: string;
  readonly directory: string;
  readonly queryExecutionId: string;
}

/** A SQL string literal's value: `'it''s'` → `it's`. Other literals are refused (the workflow sends strings). */
export function literalValue(literal: string): string {
  const m = /^'((?:[^']|'')*)'$/s.exec(literal);
  if (!m) throw new Error(`not a SQL string literal: ${literal}`);
  return (m[1] as string).replace(/''/g, "'");
}

export class AthenaSimulator {
  /** Prepared statements by workgroup, then name: their SQL. */
  readonly statements = new Map<string, Map<string, string>>();
  readonly executions = new Map<string, StoredQueryExecution>();
  /** The SUCCEEDED executions' results by id, Athena type names: for `athenaResultsServer` (GetQueryResults). */
  readonly results = new Map<string, EngineResult>();
  private engine: SqlEngine | undefined;
  private readonly failures: QueryFailure[] = [];
  /** Result locations by workgroup (its enforced OutputLocation). */
  private readonly outputLocations = new Map<string, string>();
  private counter = 0;
  /** Tables created by CTAS and not dropped, by `db.name` (lower case). */
  readonly tables = new Map<string, CreatedTable>();
  /** Tables dropped (their files stay, as Athena leaves them). */
  readonly droppedTables: CreatedTable[] = [];
  private resultsRoot: string | undefined;

  constructor(private readonly clock: SimClock) {}

  /** The local directory standing for the result locations (a temporary one unless given). */
  useResultsRoot(directory: string): void {
    this.resultsRoot = directory;
  }

  private resultsDirectory(): string {
    if (!this.resultsRoot) this.resultsRoot = mkdtempSync(join(tmpdir(), 'aa-athena-results-'));
    return this.resultsRoot;
  }

  addWorkGroup(name: string, outputLocation = 's3://athena-results-bucket/'): void {
    if (!this.statements.has(name)) this.statements.set(name, new Map());
    this.outputLocations.set(name, outputLocation);
  }

  addPreparedStatement(workGroup: string, name: string, sql: string): void {
    if (!this.statements.has(workGroup)) this.addWorkGroup(workGroup);
    this.statements.get(workGroup)?.set(name, sql);
  }

  /** The template's workgroups and prepared statements (the stack deploys none). */
  provision(resolver: TemplateResolver): void {
    for (const id of resolver.resourcesOfType('AWS::Athena::WorkGroup')) {
      const p = resolver.resolve(resolver.template.Resources[id]?.Properties ?? {}) as {
        Name: string;
        WorkGroupConfiguration?: { ResultConfiguration?: { OutputLocation?: string } };
      };
      this.addWorkGroup(p.Name, p.WorkGroupConfiguration?.ResultConfiguration?.OutputLocation);
    }
    for (const id of resolver.resourcesOfType('AWS::Athena::PreparedStatement')) {
      const p = resolver.resolve(resolver.template.Resources[id]?.Properties ?? {}) as {
        StatementName: string;
        WorkGroup: string;
        QueryStatement: string;
      };
      this.addPreparedStatement(p.WorkGroup, p.StatementName, p.QueryStatement);
    }
  }

  /** The engine the queries run on (DuckDB over the stored fixture events). */
  useEngine(engine: SqlEngine): void {
    this.engine = engine;
  }

  /**
   * The next `times` executions of a statement (its name, a query string, or a test of the query string)
   * fail with `reason`, as a broken query would.
   */
  failQuery(statementName: string | ((queryString: string) => boolean), reason: string, times = 1): this {
    this.failures.push({ statementName, reason, left: times });
    return this;
  }

  /** A stored execution, or Athena's InvalidRequestException. */
  execution(queryExecutionId: string): StoredQueryExecution {
    const execution = this.executions.get(queryExecutionId);
    if (!execution) {
      throw new AwsServiceError(
        'Athena.InvalidRequestException',
        `QueryExecution ${queryExecutionId} was not found`,
      );
    }
    return execution;
  }

  /** The GetQueryExecution response of a stored execution (what `.sync` returns, and the failure's cause). */
  queryExecution(queryExecutionId: string): { QueryExecution: Record<string, unknown> } {
    const e = this.execution(queryExecutionId);
    return {
      QueryExecution: {
        QueryExecutionId: e.queryExecutionId,
        Query: e.queryString,
        StatementType: e.statementType,
        ...(e.statementType === 'DDL' && /^\s*CREATE/i.test(e.queryString)
          ? { SubstatementType: 'CREATE_TABLE_AS_SELECT' }
          : e.statementType === 'DDL'
            ? { SubstatementType: 'DROP_TABLE' }
            : {}),
        ResultConfiguration: {
          OutputLocation: `${this.outputLocations.get(e.workGroup) ?? ''}${e.queryExecutionId}.csv`,
        },
        QueryExecutionContext: {},
        Status: {
          State: e.state,
          ...(e.stateChangeReason ? { StateChangeReason: e.stateChangeReason } : {}),
          ...(e.state === 'FAILED'
            ? {
                AthenaError: {
                  ErrorCategory: 2,
                  ErrorType: 1100,
                  Retryable: false,
                  ErrorMessage: e.stateChangeReason,
                },
              }
            : {}),
          SubmissionDateTime: e.submittedAtMs,
          CompletionDateTime: e.completedAtMs,
        },
        Statistics: { EngineExecutionTimeInMillis: 0, DataScannedInBytes: 0, TotalExecutionTimeInMillis: 0 },
        WorkGroup: e.workGroup,
        EngineVersion: {
          SelectedEngineVersion: 'Athena engine version 3',
          EffectiveEngineVersion: 'Athena engine version 3',
        },
        ExecutionParameters: [...e.executionParameters],
      },
    };
  }

  private nextId(): string {
    this.counter += 1;
    return `a0b1c2d3-0000-4000-8000-${this.counter.toString(16).padStart(12, '0')}`;
  }

  private async run(
    workGroup: string,
    statementName: string,
    sql: string,
    literals: readonly string[],
    queryExecutionId: string,
  ): Promise<Pick<StoredQueryExecution, 'state' | 'stateChangeReason' | 'columns' | 'rows'>> {
    const failure = this.failures.find(
      (f) =>
        f.left > 0 &&
        (typeof f.statementName === 'function'
          ? !statementName && f.statementName(sql)
          : f.statementName === (statementName || sql)),
    );
    if (failure) {
      failure.left -= 1;
      return { state: 'FAILED', stateChangeReason: failure.reason, columns: [], rows: [] };
    }
    if (!this.engine)
      throw new Error(`AthenaSimulator: no engine to run ${statementName} in ${workGroup} (useEngine)`);
    let values: string[];
    try {
      values = literals.map(literalValue);
    } catch (err) {
      return {
        state: 'FAILED',
        stateChangeReason: `INVALID_PARAMETER: ${(err as Error).message}`,
        columns: [],
        rows: [],
      };
    }
    try {
      const ctas = CTAS.exec(sql);
      const drop = DROP.exec(sql);
      if (ctas) return await this.createTableAs(workGroup, ctas, values, queryExecutionId);
      if (drop) return await this.dropTable(drop);
      const table = await this.engine.table(sql, values);
      // Athena's type names are DuckDB's in lower case for the types the queries return (varchar, bigint, date).
      const columns = table.columns.map((c) => ({ name: c.name, type: c.type.toLowerCase() }));
      return { state: 'SUCCEEDED', columns, rows: table.rows };
    } catch (err) {
      return { state: 'FAILED', stateChangeReason: (err as Error).message, columns: [], rows: [] };
    }
  }

  private async createTableAs(
    workGroup: string,
    [, database, name, properties, select]: RegExpExecArray,
    values: readonly string[],
    queryExecutionId: string,
  ): Promise<Pick<StoredQueryExecution, 'state' | 'stateChangeReason' | 'columns' | 'rows'>> {
    const engine = this.engine as SqlEngine;
    const key = `${database}.${name}`.toLowerCase();
    const failed = (reason: string) => ({
      state: 'FAILED' as const,
      stateChangeReason: reason,
      columns: [],
      rows: [],
    });
    if (this.tables.has(key)) return failed(`TABLE_ALREADY_EXISTS: Table ${key} already exists`);
    const format = /\bformat\s*=\s*'([^']*)'/i.exec(properties as string)?.[1] ?? 'PARQUET';
    if (format.toUpperCase() !== 'PARQUET')
      return failed(`AthenaSimulator: only format = 'PARQUET' is simulated for CTAS, got ${format}`);
    if (/\bexternal_location\b/i.test(properties as string))
      return failed(
        // Whether Athena ignores or refuses it in an enforced workgroup is not documented: refused here, so that
        // nothing the product runs depends on either answer.
        'AthenaSimulator: external_location is refused (the workgroup enforces its result location; the table goes under tables/<query id>/)',
      );
    const compression = /\bwrite_compression\s*=\s*'([^']*)'/i.exec(properties as string)?.[1] ?? 'GZIP';
    const location = `${this.outputLocations.get(workGroup) ?? ''}tables/${queryExecutionId}/`;
    const directory = join(this.resultsDirectory(), 'tables', queryExecutionId);
    mkdirSync(directory, { recursive: true });
    const file = join(directory, `${queryExecutionId}.parquet`).replace(/'/g, "''");
    await engine.query(
      `COPY (${select}) TO '${file}' (FORMAT parquet, COMPRESSION ${compression.toLowerCase() === 'snappy' ? 'snappy' : 'gzip'})`,
      values,
    );
    await engine.query(`CREATE SCHEMA IF NOT EXISTS "${database}"`);
    await engine.query(`CREATE VIEW "${database}"."${name}" AS SELECT * FROM read_parquet('${file}')`);
    this.tables.set(key, { name: key, location, directory, queryExecutionId });
    // Athena's CTAS result set holds the number of rows written.
    const [count] = await engine.query(`SELECT count(*) AS rows FROM read_parquet('${file}')`);
    return { state: 'SUCCEEDED', columns: [{ name: 'rows', type: 'bigint' }], rows: [{ rows: count?.rows }] };
  }

  private async dropTable([, ifExists, database, name]: RegExpExecArray): Promise<
    Pick<StoredQueryExecution, 'state' | 'stateChangeReason' | 'columns' | 'rows'>
  > {
    const key = `${database}.${name}`.toLowerCase();
    const table = this.tables.get(key);
    if (!table) {
      if (ifExists) return { state: 'SUCCEEDED', columns: [], rows: [] };
      return {
        state: 'FAILED',
        stateChangeReason: `TABLE_NOT_FOUND: Table ${key} does not exist`,
        columns: [],
        rows: [],
      };
    }
    await (this.engine as SqlEngine).query(`DROP VIEW "${database}"."${name}"`);
    this.tables.delete(key);
    this.droppedTables.push(table);
    return { state: 'SUCCEEDED', columns: [], rows: [] };
  }

  handlers(): Record<string, (params: Record<string, unknown>) => unknown> {
    return {
      'athena:startQueryExecution': async (params) => {
        const workGroup = String(params.WorkGroup ?? 'primary');
        const statements = this.statements.get(workGroup);
        if (!statements) {
          throw new AwsServiceError(
            'Athena.InvalidRequestException',
            `WorkGroup ${workGroup} is not found. (Service: AmazonAthena; Status Code: 400; Error Code: InvalidRequestException; Request ID: ${requestId()})`,
          );
        }
        const queryString = String(params.QueryString ?? '');
        const m = EXECUTE.exec(queryString);
        const statementName = m ? (m[1] as string) : '';
        const sql = m ? statements.get(statementName) : queryString;
        if (sql === undefined) {
          throw new AwsServiceError(
            'Athena.InvalidRequestException',
            `Prepared statement ${statementName} was not found in workGroup ${workGroup}. (Service: AmazonAthena; Status Code: 400; Error Code: InvalidRequestException; Request ID: ${requestId()})`,
          );
        }
        const literals = (params.ExecutionParameters ?? []) as string[];
        const submittedAtMs = this.clock.nowMs();
        const queryExecutionId = this.nextId();
        const outcome = await this.run(workGroup, statementName, sql, literals, queryExecutionId);
        this.executions.set(queryExecutionId, {
          queryExecutionId,
          workGroup,
          queryString,
          statementName,
          statementType: CTAS.test(sql) || DROP.test(sql) ? 'DDL' : 'DML',
          executionParameters: [...literals],
          ...outcome,
          submittedAtMs,
          completedAtMs: this.clock.nowMs(),
        });
        if (outcome.state === 'SUCCEEDED')
          this.results.set(queryExecutionId, { columns: outcome.columns, rows: outcome.rows });
        const response = this.queryExecution(queryExecutionId);
        if (outcome.state === 'FAILED')
          throw new AwsServiceError('States.TaskFailed', JSON.stringify(response));
        return response;
      },
    };
  }
}
