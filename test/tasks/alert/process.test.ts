import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoTable } from '../../../cli/local/dynamodb-table';
import { auditEvent } from '../../../cli/local/records/audit-event';
import { subscriptionEvent } from '../../../cli/local/records/logs-subscription';
import { type AlertDeps, createAlertProcessor } from '../../../tasks/alert/process';
import { AlertStore, DUE_INDEX, type RuleMatch } from '../../../tasks/alert/store';
import { alertLine } from '../../../tasks/core/alert-lines';
import type { SnsNotification } from '../../../tasks/core/alerts/notification';
import type { AuditEvent } from '../../../tasks/core/audit-event';

const DECRYPT_LOG_GROUP = '/aws/lambda/aurora-audit-decrypt';
const CLUSTER = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const silentLogger = {
  info: () => {},
  warn: () => {},
  error: () => {},
  debug: () => {},
} as unknown as Logger;

/** The privilege-change rule, as the default rules define it, with a small limit for the tests. */
const privilegeRule =
  (limit = 10, windowSeconds = 3600) =>
  (event: AuditEvent): RuleMatch[] =>
    event.class === 'ROLE' ? [{ rule: 'privilege-changes', severity: 'HIGH', limit, windowSeconds }] : [];

interface World {
  quarantined: { reason: string; raw: string }[];
  table: DynamoTable;
  sent: SnsNotification[];
  archived: AuditEvent[];
  clock: { now: number };
  publishFailures: number;
  processor: ReturnType<typeof createAlertProcessor>;
}

function world(overrides: Partial<AlertDeps> = {}, holdMs = 0): World {
  const table = new DynamoTable('pk', [{ name: DUE_INDEX, partitionKey: 'dueKey', sortKey: 'dueAt' }]);
  const w = {
    table,
    sent: [],
    archived: [],
    quarantined: [],
    clock: { now: Date.parse('2026-11-24T10:00:30Z') },
    publishFailures: 0,
  } as unknown as World;
  const store = new AlertStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), {
    tableName: 'alerts',
    holdMs,
    correlationWindowMs: 10_000,
    claimTimeoutMs: 300_000,
    retentionSeconds: 7 * 86400,
  });
  w.processor = createAlertProcessor({
    store,
    publish: async (n) => {
      if (w.publishFailures > 0) {
        w.publishFailures--;
        throw Object.assign(new Error('SNS is down'), { name: 'InternalErrorException' });
      }
      w.sent.push(n);
    },
    archive: async (events) => {
      w.archived.push(...events);
      return { failedOwners: new Set(), errors: [] };
    },
    match: privilegeRule(),
    parsePgAudit: () => [],
    quarantine: async (entry) => {
      w.quarantined.push(entry);
    },
    decryptLogGroup: DECRYPT_LOG_GROUP,
    clusters: [{ identifier: 'orders-db', resourceId: CLUSTER, silentInstances: new Set(['db-SILENT']) }],
    subjectPrefix: 'aurora-audit',
    table: 'aurora_audit.audit_events',
    digestGraceMs: 60_000,
    now: () => w.clock.now,
    logger: silentLogger,
    ...overrides,
  });
  return w;
}

afterEach(() => jest.restoreAllMocks());

const dasPayload = (events: AuditEvent[]) =>
  subscriptionEvent(
    events.map((e) => alertLine(e).trim()),
    { logGroup: DECRYPT_LOG_GROUP },
  );

