/**
 * The canary workflow as deployed from the example configuration with a canary on orders-db, ready to run
 * locally: the synthesized definition, the simulated account provisioned from the same template, the Data API
 * answered by running each statement on a real PostgreSQL 15 with pgAudit as the secret's user, and both audit
 * paths delivered to the real alert Lambda processing (`createAlertProcessor` with its deployed settings and
 * the default rules) through the deployed subscription filter patterns:
 *
 * - pgAudit: the AUDIT lines the server wrote for the statement, exactly as written, as a CloudWatch Logs
 *   subscription payload of the cluster's PostgreSQL log group, `pgAuditDelaySeconds` after the statement;
 * - activity stream: the audit event the decrypt Lambda would log for the statement (built with the project's
 *   record builder from what ran: user, database, class, command, text), as its `{"auditEvent": …}` line,
 *   `activityStreamDelaySeconds` after it.
 * A delay of `null` is a silent path: nothing is delivered. Deliveries due by the simulated clock are processed
 * before each `dynamodb:getItem` of the workflow. The alert state table is one table in AWS; here the alert
 * processor writes it through the document client (`DynamoTable`) and the workflow reads it through the
 * DynamoDB simulator: the `canary#` items are copied from the first to the second before each read.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAlertProcessor } from '../../../tasks/alert/process';
import { readAlertSettings } from '../../../tasks/alert/settings';
import { AlertStore, DUE_INDEX } from '../../../tasks/alert/store';
import { alertLine } from '../../../tasks/core/alert-lines';
import type { SnsNotification } from '../../../tasks/core/alerts/notification';
import { loadRules } from '../../../tasks/core/alerts/rules';
import type { AuditEvent } from '../../../tasks/core/audit-event';
import { CANARY_TABLE } from '../../../tasks/core/canary';
import { parsePgAuditMessage } from '../../../tasks/core/pgaudit/parser';
import { createRedactor } from '../../../tasks/core/redact';
import type { CanaryWorkflow } from '../../../workflows/canary/construct';
import type { CanaryGroupInput, CanaryInput } from '../../../workflows/canary/definition';
import type { AttributeValue } from '../aws/dynamodb';
import { AwsWorld } from '../aws/world';
import { localDeployment } from '../cdk-app';
import { DynamoTable } from '../dynamodb-table';
import { filterPatternMatches } from '../filter-pattern';
import type { PostgresServer } from '../postgres';
import { auditEvent } from '../records/audit-event';
import { subscriptionEvent } from '../records/logs-subscription';
import { SimClock } from '../stepfunctions/clock';
import { type ExecutionResult, LocalWorkflow, type TaskCall } from '../stepfunctions/runner';
import type { AslDefinition, TemplateResolver } from '../stepfunctions/template';
import {
  CANARY_DATABASE,
  CANARY_SECRET_ARN,
  CANARY_USER,
  canaryConfig,
  canaryGroupConfig,
  GROUP_SECRET_ARN,
} from './canary-config';
import { T0 } from './stream';

export const CANARY_PASSWORD = 'canary-test-pw';
const CLUSTER = 'orders-db';
const WRITER_INSTANCE = 'orders-db-instance-1';
const WRITER_RESOURCE_ID = 'db-ABCDEFGHIJKLMNOPQRSTUVWXY1';

export interface CanaryDeployment {
  readonly resolver: TemplateResolver;
  readonly definition: AslDefinition;
  readonly stateMachineId: string;
  /** The alert state table's name. */
  readonly alertTable: string;
  readonly topicArn: string;
  /** orders-db's input, as its schedule lists it (and as a run started by hand takes it), resolved. */
  readonly input: CanaryInput;
  /** What orders-db's schedule sends: the group of clusters sharing its expression and time zone. */
  readonly groupInput: CanaryGroupInput;
  readonly alertEnvironment: Record<string, string>;
  readonly decryptLogGroup: string;
  readonly filterPatterns: { readonly activityStream: string; readonly pgAudit: string };
}

/** `single`: a canary on orders-db alone; `group`: on orders-db and payments-db, one schedule for both. */
export type CanaryVariant = 'single' | 'group';

const deployments = new Map<CanaryVariant, CanaryDeployment>();

