/**
 * `aurora-audit report --preview`: the report rendered by the report Lambda's modules from a KNOWN workload,
 * locally (embedded engine) and through Athena (SDK stubbed; results computed by the embedded engine over the
 * same stored events), written to a directory; nothing sent or archived (no SES, S3 or Step Functions call).
 * Expected figures come from the workload plan.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { parse } from 'csv-parse/sync';
import { athenaResultsServer } from '../../cli/local/athena-results';
import { AthenaSimulator } from '../../cli/local/aws/athena';
import { decodeWords, leaves, parseMime } from '../../cli/local/mime';
import { auditEvent } from '../../cli/local/records/audit-event';
import { writeStoredEvents } from '../../cli/local/records/stored-events';
import { type SqlEngine, sqlEngine } from '../../cli/local/sql-engine';
import { SimClock } from '../../cli/local/stepfunctions/clock';
import { REPORT_QUERIES, REPORT_SECTIONS } from '../../reports/queries';
import type { AuditEvent } from '../../tasks/core/audit-event';
import { runCli } from '../helpers/cli';

const A = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ'; // orders-db, the example configuration's only cluster

/** The workload: statements on 2026-11-23 (UTC) with the sources that saw them. */
const PLAN = [
  {
    seenBy: 'das,pgaudit',
    class: 'ROLE',
    command: 'GRANT',
    text: 'GRANT SELECT ON orders TO bob',
    at: '2026-11-23T08:00:00.400Z',
  },
  {
    seenBy: 'das',
    class: 'ROLE',
    command: 'REVOKE',
    text: 'REVOKE INSERT ON orders FROM bob',
    at: '2026-11-23T09:00:00.200Z',
  },
  {
    seenBy: 'das,pgaudit',
    class: 'DDL',
    command: 'CREATE TABLE',
    text: 'CREATE TABLE t (id int)',
    at: '2026-11-23T10:00:00.300Z',
  },
  {
    seenBy: 'das,pgaudit',
    class: 'READ',
    command: 'SELECT',
    text: 'SELECT * FROM orders',
    at: '2026-11-23T11:00:00.600Z',
  },
  {
    seenBy: 'pgaudit',
    class: 'ROLE',
    command: 'GRANT',
    text: 'GRANT ALL ON orders TO mallory',
    at: '2026-11-23T12:00:00.000Z',
  },
  // The day before: not in the report.
  {
    seenBy: 'das',
    class: 'ROLE',
    command: 'GRANT',
    text: 'GRANT SELECT ON x TO y',
    at: '2026-11-22T12:00:00.500Z',
  },
] as const;

const EVENTS: AuditEvent[] = PLAN.flatMap((p, i) => {
  const common = {
    clusterId: A,
    class: p.class,
    command: p.command,
    commandText: p.text,
    pid: 7000 + i,
    statementId: 1,
    substatementId: 1,
  };
  return [
    ...(p.seenBy.includes('das') ? [auditEvent({ ...common, source: 'das', time: p.at })] : []),
    ...(p.seenBy.includes('pgaudit')
      ? [
          auditEvent({
            ...common,
            source: 'pgaudit',
            time: `${p.at.slice(0, 19)}Z`,
            auditType: 'SESSION',
            sessionId: null,
            exitCode: null,
            clientApplication: null,
          }),
        ]
      : []),
  ];
});
const ON_THE_DAY = PLAN.filter((p) => p.at.startsWith('2026-11-23'));
const PRIVILEGE_CHANGES = ON_THE_DAY.filter((p) => p.class === 'ROLE');
const PERIOD = ['--from', '2026-11-23', '--to', '2026-11-23'];

const ses = mockClient(SESClient);
const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
const athena = mockClient(AthenaClient);
const cfn = mockClient(CloudFormationClient);

let root = '';
let out = '';
beforeAll(() => {
  root = writeStoredEvents(EVENTS);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  for (const m of [ses, s3, sfn, athena, cfn]) m.reset();
  out = mkdtempSync(join(tmpdir(), 'aa-preview-'));
  process.env.AWS_REGION = 'eu-west-1';
  process.env.AURORA_AUDIT_ATHENA_POLL_MS = '0';
});
afterEach(() => {
  rmSync(out, { recursive: true, force: true });
  delete process.env.AURORA_AUDIT_ATHENA_POLL_MS;
});

const csvRows = (file: string) =>
  parse(readFileSync(join(out, file)), { columns: true, skip_empty_lines: true }) as Record<string, string>[];

