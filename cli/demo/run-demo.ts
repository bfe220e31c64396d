/**
 * `aurora-audit demo` / `npm run demo`: the whole audit pipeline on one machine, with no AWS account.
 *
 * 1. a throwaway PostgreSQL 15 with pgAudit and Aurora's log prefix (`cli/local/postgres.ts`);
 * 2. the synthesized enablement workflow through the local Step Functions harness against the simulated
 *    cluster (`cli/local/aws`, simulated clock);
 * 3. the reference scenario and a workload on the real database (./scenario.ts);
 * 4. the server's real log through the real alert Lambda (pgAudit path), and a SIMULATED activity stream
 *    (records built from the same statements, encrypted and compressed as Aurora does, data keys under the
 *    local KMS stand-in) through the real decrypt Lambda and then the alert Lambda; alert emails as `.eml`;
 * 5. one run of orders-db's canary workflow (the synthesized state machine): its marked statements through the
 *    simulated Data API on the real database, their pgAudit lines and activity-stream records through the real
 *    Lambdas to the alert Lambda, which records the arrivals the workflow waits for (./canary.ts). Its events
 *    are counted apart;
 * 6. the events in the stored layout (what Firehose wrote, the canary's included) and the synthesized report
 *    workflow on them, with Athena answered by the embedded SQL engine; the report leaves the canary user's
 *    canary statements out, so its figures are the workload's; the report email, its HTML and a Chromium
 *    screenshot;
 * 7. everything under the output directory; the database stopped and temporary files removed on every exit
 *    path, Ctrl-C included.
 * Used by `cli/commands/demo.ts` and by `test/e2e/demo.test.ts`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import type { KinesisStreamRecord } from 'aws-lambda';
import type { SubscriptionResult } from '../../tasks/alert/process';
import type { AuditEvent } from '../../tasks/core/audit-event';
import { postgresLogGroupName } from '../../tasks/core/cloudwatch-logs';
import type { ActivityEvent } from '../../tasks/core/das/record';
import { parsePgAuditText } from '../../tasks/core/pgaudit/parser';
import { REPORTS_PREFIX } from '../../tasks/core/storage-layout';
import { createReportHandler } from '../../tasks/render-report/render';
import { readReportSettings } from '../../tasks/render-report/settings';
import { athenaResultsServer } from '../local/athena-results';
import { AwsWorld } from '../local/aws/world';
import { filterPatternMatches } from '../local/filter-pattern';
import { LocalKms } from '../local/kms';
import { decodeWords, parseMime } from '../local/mime';
import { PG_BIN, type PostgresServer, startPostgres, waitForLog } from '../local/postgres';
import { activityRecord, INSTANCE_ID, kinesisEvent, kinesisRecord } from '../local/records/activity-stream';
import { logEntries, subscriptionEvent } from '../local/records/logs-subscription';
import { streamScenario } from '../local/scenarios/stream';
import { sqlEngine } from '../local/sql-engine';
import { SimClock } from '../local/stepfunctions/clock';
import { LocalWorkflow, type TaskDispatcher } from '../local/stepfunctions/runner';
import { type DemoCanaryResult, runDemoCanary } from './canary';
import { type DemoDeployment, demoDeployment } from './deployment';
import type { DemoDisplay } from './display';
import { alertEml } from './email';
import { activityEventsOf, PGAUDIT_CLASSES, runScenario, SECRET } from './scenario';
import { alertLambda, decryptLambda, SimulatedAws } from './simulated-aws';

export const CHROMIUM = '/usr/bin/chromium';
const SETUP_SCRIPT = resolve(__dirname, '../local/setup/install-debian-packages.sh');
const MARKER = '.aurora-audit-demo';

export interface DemoOptions {
  /** Where everything goes. Created; a previous demo's output there is replaced. */
  readonly outDir: string;
  /** Workload statements after the reference scenario. */
  readonly statements: number;
  readonly display: DemoDisplay;
  /** Slow the workflow steps down a little so that a person can follow them (a terminal). */
  readonly pace?: boolean;
  /**
   * The alert Lambda's correlation hold (deployed: 60 s): how long a new alert waits for the other source's
   * report of the same statement. Shortened so that the demo does not wait a minute. @default 5
   */
  readonly correlationHoldSeconds?: number;
  /**
   * The alert Lambda's coverage grace period (deployed: 15 minutes, `alerts.coverage.graceMinutes`): how long
   * a statement of a reconciled class recorded by one source waits for the other's report before it is a
   * coverage gap. Shortened so that the demo shows the gap's alert; it must stay longer than the two
   * sources' deliveries of one statement are apart (a second or two here: both are delivered in the order
   * the statements ran). @default 10
   */
  readonly coverageGraceSeconds?: number;
  /** Stop PostgreSQL and clean up on SIGINT/SIGTERM, then exit. @default true */
  readonly handleSignals?: boolean;
}

