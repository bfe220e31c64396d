/**
 * Each report query on DuckDB over files in exactly the stored layout, against fixtures built for it; the
 * expected rows are computed here from the generated events (report-fixture.ts), never with SQL.
 */
import { REPORT_QUERIES } from '../../reports/queries';
import { loadRules } from '../../tasks/core/alerts/rules';
import { AUDIT_EVENT_FIELDS, type AuditEvent, type AuditEventInput } from '../../tasks/core/audit-event';
import { reportPeriod } from '../../tasks/core/report-period';
import {
  byTimeThenId,
  CLUSTER_A,
  CLUSTER_B,
  compare,
  countBy,
  event,
  eventsIn,
  inRunOrder,
  type ReportFixture,
  reportFixture,
} from './report-fixture';

// The daily report of Monday 2026-11-23 in Berlin (UTC+1): 2026-11-22T23:00Z to 2026-11-23T23:00Z, across
// UTC midnight, in the day partitions 2026-11-22 and 2026-11-23.
const berlinDay = reportPeriod({ period: 'daily' }, 'Europe/Berlin', new Date('2026-11-24T06:00:00Z'));

const FIELD_OF_COLUMN = new Map<string, keyof AuditEvent>(
  AUDIT_EVENT_FIELDS.map((f) => [f.name.toLowerCase(), f.name]),
);

/**
 * The row a query returns for an event: the named columns (`cluster` is the partition value). In these
 * fixtures every event is a statement of its own (no two have the same statement within 10 seconds), so
 * `sources` is the event's source; the pairing of the two sources has its own fixtures below.
 */
function row(e: AuditEvent, columns: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of columns.split(/,\s*/)) {
    const field = FIELD_OF_COLUMN.get(column);
    if (column === 'cluster') out.cluster = e.clusterId;
    else if (column === 'sources') out.sources = e.source;
    else if (field) out[column] = e[field] === null ? null : String(e[field]);
    else throw new Error(`no field for column ${column}`);
  }
  return out;
}

/** Opens a fixture for a describe block. */
function withFixture(
  events: () => AuditEvent[],
  duplicates: (events: AuditEvent[]) => AuditEvent[] = () => [],
) {
  const state: { fixture?: ReportFixture; events: AuditEvent[]; stored: AuditEvent[] } = {
    events: [],
    stored: [],
  };
  beforeAll(async () => {
    state.events = events();
    const copies = duplicates(state.events);
    state.stored = [...state.events, ...copies];
    state.fixture = await reportFixture(state.events, copies);
  });
  afterAll(() => state.fixture?.close());
  return {
    run: (name: string, period = berlinDay, cluster = '*', coverageClasses?: readonly string[]) => {
      if (!state.fixture) throw new Error('fixture not open');
      return state.fixture.run(name, period, cluster, coverageClasses);
    },
    filesRead: (name: string, period = berlinDay, cluster = '*') => {
      if (!state.fixture) throw new Error('fixture not open');
      return state.fixture.filesRead(name, period, cluster);
    },
    /** Everything stored, duplicates included: the reference deduplicates by id itself. */
    stored: () => state.stored,
    events: () => state.events,
  };
}

describe('activity-by-class', () => {
  const f = withFixture(
    () => [
      event('2026-11-22T22:59:59.999999Z', { user: 'early' }), // before the period, same partition
      event('2026-11-21T23:30:00Z', { user: 'earlier' }), // an earlier partition
      event('2026-11-22T23:00:00Z'), // the period's first instant
      event('2026-11-22T23:30:00.5Z', { class: 'ROLE', command: 'GRANT' }),
      event('2026-11-23T08:00:00Z', { class: 'DDL', command: 'CREATE TABLE' }),
      event('2026-11-23T09:00:00Z', {
        source: 'pgaudit',
        class: 'ROLE',
        command: 'REVOKE',
        auditType: 'SESSION',
      }),
      event('2026-11-23T10:00:00Z', {
        source: 'pgaudit',
        class: 'CONNECT',
        command: 'AUTH FAILURE',
        clusterId: CLUSTER_B,
      }),
      event('2026-11-23T11:00:00Z', { source: 'pgaudit', clusterId: CLUSTER_B, auditType: 'SESSION' }),
      event('2026-11-23T12:00:00Z', { clusterId: CLUSTER_B }),
      event('2026-11-23T22:59:59.999Z', { class: 'WRITE', command: 'INSERT' }),
      event('2026-11-23T23:00:00Z', { class: 'ROLE', command: 'GRANT' }), // the period's end: excluded
    ],
    (events) => [events[4], events[5]].filter((e) => e !== undefined),
  );

  const expected = (cluster: string) =>
    [...countBy(eventsIn(f.stored(), berlinDay, cluster), (e) => `${e.class}|${e.source}`)]
      .map(([key, n]) => {
        const [cls, source] = key.split('|');
        return { class: cls, sources: source, statements: String(n) };
      })
      .sort(
        (a, b) =>
          Number(b.statements) - Number(a.statements) ||
          compare(a.class ?? '', b.class ?? '') ||
          compare(a.sources ?? '', b.sources ?? ''),
      );

  it('counts each kind of statement per source once per statement, within a period that crosses UTC midnight', async () => {
    const rows = await f.run('activity-by-class');
    expect(rows).toEqual(expected('*'));
    expect(rows.reduce((n, r) => n + Number(r.statements), 0)).toBe(8); // 11 stored events, 2 duplicates, 3 outside
  });

  it('counts one cluster only when given its id', async () => {
    expect(await f.run('activity-by-class', berlinDay, CLUSTER_B)).toEqual(expected(CLUSTER_B));
    expect(expected(CLUSTER_B).map((r) => r.sources)).toEqual(['pgaudit', 'das', 'pgaudit']);
  });
});

