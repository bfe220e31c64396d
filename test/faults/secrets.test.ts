/**
 * Secrets (issue 12, item 4): the test passwords, in `CREATE ROLE … PASSWORD`, `ALTER USER … PASSWORD`,
 * dollar-quoted and escape-string literals, a connection string and a token of the configured extra
 * redaction, go through both Lambdas, the report Lambda and the CLI (`decode`, `pgaudit parse`). Everything
 * they write is captured: stdout and stderr (the Powertools logger at DEBUG and the alert lines), every
 * Firehose record, every S3 object, every SNS message, every SES message decoded part by part. None may hold
 * a password.
 *
 * By design two places keep input as it came (README "Storage layout" and "Security and operations"): a
 * quarantined activity-stream record keeps its original bytes, which are ciphertext (checked: no password
 * in them), and a quarantined pgAudit entry keeps its original log text, which is the database's own log line
 * (already in CloudWatch Logs, as sensitive as the database, read only by the redrive path); its reason and
 * metadata must still be clean. `decode --raw` prints decrypted payloads unredacted on request, as documented.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandInput,
} from '@aws-sdk/client-firehose';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { deliveredLines } from '../../cli/local/aws/firehose';
import { DynamoTable } from '../../cli/local/dynamodb-table';
import { LocalKms } from '../../cli/local/kms';
import { leaves, parseMime } from '../../cli/local/mime';
import {
  activityEvent,
  activityRecord,
  CLUSTER_ID,
  kinesisRecord,
} from '../../cli/local/records/activity-stream';
import { subscriptionEvent } from '../../cli/local/records/logs-subscription';
import { auditEntry, prefix } from '../../cli/local/records/pgaudit-log';
import { DUE_INDEX } from '../../tasks/alert/store';
import type { SubscriptionEvent } from '../../tasks/core/cloudwatch-logs';
import type { QuarantineDocument } from '../../tasks/shared/quarantine';
import { runCliWith } from '../helpers/cli';
import { event as reportEvent } from '../reports/report-fixture';
import { auditDay, reportWorld } from '../tasks/render-report/report-world';
import { account, EXTRA_PATTERNS, invariant, scanSecrets, secretStatements, TEST_SECRETS } from './summary';

const PG_LOG_GROUP = '/aws/rds/cluster/orders-db/postgresql';
const DECRYPT_LOG_GROUP = '/aws/lambda/aurora-audit-decrypt';

Object.assign(process.env, {
  AUDIT_BUCKET: 'audit-bucket',
  DELIVERY_STREAM_NAME: 'audit-events',
  RULES_FILE: '../core/alerts/default-rules.yaml',
  REDACTION_PATTERNS: JSON.stringify(EXTRA_PATTERNS),
  POWERTOOLS_LOG_LEVEL: 'DEBUG',
  AWS_REGION: 'eu-west-1',
  CLUSTER_RESOURCE_IDS: CLUSTER_ID,
  FIREHOSE_RETRY_BASE_DELAY_MS: '0',
  ALERT_TABLE: 'alerts',
  TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:alerts',
  DECRYPT_LOG_GROUP,
  CLUSTERS: JSON.stringify([{ identifier: 'orders-db', resourceId: CLUSTER_ID, silentInstances: [] }]),
  SUBJECT_PREFIX: 'aurora-audit',
  GLUE_TABLE: 'aurora_audit.audit_events',
  CORRELATION_HOLD_SECONDS: '0',
});

const localKms = new LocalKms();
const kmsMock = mockClient(KMSClient);
const firehoseMock = mockClient(FirehoseClient);
const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
const table = new DynamoTable('pk', [{ name: DUE_INDEX, partitionKey: 'dueKey', sortKey: 'dueAt' }]);

const firehoseRecords: string[] = [];
const s3Objects: { key: string; body: string }[] = [];
const snsMessages: PublishCommandInput[] = [];
const output: string[] = [];

kmsMock.on(DecryptCommand).callsFake((input) => ({
  Plaintext: localKms.decrypt(input.CiphertextBlob, input.EncryptionContext ?? {}),
}));
firehoseMock.on(PutRecordBatchCommand).callsFake((input: PutRecordBatchCommandInput) => {
  // The events Firehose stores: each record deaggregated, as the delivery stream is configured.
  for (const r of input.Records ?? []) firehoseRecords.push(...deliveredLines(r.Data as Uint8Array));
  return { FailedPutCount: 0, RequestResponses: (input.Records ?? []).map(() => ({ RecordId: 'r' })) };
});
s3Mock.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
  s3Objects.push({ key: input.Key as string, body: String(input.Body) });
  return {};
});
snsMock.on(PublishCommand).callsFake((input: PublishCommandInput) => {
  snsMessages.push(input);
  return { MessageId: `m-${snsMessages.length}` };
});

const decrypt = (
  require('../../tasks/decrypt-activity-stream/handler') as {
    handler: (e: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;
  }
).handler;
const alert = (
  require('../../tasks/alert/handler') as {
    handler: (e: SubscriptionEvent | { flush: true }) => Promise<unknown>;
  }
).handler;

const tally = invariant(
  'secrets',
  () =>
    `${TEST_SECRETS.length} test passwords in ${secretStatements().length} statement shapes, searched in every output`,
);

/** Runs `fn` with stdout and stderr captured into `output`. */
async function captured<T>(fn: () => Promise<T>): Promise<T> {
  const keep = (chunk: string | Uint8Array) => {
    output.push(chunk.toString());
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(keep),
    jest.spyOn(process.stderr, 'write').mockImplementation(keep),
  ];
  try {
    return await fn();
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

afterAll(() => table.restore());

let decryptAlertLines: string[] = [];

describe('no test password leaves aurora-audit', () => {
  it('the decrypt Lambda: not in Firehose records, alert lines, logs or quarantine documents', async () => {
    const statements = secretStatements();
    const records = await Promise.all([
      // Every shape, as ROLE events (alerted, so also in alert lines) and as reads.
      activityRecord(
        localKms,
        statements.flatMap((commandText) => [
          activityEvent({ class: 'ROLE', command: 'ALTER ROLE', commandText }),
          activityEvent({ class: 'READ', command: 'SELECT', commandText, paramList: [TEST_SECRETS[5]] }),
        ]),
      ),
      // In an error message, and next to an unreadable event (the record is delivered and quarantined).
      activityRecord(localKms, [
        activityEvent({
          class: 'ROLE',
          command: 'CREATE ROLE',
          errorMessage: `syntax error in ${statements[0]}`,
        }),
        activityEvent({ commandText: statements[1], logTime: 'garbage', startTime: null }),
      ]),
      // Padded past a Firehose record and an alert line: stored shortened, quarantined whole.
      activityRecord(localKms, [
        activityEvent({
          class: 'ROLE',
          command: 'CREATE ROLE',
          commandText: `${statements[0]} ${'-- x\n'.repeat(250_000)}`,
        }),
      ]),
    ]);
    const kinesis = records.map((r) => kinesisRecord(r.data));
    const response = await captured(() => decrypt({ Records: kinesis }));
    expect(response.batchItemFailures).toEqual([]);
    const docs = s3Objects.map((o) => JSON.parse(o.body) as QuarantineDocument);
    expect(docs).toHaveLength(2);
    const leaks = [
      ...scanSecrets(tally, 'Firehose records', firehoseRecords.join('\n')),
      ...scanSecrets(tally, 'decrypt Lambda output', output.join('')),
      ...scanSecrets(tally, 'quarantine documents', s3Objects.map((o) => o.body).join('\n')),
      // The original bytes are the encrypted record: no password in clear inside either.
      ...docs.flatMap((d) =>
        scanSecrets(tally, 'quarantined original', Buffer.from(d.originalBase64, 'base64')),
      ),
    ];
    expect(leaks).toEqual([]);
    expect(firehoseRecords.length).toBeGreaterThanOrEqual(13);
    // The alert lines were there, redacted; the alert Lambda reads them next.
    decryptAlertLines = output
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{"auditEvent":'));
    expect(decryptAlertLines.length).toBeGreaterThanOrEqual(statements.length);
    expect(decryptAlertLines.join('')).toContain('<REDACTED>');
    account(tally, [
      {
        id: 'decrypt',
        expectedEvents: 13,
        deliveredEvents: firehoseRecords.length,
        quarantinedWithBytes: false,
        reportedFailure: false,
      },
    ]);
    tally.quarantined += docs.length;
    tally.cases += docs.length;
  });

  it('the alert Lambda: not in SNS messages, Firehose records, logs or quarantine reasons', async () => {
    firehoseRecords.length = 0;
    s3Objects.length = 0;
    output.length = 0;
    const statements = secretStatements();
    const lines = [
      ...statements.map((statement, i) =>
        auditEntry({
          statementId: i + 1,
          class: 'ROLE',
          command: 'ALTER ROLE',
          statement,
          parameterField: `"${TEST_SECRETS[5]}"`,
        }),
      ),
      // pgAudit CSV with a stray quote: unreadable, quarantined; csv-parse quotes the field in its reason.
      `${prefix()}AUDIT: SESSION,9,1,ROLE,ALTER ROLE,,,${statements[1]}"x",<not logged>`,
      `${prefix()}AUDIT: SESSION,10,1,ROLE,CREATE ROLE,,,"${statements[0]},<not logged>`,
    ];
    await captured(async () => {
      await alert(subscriptionEvent(lines, { logGroup: PG_LOG_GROUP, logStream: 'orders-db-1' }));
      await alert(subscriptionEvent(decryptAlertLines, { logGroup: DECRYPT_LOG_GROUP }));
      await alert({ flush: true });
    });
    expect(snsMessages.length).toBeGreaterThanOrEqual(statements.length);
    const docs = s3Objects.map((o) => JSON.parse(o.body) as QuarantineDocument);
    expect(docs).toHaveLength(2);
    const leaks = [
      ...scanSecrets(tally, 'SNS messages', JSON.stringify(snsMessages)),
      ...scanSecrets(tally, 'Firehose records', firehoseRecords.join('\n')),
      ...scanSecrets(tally, 'alert Lambda output', output.join('')),
      // The entry's original text is kept by design (see the file's comment); its reason must be clean.
      ...scanSecrets(
        tally,
        'quarantine reasons',
        JSON.stringify(docs.map((d) => ({ ...d, originalBase64: '' }))),
      ),
    ];
    expect(leaks).toEqual([]);
    account(tally, [
      {
        id: 'alert',
        expectedEvents: statements.length,
        deliveredEvents: firehoseRecords.length,
        quarantinedWithBytes: false,
        reportedFailure: false,
      },
    ]);
    tally.quarantined += docs.length;
    tally.cases += docs.length;
  });

  it('the report Lambda: not in the archived objects nor in any decoded part of the email', async () => {
    output.length = 0;
    const statements = secretStatements();
    const world = await reportWorld(
      [
        ...auditDay(),
        ...statements.map((commandText, i) =>
          reportEvent(`2026-11-23T15:0${i}:00.000Z`, {
            class: 'ROLE',
            command: 'ALTER ROLE',
            user: 'admin',
            commandText,
          }),
        ),
      ],
      { REDACTION_PATTERNS: JSON.stringify(EXTRA_PATTERNS) },
    );
    try {
      const { render } = await world.prepareAndRun({ period: 'daily' }, { executionName: 'secrets-daily' });
      await captured(() => world.render(render));
      const message = parseMime(world.sent[0]!.raw);
      const leaks = [
        ...[...world.objects].flatMap(([key, o]) => scanSecrets(tally, `s3://${key}`, o.bytes)),
        ...scanSecrets(tally, 'SES raw message', world.sent[0]!.raw),
        ...leaves(message).flatMap((part, i) => scanSecrets(tally, `email part ${i}`, part.body)),
        ...scanSecrets(tally, 'report Lambda output', output.join('')),
      ];
      expect(leaks).toEqual([]);
      // The statements are in the report, redacted.
      expect(leaves(message)[0]!.body.toString('utf8')).toContain('PASSWORD <REDACTED>');
      account(tally, [
        {
          id: 'report',
          expectedEvents: 1,
          deliveredEvents: world.sent.length,
          quarantinedWithBytes: false,
          reportedFailure: false,
        },
      ]);
    } finally {
      world.close();
    }
  }, 120_000);

  it('the CLI: not in what decode and pgaudit parse print, on stdout or stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aurora-audit-secrets-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `${readFileSync(join(__dirname, '../../infra/config/example.yaml'), 'utf8')}\nredaction:\n  extraPatterns:\n${EXTRA_PATTERNS.map((p) => `    - '${p.replace(/'/g, "''")}'`).join('\n')}\n`,
    );
    const statements = secretStatements();
    const record = await activityRecord(
      localKms,
      statements.map((commandText) => activityEvent({ commandText, paramList: [TEST_SECRETS[5]] })),
    );
    const bad = await activityRecord(localKms, [
      activityEvent({ commandText: statements[0], logTime: 'garbage', startTime: null }),
    ]);
    const decode = await runCliWith(
      { stdin: `${record.data}\n${record.json}\n${bad.data}\n` },
      'decode',
      '--cluster',
      'orders-db',
      '-c',
      config,
    );
    const log = [
      ...statements.map((statement, i) => auditEntry({ statementId: i + 1, statement })),
      `${prefix()}AUDIT: SESSION,9,1,ROLE,ALTER ROLE,,,${statements[1]}"x",<not logged>`,
      `${prefix()}AUDIT: SESSION,10,1,ROLE,CREATE ROLE,,,"${statements[0]},<not logged>`,
    ].join('\n');
    const parse = await runCliWith(
      { stdin: `${log}\n` },
      'pgaudit',
      'parse',
      '--cluster',
      'orders-db',
      '-c',
      config,
    );
    expect(decode.stdout.split('\n').filter(Boolean)).toHaveLength(statements.length * 2);
    expect(parse.stdout.split('\n').filter(Boolean)).toHaveLength(statements.length);
    expect(parse.stderr).toContain('unreadable entry');
    const leaks = [
      ...scanSecrets(tally, 'decode stdout', decode.stdout),
      ...scanSecrets(tally, 'decode stderr', decode.stderr),
      ...scanSecrets(tally, 'pgaudit parse stdout', parse.stdout),
      ...scanSecrets(tally, 'pgaudit parse stderr', parse.stderr),
    ];
    expect(leaks).toEqual([]);
    account(tally, [
      {
        id: 'cli',
        expectedEvents: statements.length * 3,
        deliveredEvents: statements.length * 3,
        quarantinedWithBytes: false,
        reportedFailure: false,
      },
    ]);
  });

  it('the secret scan itself finds a password in clear, in bytes and inside a larger text', () => {
    const probe = { cases: 0, delivered: 0, quarantined: 0, retried: 0, lost: 0, leakedSecrets: 0 };
    expect(scanSecrets(probe, 'probe', `x ${secretStatements()[0]} y`)).toHaveLength(1);
    expect(scanSecrets(probe, 'probe', Buffer.from(TEST_SECRETS[5]))).toHaveLength(1);
    expect(scanSecrets(probe, 'probe', 'PASSWORD <REDACTED>')).toEqual([]);
    expect(probe.leakedSecrets).toBe(2);
  });
});
