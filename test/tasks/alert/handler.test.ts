/**
 * The alert Lambda end to end: the real handler module, the real rules and parser, the pgAudit scenario's
 * real log from PostgreSQL 15 packed into subscription payloads, and the decrypt Lambda's alert lines;
 * DynamoDB, SNS, Firehose and S3 stubbed at the SDK boundary.
 */
import {
  FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandInput,
} from '@aws-sdk/client-firehose';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { deliveredLines } from '../../../cli/local/aws/firehose';
import { DynamoTable } from '../../../cli/local/dynamodb-table';
import { type PostgresServer, startPostgres, waitForLog } from '../../../cli/local/postgres';
import { auditEvent } from '../../../cli/local/records/audit-event';
import { subscriptionEvent } from '../../../cli/local/records/logs-subscription';
import { DUE_INDEX } from '../../../tasks/alert/store';
import { alertLine } from '../../../tasks/core/alert-lines';
import { loadRules } from '../../../tasks/core/alerts/rules';
import { type AuditEvent, parseAuditEvent } from '../../../tasks/core/audit-event';
import { parsePgAuditMessage } from '../../../tasks/core/pgaudit/parser';

const CLUSTER = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DECRYPT_LOG_GROUP = '/aws/lambda/aurora-audit-decrypt';
const PG_LOG_GROUP = '/aws/rds/cluster/orders-db/postgresql';
const SECRET = 'Sup3r-Secret-pw';

Object.assign(process.env, {
  ALERT_TABLE: 'alerts',
  AUDIT_BUCKET: 'audit-bucket',
  TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:alerts',
  DELIVERY_STREAM_NAME: 'audit-events',
  DECRYPT_LOG_GROUP,
  CLUSTERS: JSON.stringify([
    { identifier: 'orders-db', resourceId: CLUSTER, silentInstances: [], coverageCheck: true },
  ]),
  SUBJECT_PREFIX: 'aurora-audit',
  GLUE_TABLE: 'aurora_audit.audit_events',
  CORRELATION_HOLD_SECONDS: '0',
  RULES_FILE: '../core/alerts/default-rules.yaml',
  COVERAGE_CLASSES: 'ROLE,DDL',
  COVERAGE_GRACE_SECONDS: '900',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AWS_REGION: 'eu-west-1',
});

const table = new DynamoTable('pk', [{ name: DUE_INDEX, partitionKey: 'dueKey', sortKey: 'dueAt' }]);
const sns = mockClient(SNSClient);
const firehose = mockClient(FirehoseClient);
const s3 = mockClient(S3Client);
let published: PublishCommandInput[];
let archived: AuditEvent[];
let snsDown = 0;

// Loaded after the environment and the stubs are in place.
const { handler } = require('../../../tasks/alert/handler') as typeof import('../../../tasks/alert/handler');

let pg: PostgresServer;
let logLines: string[];
const rules = loadRules();

/** One CloudWatch Logs event per log entry (continuation lines stay with their entry, as RDS exports them). */
function logEntries(log: string): string[] {
  return log.split('\n').reduce<string[]>((entries, line) => {
    if (line.startsWith('\t') && entries.length > 0) entries[entries.length - 1] += `\n${line}`;
    else if (line.trim() !== '') entries.push(line);
    return entries;
  }, []);
}

/** Runs the flush the schedule would run `seconds` from now. */
async function scheduledFlushIn(seconds: number) {
  const later = Date.now() + seconds * 1000;
  const clock = jest.spyOn(Date, 'now').mockReturnValue(later);
  try {
    return await handler({ flush: true });
  } finally {
    clock.mockRestore();
  }
}