describe('privilege-changes', () => {
  const columns =
    'time, cluster, user, database, command, objecttype, objectname, remotehost, clientapplication, sources, commandtext';
  const f = withFixture(
    () => [
      event('2026-11-22T23:30:00.5Z', {
        class: 'ROLE',
        command: 'GRANT',
        user: 'alice',
        commandText: `GRANT SELECT ON "odd, name" TO bob;\nGRANT 'x' TO "y" -- it's done`,
      }),
      // Same second, same session (pid 4242): the statement that ran first (the lower statement id) is listed
      // first, although pgAudit's whole-second 09:00:00Z is the earlier instant.
      event('2026-11-23T09:00:00.250Z', {
        class: 'ROLE',
        command: 'ALTER ROLE',
        user: 'alice',
        commandText: 'ALTER ROLE bob NOLOGIN',
      }),
      event('2026-11-23T09:00:00Z', {
        source: 'pgaudit',
        auditType: 'SESSION',
        class: 'ROLE',
        command: 'REVOKE',
        user: 'bob',
        remoteHost: '10.0.0.9',
        clientApplication: null,
        commandText: 'REVOKE ALL ON t FROM "Ünïcode"',
      }),
      event('2026-11-23T13:00:00Z', {
        clusterId: CLUSTER_B,
        class: 'ROLE',
        command: 'CREATE ROLE',
        user: 'dave',
        commandText: "CREATE ROLE eve LOGIN PASSWORD '<REDACTED>'",
      }),
      event('2026-11-23T08:00:00Z', { class: 'DDL', command: 'DROP TABLE', user: 'alice' }),
      event('2026-11-23T23:00:00Z', { class: 'ROLE', command: 'GRANT', user: 'late' }),
    ],
    (events) => events.slice(0, 1),
  );
  const expected = (cluster: string) =>
    eventsIn(f.stored(), berlinDay, cluster)
      .filter((e) => e.class === 'ROLE')
      .sort(inRunOrder)
      .map((e) => row(e, columns));

  it('lists who changed privileges, when, from where, with the statement (quotes, commas, newlines intact)', async () => {
    const rows = await f.run('privilege-changes');
    expect(rows).toEqual(expected('*'));
    expect(rows.map((r) => r.user)).toEqual(['alice', 'alice', 'bob', 'dave']);
    expect(rows[0]?.commandtext).toBe(`GRANT SELECT ON "odd, name" TO bob;\nGRANT 'x' TO "y" -- it's done`);
  });

  it('restricts to one cluster, or takes all with *', async () => {
    expect(await f.run('privilege-changes', berlinDay, CLUSTER_A)).toEqual(expected(CLUSTER_A));
    expect((await f.run('privilege-changes', berlinDay, CLUSTER_B)).map((r) => r.user)).toEqual(['dave']);
  });
});

describe('the order in which statements ran', () => {
  // What ran, in this order, each statement seen by both sources: the activity stream with its statement
  // end in microseconds, pgAudit with whole seconds. Session 202 ran first; session 101 then granted and
  // revoked in the same microsecond (the activity stream's times tie), then altered a role a second later.
  const ran = [
    { pid: 202, statementId: 3, command: 'CREATE ROLE', das: '09:00:04.900000', pgaudit: '09:00:04' },
    { pid: 101, statementId: 7, command: 'GRANT', das: '09:00:05.400123', pgaudit: '09:00:05' },
    { pid: 101, statementId: 8, command: 'REVOKE', das: '09:00:05.400123', pgaudit: '09:00:05' },
    { pid: 101, statementId: 9, command: 'ALTER ROLE', das: '09:00:06.010000', pgaudit: '09:00:06' },
  ];
  const f = withFixture(() =>
    ran
      .flatMap((s) => [
        event(`2026-11-23T${s.das}Z`, {
          pid: s.pid,
          statementId: s.statementId,
          class: 'ROLE',
          command: s.command,
          commandText: `${s.command} …`,
        }),
        event(`2026-11-23T${s.pgaudit}Z`, {
          source: 'pgaudit',
          auditType: 'SESSION',
          sessionId: null,
          pid: s.pid,
          statementId: s.statementId,
          class: 'ROLE',
          command: s.command,
          commandText: `${s.command} …`,
        }),
      ])
      .reverse(),
  );

  it('lists statements in the order they ran, each once with both sources, never by hash', async () => {
    const rows = await f.run('privilege-changes');
    expect(rows.map((r) => `${r.command} ${r.sources}`)).toEqual(ran.map((s) => `${s.command} das,pgaudit`));
  });
});

describe('schema-changes', () => {
  const columns =
    'time, cluster, user, database, command, objecttype, objectname, remotehost, sources, commandtext';
  const f = withFixture(
    () => [
      event('2026-11-23T07:00:00Z', {
        source: 'pgaudit',
        auditType: 'SESSION',
        class: 'DDL',
        command: 'CREATE TABLE',
        objectType: 'TABLE',
        objectName: 'public.orders',
        commandText: "CREATE TABLE public.orders (\n  id bigint,\n  note text DEFAULT 'n/a'\n)",
      }),
      event('2026-11-23T08:00:00Z', {
        clusterId: CLUSTER_B,
        class: 'DDL',
        command: 'DROP TABLE',
        objectType: 'TABLE',
        objectName: 'public.t',
        commandText: 'DROP TABLE public.t',
      }),
      event('2026-11-23T09:00:00Z', { class: 'WRITE', command: 'INSERT' }),
      event('2026-11-22T22:00:00Z', { class: 'DDL', command: 'ALTER TABLE' }), // the previous day
    ],
    (events) => events.slice(1, 2),
  );

  it('lists created, altered and dropped objects of both sources and clusters, a duplicate once', async () => {
    const rows = await f.run('schema-changes');
    expect(rows).toEqual(
      eventsIn(f.stored(), berlinDay)
        .filter((e) => e.class === 'DDL')
        .sort(inRunOrder)
        .map((e) => row(e, columns)),
    );
    expect(rows.map((r) => [r.command, r.objectname, r.sources])).toEqual([
      ['CREATE TABLE', 'public.orders', 'pgaudit'],
      ['DROP TABLE', 'public.t', 'das'],
    ]);
  });
});