export interface DemoAlert {
  readonly file: string;
  readonly subject: string;
  readonly severity: string;
  readonly rule: string;
  /** `das`, `pgaudit` or `das,pgaudit`. */
  readonly sources: string;
}

export interface DemoResult {
  readonly outDir: string;
  readonly enable: {
    readonly status: string;
    readonly transitions: number;
    readonly simulatedSeconds: number;
  };
  readonly scenario: { readonly sessions: number; readonly statements: number; readonly logEntries: number };
  readonly pgAudit: { readonly forwarded: number; readonly events: number; readonly matches: number };
  readonly activityStream: {
    readonly records: number;
    readonly events: number;
    readonly delivered: number;
    readonly alertLines: number;
    readonly kmsCalls: number;
    readonly failures: number;
  };
  readonly alerts: readonly DemoAlert[];
  /** The coverage check of the demo's flush: its grace, statements seen by both sources, gaps alerted. */
  readonly coverage: { readonly graceSeconds: number; readonly reconciled: number; readonly gaps: number };
  /** The workload's stored events (both sources) before the canary ran, and their objects. */
  readonly stored: { readonly events: number; readonly objects: number };
  /** The canary run (its stored events are not in `stored`). */
  readonly canary: DemoCanaryResult;
  readonly report: {
    readonly status: string;
    readonly subject: string;
    readonly dir: string;
    readonly eml: string;
    readonly html: string;
    readonly png: string | undefined;
  };
  /** The PostgreSQL data directory used (removed when the demo ends). */
  readonly postgresDataDir: string;
  readonly seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** PostgreSQL 15 + pgAudit and Chromium, installed by `npm test`'s set-up script when missing. */
export function ensurePackages(write: (text: string) => void): void {
  const missing = () =>
    [join(PG_BIN, 'postgres'), '/usr/share/postgresql/15/extension/pgaudit.control', CHROMIUM].filter(
      (p) => !existsSync(p),
    );
  if (missing().length === 0) return;
  write(`      missing ${missing().join(', ')}: running ${relative(process.cwd(), SETUP_SCRIPT)}\n`);
  const setup = spawnSync('bash', [SETUP_SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (setup.status !== 0 || missing().length > 0)
    throw new Error(
      `PostgreSQL 15 with pgAudit and Chromium are needed: run, as root, bash ${SETUP_SCRIPT} (it prints the apt-get command)`,
    );
}

/** An empty output directory; refuses a non-empty directory that a demo did not create. */
function prepareOutDir(outDir: string): void {
  if (existsSync(outDir) && readdirSync(outDir).length > 0) {
    if (!existsSync(join(outDir, MARKER)))
      throw new Error(`${outDir} is not empty and not a previous demo's output: choose another --out`);
    rmSync(outDir, { recursive: true, force: true });
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, MARKER),
    'written by aurora-audit demo; the whole directory is replaced by the next run\n',
  );
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const utcDay = (iso: string) => iso.slice(0, 10);

/** Slows each Task down by `ms` (real time) so that the step list can be followed. */
function paced(dispatch: TaskDispatcher, ms: number): TaskDispatcher {
  return ms <= 0
    ? dispatch
    : async (call) => {
        await sleep(ms);
        return dispatch(call);
      };
}

/** Takes a PNG of the report's HTML with headless Chromium (the flags of the screenshot test). */
function screenshot(html: string, png: string, profileDir: string): void {
  execFileSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profileDir}`,
      `--screenshot=${png}`,
      '--window-size=900,1800',
      `file://${html}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
  );
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const { display } = options;
  const outDir = resolve(options.outDir);
  const hold = options.correlationHoldSeconds ?? 5;
  const grace = options.coverageGraceSeconds ?? 10;
  const paceMs = options.pace ? 60 : 0;
  const cleanups: (() => void)[] = [];
  const cleanup = () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        fn();
      } catch {
        // best effort: the other clean-ups still run
      }
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\naurora-audit demo: ${signal}: stopping PostgreSQL and cleaning up\n`);
    cleanup();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  if (options.handleSignals ?? true) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    cleanups.push(() => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    });
  }
  // A synchronous exit path too (process.exit elsewhere): the server is stopped with spawnSync.
  process.once('exit', cleanup);
  cleanups.push(() => process.removeListener('exit', cleanup));

  // The SDK warns once that Node.js 20 support ends in 2027: not news for a demo's reader.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  try {
    prepareOutDir(outDir);
    const bucketDir = join(outDir, 'bucket');
    const alertsDir = join(outDir, 'alerts');
    mkdirSync(alertsDir, { recursive: true });
    const scratch = mkdtempSync(join(tmpdir(), 'aurora-audit-demo-'));
    cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));

    // 1. PostgreSQL
    display.phase('PostgreSQL 15 + pgAudit, a throwaway server on this machine');
    ensurePackages((t) => display.detail(t.trim()));
    const pg: PostgresServer = await startPostgres({ pgauditLog: PGAUDIT_CLASSES });
    cleanups.push(() => pg.stop());
    display.detail(
      `listening on 127.0.0.1:${pg.port}; pgaudit.log = '${PGAUDIT_CLASSES}'; log_line_prefix = '%t:%r:%u@%d:[%p]:' (Aurora's)`,
    );

