/**
 * Injected AWS faults at the SDK boundary (issue 12, item 3): throttling, 5xx, timeouts, partial batch
 * failures and access denied, shaped as the SDK throws them, on every call the Lambdas and the CLI make:
 *
 * - decrypt Lambda (real module): KMS Decrypt, Firehose PutRecordBatch, S3 PutObject (quarantine);
 * - alert Lambda (real module): DynamoDB BatchGet/Put/Update/Query, SNS Publish, Firehose, S3;
 * - report Lambda (real logic): Athena GetQueryResults, S3 PutObject, SES SendRawEmail;
 * - CLI: decode (KMS), redrive (S3 List/Get/Delete, KMS, Firehose), enable/status/report/pgaudit check
 *   (CloudFormation, Step Functions, RDS, Lambda).
 *
 * After each fault the way AWS would go on is replayed (Lambda redelivers the records a Kinesis batch reported
 * failed, retries a failed asynchronous invocation, the schedule flushes again, an operator runs the command
 * again), and then: nothing lost, no alert sent twice except the documented case (SNS accepted, the Lambda died
 * before marking it), retryable faults retried and the others reported clearly.
 */
import { AthenaServiceException, GetQueryResultsCommand } from '@aws-sdk/client-athena';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import {
  FirehoseClient,
  FirehoseServiceException,
  PutRecordBatchCommand,
  type PutRecordBatchCommandInput,
  type PutRecordBatchResponseEntry,
} from '@aws-sdk/client-firehose';
import { DecryptCommand, KMSClient, KMSServiceException } from '@aws-sdk/client-kms';
import { LambdaClient, LambdaServiceException, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import {
  DescribeDBClusterParametersCommand,
  DescribeDBClustersCommand,
  RDSClient,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { SESServiceException, SendRawEmailCommand, type SendRawEmailCommandInput } from '@aws-sdk/client-ses';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  PublishCommand,
  type PublishCommandInput,
  SNSClient,
  SNSServiceException,
} from '@aws-sdk/client-sns';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { athenaResultsServer } from '../../cli/local/athena-results';
import { deliveredLines } from '../../cli/local/aws/firehose';
import { DynamoTable } from '../../cli/local/dynamodb-table';
import { LocalKms } from '../../cli/local/kms';
import {
  activityEvent,
  activityRecord,
  CLUSTER_ID,
  kinesisRecord,
} from '../../cli/local/records/activity-stream';
import { subscriptionEvent } from '../../cli/local/records/logs-subscription';
import { auditEntry } from '../../cli/local/records/pgaudit-log';
import { DUE_INDEX } from '../../tasks/alert/store';
import type { SubscriptionEvent } from '../../tasks/core/cloudwatch-logs';
import type { RenderEvent } from '../../tasks/render-report/contract';
import type { QuarantineDocument } from '../../tasks/shared/quarantine';
import { runCli, runCliWith } from '../helpers/cli';
import { auditDay, type ReportWorld, reportWorld } from '../tasks/render-report/report-world';
import {
  FAULT_KINDS,
  type FaultKind,
  fault,
  type ServiceExceptionClass,
  type ServiceName,
} from './aws-errors';
import { account, invariant, type ObservedOutcome, verdictOf } from './summary';

const DECRYPT_LOG_GROUP = '/aws/lambda/aurora-audit-decrypt';
const PG_LOG_GROUP = '/aws/rds/cluster/orders-db/postgresql';
const ENABLE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:aurora-audit-enable';

Object.assign(process.env, {
  // Both Lambdas.
  AUDIT_BUCKET: 'audit-bucket',
  DELIVERY_STREAM_NAME: 'audit-events',
  RULES_FILE: '../core/alerts/default-rules.yaml',
  REDACTION_PATTERNS: '[]',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AWS_REGION: 'eu-west-1',
  // Decrypt Lambda.
  CLUSTER_RESOURCE_IDS: CLUSTER_ID,
  FIREHOSE_RETRY_BASE_DELAY_MS: '0',
  // Alert Lambda.
  ALERT_TABLE: 'alerts',
  TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:alerts',
  DECRYPT_LOG_GROUP,
  CLUSTERS: JSON.stringify([{ identifier: 'orders-db', resourceId: CLUSTER_ID, silentInstances: [] }]),
  SUBJECT_PREFIX: 'aurora-audit',
  GLUE_TABLE: 'aurora_audit.audit_events',
  CORRELATION_HOLD_SECONDS: '0',
  // CLI.
  AURORA_AUDIT_POLL_MS: '0',
});

// ---------------------------------------------------------------- fault injection

const active = new Map<string, { kind: FaultKind; remaining: number }>();
let injected = 0;

/** Fails the next `calls` calls of `target` (`service:Command`) with `kind`. */
function inject(target: string, kind: FaultKind, calls = Number.POSITIVE_INFINITY): void {
  active.set(target, { kind, remaining: calls });
}

function check(service: ServiceName, command: string, Base: ServiceExceptionClass): void {
  const f = active.get(`${service}:${command}`);
  if (!f || f.remaining <= 0) return;
  f.remaining--;
  injected++;
  throw fault(Base, service, f.kind);
}

// ---------------------------------------------------------------- the SDK boundary

const localKms = new LocalKms();
const kmsMock = mockClient(KMSClient);
const firehoseMock = mockClient(FirehoseClient);
const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
const sfnMock = mockClient(SFNClient);
const cfnMock = mockClient(CloudFormationClient);
const rdsMock = mockClient(RDSClient);
const lambdaMock = mockClient(LambdaClient);
const table = new DynamoTable('pk', [{ name: DUE_INDEX, partitionKey: 'dueKey', sortKey: 'dueAt' }]);

/** Lines Firehose accepted, quarantine documents by key, SNS messages, the bucket the CLI reads. */
let accepted: string[];
let quarantined: Map<string, QuarantineDocument>;
let published: PublishCommandInput[];
let bucket: Map<string, string>;

function stubAll(): void {
  accepted = [];
  quarantined = new Map();
  published = [];
  bucket = new Map();
  active.clear();
  table.items.clear();
  for (const m of [kmsMock, firehoseMock, s3Mock, snsMock, sfnMock, cfnMock, rdsMock, lambdaMock]) m.reset();
  table.fault = (command) => {
    try {
      check('dynamodb', command, DynamoDBServiceException);
    } catch (err) {
      return err as Error;
    }
    return undefined;
  };
  kmsMock.on(DecryptCommand).callsFake((input) => {
    check('kms', 'Decrypt', KMSServiceException);
    return { Plaintext: localKms.decrypt(input.CiphertextBlob, input.EncryptionContext ?? {}) };
  });
  firehoseMock.on(PutRecordBatchCommand).callsFake((input: PutRecordBatchCommandInput) => {
    const partial = active.get('firehose:PartialFailure');
    check('firehose', 'PutRecordBatch', FirehoseServiceException);
    const responses = (input.Records ?? []).map((r, i): PutRecordBatchResponseEntry => {
      // A partial batch failure: every other entry refused while the fault lasts.
      if (partial && partial.remaining > 0 && i % 2 === 0) {
        injected++;
        return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
      }
      // Firehose deaggregates each record into its events (as the delivery stream is configured).
      accepted.push(...deliveredLines(r.Data as Uint8Array));
      return { RecordId: `r${accepted.length}` };
    });
    if (partial) partial.remaining--;
    return { FailedPutCount: responses.filter((r) => r.ErrorCode).length, RequestResponses: responses };
  });
  s3Mock.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
    check('s3', 'PutObject', S3ServiceException);
    quarantined.set(input.Key as string, JSON.parse(input.Body as string) as QuarantineDocument);
    return {};
  });
  s3Mock.on(ListObjectsV2Command).callsFake((input) => {
    check('s3', 'ListObjectsV2', S3ServiceException);
    return {
      Contents: [...bucket.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).map((Key) => ({ Key })),
      IsTruncated: false,
    };
  });
  s3Mock.on(GetObjectCommand).callsFake((input) => {
    check('s3', 'GetObject', S3ServiceException);
    return { Body: { transformToString: async () => bucket.get(input.Key as string) ?? '' } as never };
  });
  s3Mock.on(DeleteObjectCommand).callsFake((input) => {
    check('s3', 'DeleteObject', S3ServiceException);
    bucket.delete(input.Key as string);
    return {};
  });
  snsMock.on(PublishCommand).callsFake((input: PublishCommandInput) => {
    check('sns', 'Publish', SNSServiceException);
    published.push(input);
    return { MessageId: `m-${published.length}` };
  });
  cfnMock.on(DescribeStacksCommand).callsFake(() => {
    check('cloudformation', 'DescribeStacks', CloudFormationServiceException);
    return {
      Stacks: [
        {
          StackName: 'aurora-audit',
          CreationTime: new Date(),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: [
            { OutputKey: 'EnableWorkflowArn', OutputValue: ENABLE_ARN },
            { OutputKey: 'DisableWorkflowArn', OutputValue: ENABLE_ARN.replace('enable', 'disable') },
            { OutputKey: 'ReportWorkflowArn', OutputValue: ENABLE_ARN.replace('enable', 'report') },
            {
              OutputKey: 'DecryptFunctionArn',
              OutputValue: 'arn:aws:lambda:eu-west-1:123456789012:function:d',
            },
          ],
        },
      ],
    };
  });
  sfnMock.on(StartExecutionCommand).callsFake((input) => {
    check('sfn', 'StartExecution', SFNServiceException);
    return {
      executionArn: `${ENABLE_ARN.replace(':stateMachine:', ':execution:')}:${input.name}`,
      startDate: new Date(),
    };
  });
  sfnMock.on(DescribeExecutionCommand).callsFake(() => {
    check('sfn', 'DescribeExecution', SFNServiceException);
    return { status: 'SUCCEEDED', startDate: new Date() };
  });
  sfnMock.on(GetExecutionHistoryCommand).callsFake(() => {
    check('sfn', 'GetExecutionHistory', SFNServiceException);
    return { events: [] };
  });
  sfnMock.on(ListExecutionsCommand).callsFake(() => {
    check('sfn', 'ListExecutions', SFNServiceException);
    return { executions: [] };
  });
  rdsMock.on(DescribeDBClustersCommand).callsFake(() => {
    check('rds', 'DescribeDBClusters', RDSServiceException);
    return {
      DBClusters: [
        {
          DBClusterIdentifier: 'orders-db',
          Status: 'available',
          ActivityStreamStatus: 'started',
          ActivityStreamKinesisStreamName: `aws-rds-das-${CLUSTER_ID}`,
          DBClusterParameterGroup: 'orders-db-params',
          EnabledCloudwatchLogsExports: ['postgresql'],
          DBClusterMembers: [],
        },
      ],
    };
  });
  rdsMock.on(DescribeDBClusterParametersCommand).callsFake(() => {
    check('rds', 'DescribeDBClusterParameters', RDSServiceException);
    return {
      Parameters: [
        { ParameterName: 'shared_preload_libraries', ParameterValue: 'pgaudit' },
        { ParameterName: 'pgaudit.role', ParameterValue: 'rds_pgaudit' },
        { ParameterName: 'pgaudit.log', ParameterValue: 'role,ddl' },
      ],
    };
  });
  lambdaMock.on(ListEventSourceMappingsCommand).callsFake(() => {
    check('lambda', 'ListEventSourceMappings', LambdaServiceException);
    return { EventSourceMappings: [] };
  });
}

