/**
 * `aurora-audit events`: locally on the embedded engine over a KNOWN workload stored in the pipeline's
 * layout (expected rows derived from the workload plan, never from the SQL), and in Athena with the SDK
 * stubbed at its boundary (the exact execution parameters, no user value in the SQL text, paging, cost).
 */
import { rmSync } from 'node:fs';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { athenaResultsServer } from '../../cli/local/athena-results';
import { auditEvent } from '../../cli/local/records/audit-event';
import { writeStoredEvents } from '../../cli/local/records/stored-events';
import { sqlEngine } from '../../cli/local/sql-engine';
import {
  deployedEventSearchSql,
  EVENT_SEARCH_COLUMNS,
  eventSearchParameters,
  eventSearchRange,
  eventSearchSql,
} from '../../reports/search';
import type { AuditEvent, AuditEventInput } from '../../tasks/core/audit-event';
import { eventsPrefix, partitionOf } from '../../tasks/core/storage-layout';
import { runCli } from '../helpers/cli';

const A = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ'; // orders-db in the example configuration
const B = 'cluster-ZYXWVUTSRQPONMLKJIHGFEDCBA';

/** One statement of the workload: what ran, and which sources saw it. */
interface Planned {
  readonly name: string;
  readonly seenBy: 'das' | 'pgaudit' | 'das,pgaudit';
  readonly cluster: string;
  readonly user: string;
  readonly database: string;
  readonly class: string;
  readonly command: string;
  readonly object: string | null;
  readonly text: string;
  /** The activity stream's time; pgAudit's is the whole second. */
  readonly at: string;
  readonly pid: number;
}

let pid = 1000;
const planned = (p: Omit<Planned, 'pid'>): Planned => ({ ...p, pid: ++pid });

// Monday 2026-11-23 in Berlin (UTC+1) is 2026-11-22T23:00Z to 2026-11-23T23:00Z.
const PLAN: readonly Planned[] = [
  planned({
    name: 'before the Berlin day',
    seenBy: 'das',
    cluster: A,
    user: 'alice',
    database: 'appdb',
    class: 'READ',
    command: 'SELECT',
    object: null,
    text: 'SELECT 1',
    at: '2026-11-22T22:59:59.999Z',
  }),
  planned({
    name: 'first instant of the Berlin day',
    seenBy: 'das,pgaudit',
    cluster: A,
    user: 'alice',
    database: 'appdb',
    class: 'ROLE',
    command: 'GRANT',
    object: 'orders',
    text: 'GRANT SELECT ON orders TO bob',
    at: '2026-11-22T23:00:00.000Z',
  }),
  planned({
    name: 'schema change seen by the stream only',
    seenBy: 'das',
    cluster: A,
    user: 'bob',
    database: 'appdb',
    class: 'DDL',
    command: 'CREATE TABLE',
    object: 'public.invoices',
    text: 'CREATE TABLE invoices (id int)',
    at: '2026-11-23T08:30:00.250Z',
  }),
  planned({
    name: 'read seen by pgAudit only',
    seenBy: 'pgaudit',
    cluster: A,
    user: 'Alice',
    database: 'reporting',
    class: 'READ',
    command: 'SELECT',
    object: 'orders',
    text: "SELECT * FROM orders WHERE note = '100%_done'",
    at: '2026-11-23T09:15:00.000Z',
  }),
  planned({
    name: 'write on the other cluster, both sources',
    seenBy: 'das,pgaudit',
    cluster: B,
    user: 'carol',
    database: 'appdb',
    class: 'WRITE',
    command: 'INSERT',
    object: 'audit_log',
    text: 'INSERT INTO audit_log VALUES (1)',
    at: '2026-11-23T10:00:00.700Z',
  }),
  planned({
    name: 'password change',
    seenBy: 'das',
    cluster: A,
    user: 'alice',
    database: 'appdb',
    class: 'ROLE',
    command: 'ALTER ROLE',
    object: null,
    text: "ALTER ROLE alice PASSWORD 'hunter2secret'",
    at: '2026-11-23T12:00:00.100Z',
  }),
  planned({
    name: 'last instant of the Berlin day',
    seenBy: 'das,pgaudit',
    cluster: A,
    user: 'bob',
    database: 'appdb',
    class: 'DDL',
    command: 'DROP TABLE',
    object: 'public.invoices',
    text: 'DROP TABLE invoices',
    at: '2026-11-23T22:59:59.999Z',
  }),
  planned({
    name: 'after the Berlin day',
    seenBy: 'das',
    cluster: A,
    user: 'bob',
    database: 'appdb',
    class: 'READ',
    command: 'SELECT',
    object: null,
    text: 'SELECT 2',
    at: '2026-11-23T23:00:00.000Z',
  }),
  planned({
    name: 'two days later',
    seenBy: 'das',
    cluster: A,
    user: 'alice',
    database: 'appdb',
    class: 'ROLE',
    command: 'GRANT',
    object: 'orders',
    text: 'GRANT SELECT ON orders TO bob',
    at: '2026-11-25T10:00:00.000Z',
  }),
];