    // 2. Enablement workflow
    display.phase(
      'Enablement workflow: the synthesized EnableActivityStream on simulated AWS (simulated clock)',
    );
    const synthStart = Date.now();
    const deployment: DemoDeployment = demoDeployment();
    const cluster = deployment.config.clusters[0];
    if (!cluster) throw new Error('no cluster in the configuration');
    display.detail(
      `CDK app synthesized in ${((Date.now() - synthStart) / 1000).toFixed(1)} s (example configuration: cluster ${cluster.identifier})`,
    );
    const enableStart = new Date().toISOString();
    const enableScenario = streamScenario(deployment.enable, { start: enableStart });
    const enableWorkflow = new LocalWorkflow(deployment.enable.definition, {
      clock: enableScenario.world.clock,
      dispatch: paced(enableScenario.world.dispatch, paceMs),
      stateMachineArn: deployment.resolver.arn(deployment.enable.stateMachineId),
    });
    const enableProgress = display.workflow(enableStart);
    const enableRun = await enableWorkflow.run(
      { clusterIdentifier: cluster.identifier, window: 'now', changeTicket: 'DEMO-1', requestedBy: 'demo' },
      { name: 'enable-orders-db-DEMO-1', onEvent: enableProgress.onEvent },
    );
    const simulatedSeconds = (Date.parse(enableRun.stoppedAt) - Date.parse(enableRun.startedAt)) / 1000;
    enableProgress.finish(
      enableRun.status,
      `${enableRun.status} after ${Math.round(simulatedSeconds / 60)} simulated minutes (${enableRun.transitions} state transitions); stream ${enableScenario.world.rds.snapshot(cluster.identifier).activityStream}, event source mapping created`,
    );
    const workflowsDir = join(outDir, 'workflows');
    mkdirSync(workflowsDir, { recursive: true });
    writeFileSync(
      join(workflowsDir, 'enable-execution.json'),
      `${JSON.stringify({ ...enableRun, events: undefined }, null, 2)}\n`,
    );
    const notice = enableScenario.world.sns.messages[0];
    if (notice)
      writeFileSync(
        join(workflowsDir, 'enable-notification.eml'),
        alertEml(
          {
            subject: notice.subject ?? '',
            message: notice.message,
            attributes: notice.attributes,
            at: new Date(notice.at),
          },
          { to: deployment.config.alerts.recipients },
        ),
      );
    if (enableRun.status !== 'SUCCEEDED')
      throw new Error(
        `the enablement workflow ended ${enableRun.status}: ${enableRun.error} ${enableRun.cause ?? ''}`,
      );