describe('top-users and top-hosts', () => {
  const f = withFixture(
    () => [
      // alice: the earliest instant is '10:00:00Z' and the latest '12:00:00.250Z', the opposite of string order.
      event('2026-11-23T10:00:00.5Z', { user: 'alice', remoteHost: '10.0.0.5' }),
      event('2026-11-23T10:00:00Z', {
        user: 'alice',
        remoteHost: '10.0.0.6',
        source: 'pgaudit',
        auditType: 'SESSION',
      }),
      event('2026-11-23T12:00:00Z', { user: 'alice', remoteHost: '10.0.0.5', clusterId: CLUSTER_B }),
      event('2026-11-23T12:00:00.250Z', { user: 'alice', remoteHost: '10.0.0.5' }),
      event('2026-11-23T13:00:00Z', { user: 'bob', remoteHost: '10.0.0.6' }),
      event('2026-11-23T13:30:00Z', { user: 'bob', remoteHost: null }),
      event('2026-11-23T14:00:00Z', {
        user: null,
        remoteHost: '[local]',
        source: 'pgaudit',
        auditType: 'SESSION',
      }),
      event('2026-11-23T14:30:00Z', {
        user: null,
        remoteHost: '[local]',
        source: 'pgaudit',
        auditType: 'SESSION',
      }),
      // 55 users with one event each: only the top 50 rows are kept.
      ...Array.from({ length: 55 }, (_, i) =>
        event(`2026-11-23T15:${String(i).padStart(2, '0')}:00Z`, {
          user: `u${String(i).padStart(2, '0')}`,
          remoteHost: `192.0.2.${i}`,
          clusterId: CLUSTER_B,
        }),
      ),
      event('2026-11-24T10:00:00Z', { user: 'zed', remoteHost: '10.9.9.9' }), // after the period
    ],
    (events) => events.slice(4, 5),
  );

  /** Per key: events, distinct values of another field, first and last stored time by instant. */
  function ranking(key: (e: AuditEvent) => string | null, other: (e: AuditEvent) => string | null) {
    const groups = new Map<string, AuditEvent[]>();
    for (const e of eventsIn(f.stored(), berlinDay)) {
      const k = key(e);
      if (k !== null) groups.set(k, [...(groups.get(k) ?? []), e]);
    }
    return [...groups]
      .map(([k, es]) => {
        const sorted = [...es].sort(byTimeThenId);
        return {
          key: k,
          events: String(es.length),
          distinct: String(new Set(es.map(other).filter((v) => v !== null)).size),
          first_seen: sorted[0]?.time,
          last_seen: sorted[sorted.length - 1]?.time,
        };
      })
      .sort((a, b) => Number(b.events) - Number(a.events) || compare(a.key, b.key))
      .slice(0, 50);
  }

  it('ranks users by statements (a duplicate once), with their number of hosts and first and last seen', async () => {
    const rows = await f.run('top-users');
    expect(rows).toEqual(
      ranking(
        (e) => e.user,
        (e) => e.remoteHost,
      ).map(({ key, events, distinct, first_seen, last_seen }) => ({
        user: key,
        statements: events,
        hosts: distinct,
        first_seen,
        last_seen,
      })),
    );
    expect(rows[0]).toEqual({
      user: 'alice',
      statements: '4',
      hosts: '2',
      first_seen: '2026-11-23T10:00:00Z',
      last_seen: '2026-11-23T12:00:00.250Z',
    });
    expect(rows).toHaveLength(50);
    expect(rows[49]?.user).toBe('u47');
  });

  it('ranks client hosts by statements, with their number of users and first and last seen', async () => {
    const rows = await f.run('top-hosts');
    expect(rows).toEqual(
      ranking(
        (e) => e.remoteHost,
        (e) => e.user,
      ).map(({ key, events, distinct, first_seen, last_seen }) => ({
        remotehost: key,
        statements: events,
        users: distinct,
        first_seen,
        last_seen,
      })),
    );
    expect(rows.slice(0, 4).map((r) => [r.remotehost, r.statements, r.users])).toEqual([
      ['10.0.0.5', '3', '1'],
      ['10.0.0.6', '2', '2'],
      ['[local]', '2', '0'],
      ['192.0.2.0', '1', '1'],
    ]);
  });
});

