/**
 * Fuzzing the pgAudit path (issue 12, item 2): seeded logs of well-formed entries (simple and quoted CSV,
 * doubled quotes, commas, multi-line statements, OBJECT lines, the rows column, failed logins, 1 MB
 * statements) interleaved with hostile text (broken quotes, missing or cut prefixes, binary garbage, 1 MB
 * lines, lines that only look like entries), through the streaming parser and through the real alert Lambda
 * module (subscription payloads; DynamoDB, SNS, Firehose, S3 stubbed at the SDK boundary).
 *
 * Invariants: no crash, no hang (each run is timed), every well-formed entry still parsed (each carries a
 * unique statement id) and, in the Lambda, archived to Firehose; every unreadable audit-looking entry is
 * reported (parser) or quarantined with its original text (Lambda); no test password in any output.
 */
import {
  FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandInput,
} from '@aws-sdk/client-firehose';
import { PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { deliveredLines } from '../../cli/local/aws/firehose';
import { DynamoTable } from '../../cli/local/dynamodb-table';
import { subscriptionEvent } from '../../cli/local/records/logs-subscription';
import { auditEntry, failedLogin, prefix } from '../../cli/local/records/pgaudit-log';
import { DUE_INDEX } from '../../tasks/alert/store';
import type { AuditEvent } from '../../tasks/core/audit-event';
import type { SubscriptionEvent } from '../../tasks/core/cloudwatch-logs';
import { parsePgAuditLinesSync } from '../../tasks/core/pgaudit/parser';
import { createRedactor } from '../../tasks/core/redact';
import type { QuarantineDocument } from '../../tasks/shared/quarantine';
import {
  account,
  EXTRA_PATTERNS,
  FUZZ_CASES,
  FUZZ_SEED,
  invariant,
  type ObservedOutcome,
  prng,
  scanSecrets,
  secretStatements,
} from './summary';

const CLUSTER = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const PG_LOG_GROUP = '/aws/rds/cluster/orders-db/postgresql';
/** Entries per run: half the stream cases (5,000 by default); AURORA_AUDIT_FUZZ_CASES raises both. */
const ENTRIES = Math.max(500, Math.floor(FUZZ_CASES / 2));

Object.assign(process.env, {
  ALERT_TABLE: 'alerts',
  AUDIT_BUCKET: 'audit-bucket',
  TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:alerts',
  DELIVERY_STREAM_NAME: 'audit-events',
  DECRYPT_LOG_GROUP: '/aws/lambda/aurora-audit-decrypt',
  CLUSTERS: JSON.stringify([{ identifier: 'orders-db', resourceId: CLUSTER, silentInstances: [] }]),
  SUBJECT_PREFIX: 'aurora-audit',
  GLUE_TABLE: 'aurora_audit.audit_events',
  CORRELATION_HOLD_SECONDS: '0',
  RULES_FILE: '../core/alerts/default-rules.yaml',
  REDACTION_PATTERNS: JSON.stringify(EXTRA_PATTERNS),
  POWERTOOLS_LOG_LEVEL: 'DEBUG',
  AWS_REGION: 'eu-west-1',
});

const table = new DynamoTable('pk', [{ name: DUE_INDEX, partitionKey: 'dueKey', sortKey: 'dueAt' }]);
const sns = mockClient(SNSClient);
const firehose = mockClient(FirehoseClient);
const s3 = mockClient(S3Client);
const { handler } = require('../../tasks/alert/handler') as {
  handler: (event: SubscriptionEvent | { flush: true }) => Promise<unknown>;
};

const rand = prng(FUZZ_SEED + 1);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
const chance = (p: number) => rand() < p;

interface Entry {
  /** The log text of the entry (its continuation lines start with a tab). */
  readonly text: string;
  /** Statement id of a well-formed entry that must be parsed; undefined for hostile text. */
  readonly statementId?: number;
  /** A failed login that must be parsed (identified by its user). */
  readonly failedLoginUser?: string;
  /** Audit-looking text that cannot be read: must be reported / quarantined. */
  readonly unreadable?: boolean;
}

let nextStatement = 1000;
const MB = 1024 * 1024;

function wellFormed(): Entry {
  const statementId = nextStatement++;
  const r = rand();
  if (r < 0.08) {
    const user = `user_${statementId}`;
    return { text: failedLogin(user), failedLoginUser: user };
  }
  const statement =
    r < 0.3
      ? pick(secretStatements())
      : r < 0.45
        ? `INSERT INTO app_1 VALUES (${statementId}, 'a, "b"', $$x,y$$)`
        : r < 0.55
          ? `CREATE FUNCTION f() RETURNS int AS $$\nSELECT 1;\n$$ LANGUAGE sql`
          : r < 0.57
            ? `SELECT '${'z'.repeat(MB)}'`
            : pick([
                'GRANT SELECT ON app_1 TO app_user_new',
                'DROP TABLE t_old',
                'SELECT 1',
                'ALTER SYSTEM SET x = 1',
              ]);
  return {
    statementId,
    text: auditEntry(
      {
        auditType: chance(0.8) ? 'SESSION' : 'OBJECT',
        statementId,
        class: pick(['ROLE', 'DDL', 'WRITE', 'READ', 'MISC']),
        command: pick(['GRANT', 'CREATE ROLE', 'DROP TABLE', 'INSERT', 'SELECT', 'ALTER SYSTEM']),
        statement,
        parameterField: pick([
          '<not logged>',
          '<none>',
          '"1,tok_s3cr3tfuzztoken0042"',
          '<previously logged>',
        ]),
        ...(chance(0.3) ? { rows: Math.floor(rand() * 100) } : {}),
      },
      { remote: pick(['10.0.0.5(51234)', '[local]', '', '[2001:db8::1](5432)']) },
    ),
  };
}

function garbageBytes(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(Math.floor(rand() * 0xffff));
  // A line of its own: no newlines inside, and no leading tab (that would continue the previous entry).
  return s.replace(/[\r\n]/g, ' ').replace(/^\t+/, '');
}

function hostile(): Entry {
  const secret = secretStatements()[0] as string;
  switch (Math.floor(rand() * 9)) {
    case 0: // broken quotes in the CSV (an unclosed or stray quote)
      return {
        unreadable: true,
        text: `${prefix()}AUDIT: SESSION,${nextStatement++},1,ROLE,CREATE ROLE,,,${pick([
          `"${secret}`,
          `${secret}"x"`,
          `"${secret}"x,<none>`,
          `"a""b,<none>`,
          `"ALTER ROLE legacy\n\tPASSWORD '${secret.split("'")[1]}'\n\tVALID UNTIL 'infinity'`,
        ])},<not logged>`,
      };
    case 1: // wrong field count or type
      return {
        unreadable: true,
        text: `${prefix()}AUDIT: ${pick(['SESSION,1,1', 'FOO,1,1,ROLE,GRANT,,,x,<none>', 'SESSION,1,1,,,,,x,<none>', 'SESSION,1,1,ROLE,GRANT,,,x,<none>,1,2,3'])}`,
      };
    case 2: // missing prefix: plain text, not an entry
      return { text: `AUDIT: SESSION,1,1,ROLE,GRANT,,,GRANT x TO y,<none>` };
    case 3: // cut prefix
      return { text: auditEntry({ statementId: 1 }).slice(0, 10 + Math.floor(rand() * 40)) };
    case 4: // binary garbage
      return { text: garbageBytes(Math.floor(rand() * 400)) };
    case 5: // a 1 MB line of garbage
      return { text: `${chance(0.5) ? prefix() : ''}${garbageBytes(64)}${'q'.repeat(MB)}` };
    case 6: // looks like an entry start but is not
      return { text: `2026-11-24 10:00:00 UTC:${garbageBytes(40)}` };
    case 7: // other server lines
      return {
        text: pick([
          `${prefix()}ERROR:  syntax error at or near "PASSWORD"`,
          `${prefix({ level: 'STATEMENT' })}${secret}`.replace(/PASSWORD '[^']*'/, "PASSWORD 'xxxxxxxx'"),
          `${prefix()}LOG:  checkpoint starting: time`,
        ]),
      };
    default: // an invalid date in the prefix
      return {
        unreadable: true,
        text: auditEntry({ statementId: nextStatement++ }, { time: '2026-02-30 25:61:00 UTC' }),
      };
  }
}

function entries(n: number): Entry[] {
  return Array.from({ length: n }, () => (chance(0.6) ? wellFormed() : hostile()));
}

const tally = invariant(
  'pgaudit fuzz',
  () =>
    `seed ${FUZZ_SEED + 1}, ${ENTRIES} log entries (${stats.wellFormed} well-formed, ${stats.hostile} hostile) through the parser and the alert Lambda; ` +
    `parser ${stats.parserMs} ms, Lambda ${stats.lambdaMs} ms; ${stats.reported} unreadable entries reported by the parser`,
);
const stats = { wellFormed: 0, hostile: 0, parserMs: 0, lambdaMs: 0, reported: 0 };
const redact = createRedactor(EXTRA_PATTERNS);

describe('the pgAudit parser on fuzzed logs', () => {
  it(`parses every well-formed entry of ${ENTRIES} seeded entries mixed with hostile text, reports the unreadable ones, and never hangs`, () => {
    const log = entries(ENTRIES);
    stats.wellFormed = log.filter((e) => !!e.statementId || !!e.failedLoginUser).length;
    stats.hostile = log.length - stats.wellFormed;
    const lines = log.flatMap((e) => e.text.split('\n'));
    const reported: string[] = [];
    const started = Date.now();
    const events = [...parsePgAuditLinesSync(lines, { redact, onError: (reason) => reported.push(reason) })];
    stats.parserMs = Date.now() - started;
    stats.reported = reported.length;
    const parsedIds = new Set(events.filter((e) => e.auditType !== null).map((e) => e.statementId));
    const parsedLogins = new Set(events.filter((e) => e.command === 'AUTH FAILURE').map((e) => e.user));
    const missed = log.filter(
      (e) =>
        (e.statementId !== undefined && !parsedIds.has(e.statementId)) ||
        (e.failedLoginUser !== undefined && !parsedLogins.has(e.failedLoginUser)),
    );
    expect(missed.map((e) => e.text.slice(0, 200))).toEqual([]);
    expect(reported.length).toBeGreaterThanOrEqual(log.filter((e) => e.unreadable).length);
    expect(secretsInOutputs([JSON.stringify(events), reported.join('\n')])).toEqual([]);
    expect(stats.parserMs).toBeLessThan(30_000);
  }, 120_000);
});

function secretsInOutputs(outputs: string[]): string[] {
  return outputs.flatMap((o, i) => scanSecrets(tally, `parser output ${i}`, o));
}

describe('the alert Lambda on fuzzed pgAudit payloads', () => {
  it('archives every well-formed entry, quarantines every unreadable one with its text, never crashes and leaks no password', async () => {
    const archived: AuditEvent[] = [];
    const quarantined: QuarantineDocument[] = [];
    const published: PublishCommandInput[] = [];
    sns.on(PublishCommand).callsFake((input: PublishCommandInput) => {
      published.push(input);
      return { MessageId: `m-${published.length}` };
    });
    firehose.on(PutRecordBatchCommand).callsFake((input: PutRecordBatchCommandInput) => {
      for (const r of input.Records ?? [])
        for (const line of deliveredLines(r.Data as Uint8Array))
          archived.push(JSON.parse(line) as AuditEvent);
      return { FailedPutCount: 0, RequestResponses: (input.Records ?? []).map(() => ({ RecordId: 'r' })) };
    });
    s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
      quarantined.push(JSON.parse(input.Body as string) as QuarantineDocument);
      return {};
    });
    const output: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      output.push(chunk.toString());
      return true;
    };
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation(capture),
      jest.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];
    const crashes: string[] = [];
    const log = entries(ENTRIES);
    const started = Date.now();
    try {
      // CloudWatch Logs events are at most 256 KB: RDS splits longer lines, so none of 1 MB arrives whole.
      const deliverable = log.filter((e) => Buffer.byteLength(e.text) < 256 * 1024);
      for (let i = 0; i < deliverable.length; i += 50) {
        const chunk = deliverable.slice(i, i + 50);
        try {
          await handler(
            subscriptionEvent(
              chunk.map((e) => e.text),
              { logGroup: PG_LOG_GROUP, logStream: 'orders-db-1' },
            ),
          );
        } catch (err) {
          crashes.push(`${(err as Error).name}: ${(err as Error).message}`);
        }
      }
      stats.lambdaMs = Date.now() - started;
      const archivedIds = new Set(archived.filter((e) => e.auditType !== null).map((e) => e.statementId));
      const archivedLogins = new Set(archived.filter((e) => e.command === 'AUTH FAILURE').map((e) => e.user));
      const originals = new Set(
        quarantined.map((q) => Buffer.from(q.originalBase64, 'base64').toString('utf8')),
      );
      const checked = deliverable.filter(
        (e) => e.statementId !== undefined || e.failedLoginUser !== undefined || e.unreadable,
      );
      const outcomes: ObservedOutcome[] = checked.map((e) => ({
        id: e.text.slice(0, 120),
        expectedEvents: 1,
        deliveredEvents:
          (e.statementId !== undefined && archivedIds.has(e.statementId)) ||
          (e.failedLoginUser !== undefined && archivedLogins.has(e.failedLoginUser))
            ? 1
            : 0,
        quarantinedWithBytes: !!e.unreadable && originals.has(e.text),
        reportedFailure: false,
      }));
      const lost = account(tally, outcomes);
      expect(crashes).toEqual([]);
      expect(lost.map((o) => o.id)).toEqual([]);
      // An unreadable entry is quarantined with its text: never counted as delivered, never silently skipped.
      expect(
        checked.filter((e, k) => e.unreadable && !outcomes[k]?.quarantinedWithBytes).map((e) => e.text),
      ).toEqual([]);
      const leaks = [
        ...scanSecrets(tally, 'Firehose records', JSON.stringify(archived)),
        ...scanSecrets(tally, 'SNS messages', JSON.stringify(published)),
        ...scanSecrets(tally, 'Lambda output', output.join('')),
        // The quarantine keeps the entry's original text by design (README "Storage layout": original bytes,
        // read only by the redrive path, as sensitive as the database); everything else in it must be clean.
        ...scanSecrets(
          tally,
          'quarantine reasons and metadata',
          JSON.stringify(quarantined.map((q) => ({ ...q, originalBase64: '' }))),
        ),
      ];
      expect(leaks).toEqual([]);
      expect(published.length).toBeGreaterThan(0);
    } finally {
      for (const spy of spies) spy.mockRestore();
      table.restore();
    }
  }, 120_000);
});