beforeAll(async () => {
  pg = await startPostgres({ pgauditLog: 'role,ddl,write,misc_set' });
  pg.psql(
    `CREATE ROLE app_user LOGIN CREATEROLE PASSWORD 'App-user-pw-1';\nCREATE DATABASE appdb OWNER app_user;`,
  );
  pg.psql('CREATE EXTENSION pgaudit;', { database: 'appdb' });
  pg.psql(
    [
      'CREATE TABLE app_1 (id int, note text);',
      'CREATE ROLE app_user_new LOGIN;',
      'GRANT SELECT, INSERT ON app_1 TO app_user_new;',
      'REVOKE SELECT ON app_1 FROM app_user_new;',
      `ALTER ROLE app_user_new PASSWORD '${SECRET}';`,
      'INSERT INTO app_1 VALUES (1, \'a, "b"\');',
      'DROP TABLE app_1;',
    ].join('\n'),
    { user: 'app_user', password: 'App-user-pw-1', database: 'appdb' },
  );
  // Switching pgAudit off for a role needs a superuser.
  pg.psql("ALTER ROLE app_user SET pgaudit.log = 'none';", { database: 'appdb' });
  pg.psql('SELECT 1', { user: 'app_user', password: 'wrong', database: 'appdb', check: false });
  const log = await waitForLog(pg, 'password authentication failed');
  logLines = logEntries(log);
}, 60_000);

afterAll(() => {
  pg?.stop();
  table.restore();
});

beforeEach(() => {
  table.items.clear();
  published = [];
  archived = [];
  snsDown = 0;
  sns.reset();
  firehose.reset();
  s3.reset();
  sns.on(PublishCommand).callsFake((input: PublishCommandInput) => {
    if (snsDown > 0) {
      snsDown--;
      throw Object.assign(new Error('SNS unavailable'), { name: 'InternalErrorException' });
    }
    published.push(input);
    return { MessageId: `m-${published.length}` };
  });
  firehose.on(PutRecordBatchCommand).callsFake((input: PutRecordBatchCommandInput) => {
    for (const r of input.Records ?? [])
      for (const line of deliveredLines(r.Data as Uint8Array))
        archived.push(parseAuditEvent(JSON.parse(line)));
    return { FailedPutCount: 0, RequestResponses: (input.Records ?? []).map(() => ({ RecordId: 'r' })) };
  });
  s3.on(PutObjectCommand).resolves({});
});

const pgPayload = () =>
  subscriptionEvent(logLines, { logGroup: PG_LOG_GROUP, logStream: 'orders-db-instance-1' });