    // 3. The scenario on the real database
    display.phase(`Reference scenario and ${options.statements} workload statements on the real database`);
    const scenario = runScenario(pg, options.statements);
    const log = await waitForLog(pg, 'password authentication failed');
    writeFileSync(join(outDir, 'postgresql.log'), log);
    const entries = logEntries(log);
    display.detail(
      `${scenario.sessions.length} psql sessions, ${scenario.statements} statements, ${scenario.failedLogins} failed login; the server logged ${entries.length} entries (postgresql.log)`,
    );

    // 4. Alerts: both sources through the real Lambdas
    display.phase('Alerts: the real decrypt and alert Lambdas, AWS simulated at the SDK boundary');
    const kms = new LocalKms(cluster.activityStreamKmsKeyArn);
    const aws = new SimulatedAws({ bucketDir, kms });
    cleanups.push(() => aws.restore());
    const decrypt = decryptLambda(deployment.environments.decrypt);
    const alert = alertLambda(deployment.environments.alert, {
      CORRELATION_HOLD_SECONDS: String(hold),
      COVERAGE_GRACE_SECONDS: String(grace),
    });
    const decryptLogGroup = deployment.environments.alert.DECRYPT_LOG_GROUP ?? 'decrypt';

    // The pgAudit path: the log entries the subscription filter forwards, in payloads of 500.
    const forwarded = entries.filter((e) => filterPatternMatches(deployment.filterPatterns.pgAudit, e));
    const pgPayloads = chunks(forwarded, 500).map((batch) => ({
      kind: 'pgaudit' as const,
      time: batch[0]?.slice(0, 19) ?? '',
      event: subscriptionEvent(batch, {
        logGroup: postgresLogGroupName(cluster.identifier),
        logStream: `${cluster.identifier}-instance-1`,
      }),
    }));

    // The simulated activity stream: records of up to 20 events, one data key per 100 records, batches of 100.
    const pgEvents: AuditEvent[] = await parsePgAuditText(log, { clusterId: cluster.resourceId });
    const activity: ActivityEvent[] = activityEventsOf(scenario, pgEvents);
    const records: KinesisStreamRecord[] = [];
    const recordTimes: string[] = [];
    let dataKey = new Uint8Array(randomBytes(32));
    let keyBlob = '';
    for (const [i, events] of chunks(activity, 20).entries()) {
      if (i % 100 === 0) dataKey = new Uint8Array(randomBytes(32));
      const built = await activityRecord(kms, events, {
        clusterId: cluster.resourceId,
        instanceId: INSTANCE_ID,
        dataKey,
      });
      // Aurora sends one encrypted data key with every record of its period: the same `key` blob.
      const envelope = JSON.parse(built.json) as { key: string };
      if (i % 100 === 0) keyBlob = envelope.key;
      else envelope.key = keyBlob;
      records.push(
        kinesisRecord(Buffer.from(JSON.stringify(envelope)).toString('base64'), cluster.resourceId),
      );
      recordTimes.push(String(events[0]?.logTime ?? '').slice(0, 19));
    }
    const dasBatches = chunks(
      records.map((r, i) => ({ r, t: recordTimes[i] ?? '' })),
      100,
    ).map((batch) => ({ kind: 'das' as const, time: batch[0]?.t ?? '', records: batch.map((b) => b.r) }));

