import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completeAuditEvent } from '../../cli/commands/rules';
import { type PostgresServer, startPostgres, waitForLog } from '../../cli/local/postgres';
import { auditEntry, failedLogin, prefix } from '../../cli/local/records/pgaudit-log';
import { type AuditEvent, createAuditEvent, parseAuditEvent } from '../../tasks/core/audit-event';
import { runCli } from '../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'aa-pgaudit-input-'));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const eventsOf = (stdout: string): AuditEvent[] =>
  stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => parseAuditEvent(JSON.parse(l)));

describe('pgaudit parse on a real PostgreSQL 15 csvlog', () => {
  let pg: PostgresServer;
  beforeAll(async () => {
    pg = await startPostgres({ pgauditLog: 'role,ddl,write', csvlog: true });
    pg.psql("CREATE ROLE app_user LOGIN PASSWORD 'App-pw-1';\nCREATE DATABASE appdb OWNER app_user;");
    pg.psql(
      [
        'CREATE TABLE t (id int, note text);',
        `INSERT INTO t VALUES (1, 'a, "b"'),\n  (2, 'it''s');`,
        'GRANT SELECT ON t TO PUBLIC;',
      ].join('\n'),
      { user: 'app_user', password: 'App-pw-1', database: 'appdb' },
    );
    pg.psql('SELECT 1', { user: 'app_user', password: 'wrong', database: 'appdb', check: false });
    await waitForLog(pg, 'password authentication failed');
    for (let i = 0; i < 100 && !pg.csvLog().includes('password authentication failed'); i++)
      await new Promise((r) => setTimeout(r, 50));
  }, 60_000);
  afterAll(() => pg?.stop());

  it('reads the same statements from the csvlog as from the stderr log of the same server', async () => {
    const fromCsv = await runCli('pgaudit', 'parse', file('postgresql.csv', pg.csvLog()));
    const fromStderr = await runCli('pgaudit', 'parse', file('postgresql.log', pg.log()));
    expect(fromCsv.stderr).toBe('');
    expect(fromCsv.code).toBe(0);
    const view = (e: AuditEvent) => [e.user, e.database, e.class, e.command, e.commandText, e.pid];
    const csv = eventsOf(fromCsv.stdout);
    const stderr = eventsOf(fromStderr.stdout);
    expect(csv.map(view)).toEqual(stderr.map(view));
    // The same second, or the csvlog one second later: PostgreSQL stamps the stderr line's `%t` with time(NULL)
    // while formatting it, and the csvlog line's log_time with its own clock reading taken after it (elog.c), so a
    // message written across a second boundary carries two seconds. Anything else would be a parsing error.
    const seconds = (e: AuditEvent) => Date.parse(`${e.time.slice(0, 19)}Z`) / 1000;
    const apart = csv.map((e, i) => seconds(e) - seconds(stderr[i] as AuditEvent));
    expect(apart).toHaveLength(6);
    expect(apart.filter((d) => d !== 0 && d !== 1)).toEqual([]);
    expect(csv.map((e) => [e.user, e.class, e.command])).toEqual([
      ['postgres', 'ROLE', 'CREATE ROLE'],
      ['postgres', 'DDL', 'CREATE DATABASE'],
      ['app_user', 'DDL', 'CREATE TABLE'],
      ['app_user', 'WRITE', 'INSERT'],
      ['app_user', 'ROLE', 'GRANT'],
      ['app_user', 'CONNECT', 'AUTH FAILURE'],
    ]);
    // The multi-line statement keeps its newline; the csvlog's host:port is the event's host and port.
    expect(csv[3]?.commandText).toBe(`INSERT INTO t VALUES (1, 'a, "b"'),\n  (2, 'it''s');`);
    expect([csv[2]?.remoteHost, csv[2]?.remotePort]).toEqual(['127.0.0.1', expect.stringMatching(/^\d+$/)]);
  });
});