describe('the alert processor', () => {
  let w: World;
  afterEach(() => w?.table.restore());

  it("sends one email for a privilege change read from the decrypt Lambda's log", async () => {
    w = world();
    const grant = auditEvent({ class: 'ROLE', command: 'GRANT', user: 'app_user' });
    const result = await w.processor.handleSubscription(
      dasPayload([grant, auditEvent({ class: 'READ', command: 'SELECT' })]),
    );
    expect(result).toMatchObject({ events: 2, matches: 1, alertsSent: 1 });
    expect(w.sent).toHaveLength(1);
    expect(w.sent[0]?.subject).toBe('[aurora-audit] HIGH privilege-changes on orders-db: app_user GRANT');
    expect(w.sent[0]?.attributes).toEqual({
      severity: 'HIGH',
      rule: 'privilege-changes',
      rules: ['privilege-changes'],
      cluster: CLUSTER,
      source: 'das',
    });
    expect(w.sent[0]?.message).toContain(`Event id: ${grant.id}`);
  });

  it("ignores the decrypt Lambda's own log lines and control messages", async () => {
    w = world();
    await w.processor.handleSubscription(
      subscriptionEvent(['START RequestId: 1', '{"level":"INFO","message":"batch processed"}'], {
        logGroup: DECRYPT_LOG_GROUP,
      }),
    );
    await w.processor.handleSubscription(
      subscriptionEvent([], { logGroup: DECRYPT_LOG_GROUP, messageType: 'CONTROL_MESSAGE' }),
    );
    expect(w.sent).toEqual([]);
  });

  it('sends no second email when the same payload is delivered again', async () => {
    w = world();
    const payload = dasPayload([auditEvent({ class: 'ROLE' })]);
    await w.processor.handleSubscription(payload);
    const again = await w.processor.handleSubscription(payload);
    expect(again.outcomes).toEqual({ duplicate: 1 });
    expect(w.sent).toHaveLength(1);
  });

  it('still sends the alert after SNS failed once, and only once', async () => {
    w = world();
    w.publishFailures = 1;
    const first = await w.processor.handleSubscription(dasPayload([auditEvent({ class: 'ROLE' })]));
    expect(first.publishFailures).toBe(1);
    expect(w.sent).toHaveLength(0);
    await w.processor.flush();
    await w.processor.flush();
    expect(w.sent).toHaveLength(1);
  });

  it('sends one email naming both sources when both report the same GRANT', async () => {
    w = world({}, 60_000);
    const das = auditEvent({
      source: 'das',
      class: 'ROLE',
      command: 'GRANT',
      time: '2026-11-24T10:00:00.120000Z',
    });
    const pg = auditEvent({
      source: 'pgaudit',
      class: 'ROLE',
      command: 'GRANT',
      time: '2026-11-24T10:00:01Z',
      sessionId: null,
      auditType: 'SESSION',
    });
    await w.processor.handleSubscription(dasPayload([das]));
    const pgWorld = await w.processor.handleSubscription(dasPayload([pg]));
    expect(pgWorld.outcomes).toEqual({ joined: 1 });
    expect(w.sent).toHaveLength(0); // still in the correlation hold
    w.clock.now += 61_000;
    await w.processor.flush();
    expect(w.sent).toHaveLength(1);
    expect(w.sent[0]?.attributes.source).toBe('das,pgaudit');
    expect(w.sent[0]?.message).toContain('Seen by: Database Activity Streams and pgAudit');
    expect(w.sent[0]?.message).toContain(`Same statement, other source: ${pg.id}`);
  });

  it('keeps a burst of 10,000 matches to a bounded number of emails and accounts for every one in digests', async () => {
    w = world({ match: privilegeRule(10, 3600) });
    const events = Array.from({ length: 10_000 }, (_, i) =>
      auditEvent({
        class: 'ROLE',
        command: 'GRANT',
        statementId: i,
        commandText: `GRANT SELECT ON t${i} TO u`,
      }),
    );
    for (let i = 0; i < events.length; i += 500)
      await w.processor.handleSubscription(dasPayload(events.slice(i, i + 500)));
    expect(w.sent).toHaveLength(10);
    // The window closes; the scheduled flush sends the digest.
    w.clock.now = Date.parse('2026-11-24T11:01:01Z');
    const flushed = await w.processor.flush();
    expect(flushed.digestsSent).toBe(1);
    const digest = w.sent[10]!;
    expect(digest.subject).toBe(
      '[aurora-audit] HIGH privilege-changes on orders-db: 9990 more statements suppressed',
    );
    expect(digest.attributes.source).toBe('digest');
    expect(digest.message).toMatch(/^9990 more statements matching rule "privilege-changes"/);
    expect(w.sent).toHaveLength(11);
  }, 60_000);

  it('does not send a digest before its window has closed', async () => {
    w = world({ match: privilegeRule(1, 3600) });
    await w.processor.handleSubscription(
      dasPayload([
        auditEvent({ class: 'ROLE', statementId: 1 }),
        auditEvent({ class: 'ROLE', statementId: 2, commandText: 'GRANT x' }),
      ]),
    );
    expect(w.sent).toHaveLength(1);
    w.clock.now = Date.parse('2026-11-24T10:59:00Z');
    expect((await w.processor.flush()).digestsSent).toBe(0);
    w.clock.now = Date.parse('2026-11-24T11:01:00Z');
    expect((await w.processor.flush()).digestsSent).toBe(1);
    expect((await w.processor.flush()).digestsSent).toBe(0);
  });

  it('archives pgAudit events to Firehose and alerts on them', async () => {
    const pgEvent = auditEvent({ source: 'pgaudit', class: 'ROLE', command: 'REVOKE', clusterId: CLUSTER });
    const parse = jest.fn(() => [pgEvent]);
    w = world({ parsePgAudit: parse });
    await w.processor.handleSubscription(
      subscriptionEvent(['2026-11-24 10:00:00 UTC:10.0.0.5(51234):app_user@appdb:[4242]:LOG:  AUDIT: …'], {
        logGroup: '/aws/rds/cluster/orders-db/postgresql',
        logStream: 'orders-db-instance-1',
      }),
    );
    expect(parse).toHaveBeenCalledWith(
      expect.stringContaining('AUDIT:'),
      { clusterId: CLUSTER, instanceId: 'orders-db-instance-1' },
      expect.any(Function),
    );
    expect(w.archived).toEqual([pgEvent]);
    expect(w.sent).toHaveLength(1);
  });

  it('fails the invocation when Firehose refuses pgAudit events, so Lambda retries it', async () => {
    w = world({
      parsePgAudit: () => [auditEvent({ source: 'pgaudit' })],
      archive: async () => ({
        failedOwners: new Set([0]),
        errors: ['ServiceUnavailableException: slow down'],
      }),
    });
    await expect(
      w.processor.handleSubscription(
        subscriptionEvent(['x'], { logGroup: '/aws/rds/cluster/orders-db/postgresql' }),
      ),
    ).rejects.toThrow('Firehose refused 1 of 1 pgAudit events');
  });

  it('archives but does not alert on instances configured silent', async () => {
    w = world();
    await w.processor.handleSubscription(
      dasPayload([auditEvent({ class: 'ROLE', instanceId: 'db-SILENT' })]),
    );
    expect(w.sent).toEqual([]);
  });
});