/** What the written files must show for the workload, whichever engine answered. */
function expectReportOfTheWorkload(stdout: string) {
  const written = stdout.trim().split('\n');
  const names = written.map((p) => p.slice(out.length + 1)).sort();
  expect(names).toEqual(
    [
      ...REPORT_SECTIONS.map((q) => `${q.name}.csv`),
      'activity-per-day.png',
      'report.eml',
      'report.html',
      'report.txt',
    ].sort(),
  );
  for (const path of written) expect(existsSync(path)).toBe(true);
  // Privilege changes: each statement once, with the sources that saw it.
  expect(csvRows('privilege-changes.csv').map((r) => [r.commandtext, r.sources])).toEqual(
    PRIVILEGE_CHANGES.map((p) => [p.text, p.seenBy]),
  );
  // Activity by class and sources: statements, each once.
  const byClass = new Map<string, number>();
  for (const p of ON_THE_DAY)
    byClass.set(`${p.class}|${p.seenBy}`, (byClass.get(`${p.class}|${p.seenBy}`) ?? 0) + 1);
  expect(
    csvRows('activity-by-class.csv')
      .map((r) => `${r.class}|${r.sources}=${r.statements}`)
      .sort(),
  ).toEqual([...byClass].map(([k, v]) => `${k}=${v}`).sort());
  // The message: its subject counts statements, not entries.
  const message = parseMime(readFileSync(join(out, 'report.eml'), 'latin1'));
  expect(decodeWords(message.headers.get('subject') ?? '')).toContain(
    `2026-11-23–2026-11-23: ${PRIVILEGE_CHANGES.length} privilege changes`,
  );
  expect(message.headers.get('to')).toBe('compliance@example.com');
  expect(leaves(message).map((l) => l.type)).toEqual(
    expect.arrayContaining(['text/plain', 'text/html', 'image/png']),
  );
  expect(readFileSync(join(out, 'activity-per-day.png')).subarray(1, 4).toString()).toBe('PNG');
  expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('src="activity-per-day.png"');
  // Nothing sent, archived or started.
  expect(ses.calls()).toHaveLength(0);
  expect(s3.calls()).toHaveLength(0);
  expect(sfn.calls()).toHaveLength(0);
}