    // Both sources deliver as the statements happen: the payloads in the order of their first statement.
    const deliveries = [...pgPayloads, ...dasBatches].sort((a, b) =>
      a.time === b.time ? (a.kind === 'das' ? -1 : 1) : a.time < b.time ? -1 : 1,
    );
    const pgTotals = { events: 0, matches: 0 };
    const dasTotals = { delivered: 0, alertLines: 0, failures: 0 };
    const deliveriesStarted = Date.now();
    let lastAlertCall = deliveriesStarted;
    for (const d of deliveries) {
      if (d.kind === 'pgaudit') {
        lastAlertCall = Date.now();
        const r = (await alert(d.event)) as SubscriptionResult;
        pgTotals.events += r.events;
        pgTotals.matches += r.matches;
      } else {
        const before = aws.storedEvents;
        const { response, logLines } = await decrypt(kinesisEvent(d.records));
        dasTotals.delivered += aws.storedEvents - before;
        dasTotals.failures += response.batchItemFailures.length;
        // The decrypt log group's subscription forwards the alert lines to the alert Lambda.
        const lines = logLines.filter((l) =>
          filterPatternMatches(deployment.filterPatterns.activityStream, l),
        );
        dasTotals.alertLines += lines.length;
        if (lines.length > 0) {
          lastAlertCall = Date.now();
          await alert(subscriptionEvent(lines, { logGroup: decryptLogGroup }));
        }
      }
    }
    display.detail(
      `pgAudit path: ${forwarded.length} of ${entries.length} log entries pass the subscription filter → alert Lambda: ${pgTotals.events} events to Firehose, ${pgTotals.matches} rule matches`,
    );
    display.detail(
      `SIMULATED activity stream: ${records.length} records built from the same ${activity.length} statements (gzip, Encryption SDK, data keys under a local KMS stand-in)`,
    );
    display.detail(
      `  → decrypt Lambda: ${dasTotals.delivered} events to Firehose, ${aws.kmsCalls} KMS Decrypt call${aws.kmsCalls === 1 ? '' : 's'} (data keys cached), ${dasTotals.alertLines} alert lines → alert Lambda`,
    );
    if (dasTotals.failures > 0)
      throw new Error(`the decrypt Lambda reported ${dasTotals.failures} failed records`);
    const deliverySeconds = (Date.now() - deliveriesStarted) / 1000;
    if (deliverySeconds >= grace)
      display.detail(
        `the deliveries took ${deliverySeconds.toFixed(1)} s, not less than the coverage grace of ${grace} s: statements whose two reports were delivered further apart may show as coverage gaps`,
      );
    // The scheduled flush (every 2 minutes when deployed), once the correlation hold and the coverage grace
    // have passed since the last delivery: the held alerts, and the coverage check of the reconciled
    // statements (a statement one source did not report becomes its coverage-gap alert).
    await sleep(Math.max(0, lastAlertCall + Math.max(hold, grace) * 1000 + 200 - Date.now()));
    await alert({ flush: true });
    // The coverage records the alert Lambda kept (any flush may have checked some): how they ended.
    const coverageRecords = aws.alertStateItems().filter((item) => item.kind === 'coverage');
    const coverage = {
      graceSeconds: grace,
      reconciled: coverageRecords.filter((item) => item.status === 'reconciled').length,
      gaps: coverageRecords.filter((item) => item.status === 'gap').length,
    };
    const recipients = deployment.config.alerts.recipients;
    const alerts: DemoAlert[] = aws.published.map((p, i) => {
      const file = join(
        alertsDir,
        `${String(i + 1).padStart(2, '0')}-${p.attributes.severity ?? 'INFO'}-${p.attributes.rule ?? 'alert'}.eml`,
      );
      writeFileSync(file, alertEml(p, { to: recipients }));
      return {
        file,
        subject: p.subject,
        severity: p.attributes.severity ?? '',
        rule: p.attributes.rule ?? '',
        sources: p.attributes.source ?? '',
      };
    });
    const both = alerts.filter((a) => a.sources.includes('das') && a.sources.includes('pgaudit')).length;
    display.detail(
      `${alerts.length} alert emails (correlation hold ${hold} s instead of 60 s): ${both} name both sources (one email per statement), ${alerts.filter((a) => a.severity === 'CRITICAL').length} CRITICAL`,
    );
    display.detail(
      `coverage check after a grace of ${grace} s (deployed default: 15 minutes): ${coverage.reconciled} statements of the reconciled classes seen by both sources, ${coverage.gaps} coverage gap${coverage.gaps === 1 ? '' : 's'} alerted`,
    );
    for (const a of alerts) display.detail(`  ${relative(outDir, a.file)}  ${a.subject}  [${a.sources}]`);