describe('the alert Lambda', () => {
  it('archives every pgAudit event of the real log and emails each statement once, with every rule it matched', async () => {
    const result = await handler(pgPayload());
    expect(archived.map((e) => e.command)).toEqual([
      'CREATE ROLE',
      'CREATE DATABASE',
      'CREATE EXTENSION',
      'CREATE TABLE',
      'CREATE ROLE',
      'GRANT',
      'REVOKE',
      'ALTER ROLE',
      'INSERT',
      'DROP TABLE',
      'ALTER ROLE',
      'AUTH FAILURE',
    ]);
    expect(
      archived.every(
        (e) => e.source === 'pgaudit' && e.clusterId === CLUSTER && e.instanceId === 'orders-db-instance-1',
      ),
    ).toBe(true);
    const subjects = published.map((p) => p.Subject);
    expect(subjects).toEqual([
      '[aurora-audit] HIGH privilege-changes on orders-db: postgres CREATE ROLE',
      '[aurora-audit] HIGH privilege-changes on orders-db: app_user CREATE ROLE',
      '[aurora-audit] HIGH privilege-changes on orders-db: app_user GRANT',
      '[aurora-audit] HIGH privilege-changes on orders-db: app_user REVOKE',
      '[aurora-audit] HIGH privilege-changes on orders-db: app_user ALTER ROLE',
      '[aurora-audit] MEDIUM destructive-ddl on orders-db: app_user DROP TABLE',
      // ALTER ROLE app_user SET pgaudit.log = 'none': one statement, two rules, one email.
      '[aurora-audit] CRITICAL 2 rules: audit-tampering,privilege-changes on orders-db: postgres ALTER ROLE',
      '[aurora-audit] MEDIUM failed-logins on orders-db: app_user AUTH FAILURE',
    ]);
    expect(result).toMatchObject({ events: 12, archived: 12 });
    const tamper = published.find((p) => p.Subject?.includes('audit-tampering'));
    expect(tamper?.MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: 'CRITICAL' },
      rule: { DataType: 'String', StringValue: 'audit-tampering' },
      rules: { DataType: 'String.Array', StringValue: '["audit-tampering","privilege-changes"]' },
      cluster: { DataType: 'String', StringValue: CLUSTER },
      source: { DataType: 'String', StringValue: 'pgaudit' },
    });
    expect(tamper?.Message).toContain("ALTER ROLE app_user SET pgaudit.log = 'none';");
    expect(tamper?.Message).toMatch(
      /^CRITICAL: 2 rules matched one statement on orders-db \(cluster-\w+\)\n\nRules:\n {2}CRITICAL +audit-tampering\n {2}HIGH +privilege-changes\n/,
    );
  });

  it('never puts a password or statement text in a subject, and no password anywhere', async () => {
    await handler(pgPayload());
    for (const p of published) {
      expect(p.Subject!.length).toBeLessThanOrEqual(100);
      expect(p.Subject).not.toMatch(/PASSWORD|pgaudit\.log|app_1/);
    }
    expect(JSON.stringify([published, archived])).not.toContain(SECRET);
  });

  it('sends no second email when CloudWatch delivers the same payload again', async () => {
    const payload = pgPayload();
    await handler(payload);
    const first = published.length;
    await handler(payload);
    expect(published).toHaveLength(first);
  });

  it('still sends an alert after SNS failed, on the scheduled flush, once', async () => {
    snsDown = 1;
    const grant = auditEvent({ class: 'ROLE', command: 'GRANT', clusterId: CLUSTER });
    await handler(subscriptionEvent([alertLine(grant).trim()], { logGroup: DECRYPT_LOG_GROUP }));
    expect(published).toHaveLength(0);
    await handler({ flush: true });
    await handler({ flush: true });
    expect(published).toHaveLength(1);
  });

  it('alerts once when both sources report the same GRANT', async () => {
    const pgGrant = logLines.find((l) => l.includes(',GRANT,TABLE,'))!;
    const fromPg = parsePgAuditMessage(pgGrant, { clusterId: CLUSTER })[0]!;
    const dasGrant = auditEvent({
      source: 'das',
      clusterId: CLUSTER,
      user: fromPg.user,
      database: fromPg.database,
      class: 'ROLE',
      command: 'GRANT',
      commandText: fromPg.commandText,
      time: fromPg.time.replace('Z', '.420000Z'),
    });
    await handler(subscriptionEvent([alertLine(dasGrant).trim()], { logGroup: DECRYPT_LOG_GROUP }));
    await handler(subscriptionEvent([pgGrant], { logGroup: PG_LOG_GROUP }));
    const grants = published.filter((p) => p.Subject?.endsWith('GRANT'));
    expect(grants).toHaveLength(1);
  });
});