/** The entries each source stored for a planned statement (the pgAudit entry as pgAudit reports it). */
function entries(p: Planned): { das?: AuditEvent; pg?: AuditEvent } {
  const common: Partial<AuditEventInput> = {
    clusterId: p.cluster,
    user: p.user,
    database: p.database,
    class: p.class,
    command: p.command,
    objectName: p.object,
    objectType: p.object ? 'TABLE' : null,
    commandText: p.text,
    pid: p.pid,
    statementId: 1,
    substatementId: 1,
  };
  return {
    das: p.seenBy.includes('das') ? auditEvent({ ...common, source: 'das', time: p.at }) : undefined,
    pg: p.seenBy.includes('pgaudit')
      ? auditEvent({
          ...common,
          source: 'pgaudit',
          time: `${p.at.slice(0, 19)}Z`,
          auditType: 'SESSION',
          instanceId: null,
          sessionId: null,
          exitCode: null,
          clientApplication: null,
          remotePort: null,
        })
      : undefined,
  };
}

const BUILT = PLAN.map((p) => ({ plan: p, ...entries(p) }));
/** The row of a statement: as the activity stream reported it when it saw it, else as pgAudit did. */
const shown = (b: (typeof BUILT)[number]) => (b.das ?? b.pg) as AuditEvent;

/** The expected rows (the columns the tests compare) of the planned statements a predicate selects. */
function expected(select: (p: Planned) => boolean) {
  return BUILT.filter((b) => select(b.plan)).map((b) => ({
    time: shown(b).time,
    cluster: b.plan.cluster,
    user: b.plan.user,
    database: b.plan.database,
    class: b.plan.class,
    command: b.plan.command,
    sources: b.plan.seenBy,
    id: shown(b).id,
  }));
}

const compared = (rows: Record<string, unknown>[]) =>
  rows.map((r) => ({
    time: r.time,
    cluster: r.cluster,
    user: r.user,
    database: r.database,
    class: r.class,
    command: r.command,
    sources: r.sources,
    id: r.id,
  }));

const inBerlinDay = (p: Planned) =>
  Date.parse(p.at) >= Date.parse('2026-11-22T23:00:00Z') &&
  Date.parse(p.at) < Date.parse('2026-11-23T23:00:00Z');
const BERLIN_DAY = ['--from', '2026-11-23', '--to', '2026-11-23', '--time-zone', 'Europe/Berlin'];