/** Synthesizes the example app with its canaries once per process and variant and reads the canary out of it. */
export function canaryDeployment(variant: CanaryVariant = 'single'): CanaryDeployment {
  const cached = deployments.get(variant);
  if (cached) return cached;
  const local = localDeployment(variant === 'group' ? canaryGroupConfig() : canaryConfig());
  const { auditStack, resolver } = local;
  const id = local.logicalId;
  const canary = auditStack.node.findChild('Canary') as CanaryWorkflow;
  const stateMachineId = id(canary.stateMachine);
  const groupInput = local.canaryScheduleInput();
  const input = groupInput.clusters.find((c) => c.cluster === CLUSTER);
  if (!input) throw new Error(`no input for ${CLUSTER} in the canary schedule's input`);
  const pattern = local.subscriptionFilterPattern;
  const alertEnvironment = resolver.functionEnvironment(id(auditStack.alertProcessing.function));
  const deployment: CanaryDeployment = {
    resolver,
    definition: resolver.stateMachineDefinition(stateMachineId),
    stateMachineId,
    alertTable: resolver.ref(id(auditStack.alertProcessing.table)),
    topicArn: resolver.arn(id(auditStack.alerting.topic)),
    input,
    groupInput,
    alertEnvironment,
    decryptLogGroup: alertEnvironment.DECRYPT_LOG_GROUP as string,
    filterPatterns: {
      activityStream: pattern('aurora-audit-alerts'),
      pgAudit: pattern('aurora-audit-pgaudit'),
    },
  };
  deployments.set(variant, deployment);
  return deployment;
}

/**
 * Prepares the canary's database on a running server as an operator would (docs/workflows.md): the canary
 * user, its database and its table, pgAudit in that database. No `pgaudit.log` for the user: it is audited by
 * the server's setting, as every other user is.
 */
export function prepareCanaryDatabase(pg: PostgresServer): void {
  pg.psql(
    `CREATE ROLE ${CANARY_USER} LOGIN PASSWORD '${CANARY_PASSWORD}';\nCREATE DATABASE ${CANARY_DATABASE};`,
  );
  pg.psql('CREATE EXTENSION IF NOT EXISTS pgaudit;', { database: CANARY_DATABASE });
  pg.psql(`CREATE TABLE ${CANARY_TABLE} (id int);\nALTER TABLE ${CANARY_TABLE} OWNER TO ${CANARY_USER};`, {
    database: CANARY_DATABASE,
  });
}

export interface CanaryScenarioOptions {
  /** The real PostgreSQL with pgAudit the statements run on (`prepareCanaryDatabase` done). */
  readonly postgres: PostgresServer;
  /** Seconds from a statement to its arrival through the activity stream; null: the path is silent. @default 90 */
  readonly activityStreamDelaySeconds?: number | null;
  /** The same through pgAudit (the PostgreSQL log export). @default 120 */
  readonly pgAuditDelaySeconds?: number | null;
  /** Whether the cluster's HTTP endpoint (Data API) is enabled. @default true */
  readonly httpEndpoint?: boolean;
  /** Whether the canary's secret exists. @default true */
  readonly secret?: boolean;
  /** @default T0 */
  readonly start?: string;
  /** `group`: canaries on orders-db and payments-db, one schedule listing both. @default 'single' */
  readonly variant?: CanaryVariant;
  /** Per cluster (by identifier), delays other than the ones above (`null`: that path is silent). */
  readonly clusterDelays?: Readonly<
    Record<string, { readonly activityStream?: number | null; readonly pgAudit?: number | null }>
  >;
}

/** A schedule's group run and the runs it started, each run in turn (in AWS they run side by side). */
export interface CanaryGroupRun {
  readonly parent: ExecutionResult;
  readonly children: readonly {
    readonly cluster: string;
    readonly executionArn: string;
    readonly result: ExecutionResult;
  }[];
}

export interface CanaryScenario {
  readonly world: AwsWorld;
  readonly deployment: CanaryDeployment;
  /** The alert state table as the alert Lambda wrote it. */
  readonly alertState: DynamoTable;
  /** What the alert Lambda published (the canary never emails: expected empty). */
  readonly alerts: SnsNotification[];
  /** Audit events the alert Lambda archived (pgAudit) and the subscription payloads delivered. */
  readonly archived: AuditEvent[];
  readonly delivered: { at: string; source: 'das' | 'pgaudit'; lines: number }[];
  run(input?: unknown): Promise<ExecutionResult>;
  /**
   * Runs what the schedule sends (`groupInput`, or `input`), then each execution it started, one after the
   * other in simulated time, with the input StartExecution was given.
   */
  runGroup(input?: unknown): Promise<CanaryGroupRun>;
  /** Restores the DynamoDB document client (call after each scenario). */
  close(): void;
}

