/**
 * The RDS Data API (`rds-data`), answering the AWS SDK integration `arn:aws:states:::aws-sdk:rdsdata:
 * executeStatement` in Step Functions' spelling: request members after the AWS SDK for Java v2 (`ResourceArn`,
 * `SecretArn`, `Sql`, `Database`), errors `RdsData.<class>` as the service model declares them for
 * ExecuteStatement. The statement itself is run by a `runner` the scenario gives (the canary's: the real
 * PostgreSQL with pgAudit, as the secret's user), so what the database says is what the workflow gets.
 *
 * Not known offline, and so answered one plausible way (the workflow handles either answer): which error a
 * missing secret gives on a provisioned cluster (the model's SecretsErrorException says "the secret provided
 * wasn't found"; Aurora Serverless v1 answered BadRequestException), and the exact wording of causes.
 */
import type { SimClock } from '../stepfunctions/clock';
import { AwsServiceError, sdkCause } from './errors';

/** What the runner is asked to do: one statement as one user. */
export interface StatementRun {
  /** The cluster's ARN (`ResourceArn`). */
  readonly resourceArn: string;
  readonly sql: string;
  readonly database: string | undefined;
  readonly user: string;
  readonly password: string;
}

/** The runner's answer: nothing on success, the database's error message otherwise. */
export type StatementRunner = (run: StatementRun) => Promise<{ error?: string }> | { error?: string };

/** ExecuteStatement's request members, as the AWS SDK for Java v2 names them. */
const MEMBERS = new Set([
  'ResourceArn',
  'SecretArn',
  'Sql',
  'Database',
  'Schema',
  'Parameters',
  'TransactionId',
  'IncludeResultMetadata',
  'ContinueAfterTimeout',
  'ResultSetOptions',
  'FormatRecordsAs',
]);

export class RdsDataSimulator {
  /** Clusters by ARN, with whether their HTTP endpoint (the Data API) is enabled. */
  readonly clusters = new Map<string, { httpEndpoint: boolean }>();
  /** Secrets by ARN: the JSON Secrets Manager holds. */
  readonly secrets = new Map<string, string>();
  /** Runs the statements; without one, every statement succeeds and runs nowhere. */
  runner: StatementRunner | undefined;
  /** Statements run, in order, with when. */
  readonly statements: {
    readonly at: string;
    readonly sql: string;
    readonly user: string;
    /** The cluster's ARN. */
    readonly resourceArn: string;
  }[] = [];

  constructor(private readonly clock: SimClock) {}

  handlers(): Record<string, (params: Record<string, unknown>) => unknown> {
    return { 'rdsdata:executeStatement': (params) => this.executeStatement(params) };
  }

  private async executeStatement(params: Record<string, unknown>): Promise<unknown> {
    const unknown = Object.keys(params).filter((k) => !MEMBERS.has(k));
    if (unknown.length > 0) {
      // Step Functions refuses a request member the SDK does not have (e.g. the API reference's `resourceArn`).
      throw new AwsServiceError(
        'States.Runtime',
        `The field(s) ${unknown.join(', ')} are not supported by Step Functions for rdsdata:executeStatement`,
      );
    }
    for (const required of ['ResourceArn', 'SecretArn', 'Sql']) {
      if (typeof params[required] !== 'string') {
        throw new AwsServiceError(
          'RdsData.BadRequestException',
          sdkCause('RdsData', 400, `${required} must not be null`),
        );
      }
    }
    const arn = params.ResourceArn as string;
    const cluster = this.clusters.get(arn);
    if (!cluster) {
      throw new AwsServiceError(
        'RdsData.BadRequestException',
        sdkCause('RdsData', 400, `Resource not found: ${arn}`),
      );
    }
    if (!cluster.httpEndpoint) {
      throw new AwsServiceError(
        'RdsData.HttpEndpointNotEnabledException',
        sdkCause('RdsData', 400, `HttpEndpoint is not enabled for resource ${arn}`),
      );
    }
    const secret = this.secrets.get(params.SecretArn as string);
    if (secret === undefined) {
      throw new AwsServiceError(
        'RdsData.SecretsErrorException',
        sdkCause(
          'RdsData',
          400,
          `Secrets Manager can't find the specified secret. (Service: SecretsManager, Status Code: 400)`,
        ),
      );
    }
    let credentials: { username?: unknown; password?: unknown };
    try {
      credentials = JSON.parse(secret) as typeof credentials;
    } catch {
      credentials = {};
    }
    if (typeof credentials.username !== 'string' || typeof credentials.password !== 'string') {
      throw new AwsServiceError(
        'RdsData.InvalidSecretException',
        sdkCause('RdsData', 400, 'The secret must contain username and password'),
      );
    }
    const sql = params.Sql as string;
    const result = (await this.runner?.({
      resourceArn: arn,
      sql,
      database: typeof params.Database === 'string' ? params.Database : undefined,
      user: credentials.username,
      password: credentials.password,
    })) ?? { error: undefined };
    if (result.error !== undefined) {
      throw new AwsServiceError('RdsData.DatabaseErrorException', sdkCause('RdsData', 400, result.error));
    }
    this.statements.push({ at: this.clock.iso(), sql, user: credentials.username, resourceArn: arn });
    return { NumberOfRecordsUpdated: 0, GeneratedFields: [] };
  }
}
