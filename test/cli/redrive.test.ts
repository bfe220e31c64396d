import {
  FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandInput,
} from '@aws-sdk/client-firehose';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { deliveredLines } from '../../cli/local/aws/firehose';
import { LocalKms } from '../../cli/local/kms';
import {
  activityEvent,
  activityRecord,
  kinesisRecord,
  OTHER_CLUSTER_ID,
} from '../../cli/local/records/activity-stream';
import { parseAuditEvent } from '../../tasks/core/audit-event';
import { runCli } from '../helpers/cli';
import { cliTranscript, documentedTranscript } from '../helpers/transcript';

const kms = new LocalKms();
const kmsMock = mockClient(KMSClient);
const s3Mock = mockClient(S3Client);
const firehoseMock = mockClient(FirehoseClient);
let bucket: Map<string, string>;
let stored: string[];
let refuse: (line: string) => boolean;

function quarantineDoc(data: string, eventSourceARN: string): string {
  return JSON.stringify({
    reason: 'KMS was down',
    errorName: 'DataKeyRejectedError',
    quarantinedAt: '2026-11-24T10:00:00.000Z',
    metadata: { eventSourceARN, sequenceNumber: '1' },
    originalBase64: Buffer.from(data, 'base64').toString('base64'),
  });
}

beforeEach(() => {
  process.env.AWS_REGION = 'eu-west-1';
  bucket = new Map();
  stored = [];
  refuse = () => false;
  kmsMock.reset();
  s3Mock.reset();
  firehoseMock.reset();
  kmsMock.on(DecryptCommand).callsFake((input) => ({
    Plaintext: kms.decrypt(input.CiphertextBlob, input.EncryptionContext ?? {}),
  }));
  s3Mock.on(ListObjectsV2Command).callsFake((input: ListObjectsV2CommandInput) => ({
    Contents: [...bucket.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).map((Key) => ({ Key })),
    IsTruncated: false,
  }));
  s3Mock.on(GetObjectCommand).callsFake((input) => ({
    // The part of the SDK's stream body that redrive uses.
    Body: { transformToString: async () => bucket.get(input.Key) ?? '' } as never,
  }));
  s3Mock.on(DeleteObjectCommand).callsFake((input) => {
    bucket.delete(input.Key);
    return {};
  });
  firehoseMock.on(PutRecordBatchCommand).callsFake((input: PutRecordBatchCommandInput) => {
    const responses = (input.Records ?? []).map((r) => {
      const lines = deliveredLines(r.Data as Uint8Array);
      if (lines.some(refuse)) return { ErrorCode: 'InternalFailure', ErrorMessage: 'nope' };
      stored.push(...lines);
      return { RecordId: 'x' };
    });
    return { FailedPutCount: responses.filter((r) => 'ErrorCode' in r).length, RequestResponses: responses };
  });
});

const args = ['redrive', '--bucket', 'audit', '--delivery-stream', 'events'];

