/**
 * The demo's canary run (docs/workflows.md "Canary workflow"): orders-db's canary, as its schedule would start
 * it, end to end on this machine.
 *
 * - The synthesized canary state machine runs on the local harness (simulated clock: its waits take no time).
 * - Its `rdsdata:executeStatement` calls are answered by the Data API simulator (`cli/local/aws/rds-data.ts`),
 *   which runs each marked statement on the demo's real PostgreSQL with pgAudit, as the user of the canary's
 *   secret, in its database (prepared as an operator would: `prepareCanaryDatabase`).
 * - What the server then logged (its own AUDIT lines, as written) passes the deployed pgAudit subscription
 *   filter to the real alert Lambda; the activity stream's record of the same statement (user, database,
 *   class, command and object from that AUDIT line, its real end time) is built as the demo builds the
 *   workload's (gzip, Encryption SDK, data key under the local KMS stand-in) and goes through the real decrypt
 *   Lambda, whose alert lines pass the deployed filter to the alert Lambda. Both are delivered when the
 *   workflow next reads its arrival item, activity stream first.
 * - The alert Lambda records each arrival in its state table (`canary#<nonce>`); the workflow reads it with one
 *   GetItem (here the DynamoDB simulator, given the alert Lambda's `canary#` items before each read: one table
 *   in AWS).
 * Latencies are measured by the alert Lambda on the real clock: from the statement's audit time (pgAudit's has
 * whole seconds) to its processing, on this machine; in AWS the delivery delays of both paths add minutes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { ClusterConfig } from '../../infra/config/schema';
import type { SubscriptionResult } from '../../tasks/alert/process';
import type { AuditEvent } from '../../tasks/core/audit-event';
import { arrivalAttribute, CANARY_CLASSES, type CanaryClass } from '../../tasks/core/canary';
import { postgresLogGroupName, type SubscriptionEvent } from '../../tasks/core/cloudwatch-logs';
import { parsePgAuditText } from '../../tasks/core/pgaudit/parser';
import { AwsWorld } from '../local/aws/world';
import { filterPatternMatches } from '../local/filter-pattern';
import type { LocalKms } from '../local/kms';
import type { PostgresServer } from '../local/postgres';
import {
  activityEvent,
  activityRecord,
  INSTANCE_ID,
  kinesisEvent,
  kinesisRecord,
} from '../local/records/activity-stream';
import { logEntries, subscriptionEvent } from '../local/records/logs-subscription';
import { CANARY_PASSWORD, prepareCanaryDatabase, toAttributeValues } from '../local/scenarios/canary';
import { SimClock } from '../local/stepfunctions/clock';
import { type ExecutionResult, LocalWorkflow, type TaskDispatcher } from '../local/stepfunctions/runner';
import type { DemoDeployment } from './deployment';
import type { WorkflowProgress } from './display';
import type { SimulatedAws } from './simulated-aws';

export interface DemoCanaryContext {
  readonly pg: PostgresServer;
  readonly deployment: DemoDeployment;
  readonly cluster: ClusterConfig;
  readonly aws: SimulatedAws;
  readonly kms: LocalKms;
  readonly decrypt: (
    event: KinesisStreamEvent,
  ) => Promise<{ response: KinesisStreamBatchResponse; logLines: string[] }>;
  readonly alert: (event: SubscriptionEvent) => Promise<unknown>;
  /** Where the execution (and the server's log lines of the canary's statements) are written. */
  readonly workflowsDir: string;
  readonly progress: (start: string) => WorkflowProgress;
  readonly pace: (dispatch: TaskDispatcher) => TaskDispatcher;
}

/** The end-to-end latency of one source: per class, from the statement's audit time to its arrival (ms). */
export type SourceLatencies = Readonly<Record<CanaryClass, number | undefined>>;

