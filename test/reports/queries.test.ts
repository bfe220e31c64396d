import { Parser } from 'node-sql-parser';
import { ATHENA_FUNCTIONS } from '../../reports/athena-functions';
import { queryParameters, querySql, REPORT_QUERIES } from '../../reports/queries';
import { loadRules } from '../../tasks/core/alerts/rules';
import type { AuditEvent } from '../../tasks/core/audit-event';
import { reportPeriod } from '../../tasks/core/report-period';
import { auditEvent } from '../builders/audit-event';
import { writeStoredEvents } from '../builders/stored-events';
import { type SqlEngine, sqlEngine } from '../local/sql-engine';

const A = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const B = 'cluster-ZYXWVUTSRQPONMLKJIHGFEDCBA';
// The daily report of 2026-11-23 in Berlin: 2026-11-22T23:00Z to 2026-11-23T23:00Z, across UTC midnight.
const period = reportPeriod({ period: 'daily' }, 'Europe/Berlin', new Date('2026-11-24T06:00:00Z'));

let seq = 0;
const ev = (time: string, overrides: Partial<AuditEvent> = {}) =>
  auditEvent({
    time,
    statementId: ++seq,
    class: 'READ',
    command: 'SELECT',
    commandText: `SELECT ${seq}`,
    clusterId: A,
    ...overrides,
  });

const events: AuditEvent[] = [
  // outside, just before and at the end
  ev('2026-11-22T22:59:59.999999Z', { user: 'early' }),
  ev('2026-11-23T23:00:00Z', { user: 'late', class: 'ROLE', command: 'GRANT' }),
  // inside, before UTC midnight (local 00:30) and after
  ev('2026-11-22T23:30:00.5Z', {
    user: 'alice',
    class: 'ROLE',
    command: 'GRANT',
    commandText: `GRANT SELECT ON "odd, name" TO bob;\nGRANT 'x'`,
  }),
  ev('2026-11-23T08:00:00Z', {
    user: 'alice',
    class: 'DDL',
    command: 'DROP TABLE',
    objectType: 'TABLE',
    objectName: 'public.t',
  }),
  ev('2026-11-23T09:00:00Z', {
    user: 'bob',
    source: 'pgaudit',
    class: 'ROLE',
    command: 'REVOKE',
    remoteHost: '10.0.0.9',
  }),
  ev('2026-11-23T10:00:00Z', {
    user: 'mallory',
    source: 'pgaudit',
    class: 'CONNECT',
    command: 'AUTH FAILURE',
    commandText: null,
    errorMessage: 'password authentication failed for user "mallory"',
    remoteHost: '203.0.113.9',
  }),
  ev('2026-11-23T11:00:00Z', {
    user: 'alice',
    class: 'MISC_SET',
    command: 'SET',
    commandText: "set pgaudit.log = 'none'",
  }),
  ev('2026-11-23T12:00:00Z', {
    user: 'carol',
    exitCode: '42P01',
    errorMessage: 'relation "nope" does not exist',
  }),
  ev('2026-11-23T13:00:00Z', { user: 'dave', clusterId: B, class: 'ROLE', command: 'CREATE ROLE' }),
  // previous day: for the first-seen comparison
  ev('2026-11-22T10:00:00Z', { user: 'alice' }),
  ev('2026-11-22T11:00:00Z', { user: 'bob', remoteHost: '10.0.0.9' }),
];
// Stored twice (at-least-once delivery): the same event in two objects.
const duplicate = events[3]!;

let engine: SqlEngine;
beforeAll(async () => {
  const root = writeStoredEvents(events);
  writeStoredEvents([duplicate], root);
  engine = await sqlEngine(root);
});
afterAll(() => engine?.close());

const inPeriod = (clusters: string[]) =>
  events.filter(
    (e) =>
      clusters.includes(e.clusterId ?? '') &&
      Date.parse(e.time) >= Date.parse(period.start) &&
      Date.parse(e.time) < Date.parse(period.end),
  );
const run = (name: string, cluster = '*') => {
  const query = REPORT_QUERIES.find((q) => q.name === name)!;
  return engine.query(querySql(name), queryParameters(query, period, cluster));
};

describe('the report queries as SQL Athena accepts', () => {
  const parser = new Parser();
  it.each(REPORT_QUERIES.map((q) => q.name))(
    '%s parses as Trino SQL and uses only the listed functions',
    (name) => {
      const ast = parser.astify(querySql(name), { database: 'trino' });
      const used = new Set<string>();
      const walk = (node: unknown): void => {
        if (Array.isArray(node)) {
          for (const child of node) walk(child);
          return;
        }
        if (!node || typeof node !== 'object') return;
        const n = node as Record<string, unknown>;
        if ((n.type === 'function' || n.type === 'aggr_func') && n.name) {
          const fn = n.name as { name?: { value: string }[] } | string;
          used.add(
            (typeof fn === 'string' ? fn : (fn.name?.map((p) => p.value).join('.') ?? '')).toLowerCase(),
          );
        }
        for (const child of Object.values(n)) walk(child);
      };
      walk(ast);
      expect(used.size).toBeGreaterThan(0);
      for (const fn of used) expect(ATHENA_FUNCTIONS).toContain(fn);
    },
  );

  it("keeps the tampering query's pattern equal to the audit-tampering rule", () => {
    const rule = loadRules().rules.find((r) => r.name === 'audit-tampering')!;
    expect(querySql('audit-tampering')).toContain(`'(?i)${rule.match.commandTextPattern}'`);
  });

  it("defines the Trino functions DuckDB lacks so that they behave like Athena's", async () => {
    const rows = await engine.query(
      "SELECT from_iso8601_timestamp('2026-11-23T10:00:00.5Z') < from_iso8601_timestamp('2026-11-23T10:00:01Z') AS ordered, regexp_like('ALTER SYSTEM x', '(?i)^alter system') AS ci, regexp_like('select', 'drop') AS no",
    );
    expect(rows).toEqual([{ ordered: true, ci: true, no: false }]);
  });
});