describe('failures', () => {
  const columns =
    'time, cluster, user, database, class, command, exitcode, errormessage, remotehost, sources, commandtext';
  const f = withFixture(
    () => [
      event('2026-11-23T10:00:00Z', {
        source: 'pgaudit',
        clusterId: CLUSTER_B,
        class: 'CONNECT',
        command: 'AUTH FAILURE',
        user: 'mallory',
        commandText: null,
        exitCode: null,
        errorMessage: 'password authentication failed for user "mallory"',
        remoteHost: '203.0.113.9',
      }),
      event('2026-11-23T11:00:00Z', {
        user: 'carol',
        exitCode: '42P01',
        errorMessage: 'relation "nope" does not exist',
      }),
      event('2026-11-23T12:00:00Z', { user: 'carol', exitCode: '1', errorMessage: null }),
      event('2026-11-23T13:00:00Z', { user: 'ok', exitCode: '0', errorMessage: null }),
      event('2026-11-23T13:01:00Z', { user: 'ok', exitCode: '00000', errorMessage: null }),
      event('2026-11-23T13:02:00Z', {
        user: 'ok',
        source: 'pgaudit',
        auditType: 'SESSION',
        exitCode: null,
        errorMessage: null,
      }),
      event('2026-11-23T13:03:00Z', { user: 'ok', class: 'CONNECT', command: 'CONNECT', exitCode: '0' }),
      event('2026-11-22T12:00:00Z', {
        user: 'yesterday',
        exitCode: '42501',
        errorMessage: 'permission denied',
      }),
    ],
    (events) => events.slice(1, 2),
  );

  it('lists failed statements (error message or non-zero exit code) and failed logins, each once', async () => {
    const isLogin = (e: AuditEvent) => e.class === 'CONNECT' && e.command === 'AUTH FAILURE';
    const failed = (e: AuditEvent) =>
      isLogin(e) ||
      e.errorMessage !== null ||
      (e.exitCode !== null && e.exitCode !== '0' && e.exitCode !== '00000');
    const rows = await f.run('failures');
    expect(rows).toEqual(
      eventsIn(f.stored(), berlinDay)
        .filter(failed)
        .sort(inRunOrder)
        .map((e) => ({ failure: isLogin(e) ? 'login' : 'statement', ...row(e, columns) })),
    );
    expect(rows.map((r) => [r.failure, r.user, r.exitcode])).toEqual([
      ['login', 'mallory', null],
      ['statement', 'carol', '42P01'],
      ['statement', 'carol', '1'],
    ]);
  });
});

describe('audit-tampering', () => {
  const statements: [string | null, string][] = [
    ["ALTER ROLE app_user SET pgaudit.log = 'none'", 'ALTER ROLE'],
    ["alter database appdb set pgaudit.log to 'none'", 'ALTER DATABASE'],
    ["ALTER SYSTEM SET pgaudit.log = 'none'", 'ALTER SYSTEM'],
    ['DROP EXTENSION IF EXISTS "pgaudit"', 'DROP EXTENSION'],
    ["SET pgaudit.log = 'none'", 'SET'],
    ['ALTER ROLE app_user\n  RESET ALL', 'ALTER ROLE'],
    ["  set local pgaudit.log_level = 'debug5'", 'SET'],
    [null, 'ALTER SYSTEM'], // statement unknown: the command tag
    ["SELECT 'SET pgaudit.log = none'", 'SELECT'],
    ['ALTER ROLE app_user SET search_path = public', 'ALTER ROLE'],
    ['CREATE EXTENSION pgaudit', 'CREATE EXTENSION'],
    ['SHOW pgaudit.log', 'SHOW'],
    ['DROP EXTENSION pg_stat_statements', 'DROP EXTENSION'],
    [null, 'SET'],
  ];
  const f = withFixture(
    () => [
      ...statements.map(([commandText, command], i) =>
        event(`2026-11-23T10:${String(i).padStart(2, '0')}:00Z`, {
          class: 'MISC',
          command,
          commandText,
          source: i % 2 === 0 ? 'das' : 'pgaudit',
          clusterId: i % 3 === 0 ? CLUSTER_B : CLUSTER_A,
        }),
      ),
      event('2026-11-24T10:00:00Z', { commandText: 'ALTER SYSTEM RESET ALL', command: 'ALTER SYSTEM' }), // later
    ],
    (events) => events.slice(0, 1),
  );

  it('finds the statements the audit-tampering rule matches, on the statement or else the command tag', async () => {
    // The alert rule, in JavaScript: an independent implementation of the same patterns.
    const rule = loadRules().rules.find((r) => r.name === 'audit-tampering');
    const pattern = new RegExp(rule?.match.commandTextPattern ?? 'no rule', 'i');
    const expected = eventsIn(f.stored(), berlinDay)
      .filter((e) => pattern.test(e.commandText ?? e.command))
      .sort(inRunOrder)
      .map((e) => row(e, 'time, cluster, user, database, command, remotehost, sources, commandtext'));
    expect(expected).toHaveLength(8);
    expect(await f.run('audit-tampering')).toEqual(expected);
  });
});

describe('activity-per-day', () => {
  // The week of 19–25 October 2026 in Berlin; summer time ends on Sunday the 25th (169 hours).
  const week = reportPeriod({ period: 'weekly' }, 'Europe/Berlin', new Date('2026-10-26T06:00:00Z'));
  const f = withFixture(
    () => [
      event('2026-10-18T21:59:59Z'), // Sunday 23:59:59 local: the week before
      event('2026-10-18T22:00:00Z'), // Monday 00:00 local
      event('2026-10-19T21:59:59.999Z', { source: 'pgaudit', auditType: 'SESSION' }), // Monday 23:59:59.999
      event('2026-10-19T22:00:00Z', { clusterId: CLUSTER_B }), // Tuesday 00:00
      event('2026-10-24T22:30:00Z'), // Sunday 00:30 CEST, in the UTC partition of Saturday
      event('2026-10-25T00:30:00Z', { source: 'pgaudit', auditType: 'SESSION' }), // Sunday 02:30 CEST
      event('2026-10-25T01:30:00Z', { source: 'pgaudit', auditType: 'SESSION' }), // Sunday 02:30 again, CET
      event('2026-10-25T22:59:59Z'), // Sunday 23:59:59 CET
      event('2026-10-25T23:00:00Z'), // Monday 26th: after the week
    ],
    (events) => events.slice(5, 6),
  );

  it('counts per local day of the time zone and per source, across the DST change', async () => {
    const localDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' });
    const expected = [
      ...countBy(eventsIn(f.stored(), week), (e) => `${localDate.format(new Date(e.time))}|${e.source}`),
    ]
      .map(([key, n]) => {
        const [date, source] = key.split('|');
        return { local_date: date, sources: source, statements: String(n) };
      })
      .sort(
        (a, b) =>
          compare(a.local_date ?? '', b.local_date ?? '') || compare(a.sources ?? '', b.sources ?? ''),
      );
    const rows = await f.run('activity-per-day', week);
    expect(rows).toEqual(expected);
    expect(rows.map((r) => [r.local_date, r.sources, r.statements])).toEqual([
      ['2026-10-19', 'das', '1'],
      ['2026-10-19', 'pgaudit', '1'],
      ['2026-10-20', 'das', '1'],
      ['2026-10-25', 'das', '2'],
      ['2026-10-25', 'pgaudit', '2'],
    ]);
  });
});

