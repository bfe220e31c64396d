/**
 * The canary workflow, run locally: the synthesized definition (example configuration with a canary on
 * orders-db) with aws-local-stepfunctions; the Data API runs each statement on a real PostgreSQL 15 with
 * pgAudit as the canary user; the pgAudit lines it wrote and the activity-stream event of the same statement
 * reach the real alert Lambda processing through the deployed subscription filter patterns, after the delays
 * each scenario gives (or never: a silent path). Each scenario asserts the final status, the error, the
 * statements the database ran, what was delivered and the notification.
 */

import { type PostgresServer, startPostgres } from '../../../cli/local/postgres';
import {
  CANARY_PASSWORD,
  type CanaryScenario,
  type CanaryScenarioOptions,
  canaryDeployment,
  canaryScenario,
  prepareCanaryDatabase,
} from '../../../cli/local/scenarios/canary';
import { CANARY_DATABASE, CANARY_SECRET_ARN } from '../../../cli/local/scenarios/canary-config';
import type { CanaryRunRecord } from '../../../tasks/core/canary';
import { STATES } from '../../../workflows/canary/definition';

let pg: PostgresServer;
let current: CanaryScenario | undefined;

beforeAll(async () => {
  // The server audits ROLE and DDL for everyone; the canary user has no pgaudit.log of its own.
  pg = await startPostgres({ pgauditLog: 'role,ddl' });
  prepareCanaryDatabase(pg);
  // Synthesized once here, not inside the first scenario's time (slow when the machine is busy).
  canaryDeployment();
  canaryDeployment('group');
}, 240_000);
afterAll(() => pg?.stop());
afterEach(() => {
  current?.close();
  current = undefined;
});