    // 5. The canary, before the report: its marked statements are stored evidence like any other, and the
    // report leaves them out (the canary user's canary statements), so the report's figures stay the workload's.
    const storedObjects = [...aws.objects.keys()].filter((k) => k.startsWith('events/')).length;
    const storedEvents = aws.storedEvents;
    display.phase(
      'Canary: the synthesized canary workflow of orders-db, its statements through the simulated Data API on the real database',
    );
    const canary = await runDemoCanary({
      pg,
      deployment,
      cluster,
      aws,
      kms,
      decrypt,
      alert: (event) => alert(event),
      workflowsDir,
      progress: (start) => display.workflow(start),
      pace: (dispatch) => paced(dispatch, paceMs),
    });
    const ms = (v: number | undefined) => (v === undefined ? 'missing' : `${(v / 1000).toFixed(3)} s`);
    display.detail(
      `${canary.statements.length} marked statements run as ${canary.statements[0]?.user ?? '?'} (nonce ${canary.nonce ?? '?'}): ${canary.statements.map((s) => s.sql.split(' ')[0]).join(', ')}`,
    );
    display.detail(
      `arrivals recorded by the alert Lambda: activity stream ${canary.recognized.das}, pgAudit ${canary.recognized.pgaudit}; ${canary.emails} email${canary.emails === 1 ? '' : 's'}`,
    );
    display.detail(
      `latency on this machine (audit time → alert Lambda; pgAudit's time has whole seconds): activity stream ROLE ${ms(canary.latencies.das.ROLE)}, DDL ${ms(canary.latencies.das.DDL)}; pgAudit ROLE ${ms(canary.latencies.pgaudit.ROLE)}, DDL ${ms(canary.latencies.pgaudit.DDL)}`,
    );
    display.detail(
      `the run: ${relative(outDir, canary.executionFile)}; what the server logged for its statements: ${relative(outDir, canary.logFile)}`,
    );
    if (canary.status !== 'SUCCEEDED')
      throw new Error(`the canary workflow ended ${canary.status}: ${canary.error ?? ''}`);

    // 6. Stored events and the report workflow
    display.phase(
      'Compliance report: the synthesized ComplianceReport workflow, Athena on the embedded SQL engine',
    );
    display.detail(
      `stored: ${storedEvents} workload events in ${storedObjects} GZIP objects under bucket/events/cluster=${cluster.resourceId}/day=…/hour=…/ (both sources), and the canary's ${canary.stored.events} in ${canary.stored.objects}; the report leaves the canary's statements out`,
    );
    // The report runs now, about the workload's days up to today (UTC): the report Lambda reads the real
    // clock, so the report shows the run's real date and time (and says that today is not over yet). The
    // workflow's simulated clock starts at the same instant.
    const today = utcDay(new Date().toISOString());
    const firstDay = pgEvents.map((e) => utcDay(e.time)).sort()[0] ?? today;
    const lastDay = today;
    const reportClock = new SimClock(new Date());
    const world = new AwsWorld({ clock: reportClock });
    world.provision(deployment.resolver);
    const engine = await sqlEngine(bucketDir);
    cleanups.push(() => engine.close());
    world.athena.useEngine(engine);
    aws.athenaResults = athenaResultsServer(world.athena.results);
    const reportHandler = createReportHandler(
      readReportSettings({ ...deployment.environments.report, AWS_REGION: 'eu-west-1' }),
      {
        athena: new AthenaClient({ region: 'eu-west-1' }),
        s3: new S3Client({ region: 'eu-west-1' }),
        ses: new SESClient({ region: 'eu-west-1' }),
        clock: () => new Date(),
      },
    );
    world.lambda.addFunction(deployment.report.reportFunction, reportHandler as never);
    const reportWorkflow = new LocalWorkflow(deployment.report.definition, {
      clock: reportClock,
      dispatch: paced(world.dispatch, paceMs),
      stateMachineArn: deployment.report.stateMachineArn,
    });
    const reportProgress = display.workflow(reportClock.iso());
    const reportRun = await reportWorkflow.run(
      { from: firstDay, to: lastDay, timeZone: 'UTC' },
      { name: `report-demo-${firstDay.replace(/-/g, '')}`, onEvent: reportProgress.onEvent },
    );
    const sentReport = aws.sent[0];
    const subject = sentReport ? decodeWords(parseMime(sentReport.raw).headers.get('subject') ?? '') : '';
    reportProgress.finish(
      reportRun.status,
      `${reportRun.status}: ${world.callsTo('athena').filter((c) => c.action === 'startQueryExecution').length} Athena queries, report sent to ${sentReport?.destinations.join(', ') ?? 'nobody'}`,
    );
    if (reportRun.status !== 'SUCCEEDED' || !sentReport)
      throw new Error(
        `the report workflow ended ${reportRun.status}: ${reportRun.error} ${reportRun.cause ?? ''}`,
      );
    // The archive the report Lambda wrote (report.html, report.txt, chart, CSVs, report.eml), copied out.
    const archived = [...aws.objects.keys()].find(
      (k) => k.startsWith(REPORTS_PREFIX) && k.endsWith('/report.html'),
    );
    if (!archived) throw new Error('the report Lambda archived no report.html');
    const reportDir = join(outDir, 'report');
    cpSync(join(bucketDir, ...archived.split('/').slice(0, -1)), reportDir, { recursive: true });
    const eml = join(reportDir, 'report.eml');
    writeFileSync(eml, sentReport.raw);
    const html = join(reportDir, 'report.html');
    const png = join(reportDir, 'report.png');
    let shot: string | undefined;
    try {
      screenshot(html, png, join(scratch, 'chromium-profile'));
      shot = png;
    } catch (err) {
      display.detail(`no screenshot: Chromium failed (${(err as Error).message.split('\n')[0]})`);
    }
    display.detail(`subject: ${subject}`);