describe('first-seen', () => {
  const f = withFixture(
    () => [
      // Before the previous period (but in its first day partition): does not count as seen before.
      event('2026-11-21T22:59:59Z', { user: 'carol', remoteHost: '10.0.0.8' }),
      // The previous period (2026-11-22 in Berlin).
      event('2026-11-21T23:00:00Z', { user: 'erin', remoteHost: '10.0.0.7' }),
      event('2026-11-22T10:00:00Z', { user: 'alice', remoteHost: '10.0.0.5' }),
      event('2026-11-22T11:00:00Z', { user: 'bob', remoteHost: '10.0.0.9', clusterId: CLUSTER_B }),
      // The period.
      event('2026-11-22T23:00:00Z', { user: 'alice', remoteHost: '10.0.0.5' }),
      event('2026-11-23T08:00:00Z', { user: 'bob', remoteHost: '10.0.0.9' }),
      event('2026-11-23T09:00:00.5Z', { user: 'carol', remoteHost: '10.0.0.8' }),
      event('2026-11-23T09:00:00Z', {
        user: 'carol',
        remoteHost: '10.0.0.8',
        source: 'pgaudit',
        auditType: 'SESSION',
      }),
      event('2026-11-23T10:00:00Z', { user: 'dave', remoteHost: null, clusterId: CLUSTER_B }),
      event('2026-11-23T11:00:00Z', { user: 'mallory', remoteHost: '203.0.113.9', clusterId: CLUSTER_B }),
      event('2026-11-23T12:00:00Z', {
        user: null,
        remoteHost: '[local]',
        source: 'pgaudit',
        auditType: 'SESSION',
      }),
      event('2026-11-23T13:00:00Z', { user: 'erin', remoteHost: '10.0.0.7' }),
      event('2026-11-23T23:00:00Z', { user: 'zed', remoteHost: '10.9.9.9' }), // after the period
    ],
    (events) => [events[6], events[9]].filter((e) => e !== undefined),
  );

  /** Users and hosts of the period not seen in the previous period, with their first sighting and events. */
  function newcomers(cluster: string) {
    const before = eventsIn(f.stored(), berlinDay.previous, cluster);
    const during = eventsIn(f.stored(), berlinDay, cluster).sort(byTimeThenId);
    const rows: Record<string, unknown>[] = [];
    for (const [kind, of] of [
      ['host', (e: AuditEvent) => e.remoteHost],
      ['user', (e: AuditEvent) => e.user],
    ] as const) {
      const known = new Set(before.map(of));
      const values = [...new Set(during.map(of))].filter((v): v is string => v !== null && !known.has(v));
      for (const value of values.sort(compare)) {
        const sightings = during.filter((e) => of(e) === value);
        rows.push({ kind, value, first_seen: sightings[0]?.time, statements: String(sightings.length) });
      }
    }
    return rows;
  }

  it('lists users and hosts not seen in the previous period of equal length, with the first sighting', async () => {
    const rows = await f.run('first-seen');
    expect(rows).toEqual(newcomers('*'));
    expect(rows.map((r) => `${r.kind}:${r.value}`)).toEqual([
      'host:10.0.0.8',
      'host:203.0.113.9',
      'host:[local]',
      'user:carol',
      'user:dave',
      'user:mallory',
    ]);
    expect(rows.find((r) => r.value === 'carol')).toEqual({
      kind: 'user',
      value: 'carol',
      first_seen: '2026-11-23T09:00:00Z',
      statements: '2',
    });
  });

  it('compares within one cluster when given its id', async () => {
    const rows = await f.run('first-seen', berlinDay, CLUSTER_A);
    expect(rows).toEqual(newcomers(CLUSTER_A));
    // bob was seen the day before, but on the other cluster.
    expect(rows.map((r) => `${r.kind}:${r.value}`)).toContain('user:bob');
  });
});

describe('an empty period', () => {
  // Events the UTC day before and after 2026-11-25, none on it.
  const f = withFixture(() => [
    event('2026-11-24T23:59:59.999Z', { class: 'ROLE', command: 'GRANT', exitCode: '1' }),
    event('2026-11-26T00:00:00Z', {
      class: 'DDL',
      command: 'DROP TABLE',
      commandText: 'ALTER SYSTEM SET x = 1',
    }),
  ]);
  const day = reportPeriod({ from: '2026-11-25', to: '2026-11-25' }, 'UTC');

  it.each(REPORT_QUERIES.map((q) => q.name))('gives %s no rows', async (name) => {
    expect(await f.run(name, day)).toEqual([]);
  });

  it('still sees the neighbouring days (the fixture is not empty)', async () => {
    const around = reportPeriod({ from: '2026-11-24', to: '2026-11-26' }, 'UTC');
    expect(await f.run('activity-by-class', around)).toHaveLength(2);
  });
});