describe('unreadable pgAudit entries', () => {
  it('are quarantined with their text and the reason, and the rest is still processed', async () => {
    const good = auditEvent({ source: 'pgaudit', class: 'ROLE', command: 'GRANT' });
    const w = world({
      parsePgAudit: (message, _ctx, onError) => {
        if (message.includes('broken')) {
          onError('InvalidAuditEntryError: AUDIT CSV: Quote Not Closed', message);
          return [];
        }
        return [good];
      },
    });
    try {
      const result = await w.processor.handleSubscription(
        subscriptionEvent(['… AUDIT: broken "', '… AUDIT: fine'], {
          logGroup: '/aws/rds/cluster/orders-db/postgresql',
          logStream: 'i-1',
        }),
      );
      expect(result).toMatchObject({ events: 1, quarantined: 1, archived: 1 });
      expect(w.quarantined).toEqual([
        expect.objectContaining({
          reason: 'InvalidAuditEntryError: AUDIT CSV: Quote Not Closed',
          raw: '… AUDIT: broken "',
          logStream: 'i-1',
        }),
      ]);
    } finally {
      w.table.restore();
    }
  });
});

describe('one email per statement', () => {
  let w: World;
  afterEach(() => w?.table.restore());

  /** The built-in privilege-changes and audit-tampering rules, with small limits. */
  const twoRules =
    (limit = 10) =>
    (event: AuditEvent): RuleMatch[] => [
      ...(event.class === 'ROLE'
        ? [{ rule: 'privilege-changes', severity: 'HIGH', limit, windowSeconds: 3600 }]
        : []),
      ...(/pgaudit\./i.test(event.commandText ?? '')
        ? [{ rule: 'audit-tampering', severity: 'CRITICAL', limit, windowSeconds: 3600 }]
        : []),
    ];
  const tamper = (overrides: Partial<AuditEvent> = {}) =>
    auditEvent({
      class: 'ROLE',
      command: 'ALTER ROLE',
      user: 'postgres',
      commandText: "ALTER ROLE app_user SET pgaudit.log = 'none'",
      ...overrides,
    });

  it('sends one email naming the highest severity and how many rules matched, listing every rule', async () => {
    w = world({ match: twoRules() });
    const result = await w.processor.handleSubscription(dasPayload([tamper()]));
    expect(result).toMatchObject({ events: 1, matches: 2, alertsSent: 1, outcomes: { new: 1 } });
    expect(w.sent).toHaveLength(1);
    expect(w.sent[0]?.subject).toBe(
      '[aurora-audit] CRITICAL 2 rules: audit-tampering,privilege-changes on orders-db: postgres ALTER ROLE',
    );
    expect(w.sent[0]?.message.split('\n').slice(0, 5)).toEqual([
      'CRITICAL: 2 rules matched one statement on orders-db (cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ)',
      '',
      'Rules:',
      '  CRITICAL audit-tampering',
      '  HIGH     privilege-changes',
    ]);
    expect(w.sent[0]?.attributes).toMatchObject({
      severity: 'CRITICAL',
      rule: 'audit-tampering',
      rules: ['audit-tampering', 'privilege-changes'],
    });
  });

  it('merges the rules each source matched into the one email of the statement', async () => {
    // A rule only for pgAudit's report: the statement still makes one email, listing both rules.
    const match = (e: AuditEvent): RuleMatch[] =>
      e.source === 'pgaudit'
        ? [{ rule: 'audit-tampering', severity: 'CRITICAL', limit: 10, windowSeconds: 3600 }]
        : [{ rule: 'privilege-changes', severity: 'HIGH', limit: 10, windowSeconds: 3600 }];
    w = world({ match }, 60_000);
    await w.processor.handleSubscription(dasPayload([tamper({ time: '2026-11-24T10:00:00.250000Z' })]));
    const second = await w.processor.handleSubscription(
      dasPayload([tamper({ source: 'pgaudit', time: '2026-11-24T10:00:01Z', sessionId: null })]),
    );
    expect(second.outcomes).toEqual({ joined: 1 });
    w.clock.now += 61_000;
    await w.processor.flush();
    expect(w.sent.map((n) => [n.attributes.severity, n.attributes.rules, n.attributes.source])).toEqual([
      ['CRITICAL', ['audit-tampering', 'privilege-changes'], 'das,pgaudit'],
    ]);
  });

  it('counts statements, not events, against the limit and in the digest', async () => {
    // Three statements, each reported by both sources (six events), each matching two rules; limit 1.
    w = world({ match: twoRules(1) }, 60_000);
    const statements = [1, 2, 3].map((i) => ({
      das: tamper({ statementId: i, commandText: `ALTER ROLE u${i} SET pgaudit.log = 'none'` }),
      pg: tamper({
        source: 'pgaudit',
        statementId: i,
        sessionId: null,
        time: '2026-11-24T10:00:01Z',
        commandText: `ALTER ROLE u${i} SET pgaudit.log = 'none'`,
      }),
    }));
    await w.processor.handleSubscription(dasPayload(statements.map((s) => s.das)));
    const joined = await w.processor.handleSubscription(dasPayload(statements.map((s) => s.pg)));
    expect(joined.outcomes).toEqual({ joined: 3 });
    w.clock.now += 61_000;
    const flushed = await w.processor.flush();
    expect(flushed).toMatchObject({ alertsSent: 1, digested: 2 });
    w.clock.now = Date.parse('2026-11-24T11:01:01Z');
    await w.processor.flush();
    expect(w.sent.map((n) => n.subject)).toEqual([
      '[aurora-audit] CRITICAL 2 rules: audit-tampering,privilege-changes on orders-db: postgres ALTER ROLE',
      // The two other statements, once each, in the digest of their highest-severity rule.
      '[aurora-audit] CRITICAL audit-tampering on orders-db: 2 more statements suppressed',
    ]);
  });
});