// Loaded after the environment and the stubs: each module builds its clients and settings once.
type DecryptHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;
const decrypt = (require('../../tasks/decrypt-activity-stream/handler') as { handler: DecryptHandler })
  .handler;
const alert = (
  require('../../tasks/alert/handler') as {
    handler: (event: SubscriptionEvent | { flush: true }) => Promise<unknown>;
  }
).handler;

const tally = invariant(
  'aws faults',
  () =>
    `${injected} faults injected (throttling, 5xx, timeouts, partial batch failures, access denied); ${documentedDuplicates} documented at-least-once duplicates (a redelivered record's events, same ids; the alerts SNS accepted but the Lambda could not mark sent)`,
);
let documentedDuplicates = 0;

afterAll(() => table.restore());

const markerOf = (line: string) =>
  (JSON.parse(line) as { clientApplication: string | null }).clientApplication ?? '';

// ---------------------------------------------------------------- decrypt Lambda

describe('the decrypt Lambda under AWS faults', () => {
  // Its alert lines go to stdout: kept out of the test output.
  let quiet: jest.SpyInstance;
  beforeEach(() => {
    quiet = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => quiet.mockRestore());
  const targets = [
    ['kms', 'Decrypt'],
    ['firehose', 'PutRecordBatch'],
    ['firehose', 'PartialFailure'],
    ['s3', 'PutObject'],
  ] as const;
  const cases = targets.flatMap(([service, command]) =>
    (command === 'PartialFailure' ? (['throttling'] as const) : FAULT_KINDS).flatMap((kind) =>
      (['one call', 'the whole invocation'] as const).map((span) => ({ service, command, kind, span })),
    ),
  );

  it.each(cases)(
    'loses no record when $service $command fails with $kind for $span, and retries or reports exactly the affected ones',
    async ({ service, command, kind, span }) => {
      stubAll();
      const n = `${service}-${command}-${kind}-${span}`.replace(/\W+/g, '-');
      const goods = await Promise.all(
        [0, 1, 2].map((i) =>
          activityRecord(localKms, [
            activityEvent({ clientApplication: `${n}-${i}-a` }),
            activityEvent({ class: 'READ', command: 'SELECT', clientApplication: `${n}-${i}-b` }),
          ]),
        ),
      );
      const partial = await activityRecord(localKms, [
        activityEvent({ clientApplication: `${n}-p` }),
        activityEvent({ logTime: 'garbage', startTime: null, clientApplication: `${n}-p-bad` }),
      ]);
      const records: KinesisStreamRecord[] = [
        ...goods.map((g) => kinesisRecord(g.data)),
        kinesisRecord(Buffer.from('not an activity record').toString('base64')),
        kinesisRecord(partial.data),
      ];
      const expected = new Map<string, string[]>(
        records.map((r, i) => [
          r.kinesis.sequenceNumber,
          i < 3 ? [`${n}-${i}-a`, `${n}-${i}-b`] : i === 4 ? [`${n}-p`] : [],
        ]),
      );
      inject(`${service}:${command}`, kind, span === 'one call' ? 1 : Number.POSITIVE_INFINITY);

      // Lambda redelivers what a batch reports failed (the mapping retries 10 times); the fault ends after
      // the first invocation.
      let pending = records;
      const everFailed = new Set<string>();
      let firstFailures: string[] = [];
      for (let attempt = 1; attempt <= 3 && pending.length > 0; attempt++) {
        const response = await decrypt({ Records: pending });
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        if (attempt === 1) firstFailures = [...failed];
        for (const s of failed) everFailed.add(s);
        pending = pending.filter((r) => failed.has(r.kinesis.sequenceNumber));
        active.clear();
      }
      expect(pending).toEqual([]);

      const counts = new Map<string, number>();
      for (const line of accepted) counts.set(markerOf(line), (counts.get(markerOf(line)) ?? 0) + 1);
      const docs = [...quarantined.values()];
      const outcomes: ObservedOutcome[] = records.map((r) => {
        const want = expected.get(r.kinesis.sequenceNumber) ?? [];
        const doc = docs.find((d) => d.metadata.sequenceNumber === r.kinesis.sequenceNumber);
        return {
          id: r.kinesis.sequenceNumber,
          expectedEvents: want.length,
          deliveredEvents: want.filter((m) => (counts.get(m) ?? 0) > 0).length,
          quarantinedWithBytes:
            !!doc && Buffer.from(doc.originalBase64, 'base64').equals(Buffer.from(r.kinesis.data, 'base64')),
          // Counted as retried when Lambda had to deliver it again.
          reportedFailure: false,
        };
      });
      // Final state after the redeliveries: each record delivered (or quarantined), none lost.
      expect(outcomes.filter((o) => verdictOf(o) === 'lost').map((o) => o.id)).toEqual([]);
      account(
        tally,
        outcomes.map((o) => ({ ...o, reportedFailure: everFailed.has(o.id) })),
      );

      // What was retried and why.
      const seq = records.map((r) => r.kinesis.sequenceNumber);
      if (service === 'kms') {
        // Transient for every kind (access problems are fixed by an operator): reported, never quarantined.
        expect(firstFailures.length).toBe(span === 'one call' ? 1 : 4);
        expect(docs.every((d) => d.errorName !== 'DataKeyRejectedError')).toBe(true);
      } else if (service === 'firehose') {
        // Firehose entries are retried inside the invocation (5 attempts); only a fault lasting all of them
        // reports the records whose events were not all accepted.
        const withEvents = [seq[0], seq[1], seq[2], seq[4]];
        if (span === 'one call') expect(firstFailures).toEqual([]);
        else if (command === 'PartialFailure') {
          // Every other entry refused on every attempt: some records still have a refused event at the end.
          expect(firstFailures.length).toBeGreaterThan(0);
          expect(firstFailures.every((f) => withEvents.includes(f))).toBe(true);
        } else expect(firstFailures.sort()).toEqual(withEvents.sort());
      } else {
        // A quarantine that could not be written: the record is retried, not dropped.
        expect(firstFailures.sort()).toEqual(span === 'one call' ? [seq[3]] : [seq[3], seq[4]].sort());
      }
      // An event accepted twice belongs to a record Lambda delivered again (at least once, same event id).
      for (const [marker, count] of counts) {
        if (count === 1) continue;
        const owner = [...expected].find(([, markers]) => markers.includes(marker))?.[0];
        expect(everFailed.has(owner ?? '')).toBe(true);
        documentedDuplicates += count - 1;
      }
    },
  );

  it('quarantines a record whose data key KMS refuses (InvalidCiphertextException) instead of retrying it', async () => {
    stubAll();
    kmsMock.on(DecryptCommand).rejects(
      new KMSServiceException({
        name: 'InvalidCiphertextException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'invalid ciphertext (injected)',
      }),
    );
    const record = kinesisRecord((await activityRecord(localKms, [activityEvent()])).data);
    const response = await decrypt({ Records: [record] });
    expect(response.batchItemFailures).toEqual([]);
    expect([...quarantined.values()].map((d) => d.errorName)).toEqual(['DataKeyRejectedError']);
    account(tally, [
      {
        id: 'kms-invalid',
        expectedEvents: 1,
        deliveredEvents: 0,
        quarantinedWithBytes: true,
        reportedFailure: false,
      },
    ]);
  });
});

// ---------------------------------------------------------------- alert Lambda

describe('the alert Lambda under AWS faults', () => {
  const targets = [
    ['sns', 'Publish'],
    ['firehose', 'PutRecordBatch'],
    ['firehose', 'PartialFailure'],
    ['s3', 'PutObject'],
    ['dynamodb', 'BatchGet'],
    ['dynamodb', 'Put'],
    ['dynamodb', 'Update'],
    ['dynamodb', 'Query'],
  ] as const;
  const cases = targets.flatMap(([service, command]) =>
    (command === 'PartialFailure' ? (['throttling'] as const) : FAULT_KINDS).map((kind) => ({
      service,
      command,
      kind,
    })),
  );

  /** Three grants, a DROP TABLE and an unreadable entry: four alerts and one quarantined entry. */
  function payload(tag: string) {
    const lines = [
      auditEntry({ statementId: 1, statement: `GRANT SELECT ON t_${tag} TO a` }),
      auditEntry({ statementId: 2, statement: `GRANT SELECT ON t_${tag} TO b` }),
      auditEntry({ statementId: 3, command: 'REVOKE', statement: `REVOKE SELECT ON t_${tag} FROM c` }),
      auditEntry({ statementId: 4, class: 'DDL', command: 'DROP TABLE', statement: `DROP TABLE t_${tag}` }),
      `${auditEntry({ statementId: 5 }).split('AUDIT: ')[0]}AUDIT: SESSION,5,1,ROLE,GRANT,,,"unclosed,<none>`,
    ];
    return { lines, event: subscriptionEvent(lines, { logGroup: PG_LOG_GROUP, logStream: 'orders-db-1' }) };
  }

  it.each(cases)(
    'sends every alert exactly once and archives every event when $service $command fails with $kind',
    async ({ service, command, kind }) => {
      stubAll();
      const { lines, event } = payload(`${service}_${command}_${kind}`.toLowerCase());
      inject(`${service}:${command}`, kind);
      // The first invocation meets the fault; Lambda retries a failed asynchronous invocation (twice) and the
      // schedule flushes every 2 minutes: the fault has passed by then.
      let failedInvocations = 0;
      try {
        await alert(event);
      } catch {
        failedInvocations++;
      }
      const sentDuringFault = published.length;
      active.clear();
      if (failedInvocations > 0) await alert(event);
      await alert({ flush: true });
      await alert({ flush: true });

      // Each message names its event id: no alert twice, none missing.
      const messages = published.map((p) => p.Message);
      expect(new Set(messages).size).toBe(messages.length);
      expect(messages).toHaveLength(4);
      if (service === 'sns') expect(sentDuringFault).toBe(0);
      // Every pgAudit event archived (at least once: a retried invocation archives again, same ids).
      const archivedIds = new Set(
        accepted.map((l) => (JSON.parse(l) as { statementId: number }).statementId),
      );
      expect([1, 2, 3, 4].every((id) => archivedIds.has(id))).toBe(true);
      const doc = [...quarantined.values()][0];
      expect(Buffer.from(doc?.originalBase64 ?? '', 'base64').toString()).toBe(lines[4]);
      // Items: the four alerts marked sent, nothing left pending.
      const alerts = [...table.items.values()].filter((i) => i.kind === 'alert');
      expect(alerts.map((i) => i.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
      const retried = failedInvocations > 0 || sentDuringFault < 4;
      const outcomes: ObservedOutcome[] = [1, 2, 3, 4].map((id) => ({
        id: `${service}:${command}:${kind}:${id}`,
        expectedEvents: 1,
        deliveredEvents: archivedIds.has(id) ? 1 : 0,
        quarantinedWithBytes: false,
        reportedFailure: false,
      }));
      outcomes.push({
        id: 'unreadable',
        expectedEvents: 1,
        deliveredEvents: 0,
        quarantinedWithBytes: Buffer.from(doc?.originalBase64 ?? '', 'base64').toString() === lines[4],
        reportedFailure: false,
      });
      expect(outcomes.filter((o) => verdictOf(o) === 'lost').map((o) => o.id)).toEqual([]);
      account(
        tally,
        outcomes.map((o) => ({ ...o, reportedFailure: retried && o.id !== 'unreadable' })),
      );
    },
  );

  it('may send an alert twice only when SNS accepted it and the Lambda could not mark it sent (the documented case)', async () => {
    stubAll();
    const { event } = payload('died');
    const start = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(start);
    try {
      // Every "mark sent" fails: as if the Lambda died between SNS accepting and the mark.
      table.fault = (cmd, input) =>
        cmd === 'Update' &&
        String((input as { UpdateExpression?: string }).UpdateExpression).includes('finishedAt')
          ? fault(DynamoDBServiceException, 'dynamodb', 'server')
          : undefined;
      await alert(event);
      expect(published).toHaveLength(4);
      table.fault = undefined;
      await alert({ flush: true }); // the claims are fresh: nothing is sent again yet
      expect(published).toHaveLength(4);
      clock.mockReturnValue(start + 6 * 60_000); // past the 5-minute claim timeout
      await alert({ flush: true });
      await alert({ flush: true });
      const duplicates = published.length - new Set(published.map((p) => p.Message)).size;
      expect(duplicates).toBe(4); // once more each, then marked sent
      documentedDuplicates += duplicates;
      account(
        tally,
        [0, 1, 2, 3].map((i) => ({
          id: `died-${i}`,
          expectedEvents: 1,
          deliveredEvents: 1,
          quarantinedWithBytes: false,
          reportedFailure: true,
        })),
      );
    } finally {
      clock.mockRestore();
    }
  });
});

// ---------------------------------------------------------------- report Lambda

describe('the report Lambda under AWS faults', () => {
  let world: ReportWorld;
  let render: RenderEvent;
  beforeAll(async () => {
    world = await reportWorld(auditDay());
    ({ render } = await world.prepareAndRun({ period: 'daily' }, { executionName: 'faults-daily' }));
  }, 120_000);
  afterAll(() => world?.close());

  function stubReport(): void {
    world.objects.clear();
    world.sent.length = 0;
    active.clear();
    const serve = athenaResultsServer(world.results);
    world.athena.on(GetQueryResultsCommand).callsFake((input) => {
      check('athena', 'GetQueryResults', AthenaServiceException);
      return serve(input);
    });
    world.s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
      check('s3', 'PutObject', S3ServiceException);
      const body = input.Body;
      world.objects.set(input.Key as string, {
        ...input,
        bytes: typeof body === 'string' ? Buffer.from(body) : Buffer.from(body as Uint8Array),
      });
      return { ETag: '"e"' };
    });
    world.ses.on(SendRawEmailCommand).callsFake((input: SendRawEmailCommandInput) => {
      check('ses', 'SendRawEmail', SESServiceException);
      world.sent.push({ ...input, raw: Buffer.from(input.RawMessage?.Data as Uint8Array).toString('utf8') });
      return { MessageId: `ses-${world.sent.length}` };
    });
  }

  const steps = [
    ['athena', 'GetQueryResults', 'ReportQueryResultsError'],
    ['s3', 'PutObject', 'ReportArchiveError'],
    ['ses', 'SendRawEmail', 'ReportSendError'],
  ] as const;
  const cases = steps.flatMap(([service, command, error]) =>
    FAULT_KINDS.map((kind) => ({ service, command, error, kind })),
  );

  it.each(cases)(
    'fails $command with $kind as $error, says whether a retry helps, sends nothing unarchived, and sends once on the retry',
    async ({ service, command, error, kind }) => {
      stubReport();
      inject(`${service}:${command}`, kind);
      await expect(world.render(render)).rejects.toMatchObject({
        name: error,
        retryable: kind !== 'accessDenied',
        awsError: kind === 'timeout' ? 'TimeoutError' : expect.any(String),
      });
      expect(world.sent).toHaveLength(0);
      const eml = [...world.objects.keys()].some((k) => k.endsWith('report.eml'));
      // The archive is complete before anything is sent; a failed archive sends nothing.
      expect(eml).toBe(service === 'ses');
      active.clear();
      await world.render(render); // the operator's new execution with the same input (README "Report workflow")
      expect(world.sent).toHaveLength(1);
      account(tally, [
        {
          id: `report ${command} ${kind}`,
          expectedEvents: 1,
          deliveredEvents: 1,
          quarantinedWithBytes: false,
          reportedFailure: true,
        },
      ]);
    },
  );
});

// ---------------------------------------------------------------- CLI

describe('the CLI under AWS faults', () => {
  const commands: { name: string; target: string; args: string[]; stdin?: () => Promise<string> }[] = [
    {
      name: 'decode',
      target: 'kms:Decrypt',
      args: ['decode', '--cluster-resource-id', CLUSTER_ID],
      stdin: async () => (await activityRecord(localKms, [activityEvent()])).data,
    },
    ...[
      'cloudformation:DescribeStacks',
      'sfn:StartExecution',
      'sfn:DescribeExecution',
      'sfn:GetExecutionHistory',
    ].map((target) => ({
      name: 'enable --wait',
      target,
      args: ['enable', '--cluster', 'orders-db', '--ticket', 'CHG1', '--wait'],
    })),
    ...['rds:DescribeDBClusters', 'lambda:ListEventSourceMappings', 'sfn:ListExecutions'].map((target) => ({
      name: 'status',
      target,
      args: ['status', '--cluster', 'orders-db'],
    })),
    { name: 'report', target: 'sfn:StartExecution', args: ['report', '--period', 'daily'] },
    ...['rds:DescribeDBClusters', 'rds:DescribeDBClusterParameters'].map((target) => ({
      name: 'pgaudit check',
      target,
      args: ['pgaudit', 'check', '--cluster', 'orders-db'],
    })),
  ];
  const cases = commands.flatMap((c) => FAULT_KINDS.map((kind) => ({ ...c, kind })));

  it.each(cases)(
    '$name fails clearly when $target fails with $kind, and succeeds when run again',
    async (c) => {
      stubAll();
      // GetExecutionHistory is called only while the run is RUNNING.
      if (c.target === 'sfn:GetExecutionHistory')
        sfnMock
          .on(DescribeExecutionCommand)
          .resolvesOnce({ status: 'RUNNING', startDate: new Date() })
          .resolves({ status: 'SUCCEEDED', startDate: new Date() });
      const stdin = c.stdin ? await c.stdin() : undefined;
      inject(c.target, c.kind);
      const failed = await runCliWith({ stdin }, ...c.args);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/injected/);
      active.clear();
      const again = await runCliWith({ stdin }, ...c.args);
      expect(again.code).toBe(0);
      account(tally, [
        {
          id: `${c.name} ${c.target} ${c.kind}`,
          expectedEvents: 0,
          deliveredEvents: 0,
          quarantinedWithBytes: false,
          reportedFailure: true,
        },
      ]);
    },
  );

  const redriveTargets = [
    's3:ListObjectsV2',
    's3:GetObject',
    'kms:Decrypt',
    'firehose:PutRecordBatch',
    's3:DeleteObject',
  ];
  const redriveCases = redriveTargets.flatMap((target) => FAULT_KINDS.map((kind) => ({ target, kind })));

  it.each(redriveCases)(
    'redrive deletes no source it did not deliver when $target fails with $kind, and delivers it when run again',
    async ({ target, kind }) => {
      stubAll();
      const r = kinesisRecord(
        (await activityRecord(localKms, [activityEvent({ clientApplication: `redrive-${target}-${kind}` })]))
          .data,
      );
      const key = 'quarantine/das/2026-11-24/shard_1.json';
      bucket.set(
        key,
        JSON.stringify({
          reason: 'KMS was down',
          errorName: 'DataKeyUnavailableError',
          quarantinedAt: '2026-11-24T10:00:00.000Z',
          metadata: { eventSourceARN: r.eventSourceARN, sequenceNumber: r.kinesis.sequenceNumber },
          originalBase64: r.kinesis.data,
        }),
      );
      inject(target, kind);
      const args = ['redrive', '--bucket', 'audit-bucket', '--delivery-stream', 'audit-events'];
      const failed = await runCli(...args);
      expect(failed.code).toBe(1);
      expect(`${failed.stdout}${failed.stderr}`).toMatch(/injected/);
      expect(bucket.has(key)).toBe(true);
      const deliveredBefore = accepted.length;
      active.clear();
      const again = await runCli(...args);
      expect(again.code).toBe(0);
      expect(bucket.has(key)).toBe(false);
      // Delivered once, or twice when only the delete failed (the object stayed; same event id).
      expect(accepted.length).toBe(target === 's3:DeleteObject' ? 2 : 1);
      if (deliveredBefore > 0) documentedDuplicates += deliveredBefore;
      account(tally, [
        {
          id: `redrive ${target} ${kind}`,
          expectedEvents: 1,
          deliveredEvents: accepted.length > 0 ? 1 : 0,
          quarantinedWithBytes: false,
          reportedFailure: true,
        },
      ]);
    },
    30_000,
  );
});