describe('the coverage check of the alert Lambda', () => {
  it('alerts on the GRANT of a session that silenced pgAudit, seen by the activity stream only', async () => {
    // The workload: one table, then a session that switches pgAudit off and grants, then another table.
    const before = pg.log().length;
    const ran: { sql: string; class: string; command: string; time: string }[] = [];
    const run = (statements: [string, string, string][]) => {
      pg.psql(statements.map(([sql]) => sql).join('\n'), { database: 'appdb' });
      const time = new Date().toISOString().replace('Z', '000Z');
      for (const [sql, cls, command] of statements) ran.push({ sql, class: cls, command, time });
    };
    run([['CREATE TABLE app_2 (id int);', 'DDL', 'CREATE TABLE']]);
    run([
      ["SET pgaudit.log = 'none';", 'MISC', 'SET'],
      ['GRANT SELECT ON app_2 TO app_user_new;', 'ROLE', 'GRANT'],
    ]);
    run([['CREATE TABLE app_3 (id int);', 'DDL', 'CREATE TABLE']]);
    const newLines = logEntries((await waitForLog(pg, 'app_3')).slice(before));
    // The activity stream records every statement of the workload; the decrypt Lambda writes alert lines for
    // those of the reconciled classes and those a rule matches (as its handler does).
    const das = ran
      .map((r, i) =>
        auditEvent({
          source: 'das',
          clusterId: CLUSTER,
          instanceId: 'db-ABCDEFGHIJKLMNOPQRSTUVWXY1',
          user: 'postgres',
          database: 'appdb',
          class: r.class,
          command: r.command,
          commandText: r.sql,
          statementId: i + 1,
          time: r.time,
        }),
      )
      .filter((e) => e.class === 'ROLE' || e.class === 'DDL' || rules.evaluate(e).length > 0);
    expect(das.map((e) => e.command)).toEqual(['CREATE TABLE', 'SET', 'GRANT', 'CREATE TABLE']);
    await handler(
      subscriptionEvent(
        das.map((e) => alertLine(e).trim()),
        { logGroup: DECRYPT_LOG_GROUP },
      ),
    );
    await handler(subscriptionEvent(newLines, { logGroup: PG_LOG_GROUP, logStream: 'orders-db-instance-1' }));
    const beforeGrace = published.length;
    expect(await scheduledFlushIn(60)).toMatchObject({ coverageGaps: 0 });
    const result = await scheduledFlushIn(901);
    // The statements pgAudit did not see: those after SET pgaudit.log = 'none' in that session.
    const silenced = ran.slice(ran.findIndex((r) => r.sql.startsWith('SET pgaudit')) + 1, -1);
    expect(silenced.map((r) => r.sql)).toEqual(['GRANT SELECT ON app_2 TO app_user_new;']);
    expect(result).toMatchObject({ reconciled: 2, coverageGaps: silenced.length });
    const gaps = published.slice(beforeGrace);
    expect(gaps.map((p) => p.Subject)).toEqual(
      silenced.map((r) => `[aurora-audit] HIGH audit-coverage-gap on orders-db: postgres ${r.command}`),
    );
    expect(gaps[0]?.Message).toContain(
      'Audit coverage gap: recorded by Database Activity Streams, not by pgAudit within 15 minutes.',
    );
    expect(gaps[0]?.Message).toContain(silenced[0]?.sql);
    // pgAudit does not log the SET that silences it (checked here: its check runs after the SET took
    // effect); the activity stream's report of it was alerted at once.
    expect(newLines.join('\n')).not.toContain('pgaudit.log');
    const tampering = published.slice(0, beforeGrace).find((p) => p.Subject?.endsWith('postgres SET'));
    expect(tampering?.Subject).toBe('[aurora-audit] CRITICAL audit-tampering on orders-db: postgres SET');
    expect(tampering?.MessageAttributes?.source?.StringValue).toBe('das');
  });

  it('alerts on every reconciled statement pgAudit recorded while the activity stream was stopped', async () => {
    await handler(pgPayload());
    await scheduledFlushIn(901);
    // The beforeAll workload's ROLE and DDL statements (pgAudit logged all of them; no activity stream).
    const workload = [
      'CREATE ROLE app_user',
      'CREATE DATABASE appdb',
      'CREATE EXTENSION pgaudit',
      'CREATE TABLE app_1',
      'CREATE ROLE app_user_new',
      'GRANT SELECT, INSERT ON app_1',
      'REVOKE SELECT ON app_1',
      'ALTER ROLE app_user_new PASSWORD',
      'DROP TABLE app_1',
      "ALTER ROLE app_user SET pgaudit.log = 'none'",
    ];
    const gaps = published.filter((p) => p.MessageAttributes?.rule?.StringValue === 'audit-coverage-gap');
    expect(gaps).toHaveLength(workload.length);
    workload.forEach((text, i) => {
      expect(gaps[i]?.Message).toContain(text);
      expect(gaps[i]?.Message).toContain(
        'recorded by pgAudit, not by Database Activity Streams within 15 minutes',
      );
    });
  });
});