describe('partition pruning', () => {
  // Events at three UTC hours of each day and cluster. The Berlin day 2026-11-23 is 2026-11-22T23:00Z to
  // 2026-11-23T23:00Z: it opens only the hour partitions inside that range (first-seen from the previous day's
  // start, 2026-11-21T23:00Z), not the whole UTC days 2026-11-22 and 2026-11-23.
  const HOUR_MS = 3_600_000;
  const f = withFixture(() =>
    ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24'].flatMap((day) =>
      [CLUSTER_A, CLUSTER_B].flatMap((clusterId) =>
        ['12:00:00', '22:30:00', '23:30:00'].map((time) => event(`${day}T${time}Z`, { clusterId })),
      ),
    ),
  );

  it.each(REPORT_QUERIES.map((q) => [q.name, q.parameters[0]]))(
    'makes %s open only the hour partitions of the period (from its %s) and of the cluster',
    async (name, first) => {
      const start = Date.parse(first === 'previousFirstDay' ? berlinDay.previous.start : berlinDay.start);
      const end = Date.parse(berlinDay.end);
      for (const cluster of ['*', CLUSTER_A]) {
        const expected = f
          .events()
          .filter((e) => {
            const hourStart = Math.floor(Date.parse(e.time) / HOUR_MS) * HOUR_MS;
            return (
              hourStart < end && hourStart + HOUR_MS > start && (cluster === '*' || e.clusterId === cluster)
            );
          })
          .map((e) => `cluster=${e.clusterId}/day=${e.time.slice(0, 10)}/hour=${e.time.slice(11, 13)}`)
          .sort();
        const opened = (await f.filesRead(name, berlinDay, cluster)).map((file) =>
          file.replace(/^.*\/events\/(cluster=[^/]+\/day=[^/]+\/hour=[^/]+)\/.*$/, '$1'),
        );
        expect(opened).toEqual(expected);
        // The hour before the start (22:00Z, which holds an event) is not read, though its UTC day is.
        const before = new Date(start - HOUR_MS).toISOString();
        expect(
          opened.some((p) => p.endsWith(`day=${before.slice(0, 10)}/hour=${before.slice(11, 13)}`)),
        ).toBe(false);
      }
    },
  );
});