describe('the report queries on the stored layout', () => {
  it('count activity by class and source once per event, within the period, across UTC midnight', async () => {
    const expected = new Map<string, number>();
    for (const e of inPeriod([A, B]))
      expected.set(`${e.class}|${e.source}`, (expected.get(`${e.class}|${e.source}`) ?? 0) + 1);
    const rows = await run('activity-by-class');
    expect(new Map(rows.map((r) => [`${r.class}|${r.source}`, Number(r.events)]))).toEqual(expected);
  });

  it('list privilege changes with statements that hold quotes, commas and newlines', async () => {
    const rows = await run('privilege-changes', A);
    expect(rows.map((r) => [r.user, r.command, r.source])).toEqual(
      inPeriod([A])
        .filter((e) => e.class === 'ROLE')
        .map((e) => [e.user, e.command, e.source]),
    );
    expect(rows[0]?.commandtext).toBe(`GRANT SELECT ON "odd, name" TO bob;\nGRANT 'x'`);
  });

  it('restrict to one cluster or take all with *', async () => {
    expect((await run('privilege-changes', B)).map((r) => r.user)).toEqual(['dave']);
    expect((await run('privilege-changes')).map((r) => r.user)).toEqual(['alice', 'bob', 'dave']);
  });

  it('list schema changes, the duplicate counted once', async () => {
    expect((await run('schema-changes')).map((r) => [r.user, r.command, r.objectname])).toEqual([
      ['alice', 'DROP TABLE', 'public.t'],
    ]);
  });

  it('rank users and hosts', async () => {
    const users = await run('top-users');
    const expected = new Map<string, number>();
    for (const e of inPeriod([A, B])) expected.set(e.user!, (expected.get(e.user!) ?? 0) + 1);
    expect(new Map(users.map((r) => [r.user as string, Number(r.events)]))).toEqual(expected);
    expect(users[0]).toMatchObject({ user: 'alice', events: '3' });
    const hosts = await run('top-hosts');
    expect(hosts.map((r) => r.remotehost)).toEqual(['10.0.0.5', '10.0.0.9', '203.0.113.9']);
  });

  it('find failed statements and failed logins', async () => {
    expect((await run('failures')).map((r) => [r.user, r.command])).toEqual([
      ['mallory', 'AUTH FAILURE'],
      ['carol', 'SELECT'],
    ]);
  });

  it('find audit tampering', async () => {
    expect((await run('audit-tampering')).map((r) => r.commandtext)).toEqual(["set pgaudit.log = 'none'"]);
  });

  it('count activity per UTC day', async () => {
    const expected = new Map<string, number>();
    for (const e of inPeriod([A, B]))
      expected.set(
        `${e.time.slice(0, 10)}|${e.source}`,
        (expected.get(`${e.time.slice(0, 10)}|${e.source}`) ?? 0) + 1,
      );
    const rows = await run('activity-per-day');
    expect(new Map(rows.map((r) => [`${r.day_utc}|${r.source}`, Number(r.events)]))).toEqual(expected);
    expect(rows.map((r) => r.day_utc)).toEqual(['2026-11-22', '2026-11-23', '2026-11-23']);
  });

  it('find users and hosts seen for the first time compared with the previous period', async () => {
    const previous = events.filter(
      (e) =>
        Date.parse(e.time) >= Date.parse(period.previous.start) &&
        Date.parse(e.time) < Date.parse(period.start),
    );
    const newUsers = [...new Set(inPeriod([A, B]).map((e) => e.user!))]
      .filter((u) => !previous.some((p) => p.user === u))
      .sort();
    const newHosts = [...new Set(inPeriod([A, B]).map((e) => e.remoteHost!))]
      .filter((h) => !previous.some((p) => p.remoteHost === h))
      .sort();
    const rows = await run('first-seen');
    expect(rows.filter((r) => r.kind === 'user').map((r) => r.value)).toEqual(newUsers);
    expect(rows.filter((r) => r.kind === 'host').map((r) => r.value)).toEqual(newHosts);
    expect(newUsers).toEqual(['carol', 'dave', 'mallory']);
  });

  it('return nothing for a period without events', async () => {
    const empty = reportPeriod({ from: '2026-06-01', to: '2026-06-01' }, 'UTC');
    for (const q of REPORT_QUERIES) {
      expect(await engine.query(querySql(q.name), queryParameters(q, empty, '*'))).toEqual([]);
    }
  });
});