describe('aurora-audit report --preview --local', () => {
  it('writes the report of the workload (HTML, text, chart, .eml, CSVs) and prints their paths, sending nothing', async () => {
    const run = await runCli('report', '--preview', ...PERIOD, '--local', root, '--out-dir', out);
    expect(run.code).toBe(0);
    expectReportOfTheWorkload(run.stdout);
    expect(athena.calls()).toHaveLength(0);
    expect(cfn.calls()).toHaveLength(0);
    expect(run.stderr).toContain('nothing is sent or archived');
    expect(run.stderr).toContain('(not sent)');
  });

  it('refuses --local without --preview, and an invalid period, before anything runs', async () => {
    const local = await runCli('report', '--period', 'daily', '--local', root);
    expect(local.code).toBe(2);
    expect(local.stderr).toContain('--out-dir and --local go with --preview');
    const bad = await runCli(
      'report',
      '--preview',
      '--from',
      '2026-11-24',
      '--to',
      '2026-11-23',
      '--local',
      root,
    );
    expect(bad.code).toBe(2);
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('aurora-audit report --preview (Athena)', () => {
  let engine: SqlEngine;
  beforeAll(async () => {
    engine = await sqlEngine(root);
  });
  afterAll(() => engine.close());

  /**
   * The stack's outputs, and Athena answered by the Athena simulator on the embedded engine (CTAS, query
   * strings, DROP as Athena does them); `fails` picks a query string that fails.
   */
  function stubAws(fails?: (queryString: string) => boolean) {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'aurora-audit',
          CreationTime: new Date(),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: [
            { OutputKey: 'AthenaWorkGroup', OutputValue: 'aurora-audit' },
            { OutputKey: 'AuditBucketName', OutputValue: 'aurora-audit-bucket' },
            { OutputKey: 'GlueTable', OutputValue: 'aurora_audit.audit_events' },
          ],
        },
      ],
    });
    const simulator = new AthenaSimulator(new SimClock('2026-11-24T06:00:00.000Z'));
    simulator.addWorkGroup('aurora-audit', 's3://aurora-audit-bucket/athena-results/');
    simulator.useEngine(engine);
    if (fails) simulator.failQuery(fails, 'HIVE_CURSOR_ERROR: simulated');
    const start = simulator.handlers()['athena:startQueryExecution'] as (
      p: Record<string, unknown>,
    ) => Promise<{ QueryExecution: { QueryExecutionId: string } }>;
    athena.on(StartQueryExecutionCommand).callsFake(async (input) => {
      try {
        return { QueryExecutionId: (await start({ ...input })).QueryExecution.QueryExecutionId };
      } catch (err) {
        // A query that ran and failed still has its id (the simulator's error carries its GetQueryExecution).
        return { QueryExecutionId: JSON.parse((err as Error).message).QueryExecution.QueryExecutionId };
      }
    });
    athena.on(GetQueryExecutionCommand).callsFake((input) => {
      const e = simulator.execution(input.QueryExecutionId as string);
      return {
        QueryExecution: {
          QueryExecutionId: e.queryExecutionId,
          Status: { State: e.state, StateChangeReason: e.stateChangeReason },
          // A DROP scans nothing; every other query 1.5 MB.
          Statistics: { DataScannedInBytes: /^DROP /.test(e.queryString) ? 0 : 1_500_000 },
        },
      };
    });
    athena.on(GetQueryResultsCommand).callsFake(athenaResultsServer(simulator.results));
    return simulator;
  }

  it('runs the period summary, the sections over it and its DROP in the workgroup, as the workflow does, and renders their results', async () => {
    const simulator = stubAws();

    const run = await runCli('report', '--preview', ...PERIOD, '--out-dir', out);
    expect(run.code).toBe(0);
    expectReportOfTheWorkload(run.stdout);
    const starts = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    expect(starts.every((s) => s.WorkGroup === 'aurora-audit' && s.ExecutionParameters === undefined)).toBe(
      true,
    );
    expect(starts).toHaveLength(REPORT_SECTIONS.length + 2);
    const [ctas, ...rest] = starts.map((s) => s.QueryString as string);
    const table = /^CREATE TABLE aurora_audit\.(report_summary_\S+) WITH \(format = 'PARQUET'/.exec(
      ctas ?? '',
    )?.[1];
    expect(table).toBeDefined();
    // The UTC day, and the day before for first-seen, rendered as literals.
    expect(ctas).toContain("e.day BETWEEN '2026-11-22' AND '2026-11-23'");
    expect(ctas).toContain("from_iso8601_timestamp('2026-11-24T00:00:00.000Z')");
    // The ten sections over the summary, then the Control evidence over the canary's run records.
    const sections = rest.slice(0, REPORT_QUERIES.length);
    expect(sections.every((q) => q.includes(`aurora_audit.${table}`) && !q.includes('audit_events'))).toBe(
      true,
    );
    expect(rest.at(-2)).toContain('FROM aurora_audit.canary_runs r');
    expect(rest.at(-1)).toBe(`DROP TABLE IF EXISTS aurora_audit.${table}`);
    expect(simulator.tables.size).toBe(0);
    // 12 queries of 1.5 MB each (the DROP is DDL: not billed): each billed at the 10 MB minimum, 120 MB.
    expect(run.stderr).toContain(
      `the period summary and ${REPORT_SECTIONS.length} sections in aurora-audit: 18.0 MB scanned (18000000 bytes), billed as 120.0 MB: $0.000600 at $5 per TB`,
    );
  });

  it("fails with the summary's cause when Athena fails the period summary, drops its table, writes nothing", async () => {
    const simulator = stubAws((q) => q.startsWith('CREATE TABLE'));
    const run = await runCli('report', '--preview', ...PERIOD, '--out-dir', out);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('HIVE_CURSOR_ERROR: simulated');
    const starts = athena
      .commandCalls(StartQueryExecutionCommand)
      .map((c) => String(c.args[0].input.QueryString));
    expect(starts.map((q) => q.split(' ')[0])).toEqual(['CREATE', 'DROP']);
    expect(simulator.tables.size).toBe(0);
    expect(existsSync(join(out, 'report.eml'))).toBe(false);
  });

  it('renders a failed section as failed, writes the report anyway and exits 1', async () => {
    stubAws((q) => q.startsWith('-- Top client hosts'));
    const run = await runCli('report', '--preview', ...PERIOD, '--out-dir', out);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('top-hosts: FAILED');
    expect(run.stderr).toContain('1 section(s) failed');
    const message = parseMime(readFileSync(join(out, 'report.eml'), 'latin1'));
    expect(decodeWords(message.headers.get('subject') ?? '')).toContain('1 section failed');
    expect(existsSync(join(out, 'top-hosts.csv'))).toBe(false);
    expect(csvRows('privilege-changes.csv')).toHaveLength(PRIVILEGE_CHANGES.length);
    expect(ses.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
  });
});