export interface DemoCanaryResult {
  readonly status: ExecutionResult['status'];
  readonly error: string | undefined;
  readonly transitions: number;
  /** The run's nonce, read from the statements the database ran. */
  readonly nonce: string | undefined;
  /** What the database ran through the Data API, as whom. */
  readonly statements: readonly { readonly sql: string; readonly user: string }[];
  /** Log entries the subscription filters forwarded to the alert Lambda, per source. */
  readonly delivered: { readonly das: number; readonly pgaudit: number };
  /** Canary arrivals the alert Lambda recognized (SubscriptionResult.canaries), per source. */
  readonly recognized: { readonly das: number; readonly pgaudit: number };
  /** The run's output: the arrival item's attributes (arrival times and latencies), as the workflow read them. */
  readonly arrivals: Readonly<Record<string, string>>;
  readonly latencies: { readonly das: SourceLatencies; readonly pgaudit: SourceLatencies };
  /** Alert emails the canary caused (it never emails when it succeeds). */
  readonly emails: number;
  /** Events the canary's statements added to the stored events (both sources), and their objects. */
  readonly stored: { readonly events: number; readonly objects: number };
  readonly executionFile: string;
  readonly logFile: string;
}

/** `2026-11-24 10:00:00.123000+00`, as the activity stream writes times. */
function dasTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000+00`;
}

/** The server's log entries after `offset` once an AUDIT line is among them (the server writes asynchronously). */
async function entriesAfter(pg: PostgresServer, offset: number): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    const entries = logEntries(pg.log().slice(offset));
    if (entries.some((e) => e.includes(':LOG:  AUDIT: '))) return entries;
    await new Promise((r) => setTimeout(r, 20));
  }
  return logEntries(pg.log().slice(offset));
}

interface Pending {
  readonly source: 'das' | 'pgaudit';
  readonly deliver: () => Promise<{ forwarded: number; canaries: number }>;
}

export async function runDemoCanary(c: DemoCanaryContext): Promise<DemoCanaryResult> {
  const { pg, deployment, cluster, aws } = c;
  const { input } = deployment.canary;
  prepareCanaryDatabase(pg);
  const clock = new SimClock(new Date());
  const world = new AwsWorld({ clock });
  world.provision(deployment.resolver);
  // The cluster with its Data API enabled, and the canary's secret (the user prepareCanaryDatabase created).
  world.rdsData.clusters.set(input.resourceArn, { httpEndpoint: true });
  const user = cluster.canary?.user ?? 'aurora_audit_canary';
  world.rdsData.secrets.set(input.secretArn, JSON.stringify({ username: user, password: CANARY_PASSWORD }));

  const decryptLogGroup = deployment.environments.alert.DECRYPT_LOG_GROUP ?? 'decrypt';
  const pending: Pending[] = [];
  const delivered = { das: 0, pgaudit: 0 };
  const recognized = { das: 0, pgaudit: 0 };
  const serverLog: string[] = [];
  const emailsBefore = aws.published.length;
  const storedBefore = aws.storedEvents;
  const eventObjects = () => [...aws.objects.keys()].filter((k) => k.startsWith('events/')).length;
  const objectsBefore = eventObjects();

  world.rdsData.runner = async ({ sql, database, user: as, password }) => {
    const offset = pg.log().length;
    const result = pg.psql(sql, { user: as, password, database, check: false });
    if (result.status !== 0) return { error: result.stderr.replace(/^psql:[^:]*:\d+: /, '').trim() };
    const endedAt = Date.now();
    const entries = await entriesAfter(pg, offset);
    serverLog.push(...entries);
    // pgAudit: the entries the subscription filter forwards, as the server wrote them.
    const forwarded = entries.filter((e) => filterPatternMatches(deployment.filterPatterns.pgAudit, e));
    // The activity stream's record of the same statement: what pgAudit says ran (class, command, object, pid).
    const [audited] = (
      await parsePgAuditText(forwarded.join('\n'), { clusterId: cluster.resourceId })
    ).filter((e: AuditEvent) => e.auditType === 'SESSION');
    if (!audited) return { error: `the demo harness found no AUDIT line for: ${sql}` };
    const built = await activityRecord(
      c.kms,
      [
        activityEvent({
          class: audited.class,
          command: audited.command,
          commandText: sql,
          databaseName: database ?? null,
          dbUserName: as,
          objectType: audited.objectType,
          objectName: audited.objectName,
          logTime: dasTime(endedAt),
          startTime: dasTime(endedAt - 1),
          pid: audited.pid,
          clientApplication: 'rds-data-api',
          remoteHost: '127.0.0.1',
          serverHost: '127.0.0.1',
          serverVersion: '15',
          exitCode: '0',
          rowCount: null,
        }),
      ],
      { clusterId: cluster.resourceId, instanceId: INSTANCE_ID },
    );
    pending.push({
      source: 'das',
      deliver: async () => {
        const { response, logLines } = await c.decrypt(
          kinesisEvent([kinesisRecord(built.data, cluster.resourceId)]),
        );
        if (response.batchItemFailures.length > 0)
          throw new Error('the decrypt Lambda refused the canary statement’s activity-stream record');
        const lines = logLines.filter((l) =>
          filterPatternMatches(deployment.filterPatterns.activityStream, l),
        );
        if (lines.length === 0) return { forwarded: 0, canaries: 0 };
        const r = (await c.alert(
          subscriptionEvent(lines, { logGroup: decryptLogGroup }),
        )) as SubscriptionResult;
        return { forwarded: lines.length, canaries: r.canaries ?? 0 };
      },
    });
    pending.push({
      source: 'pgaudit',
      deliver: async () => {
        if (forwarded.length === 0) return { forwarded: 0, canaries: 0 };
        const r = (await c.alert(
          subscriptionEvent(forwarded, {
            logGroup: postgresLogGroupName(cluster.identifier),
            logStream: `${cluster.identifier}-instance-1`,
          }),
        )) as SubscriptionResult;
        return { forwarded: forwarded.length, canaries: r.canaries ?? 0 };
      },
    });
    return {};
  };

  const deliverAll = async () => {
    for (const p of pending
      .splice(0)
      .sort((a, b) => (a.source === b.source ? 0 : a.source === 'das' ? -1 : 1))) {
      const { forwarded, canaries } = await p.deliver();
      delivered[p.source] += forwarded;
      recognized[p.source] += canaries;
    }
    // One alert state table in AWS: the workflow's GetItem sees what the alert Lambda wrote.
    for (const item of aws.alertStateItems())
      if (String(item.pk).startsWith('canary#'))
        world.dynamodb.seed(deployment.alertTable, toAttributeValues(item));
  };

  const workflow = new LocalWorkflow(deployment.canary.definition, {
    clock,
    dispatch: c.pace(async (call) => {
      if (call.resource.endsWith(':dynamodb:getItem')) await deliverAll();
      return world.dispatch(call);
    }),
    stateMachineArn: deployment.canary.stateMachineArn,
  });
  const progress = c.progress(clock.iso());
  const run = await workflow.run(input, {
    name: `canary-${cluster.identifier}-demo`,
    onEvent: progress.onEvent,
  });

  progress.finish(
    run.status,
    `${run.status}${run.error ? ` (${run.error})` : ''} in ${run.transitions} state transitions (waits simulated)`,
  );
  const item = ((run.output as { Item?: Record<string, { S?: string; N?: string }> } | undefined)?.Item ??
    {}) as Record<string, { S?: string; N?: string; SS?: string[] }>;
  const arrivals: Record<string, string> = {};
  for (const [k, v] of Object.entries(item))
    if (v.S !== undefined || v.N !== undefined) arrivals[k] = (v.S ?? v.N) as string;
  const latency = (source: 'das' | 'pgaudit'): SourceLatencies =>
    Object.fromEntries(
      CANARY_CLASSES.map((cls) => {
        const ms = arrivals[`${arrivalAttribute(source, cls)}LatencyMs`];
        return [cls, ms === undefined ? undefined : Number(ms)];
      }),
    ) as SourceLatencies;
  const statements = world.rdsData.statements.map((s) => ({ sql: s.sql, user: s.user }));
  const nonce = /aurora-audit canary ([0-9a-f-]{36})/.exec(statements[0]?.sql ?? '')?.[1];
  const executionFile = join(c.workflowsDir, 'canary-execution.json');
  writeFileSync(executionFile, `${JSON.stringify({ ...run, events: undefined }, null, 2)}\n`);
  const logFile = join(c.workflowsDir, 'canary-postgresql.log');
  writeFileSync(logFile, `${serverLog.join('\n')}\n`);
  return {
    status: run.status,
    error: run.error,
    transitions: run.transitions,
    nonce,
    statements,
    delivered,
    recognized,
    arrivals,
    latencies: { das: latency('das'), pgaudit: latency('pgaudit') },
    emails: aws.published.length - emailsBefore,
    stored: { events: aws.storedEvents - storedBefore, objects: eventObjects() - objectsBefore },
    executionFile,
    logFile,
  };
}