function scenario(options: Omit<CanaryScenarioOptions, 'postgres'> = {}): CanaryScenario {
  current = canaryScenario({ postgres: pg, ...options });
  return current;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function notifications(s: CanaryScenario) {
  return s.world.sns.messages.filter((p) => p.topicArn === s.deployment.topicArn);
}

describe('the canary workflow, both paths working', () => {
  it('writes a marked GRANT and COMMENT, sees both arrive through both sources, and succeeds without an email', async () => {
    const s = scenario({ activityStreamDelaySeconds: 90, pgAuditDelaySeconds: 120 });
    const run = await s.run();

    expect(run.status).toBe('SUCCEEDED');
    // The database ran both statements as the canary user, marked with one nonce.
    const statements = s.world.rdsData.statements;
    expect(statements.map((st) => st.user)).toEqual(['aurora_audit_canary', 'aurora_audit_canary']);
    const nonce = /aurora-audit canary ([0-9a-f-]{36})/.exec(statements[0]?.sql ?? '')?.[1];
    expect(nonce).toMatch(UUID);
    expect(statements.map((st) => st.sql)).toEqual([
      `GRANT SELECT ON aurora_audit_canary TO CURRENT_USER /* aurora-audit canary ${nonce} */`,
      `COMMENT ON TABLE aurora_audit_canary IS 'aurora-audit canary ${nonce}'`,
    ]);
    // pgAudit really logged them (the lines the alert Lambda archived came from the server's log).
    expect(s.archived.map((e) => [e.user, e.database, e.class, e.command])).toEqual([
      ['aurora_audit_canary', CANARY_DATABASE, 'ROLE', 'GRANT'],
      ['aurora_audit_canary', CANARY_DATABASE, 'DDL', 'COMMENT'],
    ]);
    // Arrivals recorded by the alert Lambda, read by the workflow: the run's output.
    const output = (run.output as { Item: Record<string, { S?: string; N?: string }> }).Item;
    expect(output.dasRole?.S).toBe('2026-11-24T10:01:30.000Z');
    expect(Number(output.dasRoleLatencyMs?.N)).toBe(90_000);
    expect(output.pgauditDdl?.S).toBe('2026-11-24T10:02:00.000Z');
    expect(Number(output.pgauditRoleLatencyMs?.N)).toBe(120_000);
    expect(s.alertState.items.get(`canary#${nonce}`)).toMatchObject({ kind: 'canary' });
    // Never an email, no alert or coverage item about the canary.
    expect(s.alerts).toEqual([]);
    expect(notifications(s)).toEqual([]);
    expect([...s.alertState.items.keys()].filter((k) => !k.startsWith('canary#'))).toEqual([]);
    expect(run.transitions).toBeLessThan(40);
  });
});

describe('the canary workflow, a path silent', () => {
  it('fails PgAuditPathSilent with a CRITICAL notification when pgAudit delivers nothing', async () => {
    const s = scenario({ pgAuditDelaySeconds: null });
    const run = await s.run();
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('PgAuditPathSilent');
    const [n, ...more] = notifications(s);
    expect(more).toEqual([]);
    expect(n?.subject).toBe('[aurora-audit] CRITICAL audit canary FAILED on orders-db: PgAuditPathSilent');
    expect(n?.message).toContain(
      'The pgAudit path is broken: check first that the cluster exports its PostgreSQL log',
    );
    expect(n?.message).toContain('did not both arrive through pgAudit within 1800 s');
    expect(n?.attributes).toMatchObject({
      severity: 'CRITICAL',
      error: 'PgAuditPathSilent',
      workflow: 'canary',
    });
    // It waited until the deadline: the waits add up to it.
    expect(run.waits.reduce((sum, w) => sum + (w.seconds ?? 0), 0)).toBe(1800);
  });
});

describe('the canary workflow, paths silent', () => {
  it('fails ActivityStreamPathSilent when only the activity stream delivers nothing', async () => {
    const s = scenario({ activityStreamDelaySeconds: null });
    const run = await s.run();
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ActivityStreamPathSilent');
    // pgAudit did deliver: the cause shows its arrivals, and names the silent path.
    expect(run.cause).toContain('did not both arrive through the activity stream within 1800 s');
    expect(run.cause).toContain('pgauditRole');
    expect(run.cause).not.toContain('dasRole');
    const [n, ...more] = notifications(s);
    expect(more).toEqual([]);
    expect(n?.subject).toBe(
      '[aurora-audit] CRITICAL audit canary FAILED on orders-db: ActivityStreamPathSilent',
    );
    expect(n?.message).toContain("check first that the cluster's activity stream is `started`");
    expect(s.alerts).toEqual([]);
  });

  it('fails BothPathsSilent when neither source delivers, after one GetItem per poll up to the deadline', async () => {
    const s = scenario({ activityStreamDelaySeconds: null, pgAuditDelaySeconds: null });
    const run = await s.run();
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('BothPathsSilent');
    expect(run.cause).toContain('Arrivals recorded: {"SdkHttpMetadata"');
    const polls = s.deployment.input.pollSeconds.length;
    // One GetItem per poll, then the failed-run streak's UpdateItem (the evidence).
    expect(s.world.actions('dynamodb')).toEqual([...Array(polls).fill('getItem'), 'updateItem']);
    // Growing waits.
    const waits = run.waits.map((w) => w.seconds ?? 0);
    expect(waits.slice(0, 4)).toEqual([15, 30, 45, 60]);
    expect(notifications(s).map((n) => n.attributes.severity)).toEqual(['CRITICAL']);
    expect(s.world.rdsData.statements).toHaveLength(2);
  });

  it('takes a path that arrives late but before the deadline for a working path', async () => {
    const s = scenario({ activityStreamDelaySeconds: 1700 });
    const run = await s.run();
    expect(run.status).toBe('SUCCEEDED');
  });
});

describe('the canary workflow, the Data API failing', () => {
  it('retries a throttled ExecuteStatement (RdsData.RdsDataException: RDS Data declares no throttling error) and succeeds', async () => {
    const s = scenario();
    s.world.faults.throttle('rdsdata:executeStatement', 2);
    const run = await s.run();
    expect(run.status).toBe('SUCCEEDED');
    expect(s.world.callsTo('rdsdata', 'executeStatement').map((c) => c.error)).toEqual([
      'RdsData.RdsDataException',
      'RdsData.RdsDataException',
      undefined,
      undefined,
    ]);
    expect(s.world.rdsData.statements).toHaveLength(2);
  });

  it('fails CanaryStatementRefused on a BadRequestException, without retrying it', async () => {
    const s = scenario();
    s.world.faults.inject({
      target: 'rdsdata:executeStatement',
      error: 'RdsData.BadRequestException',
      cause: 'Database error code: 0. Message: syntax error (Service: RdsData, Status Code: 400)',
    });
    const run = await s.run();
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('CanaryStatementRefused');
    expect(s.world.callsTo('rdsdata', 'executeStatement')).toHaveLength(1);
    const [n] = notifications(s);
    expect(n?.subject).toBe('[aurora-audit] HIGH audit canary FAILED on orders-db: CanaryStatementRefused');
    expect(n?.message).toContain('Cause: RdsData.BadRequestException: Database error code: 0.');
    expect(n?.message).toContain('Step: Write ROLE statement');
  });

  it('fails CanaryStatementRefused with what PostgreSQL said when the canary table is not in the database', async () => {
    const s = scenario();
    const run = await s.run({ ...s.deployment.input, database: 'postgres' });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('CanaryStatementRefused');
    expect(run.cause).toMatch(
      /^RdsData\.DatabaseErrorException: ERROR: {2}relation "aurora_audit_canary" does not exist/,
    );
    expect(s.world.rdsData.statements).toEqual([]);
  });

  it('fails CanarySecretUnusable when the secret is missing', async () => {
    const s = scenario({ secret: false });
    const run = await s.run();
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('CanarySecretUnusable');
    expect(run.cause).toMatch(/^RdsData\.SecretsErrorException: /);
    expect(notifications(s)[0]?.message).toContain('Check that clusters[].canary.secretArn exists');
    expect(s.world.rdsData.statements).toEqual([]);
  });

  it("fails DataApiNotEnabled when the cluster's HTTP endpoint is disabled (RdsData.HttpEndpointNotEnabledException)", async () => {
    const s = scenario({ httpEndpoint: false });
    const run = await s.run();
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('DataApiNotEnabled');
    expect(run.cause).toMatch(/^RdsData\.HttpEndpointNotEnabledException: HttpEndpoint is not enabled/);
    expect(notifications(s)[0]?.message).toContain('aws rds enable-http-endpoint');
    expect(s.world.callsTo('rdsdata', 'executeStatement')).toHaveLength(1);
  });

  it('fails InvalidInput with a notification when started without the schedule input', async () => {
    const s = scenario();
    const run = await s.run({ cluster: 'orders-db' });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidInput');
    expect(s.world.callsTo('rdsdata')).toEqual([]);
    expect(notifications(s)).toHaveLength(1);
  });
});

describe("the canary workflow, a schedule's group of clusters", () => {
  const SILENT = { activityStream: null, pgAudit: null };
  const clusterOf = (arn: string) => arn.slice(arn.indexOf(':cluster:') + ':cluster:'.length);

  it("starts one run per listed cluster with that cluster's input, and each run's outcome is its own: one arriving, one silent", async () => {
    const s = scenario({ variant: 'group', clusterDelays: { 'payments-db': SILENT } });
    const group = s.deployment.groupInput;
    expect(group.clusters.map((c) => c.cluster)).toEqual(['orders-db', 'payments-db']);
    const { parent, children } = await s.runGroup();

    // The group run started this same state machine once per cluster, with exactly that cluster's input.
    expect(parent.status).toBe('SUCCEEDED');
    const started = s.world.states.started;
    expect(started.map((e) => e.stateMachineArn)).toEqual([
      s.deployment.resolver.arn(s.deployment.stateMachineId),
      s.deployment.resolver.arn(s.deployment.stateMachineId),
    ]);
    expect(started.map((e) => e.input)).toEqual(group.clusters);
    expect(parent.output).toEqual([
      { index: 0, status: 'STARTED', executionArn: started[0]?.executionArn },
      { index: 1, status: 'STARTED', executionArn: started[1]?.executionArn },
    ]);
    // The group run itself wrote nothing and told nobody.
    expect(parent.states).not.toContain(STATES.writeRole);

    // Each run on its own: orders-db's statements arrived, payments-db's did not.
    expect(children.map((c) => [c.cluster, c.result.status, c.result.error])).toEqual([
      ['orders-db', 'SUCCEEDED', undefined],
      ['payments-db', 'FAILED', 'BothPathsSilent'],
    ]);
    expect(children.map((c) => c.result.executionArn)).toEqual(started.map((e) => e.executionArn));
    // Two statements on each cluster, each run with its own nonce.
    const statements = s.world.rdsData.statements;
    expect(statements.map((st) => clusterOf(st.resourceArn))).toEqual([
      'orders-db',
      'orders-db',
      'payments-db',
      'payments-db',
    ]);
    const nonces = statements.map((st) => /aurora-audit canary ([0-9a-f-]{36})/.exec(st.sql)?.[1]);
    expect(nonces[0]).toMatch(UUID);
    expect(nonces[2]).toMatch(UUID);
    expect(nonces[0]).toBe(nonces[1]);
    expect(nonces[2]).not.toBe(nonces[0]);
    // Only the silent cluster's run notified, naming that cluster and its own execution.
    const [n, ...more] = notifications(s);
    expect(more).toEqual([]);
    expect(n?.subject).toBe('[aurora-audit] CRITICAL audit canary FAILED on payments-db: BothPathsSilent');
    expect(n?.message).toContain(`Execution: ${started[1]?.executionArn}`);
    expect(s.alerts).toEqual([]);
    // The per-cluster run still holds the transition budget.
    expect(children[0]?.result.transitions).toBeLessThan(40);
  });

  it('starts the other clusters when one start fails, then fails CanaryRunsNotStarted naming the one by its position', async () => {
    const s = scenario({ variant: 'group' });
    s.world.faults.inject({
      target: 'sfn:startExecution',
      error: 'Sfn.InvalidExecutionInputException',
      cause: 'Invalid State Machine Execution Input (Service: Sfn, Status Code: 400)',
    });
    const { parent, children } = await s.runGroup();
    expect(parent.status).toBe('FAILED');
    expect(parent.error).toBe('CanaryRunsNotStarted');
    expect(parent.cause).toContain('"index":0');
    expect(parent.cause).toContain('Sfn.InvalidExecutionInputException');
    // Map iterations run side by side: which cluster's start met the fault is the first call's.
    expect(children).toHaveLength(1);
    expect(children[0]?.result.status).toBe('SUCCEEDED');
    const [n, ...more] = notifications(s);
    expect(more).toEqual([]);
    expect(n?.subject).toBe(
      '[aurora-audit] HIGH audit canary FAILED on a group of 2 clusters: CanaryRunsNotStarted',
    );
    expect(n?.message).toContain("Check the canary state machine role's states:StartExecution");
  });

  it('retries a throttled StartExecution (Sfn.SfnException: StartExecution declares no throttling error) and starts every run', async () => {
    const s = scenario({ variant: 'group' });
    s.world.faults.throttle('sfn:startExecution', 2);
    const { parent, children } = await s.runGroup();
    expect(parent.status).toBe('SUCCEEDED');
    expect(
      s.world.callsTo('sfn', 'startExecution').filter((c) => c.error === 'Sfn.SfnException'),
    ).toHaveLength(2);
    expect(children.map((c) => [c.cluster, c.result.status])).toEqual([
      ['orders-db', 'SUCCEEDED'],
      ['payments-db', 'SUCCEEDED'],
    ]);
  });

  it("runs a single cluster's input, as started by hand, without the dispatch", async () => {
    const s = scenario({ variant: 'group' });
    const run = await s.run(s.deployment.groupInput.clusters[1]);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.states).not.toContain(STATES.startRuns);
    expect(s.world.states.started).toEqual([]);
    expect(s.world.rdsData.statements.map((st) => clusterOf(st.resourceArn))).toEqual([
      'payments-db',
      'payments-db',
    ]);
  });
});