describe('pgaudit parse says why an input gave no event', () => {
  it('names the expected prefix when the log has another log_line_prefix, and exits 1', async () => {
    const log = file(
      'other-prefix.log',
      '2026-11-24 10:00:00.123 UTC [4242] LOG:  AUDIT: SESSION,1,1,ROLE,GRANT,,,GRANT SELECT ON t TO u,<not logged>\n',
    );
    const run = await runCli('pgaudit', 'parse', log);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      'no event in 1 line: no line starts with the Aurora prefix %t:%r:%u@%d:[%p]:',
    );
    expect(run.stderr).toContain('the first line is: 2026-11-24 10:00:00.123 UTC [4242] LOG:');
  });

  it('says when prefixed lines hold no pgAudit entry, and stays silent on an empty input', async () => {
    const run = await runCli(
      'pgaudit',
      'parse',
      file('no-audit.log', `${prefix()}checkpoint starting: time\n${prefix()}checkpoint complete\n`),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'no event in 2 lines: the lines have the Aurora prefix but none is a pgAudit entry',
    );
    const empty = await runCli('pgaudit', 'parse', file('empty.log', '\n'));
    expect([empty.code, empty.stderr]).toEqual([0, '']);
  });
});

describe('rules test on what it was given', () => {
  it('lists the events each rule matched', async () => {
    const log = file(
      'grants.log',
      [
        auditEntry({ statementId: 1, statement: 'GRANT SELECT ON a TO bob' }, { user: 'alice', pid: 11 }),
        auditEntry(
          { statementId: 2, class: 'READ', command: 'SELECT', statement: 'SELECT 1' },
          { user: 'alice', pid: 11 },
        ),
        auditEntry({ statementId: 3, statement: 'GRANT UPDATE ON b TO carol' }, { user: 'dave', pid: 12 }),
      ].join('\n'),
    );
    const run = await runCli('rules', 'test', log);
    expect(run.code).toBe(0);
    const section = run.stdout.split('\n\n').find((s) => s.startsWith('privilege-changes')) ?? '';
    expect(section).toContain('2 matches');
    const listed = section.split('\n').filter((l) => l.startsWith('    '));
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatch(/pgaudit alice@appdb {2}ROLE GRANT: GRANT SELECT ON a TO bob$/);
    expect(listed[1]).toMatch(/pgaudit dave@appdb {2}ROLE GRANT: GRANT UPDATE ON b TO carol$/);
  });

  it('counts unreadable entries, reports each, and exits 1', async () => {
    const log = file(
      'broken.log',
      [
        auditEntry({ statementId: 1 }),
        `${prefix()}AUDIT: SESSION,1,1,ROLE,"GRANT unterminated,<not logged>`,
        failedLogin('eve'),
      ].join('\n'),
    );
    const run = await runCli('rules', 'test', log);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('2 events (and 1 unreadable entry, not replayed)');
    expect(run.stderr.split('\n').filter((l) => l.includes('unreadable entry'))).toHaveLength(1);
  });

  it('completes a partial hand-written JSON event with its id and defaults, and says so', async () => {
    const partial = {
      time: '2026-11-24T10:00:00Z',
      class: 'ROLE',
      command: 'GRANT',
      user: 'bob',
      commandText: 'GRANT admin TO bob',
    };
    const run = await runCli('rules', 'test', file('partial.jsonl', `${JSON.stringify(partial)}\n`));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'partial.jsonl: 1 partial event completed: id computed, source "pgaudit" where missing, other missing fields null',
    );
    expect(run.stdout).toContain('1 events');
    expect(run.stdout).toMatch(
      /privilege-changes \(HIGH\): 1 matches[\s\S]*pgaudit bob@\? {2}ROLE GRANT: GRANT admin TO bob/,
    );
    // The id the completion computed is the one ingest computes for the same fields.
    const completed = completeAuditEvent(partial);
    expect(completed?.id).toBe(
      createAuditEvent({
        source: 'pgaudit',
        clusterId: null,
        instanceId: null,
        auditType: null,
        objectType: null,
        objectName: null,
        database: null,
        remoteHost: null,
        remotePort: null,
        sessionId: null,
        pid: null,
        statementId: null,
        substatementId: null,
        parameters: null,
        exitCode: null,
        errorMessage: null,
        rowCount: null,
        clientApplication: null,
        ...partial,
      }).id,
    );
    const bad = await runCli(
      'rules',
      'test',
      file('bad.jsonl', '{"time":"2026-11-24T10:00:00Z","class":"ROLE"}\n'),
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'bad.jsonl line 1: a partial event needs at least time, class and command; missing command',
    );
  });
});