const silentLogger = {
  info: () => {},
  warn: () => {},
  error: () => {},
  debug: () => {},
} as unknown as Logger;

/** A fresh simulated account, the canary's database on `postgres`, and the workflow ready to run. */
export function canaryScenario(options: CanaryScenarioOptions): CanaryScenario {
  const d = canaryDeployment(options.variant);
  const clock = new SimClock(options.start ?? T0);
  const world = new AwsWorld({ clock });
  world.provision(d.resolver);
  for (const input of d.groupInput.clusters)
    world.rdsData.clusters.set(input.resourceArn, { httpEndpoint: options.httpEndpoint ?? true });
  if (options.secret ?? true) {
    for (const arn of [CANARY_SECRET_ARN, GROUP_SECRET_ARN])
      world.rdsData.secrets.set(arn, JSON.stringify({ username: CANARY_USER, password: CANARY_PASSWORD }));
  }

  // ---- the alert Lambda, with its deployed settings
  const settings = readAlertSettings(d.alertEnvironment);
  const rules = loadRules();
  const redact = createRedactor(settings.REDACTION_PATTERNS);
  const alertState = new DynamoTable('pk', [{ name: DUE_INDEX, partitionKey: 'dueKey', sortKey: 'dueAt' }]);
  const alerts: SnsNotification[] = [];
  const archived: AuditEvent[] = [];
  let processingAt: number | undefined;
  const processor = createAlertProcessor({
    store: new AlertStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), {
      tableName: d.alertTable,
      holdMs: settings.CORRELATION_HOLD_SECONDS * 1000,
      correlationWindowMs: settings.CORRELATION_WINDOW_SECONDS * 1000,
      claimTimeoutMs: 5 * 60_000,
      retentionSeconds: 14 * 86_400,
    }),
    publish: async (n) => {
      alerts.push(n);
    },
    archive: async (events) => {
      archived.push(...events);
      return { failedOwners: new Set(), errors: [] };
    },
    match: (event) => rules.evaluate(event),
    matchCoverageGap: (event) => rules.evaluateFinding('coverage-gap', event),
    coverage: { classes: new Set(settings.COVERAGE_CLASSES), graceSeconds: settings.COVERAGE_GRACE_SECONDS },
    parsePgAudit: (message, context, onError) =>
      parsePgAuditMessage(message, {
        ...context,
        redact,
        serviceUsers: new Set(settings.SERVICE_USERS),
        onError,
      }),
    quarantine: async (entry) => {
      throw new Error(`canary harness: unexpected quarantine: ${entry.reason}`);
    },
    decryptLogGroup: settings.DECRYPT_LOG_GROUP,
    clusters: settings.CLUSTERS.map((c) => ({ ...c, silentInstances: new Set(c.silentInstances) })),
    subjectPrefix: settings.SUBJECT_PREFIX,
    table: settings.GLUE_TABLE,
    digestGraceMs: settings.DIGEST_GRACE_SECONDS * 1000,
    // A payload is processed when it is delivered (not when the workflow next looks).
    now: () => processingAt ?? clock.nowMs(),
    logger: silentLogger,
  });

  // ---- the Data API runs each statement on the real server; both paths then deliver what it produced
  const pending: { at: number; source: 'das' | 'pgaudit'; cluster: string; lines: string[] }[] = [];
  const delivered: CanaryScenario['delivered'] = [];
  const pg = options.postgres;
  const defaultDas =
    options.activityStreamDelaySeconds === undefined ? 90 : options.activityStreamDelaySeconds;
  const defaultPg = options.pgAuditDelaySeconds === undefined ? 120 : options.pgAuditDelaySeconds;
  world.rdsData.runner = async ({ resourceArn, sql, database, user, password }) => {
    const cluster = resourceArn.slice(resourceArn.indexOf(':cluster:') + ':cluster:'.length);
    const own = options.clusterDelays?.[cluster];
    const dasDelay = own?.activityStream === undefined ? defaultDas : own.activityStream;
    const pgDelay = own?.pgAudit === undefined ? defaultPg : own.pgAudit;
    const before = pg.log().length;
    const result = pg.psql(sql, { user, password, database, check: false });
    if (result.status !== 0) return { error: result.stderr.replace(/^psql:[^:]*:\d+: /, '').trim() };
    const at = clock.nowMs();
    if (pgDelay !== null) {
      // The server's own timestamp (wall clock) replaced by the simulated clock's: the rest is as written.
      const stamp = `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
      const lines = (await auditLinesAfter(pg, before)).map((l) =>
        l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? UTC/, stamp),
      );
      const forwarded = lines.filter((l) => filterPatternMatches(d.filterPatterns.pgAudit, l));
      pending.push({ at: at + pgDelay * 1000, source: 'pgaudit', cluster, lines: forwarded });
    }
    if (dasDelay !== null) {
      // What the activity stream reports of the statement that ran: its user, database, text, class, command.
      const grant = /^\s*GRANT\b/i.test(sql);
      const line = alertLine(
        auditEvent({
          source: 'das',
          clusterId: settings.CLUSTERS.find((c) => c.identifier === cluster)?.resourceId ?? null,
          instanceId: WRITER_RESOURCE_ID,
          time: `${new Date(at).toISOString().slice(0, 23)}456Z`,
          class: grant ? 'ROLE' : 'DDL',
          command: grant ? 'GRANT' : 'COMMENT',
          database: database ?? null,
          user,
          commandText: sql,
          clientApplication: 'rds-data-api',
        }),
      ).trim();
      const forwarded = [line].filter((l) => filterPatternMatches(d.filterPatterns.activityStream, l));
      pending.push({ at: at + dasDelay * 1000, source: 'das', cluster, lines: forwarded });
    }
    return {};
  };

  const deliverDue = async () => {
    const due = pending.filter((p) => p.at <= clock.nowMs()).sort((a, b) => a.at - b.at);
    for (const p of due) {
      pending.splice(pending.indexOf(p), 1);
      if (p.lines.length === 0) continue;
      const payload =
        p.source === 'pgaudit'
          ? subscriptionEvent(p.lines, {
              logGroup: `/aws/rds/cluster/${p.cluster}/postgresql`,
              logStream: p.cluster === CLUSTER ? WRITER_INSTANCE : `${p.cluster}-instance-1`,
            })
          : subscriptionEvent(p.lines, { logGroup: d.decryptLogGroup });
      processingAt = p.at;
      try {
        await processor.handleSubscription(payload);
      } finally {
        processingAt = undefined;
      }
      delivered.push({ at: new Date(p.at).toISOString(), source: p.source, lines: p.lines.length });
    }
    // The one alert state table, read by the workflow through the DynamoDB simulator.
    for (const item of alertState.items.values()) {
      if (String(item.pk).startsWith('canary#')) world.dynamodb.seed(d.alertTable, toAttributeValues(item));
    }
  };

  const workflow = new LocalWorkflow(d.definition, {
    clock,
    dispatch: async (call: TaskCall) => {
      if (call.resource.endsWith(':dynamodb:getItem')) await deliverDue();
      return world.dispatch(call);
    },
    stateMachineArn: d.resolver.arn(d.stateMachineId),
  });
  return {
    world,
    deployment: d,
    alertState,
    alerts,
    archived,
    delivered,
    run: (input) => workflow.run(input ?? d.input),
    runGroup: async (input) => {
      const before = world.states.started.length;
      const parent = await workflow.run(input ?? d.groupInput);
      const children = [];
      for (const started of world.states.started.slice(before)) {
        const result = await workflow.run(started.input, { name: started.name });
        const cluster = (started.input as { cluster?: unknown }).cluster;
        children.push({ cluster: String(cluster), executionArn: started.executionArn, result });
      }
      return { parent, children };
    },
    close: () => alertState.restore(),
  };
}

/** The AUDIT lines the server wrote after `offset` of its log (it writes asynchronously: waits a little). */
async function auditLinesAfter(pg: PostgresServer, offset: number): Promise<string[]> {
  for (let i = 0; i < 50; i++) {
    const lines = pg
      .log()
      .slice(offset)
      .split('\n')
      .filter((l) => l.includes(':LOG:  AUDIT: '));
    if (lines.length > 0) return lines;
    await new Promise((r) => setTimeout(r, 20));
  }
  return [];
}

/** A document-client item (strings, numbers, string sets) in DynamoDB JSON, as GetItem returns it. */
export function toAttributeValues(item: Record<string, unknown>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(item)) {
    if (typeof v === 'string') out[k] = { S: v };
    else if (typeof v === 'number') out[k] = { N: String(v) };
    else if (Object.prototype.toString.call(v) === '[object Set]') out[k] = { SS: [...(v as Set<string>)] };
    else throw new Error(`canary harness: no DynamoDB JSON for ${k} (${typeof v})`);
  }
  return out;
}