describe('alerts pending at an upgrade', () => {
  it('are still sent when they were written one item per rule, before alerts listed their rules', async () => {
    const w = world();
    try {
      const grant = auditEvent({ class: 'ROLE', command: 'GRANT' });
      w.table.put({
        TableName: 'alerts',
        Item: {
          pk: 'alert#privilege-changes#0123456789abcdef0123456789abcdef#177697800',
          kind: 'alert',
          rule: 'privilege-changes',
          severity: 'HIGH',
          limit: 20,
          windowSeconds: 3600,
          event: grant,
          sources: new Set(['das']),
          ids: new Set([grant.id]),
          status: 'pending',
          dueKey: 'due',
          dueAt: w.clock.now - 1000,
          expiresAt: Math.floor(w.clock.now / 1000) + 86_400,
        },
      });
      expect(await w.processor.flush()).toMatchObject({ alertsSent: 1 });
      expect(w.sent.map((n) => n.subject)).toEqual([
        '[aurora-audit] HIGH privilege-changes on orders-db: app_user GRANT',
      ]);
    } finally {
      w.table.restore();
    }
  });
});

describe('the coverage check', () => {
  let w: World;
  afterEach(() => w?.table.restore());
  const GRACE = 900;
  const gapRule: RuleMatch = { rule: 'audit-coverage-gap', severity: 'HIGH', limit: 20, windowSeconds: 3600 };

  function coverageWorld(overrides: Partial<AlertDeps> = {}) {
    return world({
      match: () => [],
      matchCoverageGap: () => [gapRule],
      coverage: { classes: new Set(['ROLE', 'DDL']), graceSeconds: GRACE },
      clusters: [
        {
          identifier: 'orders-db',
          resourceId: CLUSTER,
          silentInstances: new Set(['db-SILENT']),
          coverageCheck: true,
        },
      ],
      ...overrides,
    });
  }
  const grant = (overrides: Partial<AuditEvent> = {}) =>
    auditEvent({ class: 'ROLE', command: 'GRANT', time: '2026-11-24T10:00:20.500000Z', ...overrides });
  const fromPgAudit = (e: AuditEvent) =>
    auditEvent({ ...e, source: 'pgaudit', time: `${e.time.slice(0, 19)}Z`, sessionId: null });
  const afterGrace = async () => {
    w.clock.now += (GRACE + 1) * 1000;
    return w.processor.flush();
  };

  it('alerts on a GRANT only the activity stream recorded, once the grace period has passed', async () => {
    w = coverageWorld();
    const result = await w.processor.handleSubscription(dasPayload([grant()]));
    expect(result.coverage).toEqual({ new: 1 });
    w.clock.now += (GRACE - 1) * 1000;
    expect((await w.processor.flush()).coverageGaps).toBe(0);
    expect(w.sent).toEqual([]);
    expect(await afterGrace()).toMatchObject({ coverageGaps: 1, alertsSent: 1 });
    expect(w.sent).toHaveLength(1);
    expect(w.sent[0]?.subject).toBe('[aurora-audit] HIGH audit-coverage-gap on orders-db: app_user GRANT');
    expect(w.sent[0]?.message).toContain(
      'Audit coverage gap: recorded by Database Activity Streams, not by pgAudit within 15 minutes.',
    );
    expect(w.sent[0]?.message).toContain("SET pgaudit.log = 'none'");
    expect(w.sent[0]?.attributes).toMatchObject({ rule: 'audit-coverage-gap', source: 'das' });
    expect(await afterGrace()).toMatchObject({ coverageGaps: 0, alertsSent: 0 });
  });

  it('alerts on pgAudit statements while the activity stream is stopped', async () => {
    w = coverageWorld();
    await w.processor.handleSubscription(
      dasPayload([
        fromPgAudit(grant()),
        fromPgAudit(grant({ class: 'DDL', command: 'CREATE TABLE', commandText: 'CREATE TABLE t (a int)' })),
      ]),
    );
    expect(await afterGrace()).toMatchObject({ coverageGaps: 2, alertsSent: 2 });
    for (const n of w.sent)
      expect(n.message).toContain(
        'Audit coverage gap: recorded by pgAudit, not by Database Activity Streams within 15 minutes.',
      );
  });

  it('pairs the two reports when their statement ids disagree (same text) or their texts do (same ids)', async () => {
    w = coverageWorld();
    const offsetIds = grant({ pid: 4242, statementId: 3 });
    const redacted = grant({
      class: 'ROLE',
      command: 'ALTER ROLE',
      pid: 4242,
      statementId: 4,
      commandText: "ALTER ROLE app_user_new PASSWORD 'x' VALID UNTIL '2027-01-01'",
    });
    await w.processor.handleSubscription(dasPayload([offsetIds, redacted]));
    const second = await w.processor.handleSubscription(
      dasPayload([
        fromPgAudit({ ...offsetIds, statementId: 7 }),
        fromPgAudit({ ...redacted, commandText: 'ALTER ROLE app_user_new PASSWORD <REDACTED>' }),
      ]),
    );
    expect(second.coverage).toEqual({ joined: 2 });
    expect(await afterGrace()).toMatchObject({ reconciled: 2, coverageGaps: 0 });
  });

  it('keeps two identical GRANTs of one session apart: their statement ids differ', async () => {
    w = coverageWorld();
    const first = grant({ statementId: 3 });
    const again = grant({ statementId: 4, time: '2026-11-24T10:00:21.100000Z' });
    const result = await w.processor.handleSubscription(dasPayload([first, again, fromPgAudit(first)]));
    expect(result.coverage).toEqual({ new: 2, joined: 1 });
    expect(await afterGrace()).toMatchObject({ reconciled: 1, coverageGaps: 1 });
  });

  it('finds nothing when both sources recorded the statement, in either order', async () => {
    w = coverageWorld();
    const das = grant();
    const create = grant({ class: 'DDL', command: 'CREATE TABLE', commandText: 'CREATE TABLE t (a int)' });
    await w.processor.handleSubscription(dasPayload([das, fromPgAudit(create)]));
    const second = await w.processor.handleSubscription(dasPayload([fromPgAudit(das), create]));
    expect(second.coverage).toEqual({ joined: 2 });
    expect(await afterGrace()).toMatchObject({ reconciled: 2, coverageGaps: 0 });
    expect(w.sent).toEqual([]);
  });

  it('sends no second alert when the missing report arrives after the gap was alerted', async () => {
    w = coverageWorld();
    const das = grant();
    await w.processor.handleSubscription(dasPayload([das]));
    await afterGrace();
    const late = await w.processor.handleSubscription(dasPayload([fromPgAudit(das)]));
    expect(late.coverage).toEqual({ covered: 1 });
    await afterGrace();
    expect(w.sent).toHaveLength(1);
  });

  it.each([
    ['a class that is not reconciled', { class: 'READ', command: 'SELECT', commandText: 'SELECT 1' }],
    ['a failed statement (pgAudit logs none)', { errorMessage: 'permission denied for table app_1' }],
    ['an instance excluded from alerts', { instanceId: 'db-SILENT' }],
    ['a cluster not in the configuration', { clusterId: 'cluster-OTHER' }],
  ])('does not reconcile %s', async (_what, overrides) => {
    w = coverageWorld();
    const result = await w.processor.handleSubscription(dasPayload([grant(overrides)]));
    expect(result.coverage).toEqual({});
    expect(await afterGrace()).toMatchObject({ coverageGaps: 0, reconciled: 0 });
  });

  it('does not reconcile a cluster whose coverage check is off', async () => {
    w = coverageWorld({
      clusters: [{ identifier: 'orders-db', resourceId: CLUSTER, silentInstances: new Set() }],
    });
    expect((await w.processor.handleSubscription(dasPayload([grant()]))).coverage).toEqual({});
  });

  it('records a gap no finding rule alerts on without an email', async () => {
    w = coverageWorld({ matchCoverageGap: () => [] });
    await w.processor.handleSubscription(dasPayload([grant()]));
    expect(await afterGrace()).toMatchObject({ coverageGaps: 0, gapsExcluded: 1 });
    expect(w.sent).toEqual([]);
  });

  it('keeps its state bounded: every coverage item expires within a day after its grace period', async () => {
    w = coverageWorld();
    const start = w.clock.now;
    const events = Array.from({ length: 50 }, (_, i) =>
      grant({ statementId: i, commandText: `GRANT SELECT ON t${i} TO u` }),
    );
    await w.processor.handleSubscription(dasPayload([...events, ...events.map(fromPgAudit)]));
    const coverageItems = [...w.table.items.values()].filter((i) => String(i.pk).startsWith('coverage#'));
    expect(coverageItems).toHaveLength(50); // one per statement, not per event
    await afterGrace();
    const latest = Math.max(
      ...[...w.table.items.values()]
        .filter((i) => String(i.pk).startsWith('coverage#'))
        .map((i) => Number(i.expiresAt)),
    );
    expect(latest).toBeLessThanOrEqual(Math.floor(start / 1000) + GRACE + 1 + 86_400);
  });
});