describe('statements seen by both sources', () => {
  /**
   * The workload: statements, each with the sources that saw it and how each source reported it. The
   * expected rows come from this plan (which event is whose twin is known by construction), never from the
   * pairing code.
   */
  interface Planned {
    readonly seenBy: 'das' | 'pgaudit' | 'das,pgaudit';
    readonly class: string;
    readonly command: string;
    readonly text: string;
    /** The activity stream's time (µs); pgAudit's is its whole second. */
    readonly at: string;
    readonly pid: number;
    readonly statementId: number;
    /** pgAudit's view where it differs from the stream's (ids, text, command tag, user case). */
    readonly pg?: Partial<AuditEventInput>;
    /** pgAudit's extra entries for the same statement (one per relation, SESSION and OBJECT). */
    readonly pgEntries?: number;
    /** Stored before the statementKey field existed. */
    readonly legacy?: boolean;
  }
  const day = '2026-11-23T08:';
  const plan: Planned[] = [
    // Ids and text agree.
    {
      seenBy: 'das,pgaudit',
      class: 'ROLE',
      command: 'GRANT',
      text: 'GRANT SELECT ON orders TO bob',
      at: `${day}00:00.400123Z`,
      pid: 100,
      statementId: 2,
    },
    // The ids disagree (their equality across sources is unverified): the text pairs them.
    {
      seenBy: 'das,pgaudit',
      class: 'ROLE',
      command: 'REVOKE',
      text: 'REVOKE INSERT ON orders FROM bob',
      at: `${day}01:00.2Z`,
      pid: 100,
      statementId: 3,
      pg: { statementId: 7, commandText: 'REVOKE INSERT ON orders\n  FROM bob;', user: 'APP_USER' },
    },
    // The texts differ (pgAudit cuts after PASSWORD <REDACTED>): the ids pair them.
    {
      seenBy: 'das,pgaudit',
      class: 'ROLE',
      command: 'ALTER ROLE',
      text: "ALTER ROLE bob PASSWORD '<REDACTED>' VALID UNTIL 'infinity'",
      at: `${day}02:00.3Z`,
      pid: 100,
      statementId: 4,
      pg: { commandText: 'ALTER ROLE bob PASSWORD <REDACTED>' },
    },
    // Two grants of one session, ids offset by one between the sources: the second's stream id equals the
    // first's pgAudit id (same pid, user, database, command); the texts decide.
    {
      seenBy: 'das,pgaudit',
      class: 'ROLE',
      command: 'GRANT',
      text: 'GRANT SELECT ON a TO bob',
      at: `${day}03:00.1Z`,
      pid: 200,
      statementId: 3,
      pg: { statementId: 4 },
    },
    {
      seenBy: 'das,pgaudit',
      class: 'ROLE',
      command: 'GRANT',
      text: 'GRANT SELECT ON b TO bob',
      at: `${day}03:00.2Z`,
      pid: 200,
      statementId: 4,
      pg: { statementId: 5 },
    },
    // One statement run twice in a session across a second boundary (pgAudit: whole seconds).
    {
      seenBy: 'das,pgaudit',
      class: 'ROLE',
      command: 'GRANT',
      text: 'GRANT SELECT ON c TO bob',
      at: `${day}04:00.9Z`,
      pid: 300,
      statementId: 2,
    },
    {
      seenBy: 'das,pgaudit',
      class: 'ROLE',
      command: 'GRANT',
      text: 'GRANT SELECT ON c TO bob',
      at: `${day}04:01.1Z`,
      pid: 300,
      statementId: 3,
    },
    // A role grant: pgAudit's tag is GRANT ROLE.
    {
      seenBy: 'das,pgaudit',
      class: 'ROLE',
      command: 'GRANT',
      text: 'GRANT app_user TO bob',
      at: `${day}05:00.5Z`,
      pid: 300,
      statementId: 4,
      pg: { command: 'GRANT ROLE' },
    },
    // Seen by one source only.
    {
      seenBy: 'das',
      class: 'ROLE',
      command: 'GRANT',
      text: 'GRANT ALL ON orders TO mallory',
      at: `${day}06:00.5Z`,
      pid: 400,
      statementId: 3,
    },
    {
      seenBy: 'pgaudit',
      class: 'DDL',
      command: 'CREATE TABLE',
      text: 'CREATE TABLE t (id int)',
      at: `${day}07:00.5Z`,
      pid: 400,
      statementId: 4,
      pgEntries: 2,
    },
    // Stored before statementKey existed, by both sources: still one statement; and one of the stream alone.
    {
      seenBy: 'das,pgaudit',
      class: 'ROLE',
      command: 'GRANT',
      text: 'GRANT SELECT ON old TO bob',
      at: `${day}08:00.5Z`,
      pid: 500,
      statementId: 2,
      legacy: true,
      pg: { statementId: 9 },
    },
    {
      seenBy: 'das',
      class: 'DDL',
      command: 'DROP TABLE',
      text: 'DROP TABLE old',
      at: `${day}09:00.5Z`,
      pid: 500,
      statementId: 3,
      legacy: true,
    },
  ];

  function entries(p: Planned): { das?: AuditEvent; pg: AuditEvent[] } {
    const common = {
      class: p.class,
      command: p.command,
      commandText: p.text,
      pid: p.pid,
      statementId: p.statementId,
      substatementId: 1,
    };
    const das = p.seenBy.includes('das') ? event(p.at, { ...common, source: 'das' }) : undefined;
    const second = `${p.at.slice(0, 19)}Z`;
    const pg = p.seenBy.includes('pgaudit')
      ? Array.from({ length: p.pgEntries ?? 1 }, (_, i) =>
          event(second, {
            ...common,
            source: 'pgaudit',
            auditType: i === 0 ? 'SESSION' : 'OBJECT',
            instanceId: 'orders-db-1',
            sessionId: null,
            exitCode: null,
            clientApplication: null,
            ...p.pg,
          }),
        )
      : [];
    return { das, pg };
  }
  const built = plan.map((p) => ({ plan: p, ...entries(p) }));
  const stored = (e: AuditEvent, legacy?: boolean): AuditEvent => {
    if (!legacy) return e;
    const { statementKey: _absent, ...older } = e;
    return older as AuditEvent;
  };

  const f = withFixture(() =>
    built.flatMap((b) => [...(b.das ? [b.das] : []), ...b.pg].map((e) => stored(e, b.plan.legacy))),
  );

  /** The row of a planned statement: as the stream reported it when it saw it, else pgAudit's first entry. */
  const shown = (b: (typeof built)[number]) => (b.das ?? b.pg[0]) as AuditEvent;

  it('stores what the plan says, the older lines without statementKey', () => {
    const lines = f.events();
    expect(lines).toHaveLength(22); // 9 statements of both sources, 2 of the stream, 1 of pgAudit in 2 entries
    expect(lines.filter((e) => !('statementKey' in e))).toHaveLength(3);
  });

  it('lists each privilege change once, with the sources that saw it', async () => {
    const columns =
      'time, cluster, user, database, command, objecttype, objectname, remotehost, clientapplication, sources, commandtext';
    const expected = built
      .filter((b) => b.plan.class === 'ROLE')
      .sort((a, b) => inRunOrder(shown(a), shown(b)))
      .map((b) => ({ ...row(shown(b), columns), sources: b.plan.seenBy }));
    const rows = await f.run('privilege-changes');
    expect(rows).toEqual(expected);
    expect(rows).toHaveLength(10);
    expect(rows.filter((r) => r.sources === 'das,pgaudit')).toHaveLength(9);
  });

  it('counts statements, not entries, per class and sources', async () => {
    const expected = [...countBy(plan, (p) => `${p.class}|${p.seenBy}`)]
      .map(([key, n]) => {
        const [cls, sources] = key.split('|');
        return { class: cls, sources, statements: String(n) };
      })
      .sort(
        (a, b) =>
          Number(b.statements) - Number(a.statements) ||
          compare(a.class ?? '', b.class ?? '') ||
          compare(a.sources ?? '', b.sources ?? ''),
      );
    expect(await f.run('activity-by-class')).toEqual(expected);
  });

  it('counts a user’s statements once whatever number of sources saw them', async () => {
    const rows = await f.run('top-users');
    expect(rows.map((r) => [r.user, r.statements])).toEqual([['app_user', String(plan.length)]]);
  });
});