// ---------------------------------------------------------------- evidence (issue 22 point 3)

/** The run record the workflow put under canary-runs/, parsed. */
function runRecord(s: CanaryScenario) {
  const objects = s.world.s3.list('canary-runs/');
  expect(objects).toHaveLength(1);
  return { key: objects[0]?.key, record: JSON.parse(objects[0]?.body ?? '{}') as CanaryRunRecord };
}

function metric(s: CanaryScenario, name: string, dimensions?: Record<string, string>) {
  return s.world.cloudwatch.datums(name, dimensions).map((d) => ({ values: d.values, unit: d.unit }));
}

describe('the canary evidence', () => {
  it('publishes Success 1 and each statement latency per source, resets the failed-run streak and records the run', async () => {
    const s = scenario({ activityStreamDelaySeconds: 90, pgAuditDelaySeconds: 120 });
    const run = await s.run();
    expect(run.status).toBe('SUCCEEDED');
    const das = { Cluster: 'orders-db', Source: 'ActivityStream' };
    const pgaudit = { Cluster: 'orders-db', Source: 'PgAudit' };
    expect(metric(s, 'Success', das)).toEqual([{ values: [1], unit: 'Count' }]);
    expect(metric(s, 'Success', pgaudit)).toEqual([{ values: [1], unit: 'Count' }]);
    // The scenario delivered both statements 90 s (activity stream) and 120 s (pgAudit) after each ran.
    expect(metric(s, 'ArrivalLatency', das)).toEqual([{ values: [90_000, 90_000], unit: 'Milliseconds' }]);
    expect(metric(s, 'ArrivalLatency', pgaudit)).toEqual([
      { values: [120_000, 120_000], unit: 'Milliseconds' },
    ]);
    expect(metric(s, 'ConsecutiveFailedRuns', { Cluster: 'orders-db' })).toEqual([
      { values: [0], unit: 'Count' },
    ]);
    expect(metric(s, 'ConsecutiveFailedRuns', {})).toEqual([{ values: [0], unit: 'Count' }]);
    expect(new Set(s.world.cloudwatch.data.map((d) => d.namespace))).toEqual(
      new Set(['aurora-audit/Canary']),
    );
    const { key, record } = runRecord(s);
    expect(key).toBe('canary-runs/day=2026-11-24/orders-db.run-1.json');
    expect(record).toMatchObject({
      cluster: 'orders-db',
      execution: 'run-1',
      outcome: 'SUCCEEDED',
      error: '',
      deadlineSeconds: 1800,
      consecutiveFailedRuns: 0,
      activityStream: { status: 'arrived', roleLatencyMs: 90_000, ddlLatencyMs: 90_000 },
      pgAudit: { status: 'arrived', roleLatencyMs: 120_000, ddlLatencyMs: 120_000 },
    });
    expect(record.nonce).toMatch(UUID);
    expect(run.transitions).toBeLessThan(40);
  });

  it('publishes Success 0 for the silent path and counts the failed run in the streak', async () => {
    const s = scenario({ activityStreamDelaySeconds: 60, pgAuditDelaySeconds: null });
    const run = await s.run();
    expect(run.error).toBe('PgAuditPathSilent');
    expect(metric(s, 'Success', { Cluster: 'orders-db', Source: 'PgAudit' })).toEqual([
      { values: [0], unit: 'Count' },
    ]);
    expect(metric(s, 'ArrivalLatency', { Cluster: 'orders-db', Source: 'PgAudit' })).toEqual([]);
    expect(metric(s, 'ArrivalLatency', { Cluster: 'orders-db', Source: 'ActivityStream' })).toEqual([
      { values: [60_000, 60_000], unit: 'Milliseconds' },
    ]);
    expect(metric(s, 'ConsecutiveFailedRuns', {})).toEqual([{ values: [1], unit: 'Count' }]);
    expect(runRecord(s).record).toMatchObject({
      outcome: 'FAILED',
      error: 'PgAuditPathSilent',
      consecutiveFailedRuns: 1,
      activityStream: { status: 'arrived', roleLatencyMs: 60_000, ddlLatencyMs: 60_000 },
      pgAudit: { status: 'silent' },
    });
  });

  it('reaches the alarm threshold on the second failed run in a row, and a success sets the streak back to 0', async () => {
    const s = scenario({ secret: false });
    const first = await s.run();
    const second = await s.run();
    expect([first.error, second.error]).toEqual(['CanarySecretUnusable', 'CanarySecretUnusable']);
    expect(metric(s, 'ConsecutiveFailedRuns', {}).map((m) => m.values)).toEqual([[1], [2]]);
    // The run could not write its statements: neither path was checked (Success 0, untested in the record).
    expect(metric(s, 'Success', { Cluster: 'orders-db', Source: 'ActivityStream' })).toHaveLength(2);
    const records = s.world.s3.list('canary-runs/').map((o) => JSON.parse(o.body) as CanaryRunRecord);
    expect(records.map((r) => [r.activityStream.status, r.pgAudit.status])).toEqual([
      ['untested', 'untested'],
      ['untested', 'untested'],
    ]);
    // The secret is fixed: the next run succeeds and the streak is 0 again.
    s.world.rdsData.secrets.set(
      CANARY_SECRET_ARN,
      JSON.stringify({ username: 'aurora_audit_canary', password: CANARY_PASSWORD }),
    );
    const third = await s.run();
    expect(third.status).toBe('SUCCEEDED');
    expect(metric(s, 'ConsecutiveFailedRuns', {}).map((m) => m.values)).toEqual([[1], [2], [0]]);
    expect(
      s.world.dynamodb
        .items(s.deployment.alertTable)
        .find((i) => (i.pk as { S: string }).S === 'canary-streak#orders-db'),
    ).toMatchObject({
      failedRuns: { N: '0' },
      lastOutcome: { S: 'SUCCEEDED' },
    });
  });

  it('records nothing for a run started without the schedule input', async () => {
    const s = scenario();
    await s.run({ cluster: 'orders-db' });
    expect(s.world.cloudwatch.data).toEqual([]);
    expect(s.world.s3.list()).toEqual([]);
  });

  it('ends FAILED with EvidenceNotRecorded when the run record cannot be written after the retries', async () => {
    const s = scenario();
    s.world.faults.inject({
      target: 's3:putObject',
      error: 'S3.S3Exception',
      cause: 'Access Denied',
      times: Infinity,
    });
    const run = await s.run();
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('EvidenceNotRecorded');
    expect(run.cause).toBe('S3.S3Exception: Access Denied');
    expect(notifications(s).map((n) => n.subject)).toEqual([
      '[aurora-audit] HIGH audit canary FAILED on orders-db: EvidenceNotRecorded',
    ]);
    // The first call and 4 retries; then, the failure notified, the failed run's own record is tried once more.
    expect(s.world.callsTo('s3', 'putObject')).toHaveLength(10);
    expect(metric(s, 'ConsecutiveFailedRuns', {}).map((m) => m.values)).toEqual([[0], [1]]);
  });
});