    // 7. Summary
    pg.stop();
    const seconds = (Date.now() - started) / 1000;
    display.phase(
      `Done in ${seconds.toFixed(1)} s; PostgreSQL stopped. Everything is in ${relative(process.cwd(), outDir) || '.'}/`,
    );
    const rel = (p: string) => relative(process.cwd(), p) || '.';
    const rows: [string, string][] = [
      [`${rel(alertsDir)}/*.eml`, `the alert emails (${alerts.length})`],
      [`${rel(bucketDir)}/events/`, 'the stored events (GZIP JSON lines in the layout Athena reads)'],
      [rel(eml), 'the report email (MIME: text, HTML, chart, one CSV per section)'],
      [rel(html), 'its HTML (open it in a browser), with the CSVs and the chart beside it'],
      ...(shot ? ([[rel(shot), 'a screenshot of it (headless Chromium)']] as [string, string][]) : []),
      [rel(join(outDir, 'postgresql.log')), "the server's real log (the pgAudit lines)"],
      [`${rel(workflowsDir)}/`, 'the enablement run and its notification, the canary run and its log lines'],
    ];
    const width = Math.max(...rows.map(([p]) => p.length));
    for (const [p, what] of rows) display.detail(`${p.padEnd(width)}  ${what}`);
    if (JSON.stringify(alerts).includes(SECRET)) throw new Error('a password reached the output');
    return {
      outDir,
      enable: { status: enableRun.status, transitions: enableRun.transitions, simulatedSeconds },
      scenario: {
        sessions: scenario.sessions.length,
        statements: scenario.statements,
        logEntries: entries.length,
      },
      pgAudit: { forwarded: forwarded.length, events: pgTotals.events, matches: pgTotals.matches },
      activityStream: {
        records: records.length,
        events: activity.length,
        delivered: dasTotals.delivered,
        alertLines: dasTotals.alertLines,
        kmsCalls: aws.kmsCalls,
        failures: dasTotals.failures,
      },
      alerts,
      coverage,
      stored: { events: storedEvents, objects: storedObjects },
      canary,
      report: { status: reportRun.status, subject, dir: reportDir, eml, html, png: shot },
      postgresDataDir: pg.dataDir,
      seconds,
    };
  } finally {
    cleanup();
  }
}