describe('identical statements from several sessions', () => {
  let w: World;
  afterEach(() => w?.table.restore());

  /** Sessions (backend pids) that each run the same statement within one correlation window. */
  const PIDS = [5001, 5002, 5003];
  const sessionGrant = (pid: number, i: number, overrides: Partial<AuditEvent> = {}) =>
    auditEvent({
      class: 'ROLE',
      command: 'GRANT',
      pid,
      sessionId: `5ce5f7f0.${pid.toString(16)}`,
      remotePort: String(40000 + pid),
      time: `2026-11-24T10:00:2${i}.250000Z`,
      ...overrides,
    });
  const pgTwin = (e: AuditEvent, overrides: Partial<AuditEvent> = {}) =>
    auditEvent({ ...e, source: 'pgaudit', time: `${e.time.slice(0, 19)}Z`, sessionId: null, ...overrides });

  it('sends one email per session when the statement carries no statement id', async () => {
    w = world();
    const grants = PIDS.map((pid, i) => sessionGrant(pid, i, { statementId: null, substatementId: null }));
    const result = await w.processor.handleSubscription(dasPayload(grants));
    expect(result.outcomes).toEqual({ new: PIDS.length });
    expect(w.sent).toHaveLength(PIDS.length);
    expect(w.sent.map((n) => n.message.match(/Event id: (\S+)/)?.[1]).sort()).toEqual(
      grants.map((g) => g.id).sort(),
    );
  });

  it('still takes a redelivered event of one session for the statement already recorded', async () => {
    w = world();
    const grants = PIDS.map((pid, i) => sessionGrant(pid, i, { statementId: null, substatementId: null }));
    await w.processor.handleSubscription(dasPayload(grants));
    const again = await w.processor.handleSubscription(dasPayload(grants));
    expect(again.outcomes).toEqual({ duplicate: PIDS.length });
    expect(w.sent).toHaveLength(PIDS.length);
  });

  it("pairs each session's report with its own twin from the other source, also when their ids disagree", async () => {
    w = world({}, 60_000);
    const das = PIDS.map((pid, i) => sessionGrant(pid, i));
    // pgAudit's statement ids offset from the activity stream's: only the text key and the pid pair them.
    const pg = das.map((e) => pgTwin(e, { statementId: 9 }));
    await w.processor.handleSubscription(dasPayload(das));
    const second = await w.processor.handleSubscription(dasPayload([...pg].reverse()));
    expect(second.outcomes).toEqual({ joined: PIDS.length });
    w.clock.now += 61_000;
    await w.processor.flush();
    expect(w.sent).toHaveLength(PIDS.length);
    for (const [i, e] of das.entries()) {
      const email = w.sent.find((n) => n.message.includes(`Event id: ${e.id}`));
      expect(email?.attributes.source).toBe('das,pgaudit');
      expect(email?.message).toContain(`Same statement, other source: ${pg[i]?.id}`);
    }
  });

  it('reconciles every session in the coverage check: no gap when both sources saw each statement', async () => {
    const GRACE = 900;
    w = world({
      match: () => [],
      matchCoverageGap: () => [
        { rule: 'audit-coverage-gap', severity: 'HIGH', limit: 20, windowSeconds: 3600 },
      ],
      coverage: { classes: new Set(['ROLE', 'DDL']), graceSeconds: GRACE },
      clusters: [
        { identifier: 'orders-db', resourceId: CLUSTER, silentInstances: new Set(), coverageCheck: true },
      ],
    });
    const das = PIDS.map((pid, i) => sessionGrant(pid, i, { statementId: null, substatementId: null }));
    // The second session's statement reached pgAudit only.
    const pg = das.map((e) => pgTwin(e));
    const first = await w.processor.handleSubscription(dasPayload([das[0]!, das[2]!, ...pg]));
    expect(first.coverage).toEqual({ new: PIDS.length, joined: 2 });
    w.clock.now += (GRACE + 1) * 1000;
    expect(await w.processor.flush()).toMatchObject({ reconciled: 2, coverageGaps: 1 });
    expect(w.sent).toHaveLength(1);
    expect(w.sent[0]?.message).toContain(`Event id: ${pg[1]?.id}`);
  });
});