describe('coverage-gaps', () => {
  /**
   * The workload on cluster A (both sources on): a session that silences pgAudit then grants (the stream
   * alone sees the GRANT), a DDL statement while the stream was stopped (pgAudit alone), a statement both
   * saw, a read pgAudit does not log (not a reconciled class), and a DDL statement pgAudit's configuration
   * does not cover for that user. Cluster B has the stream only: never a gap.
   */
  interface Planned {
    readonly cluster: string;
    readonly seenBy: 'das' | 'pgaudit' | 'das,pgaudit';
    readonly class: string;
    readonly command: string;
    readonly text: string;
    readonly at: string;
    readonly pid: number;
    readonly statementId: number;
    /** The expected cause, for the gaps. */
    readonly cause?: 'stream' | 'silenced' | 'configuration';
  }
  const plan: Planned[] = [
    {
      cluster: CLUSTER_A,
      seenBy: 'das,pgaudit',
      class: 'ROLE',
      command: 'GRANT',
      text: 'GRANT SELECT ON a TO bob',
      at: '2026-11-23T08:00:00.5Z',
      pid: 10,
      statementId: 2,
    },
    {
      cluster: CLUSTER_A,
      seenBy: 'das,pgaudit',
      class: 'MISC_SET',
      command: 'SET',
      text: "SET pgaudit.log = 'none'",
      at: '2026-11-23T08:01:00.5Z',
      pid: 20,
      statementId: 2,
    },
    {
      cluster: CLUSTER_A,
      seenBy: 'das',
      class: 'ROLE',
      command: 'GRANT',
      text: 'GRANT app_user TO mallory',
      at: '2026-11-23T08:01:01.5Z',
      pid: 20,
      statementId: 3,
      cause: 'silenced',
    },
    {
      cluster: CLUSTER_A,
      seenBy: 'pgaudit',
      class: 'DDL',
      command: 'DROP TABLE',
      text: 'DROP TABLE audit_me',
      at: '2026-11-23T09:00:00.5Z',
      pid: 30,
      statementId: 2,
      cause: 'stream',
    },
    {
      cluster: CLUSTER_A,
      seenBy: 'das',
      class: 'READ',
      command: 'SELECT',
      text: 'SELECT 1',
      at: '2026-11-23T09:30:00.5Z',
      pid: 30,
      statementId: 3,
    },
    {
      cluster: CLUSTER_A,
      seenBy: 'das',
      class: 'DDL',
      command: 'CREATE TABLE',
      text: 'CREATE TABLE quiet (id int)',
      at: '2026-11-23T10:00:00.5Z',
      pid: 40,
      statementId: 2,
      cause: 'configuration',
    },
    {
      cluster: CLUSTER_B,
      seenBy: 'das',
      class: 'ROLE',
      command: 'GRANT',
      text: 'GRANT SELECT ON b TO bob',
      at: '2026-11-23T11:00:00.5Z',
      pid: 50,
      statementId: 2,
    },
  ];
  const built = plan.map((p) => {
    const common = {
      clusterId: p.cluster,
      class: p.class,
      command: p.command,
      commandText: p.text,
      pid: p.pid,
      statementId: p.statementId,
      substatementId: 1,
    };
    const das = p.seenBy.includes('das') ? event(p.at, { ...common, source: 'das' }) : undefined;
    const pg = p.seenBy.includes('pgaudit')
      ? event(`${p.at.slice(0, 19)}Z`, {
          ...common,
          source: 'pgaudit',
          auditType: 'SESSION',
          sessionId: null,
          exitCode: null,
          clientApplication: null,
        })
      : undefined;
    return { plan: p, das, pg };
  });
  const f = withFixture(() =>
    built.flatMap((b) => [b.das, b.pg].filter((e): e is AuditEvent => e !== undefined)),
  );

  it('lists the reconciled statements one source missed, on clusters with both sources, with the likely cause', async () => {
    const rows = await f.run('coverage-gaps');
    const gaps = built.filter((b) => b.plan.cause !== undefined);
    expect(
      rows.map((r) => [r.cluster, r.class, r.command, r.sources, r.missing_from, r.commandtext]),
    ).toEqual(
      gaps.map((b) => [
        b.plan.cluster,
        b.plan.class,
        b.plan.command,
        b.plan.seenBy,
        b.plan.seenBy === 'das' ? 'pgaudit' : 'das',
        b.plan.text,
      ]),
    );
    expect(rows.map((r) => r.time)).toEqual(gaps.map((b) => (b.das ?? b.pg)?.time));
    const cause = {
      stream: /^The activity stream did not report it/,
      silenced: /^pgAudit was switched off in this session/,
      configuration: /^pgAudit did not log it/,
    };
    rows.forEach((r, i) => {
      const expected = gaps[i]?.plan.cause;
      expect(expected).toBeDefined();
      expect(r.likely_cause).toMatch(cause[expected ?? 'stream']);
    });
  });

  it('finds nothing on one cluster of the stream alone', async () => {
    expect(await f.run('coverage-gaps', berlinDay, CLUSTER_B)).toEqual([]);
  });

  it('reconciles the configured classes (alerts.coverage.classes), not a fixed set', async () => {
    const classes = ['ROLE', 'READ'];
    const rows = await f.run('coverage-gaps', berlinDay, '*', classes);
    const expected = built.filter(
      (b) =>
        b.plan.cluster === CLUSTER_A && b.plan.seenBy !== 'das,pgaudit' && classes.includes(b.plan.class),
    );
    expect(expected.map((b) => b.plan.class)).toEqual(['ROLE', 'READ']);
    expect(rows.map((r) => [r.class, r.command, r.sources, r.commandtext])).toEqual(
      expected.map((b) => [b.plan.class, b.plan.command, b.plan.seenBy, b.plan.text]),
    );
    // The DDL statements one source missed are not listed: DDL is not reconciled in this configuration.
    expect(rows.some((r) => r.class === 'DDL')).toBe(false);
  });

  it('lists nothing when the coverage check is off (no reconciled classes)', async () => {
    expect(await f.run('coverage-gaps', berlinDay, '*', [])).toEqual([]);
    const ddlGaps = built.filter(
      (b) => b.plan.cluster === CLUSTER_A && b.plan.seenBy !== 'das,pgaudit' && b.plan.class === 'DDL',
    );
    expect(ddlGaps.length).toBeGreaterThan(0);
    expect((await f.run('coverage-gaps', berlinDay, '*', ['DDL'])).map((r) => r.commandtext)).toEqual(
      ddlGaps.map((b) => b.plan.text),
    );
  });
});
