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
      '[aurora-audit] HIGH privilege-changes on orders-db: 9990 more matches suppressed',
    );
    expect(digest.attributes.source).toBe('digest');
    expect(digest.message).toMatch(/^9990 more matches of rule "privilege-changes"/);
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