describe('canary statements', () => {
  let w: World;
  afterEach(() => w?.table.restore());
  const NONCE = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
  const CANARY_USER = 'aurora_audit_canary';
  const gapRule: RuleMatch = { rule: 'audit-coverage-gap', severity: 'HIGH', limit: 20, windowSeconds: 3600 };

  function canaryWorld() {
    return world({
      matchCoverageGap: () => [gapRule],
      coverage: { classes: new Set(['ROLE', 'DDL']), graceSeconds: 900 },
      clusters: [
        {
          identifier: 'orders-db',
          resourceId: CLUSTER,
          silentInstances: new Set(),
          coverageCheck: true,
          canaryUser: CANARY_USER,
        },
      ],
    });
  }
  const canaryGrant = (overrides: Partial<AuditEvent> = {}) =>
    auditEvent({
      class: 'ROLE',
      command: 'GRANT',
      user: CANARY_USER,
      time: '2026-11-24T10:00:20.500000Z',
      commandText: `GRANT SELECT ON aurora_audit_canary TO CURRENT_USER /* aurora-audit canary ${NONCE} */`,
      ...overrides,
    });
  const canaryComment = () =>
    auditEvent({
      class: 'DDL',
      command: 'COMMENT',
      user: CANARY_USER,
      time: '2026-11-24T10:00:21.000000Z',
      commandText: `COMMENT ON TABLE aurora_audit_canary IS 'aurora-audit canary ${NONCE}'`,
    });

  it('records each arrival with its source, time and latency in canary#<nonce>, and sends nothing', async () => {
    w = canaryWorld();
    const result = await w.processor.handleSubscription(dasPayload([canaryGrant(), canaryComment()]));
    expect(result).toMatchObject({ events: 2, canaries: 2, matches: 0, alertsSent: 0, coverage: {} });
    expect(w.sent).toEqual([]);
    const item = w.table.items.get(`canary#${NONCE}`);
    expect(item).toMatchObject({
      kind: 'canary',
      dasRole: '2026-11-24T10:00:30.000Z',
      dasRoleLatencyMs: 9500,
      dasDdl: '2026-11-24T10:00:30.000Z',
      dasDdlLatencyMs: 9000,
    });
    expect(item?.pgauditRole).toBeUndefined();
    // Nothing else: no alert, coverage, throttle or digest item counts the canary.
    expect([...w.table.items.keys()]).toEqual([`canary#${NONCE}`]);
  });

  it('keeps the first arrival when a source redelivers, and adds the other source beside it', async () => {
    w = canaryWorld();
    await w.processor.handleSubscription(dasPayload([canaryGrant()]));
    w.clock.now += 60_000;
    await w.processor.handleSubscription(dasPayload([canaryGrant()]));
    const pg = auditEvent({
      ...canaryGrant(),
      source: 'pgaudit',
      time: '2026-11-24T10:00:20Z',
      sessionId: null,
    });
    await w.processor.handleSubscription(dasPayload([pg]));
    const item = w.table.items.get(`canary#${NONCE}`);
    expect(item).toMatchObject({
      dasRole: '2026-11-24T10:00:30.000Z',
      pgauditRole: '2026-11-24T10:01:30.000Z',
      pgauditRoleLatencyMs: 70_000,
    });
    // Redelivered or not, the coverage check never sees it: no gap once the grace period is over.
    w.clock.now += 3600_000;
    expect(await w.processor.flush()).toMatchObject({ coverageGaps: 0, reconciled: 0, alertsSent: 0 });
    expect(w.sent).toEqual([]);
  });

  it('alerts as usual on the marker in a statement of any other user (nobody hides a GRANT behind it)', async () => {
    w = canaryWorld();
    const forged = canaryGrant({ user: 'mallory' });
    const result = await w.processor.handleSubscription(dasPayload([forged]));
    expect(result).toMatchObject({ canaries: 0, matches: 1, alertsSent: 1, coverage: { new: 1 } });
    expect(w.table.items.get(`canary#${NONCE}`)).toBeUndefined();
  });

  it("alerts as usual on the canary user's other statements, and on a canary text of the wrong class", async () => {
    w = canaryWorld();
    const other = canaryGrant({
      commandText: `GRANT SELECT ON orders TO ${CANARY_USER} /* aurora-audit canary ${NONCE} */`,
    });
    const result = await w.processor.handleSubscription(dasPayload([other]));
    expect(result).toMatchObject({ canaries: 0, matches: 1, alertsSent: 1 });
  });

  it('takes no canary statement on a cluster without a canary', async () => {
    w = world();
    const result = await w.processor.handleSubscription(dasPayload([canaryGrant()]));
    expect(result).toMatchObject({ canaries: 0, matches: 1, alertsSent: 1 });
  });
});