describe('aurora-audit events --local (the embedded engine over the stored layout)', () => {
  let root = '';
  beforeAll(() => {
    root = writeStoredEvents(
      BUILT.flatMap((b) => [b.das, b.pg].filter((e): e is AuditEvent => e !== undefined)),
      { objectsPerPartition: 2 },
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const search = async (...args: string[]) => {
    const run = await runCli('events', '--local', root, '--output', 'json', ...args);
    if (run.code !== 0) throw new Error(`exit ${run.code}: ${run.stderr}`);
    return { ...run, rows: JSON.parse(run.stdout) as Record<string, unknown>[] };
  };

  it('stores the workload as planned: 9 statements, 3 of them seen by both sources, in 12 entries', () => {
    expect(BUILT.flatMap((b) => [b.das, b.pg].filter(Boolean))).toHaveLength(12);
    expect(PLAN.filter((p) => p.seenBy === 'das,pgaudit')).toHaveLength(3);
  });

  it('lists the statements of a local day in Berlin, its first instant in, its end out, a statement of both sources once', async () => {
    const { rows, stderr } = await search(...BERLIN_DAY);
    expect(compared(rows)).toEqual(expected(inBerlinDay));
    expect(rows.map((r) => r.sources)).toEqual([
      'das,pgaudit',
      'das',
      'pgaudit',
      'das,pgaudit',
      'das',
      'das,pgaudit',
    ]);
    expect(stderr).toContain(
      'searching 2026-11-22T23:00:00.000Z to 2026-11-23T23:00:00.000Z (UTC; end exclusive), partitions 2026-11-22 hour 23 to 2026-11-23 hour 22',
    );
    expect(stderr).toContain(`${rows.length} statement(s)\n`);
  });

  it('takes local times in the time zone, the end exclusive', async () => {
    // 09:30 to 11:00 in Berlin is 08:30Z to 10:00Z: the schema change at 08:30:00.250Z and the read at 09:15Z;
    // the write at 10:00:00.700Z is after the end.
    const { rows } = await search(
      '--from',
      '2026-11-23T09:30',
      '--to',
      '2026-11-23T11:00',
      '--time-zone',
      'Europe/Berlin',
    );
    expect(compared(rows)).toEqual(
      expected(
        (p) =>
          Date.parse(p.at) >= Date.parse('2026-11-23T08:30:00Z') &&
          Date.parse(p.at) < Date.parse('2026-11-23T10:00:00Z'),
      ),
    );
    expect(rows).toHaveLength(2);
  });

  it.each([
    ['--cluster', 'orders-db', (p: Planned) => p.cluster === A],
    ['--cluster', B, (p: Planned) => p.cluster === B],
    ['--user', 'ALICE', (p: Planned) => p.user.toLowerCase() === 'alice'],
    ['--database', 'reporting', (p: Planned) => p.database === 'reporting'],
    ['--class', 'role', (p: Planned) => p.class === 'ROLE'],
    ['--command', 'create table', (p: Planned) => p.command === 'CREATE TABLE'],
    ['--object', 'INVOICES', (p: Planned) => p.object === 'public.invoices'],
    ['--source', 'das', (p: Planned) => p.seenBy.includes('das')],
    ['--source', 'pgaudit', (p: Planned) => p.seenBy.includes('pgaudit')],
    ['--source', 'both', (p: Planned) => p.seenBy === 'das,pgaudit'],
    ['--text', '100%_', (p: Planned) => p.text.includes('100%_')],
    ['--text', 'grant select', (p: Planned) => p.text.toLowerCase().includes('grant select')],
  ])('filters by %s %s', async (option, value, select) => {
    const { rows } = await search(...BERLIN_DAY, option, value);
    const want = expected((p) => inBerlinDay(p) && select(p));
    expect(want.length).toBeGreaterThan(0);
    expect(compared(rows)).toEqual(want);
  });

  it('treats LIKE wildcards in text as plain characters', async () => {
    // '%' would match anything with LIKE: no statement has '%x'.
    const { rows } = await search(...BERLIN_DAY, '--text', '%x');
    expect(rows).toEqual([]);
  });

  it('combines filters', async () => {
    const { rows } = await search(...BERLIN_DAY, '--user', 'bob', '--class', 'DDL', '--source', 'both');
    expect(compared(rows)).toEqual(
      expected((p) => inBerlinDay(p) && p.name === 'last instant of the Berlin day'),
    );
  });

  it('redacts passwords in the statement text, as the reports do', async () => {
    const { rows, stdout } = await search(...BERLIN_DAY, '--command', 'ALTER ROLE');
    expect(rows).toHaveLength(1);
    expect(stdout).not.toContain('hunter2secret');
    expect(rows[0]?.commandtext).toMatch(/^ALTER ROLE alice PASSWORD .*REDACTED/);
  });

  it('stops at --limit and says more matched', async () => {
    const { rows, stderr } = await search(...BERLIN_DAY, '--limit', '2');
    expect(compared(rows)).toEqual(expected(inBerlinDay).slice(0, 2));
    expect(stderr).toContain('2 statement(s); more matched: raise --limit (2) or narrow the search');
  });

  it('reads only the hour partitions of the range on the cluster searched', async () => {
    const engine = await sqlEngine(root);
    try {
      const range = eventSearchRange(
        { from: '2026-11-23', to: '2026-11-23', timeZone: 'Europe/Berlin' },
        new Date(),
      );
      const files = await engine.filesRead(eventSearchSql(), eventSearchParameters(range, { cluster: A }));
      const prefixes = new Set(
        BUILT.flatMap((b) => [b.das, b.pg])
          .filter((e): e is AuditEvent => e !== undefined && e.clusterId === A)
          // The Berlin day is 2026-11-22T23:00Z to 2026-11-23T23:00Z: the UTC hours 22T23 to 23T22.
          .filter((e) => e.time >= '2026-11-22T23:00' && e.time < '2026-11-23T23:00')
          .map((e) => eventsPrefix(partitionOf(e))),
      );
      expect(
        [...new Set(files.map((f) => f.slice(f.indexOf('events/'), f.lastIndexOf('/') + 1)))].sort(),
      ).toEqual([...prefixes].sort());
      expect(prefixes.size).toBeGreaterThan(1);
      for (const prefix of prefixes)
        expect(prefix).toMatch(/day=2026-11-2(2\/hour=23|3\/hour=([01]\d|2[0-2]))\/$/);
    } finally {
      engine.close();
    }
  });

  it('prints a table and CSV of the same statements', async () => {
    const table = await runCli('events', '--local', root, ...BERLIN_DAY, '--source', 'both');
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^TIME \(UTC\)\s+CLUSTER\s+USER\s+DATABASE\s+CLASS\s+COMMAND\s+OBJECT\s+SOURCES\s+STATEMENT$/,
    );
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[0])).toEqual(
      expected((p) => inBerlinDay(p) && p.seenBy === 'das,pgaudit').map((r) => r.time),
    );
    const csv = await runCli('events', '--local', root, ...BERLIN_DAY, '--source', 'both', '--output', 'csv');
    const records = csv.stdout.split('\r\n').filter(Boolean);
    expect(records[0]).toBe(EVENT_SEARCH_COLUMNS.join(','));
    expect(records).toHaveLength(1 + 3);
  });

  it('prints --output text as one tab-separated EVENT record per statement, every column, no header', async () => {
    const text = await runCli(
      'events',
      '--local',
      root,
      ...BERLIN_DAY,
      '--source',
      'both',
      '--output',
      'text',
    );
    expect(text.code).toBe(0);
    const records = text.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'));
    expect(records.map((r) => [r[0], r.length])).toEqual(
      Array(3).fill(['EVENT', 1 + EVENT_SEARCH_COLUMNS.length]),
    );
    expect(records.map((r) => r[1])).toEqual(
      expected((p) => inBerlinDay(p) && p.seenBy === 'das,pgaudit').map((r) => r.time),
    );
    const { rows } = await search(...BERLIN_DAY, '--source', 'both');
    expect(records).toEqual(
      rows.map((r) => ['EVENT', ...EVENT_SEARCH_COLUMNS.map((c) => (r[c] === null ? 'None' : String(r[c])))]),
    );
  });

  it('finds the layout inside demo-out (its bucket/) and refuses a directory without events', async () => {
    const { mkdtempSync, renameSync, mkdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const demo = mkdtempSync(join(tmpdir(), 'aa-demo-out-'));
    try {
      mkdirSync(join(demo, 'bucket'));
      const bucket = writeStoredEvents([shown(BUILT[2] as (typeof BUILT)[number])]);
      renameSync(join(bucket, 'events'), join(demo, 'bucket', 'events'));
      rmSync(bucket, { recursive: true, force: true });
      const run = await runCli('events', '--local', demo, ...BERLIN_DAY, '--output', 'json');
      expect(run.code).toBe(0);
      expect(compared(JSON.parse(run.stdout))).toEqual(
        expected((p) => p.name === 'schema change seen by the stream only'),
      );
      const empty = await runCli('events', '--local', join(demo, 'bucket', 'events'), ...BERLIN_DAY);
      expect(empty.code).toBe(2);
      expect(empty.stderr).toContain('holds no stored events');
    } finally {
      rmSync(demo, { recursive: true, force: true });
    }
  });
});

describe('aurora-audit events (Athena)', () => {
  const cfn = mockClient(CloudFormationClient);
  const athena = mockClient(AthenaClient);
  const QUERY_ID = '5f0c7a1e-1111-4222-8333-944455556666';
  const NOW = new Date('2026-12-01T08:00:30Z');

  beforeEach(() => {
    jest.useFakeTimers({
      now: NOW,
      doNotFake: ['setTimeout', 'setImmediate', 'setInterval', 'nextTick', 'queueMicrotask'],
    });
    process.env.AWS_REGION = 'eu-west-1';
    process.env.AURORA_AUDIT_ATHENA_POLL_MS = '0';
    cfn.reset();
    athena.reset();
    cfn.on(DescribeStacksCommand, { StackName: 'aurora-audit' }).resolves({
      Stacks: [
        {
          StackName: 'aurora-audit',
          CreationTime: new Date(),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: [
            { OutputKey: 'AthenaWorkGroup', OutputValue: 'aurora-audit' },
            { OutputKey: 'GlueTable', OutputValue: 'aurora_audit_prod.audit_events' },
          ],
        },
      ],
    });
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: QUERY_ID });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { QueryExecutionId: QUERY_ID, Status: { State: 'QUEUED' } } })
      .resolvesOnce({
        QueryExecution: {
          QueryExecutionId: QUERY_ID,
          Status: { State: 'RUNNING' },
          Statistics: { DataScannedInBytes: 40_000_000 },
        },
      })
      .resolves({
        QueryExecution: {
          QueryExecutionId: QUERY_ID,
          Status: { State: 'SUCCEEDED' },
          Statistics: { DataScannedInBytes: 123_456_789 },
        },
      });
  });
  afterEach(() => {
    jest.useRealTimers();
    delete process.env.AURORA_AUDIT_ATHENA_POLL_MS;
  });

  /** Result rows as Athena serves them (all varchar), numbered so that their order can be checked. */
  const rowsNumbered = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      Object.fromEntries(
        EVENT_SEARCH_COLUMNS.map((c) => [
          c,
          c === 'id' ? `id-${i + 1}` : c === 'objectname' ? null : `${c}-${i + 1}`,
        ]),
      ),
    );
  const serve = (rows: Record<string, unknown>[]) =>
    athena
      .on(GetQueryResultsCommand)
      .callsFake(
        athenaResultsServer(
          new Map([
            [QUERY_ID, { columns: EVENT_SEARCH_COLUMNS.map((name) => ({ name, type: 'varchar' })), rows }],
          ]),
        ),
      );

  it('runs the search SQL in the report workgroup with every value as an execution parameter, never in the SQL', async () => {
    serve(rowsNumbered(3));
    const user = "o'brien'; DROP TABLE x --";
    const run = await runCli(
      'events',
      ...BERLIN_DAY,
      '--cluster',
      'orders-db',
      '--user',
      user,
      '--database',
      'appdb',
      '--class',
      'ROLE',
      '--command',
      'GRANT',
      '--object',
      'orders',
      '--source',
      'both',
      '--text',
      'needle-42',
      '--output',
      'json',
    );
    expect(run.code).toBe(0);
    const input = athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input;
    expect(input?.WorkGroup).toBe('aurora-audit');
    expect(input?.QueryString).toBe(deployedEventSearchSql('aurora_audit_prod.audit_events'));
    expect(input?.QueryString).toContain('FROM aurora_audit_prod.audit_events e');
    for (const typed of ["o'brien", 'DROP TABLE x', 'needle-42', 'orders-db', A, '2026-11-22T23:00'])
      expect(input?.QueryString).not.toContain(typed);
    expect(input?.ExecutionParameters).toEqual([
      "'2026-11-22'",
      "'2026-11-23'",
      "'2026-11-22'",
      "'23'",
      "'2026-11-23'",
      "'22'",
      `'${A}'`,
      `'${A}'`,
      "'2026-11-22T23:00:00.000Z'",
      "'2026-11-23T23:00:00.000Z'",
      "'o''brien''; DROP TABLE x --'",
      "'o''brien''; DROP TABLE x --'",
      "'appdb'",
      "'appdb'",
      "'ROLE'",
      "'ROLE'",
      "'GRANT'",
      "'GRANT'",
      "'orders'",
      "'orders'",
      "'das,pgaudit'",
      "'das,pgaudit'",
      "'das,pgaudit'",
      "'needle-42'",
      "'needle-42'",
    ]);
    expect(JSON.parse(run.stdout)).toEqual(rowsNumbered(3));
  });

  it('passes an empty filter as an empty string literal and no cluster as *', async () => {
    serve([]);
    const run = await runCli('events', '--from', '2026-11-30T06:00:00Z', '--to', '2026-11-30T08:00:00+01:00');
    expect(run.code).toBe(0);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input.ExecutionParameters).toEqual([
      "'2026-11-30'",
      "'2026-11-30'",
      "'2026-11-30'",
      "'06'",
      "'2026-11-30'",
      "'06'",
      "'*'",
      "'*'",
      "'2026-11-30T06:00:00.000Z'",
      "'2026-11-30T07:00:00.000Z'",
      ...Array.from({ length: 15 }, () => "''"),
    ]);
  });

  it('shows progress on stderr and the bytes scanned with their cost at $5 per TB', async () => {
    serve(rowsNumbered(1));
    const run = await runCli('events', ...BERLIN_DAY);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`athena ${QUERY_ID}: QUEUED, 0 bytes scanned`);
    expect(run.stderr).toContain(`athena ${QUERY_ID}: RUNNING, 40.0 MB scanned`);
    expect(run.stderr).toContain(`athena ${QUERY_ID}: SUCCEEDED, 123.5 MB scanned`);
    // 123,456,789 bytes are billed as 124 MB (rounded up to the MB): 124e6 / 1e12 TB × $5 = $0.00062.
    expect(run.stderr).toContain(
      `Athena query ${QUERY_ID}: 123.5 MB (123456789 bytes) scanned, billed as 124.0 MB: $0.000620 at $5 per TB scanned`,
    );
  });

  it('bills a small query at the 10 MB minimum', async () => {
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        QueryExecutionId: QUERY_ID,
        Status: { State: 'SUCCEEDED' },
        Statistics: { DataScannedInBytes: 2048 },
      },
    });
    serve([]);
    const run = await runCli('events', ...BERLIN_DAY);
    // 10 MB = 1e7 bytes: 1e7 / 1e12 × $5 = $0.00005.
    expect(run.stderr).toContain('2.0 kB (2048 bytes) scanned, billed as 10.0 MB: $0.000050 at $5 per TB');
  });

  it('follows NextToken through every page up to the limit', async () => {
    serve(rowsNumbered(2100));
    const run = await runCli('events', ...BERLIN_DAY, '--limit', '5000', '--output', 'json');
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as Record<string, unknown>[];
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 2100 }, (_, i) => `id-${i + 1}`));
    const calls = athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.NextToken)).toEqual([undefined, 'page-2', 'page-3']);
    expect(calls.every((c) => c.QueryExecutionId === QUERY_ID && (c.MaxResults ?? 0) <= 1000)).toBe(true);
    expect(run.stderr).toContain('2100 statement(s)\n');
  });

  it('stops reading pages at --limit and says more matched', async () => {
    serve(rowsNumbered(2100));
    const run = await runCli('events', ...BERLIN_DAY, '--limit', '1200', '--output', 'json');
    const rows = JSON.parse(run.stdout) as Record<string, unknown>[];
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 1200 }, (_, i) => `id-${i + 1}`));
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(2);
    expect(run.stderr).toContain('1200 statement(s); more matched: raise --limit (1200)');
  });

  it('exits 1 with Athena’s reason when the query fails', async () => {
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        QueryExecutionId: QUERY_ID,
        Status: { State: 'FAILED', StateChangeReason: 'Query exhausted resources at this scale factor' },
      },
    });
    const run = await runCli('events', ...BERLIN_DAY);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `Athena query ${QUERY_ID} FAILED: Query exhausted resources at this scale factor`,
    );
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it.each([
    ['--source, stream', ['--source', 'stream'], 'source must be one of das, pgaudit, both, got "stream"'],
    ['--from, 2026-11-31', ['--from', '2026-11-31'], 'from is not a calendar date: "2026-11-31"'],
    [
      '--from, 2026-11-24, --to, 2026-11-23',
      ['--from', '2026-11-24', '--to', '2026-11-23'],
      'must be before to',
    ],
    ['--time-zone, Mars/Olympus', ['--time-zone', 'Mars/Olympus'], 'time zone must be an IANA time zone'],
    ['--limit, 0', ['--limit', '0'], '--limit must be a whole number from 1 to 100000'],
    // `--output` is the program's global option (json, table, text, csv).
    ['--output, yaml', ['--output', 'yaml'], "argument 'yaml' is invalid"],
    [
      '--cluster, nosuch',
      ['--cluster', 'nosuch'],
      'cluster "nosuch" is neither a configured cluster (orders-db',
    ],
    ['--text, 1023 characters', ['--text', 'x'.repeat(1023)], 'text is too long: at most 1024 characters'],
  ])('refuses %s before any AWS call (exit 2)', async (_label, args, message) => {
    const run = await runCli('events', ...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(cfn.calls()).toHaveLength(0);
    expect(athena.calls()).toHaveLength(0);
  });
});