describe('aurora-audit redrive', () => {
  it('delivers the events of quarantined records and on-failure objects, then deletes the sources', async () => {
    const q = kinesisRecord((await activityRecord(kms, [activityEvent(), activityEvent()])).data);
    bucket.set('quarantine/das/2026-11-24/shard_1.json', quarantineDoc(q.kinesis.data, q.eventSourceARN));
    const f1 = kinesisRecord((await activityRecord(kms, [activityEvent()])).data);
    const f2 = kinesisRecord(
      (await activityRecord(kms, [activityEvent({ class: 'DDL', command: 'DROP TABLE' })])).data,
    );
    bucket.set(
      'aws/lambda/uuid/shardId-000000000000/2026/11/24/2026-11-24T10.00.00-abc',
      JSON.stringify({
        requestContext: { condition: 'RetryAttemptsExhausted' },
        KinesisBatchInfo: { shardId: 'shardId-000000000000', batchSize: 2 },
        payload: JSON.stringify({ Records: [f1, f2] }),
      }),
    );
    const run = await runCli(...args);
    expect(run.code).toBe(0);
    expect(stored.map((l) => parseAuditEvent(JSON.parse(l)).command)).toEqual([
      'GRANT',
      'GRANT',
      'GRANT',
      'DROP TABLE',
    ]);
    expect(bucket.size).toBe(0);
    expect(run.stdout).toContain('2 objects: 2 delivered (4 events, 2 sources deleted), 0 still failing');
  });

  it('changes nothing with --dry-run and says what it would deliver', async () => {
    const q = kinesisRecord((await activityRecord(kms, [activityEvent()])).data);
    bucket.set('quarantine/das/2026-11-24/a.json', quarantineDoc(q.kinesis.data, q.eventSourceARN));
    const run = await runCli(...args, '--dry-run');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('would deliver  quarantine/das/2026-11-24/a.json: 1 events');
    expect(stored).toEqual([]);
    expect(bucket.size).toBe(1);
    expect(s3Mock.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });

  it('keeps an object whose record still cannot be decrypted and says why', async () => {
    const bad = kinesisRecord(
      (await activityRecord(kms, [activityEvent()], { keyContextClusterId: OTHER_CLUSTER_ID })).data,
    );
    bucket.set('quarantine/das/2026-11-24/bad.json', quarantineDoc(bad.kinesis.data, bad.eventSourceARN));
    const run = await runCli(...args);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /still failing {2}quarantine\/das\/2026-11-24\/bad\.json: DataKeyRejectedError: KMS rejected/,
    );
    expect(bucket.has('quarantine/das/2026-11-24/bad.json')).toBe(true);
  });

  it('never deletes an object Firehose did not fully accept', async () => {
    const r = kinesisRecord(
      (await activityRecord(kms, [activityEvent({ command: 'GRANT' }), activityEvent({ command: 'REVOKE' })]))
        .data,
    );
    bucket.set('quarantine/das/2026-11-24/half.json', quarantineDoc(r.kinesis.data, r.eventSourceARN));
    refuse = (line) => line.includes('"REVOKE"');
    const run = await runCli(...args);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /still failing {2}quarantine\/das\/2026-11-24\/half\.json: Error: Firehose refused 2 of 2 events/,
    );
    expect(bucket.size).toBe(1);
  }, 20_000);

  it('reports an object it does not recognize and keeps it', async () => {
    bucket.set('quarantine/das/2026-11-24/odd.json', '{"hello": 1}');
    const run = await runCli(...args);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'UnrecognizedSourceError: neither a quarantine document nor an on-failure object',
    );
    expect(bucket.size).toBe(1);
  });

  it('prints the transcript docs/cli.md shows (from these stubs): a dry run, then the redrive', async () => {
    const q = kinesisRecord((await activityRecord(kms, [activityEvent(), activityEvent()])).data);
    bucket.set('quarantine/das/2026-11-24/shard_1.json', quarantineDoc(q.kinesis.data, q.eventSourceARN));
    const f = kinesisRecord((await activityRecord(kms, [activityEvent({ command: 'REVOKE' })])).data);
    bucket.set(
      'aws/lambda/uuid/shardId-000000000000/2026/11/24/2026-11-24T10.00.00-abc',
      JSON.stringify({
        requestContext: { condition: 'RetryAttemptsExhausted' },
        KinesisBatchInfo: { shardId: 'shardId-000000000000', batchSize: 1 },
        payload: JSON.stringify({ Records: [f] }),
      }),
    );
    const bad = kinesisRecord(
      (await activityRecord(kms, [activityEvent()], { keyContextClusterId: OTHER_CLUSTER_ID })).data,
    );
    bucket.set('quarantine/das/2026-11-25/shard_2.json', quarantineDoc(bad.kinesis.data, bad.eventSourceARN));
    const shown = [
      await cliTranscript([...args, '--dry-run'], {
        shown: 'aurora-audit redrive --bucket "$AUDIT_BUCKET" --delivery-stream "$DELIVERY_STREAM" --dry-run',
      }),
      await cliTranscript(args, {
        shown: 'aurora-audit redrive --bucket "$AUDIT_BUCKET" --delivery-stream "$DELIVERY_STREAM"',
      }),
    ].join('');
    expect(stored.map((l) => parseAuditEvent(JSON.parse(l)).command)).toEqual(['GRANT', 'GRANT', 'REVOKE']);
    expect([...bucket.keys()]).toEqual(['quarantine/das/2026-11-25/shard_2.json']);
    expect(shown).toBe(documentedTranscript('redrive'));
  });

  it('refuses prefixes outside quarantine/ and the on-failure prefix, and needs the bucket and stream', async () => {
    expect((await runCli(...args, '--from', 'events/')).code).toBe(2);
    const missing = await runCli('redrive');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('redrive needs --bucket and --delivery-stream');
  });
});
