import { gzipSync } from 'node:zlib';
import type * as FirehoseModule from '@aws-sdk/client-firehose';
import type { PutRecordBatchCommandInput } from '@aws-sdk/client-firehose';
import type * as KmsModule from '@aws-sdk/client-kms';
import type * as S3Module from '@aws-sdk/client-s3';
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type * as ClientMockModule from 'aws-sdk-client-mock';
import { deliveredLines } from '../../../cli/local/aws/firehose';
import { LocalKms, LocalKmsError } from '../../../cli/local/kms';
import {
  activityEvent,
  activityRecord,
  CLUSTER_ID,
  heartbeatEvent,
  kinesisEvent,
  kinesisRecord,
  OTHER_CLUSTER_ID,
} from '../../../cli/local/records/activity-stream';
import { type AuditEvent, parseAuditEvent } from '../../../tasks/core/audit-event';
import type { QuarantineDocument } from '../../../tasks/shared/quarantine';

const localKms = new LocalKms();

type Handler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

type KmsMock = ClientMockModule.AwsStub<
  KmsModule.ServiceInputTypes,
  KmsModule.ServiceOutputTypes,
  KmsModule.KMSClientResolvedConfig
>;

interface World {
  handler: Handler;
  /** The KMS client stub of this handler instance (its module registry is isolated). */
  kms: KmsMock;
  DecryptCommand: typeof KmsModule.DecryptCommand;
  /** Every line Firehose accepted, in order. */
  stored: AuditEvent[];
  quarantined: { key: string; doc: QuarantineDocument }[];
  alertLines: string[];
  firehoseCalls: PutRecordBatchCommandInput[];
}

/** Fault injection for Firehose: answers the nth call (1-based) with per-entry error codes or a thrown error. */
type FirehoseFault = (
  call: number,
  input: PutRecordBatchCommandInput,
) => 'throttle' | ((i: number) => boolean) | undefined;

function loadHandler(env: Record<string, string> = {}, firehoseFault?: FirehoseFault): World {
  const world = { stored: [], quarantined: [], alertLines: [], firehoseCalls: [] } as unknown as World;
  Object.assign(process.env, {
    AUDIT_BUCKET: 'audit-bucket',
    DELIVERY_STREAM_NAME: 'audit-events',
    CLUSTER_RESOURCE_IDS: CLUSTER_ID,
    FIREHOSE_RETRY_BASE_DELAY_MS: '1',
    FIREHOSE_MAX_ATTEMPTS: '5',
    MAX_DECOMPRESSED_BYTES: String(16 * 1024 * 1024),
    REDACTION_PATTERNS: '[]',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_REGION: 'eu-west-1',
    ...env,
  });
  // Each world loads the handler with a fresh module registry (fresh cache and clients), so the SDK
  // modules and their stubs are loaded inside it too.
  jest.isolateModules(() => {
    const { mockClient } = require('aws-sdk-client-mock') as typeof ClientMockModule;
    const kms = require('@aws-sdk/client-kms') as typeof KmsModule;
    const fh = require('@aws-sdk/client-firehose') as typeof FirehoseModule;
    const s3 = require('@aws-sdk/client-s3') as typeof S3Module;
    world.kms = mockClient(kms.KMSClient) as unknown as KmsMock;
    world.DecryptCommand = kms.DecryptCommand;
    stubServices(
      world,
      mockClient(fh.FirehoseClient),
      fh.PutRecordBatchCommand,
      mockClient(s3.S3Client),
      s3.PutObjectCommand,
      firehoseFault,
    );
    world.handler = require('../../../tasks/decrypt-activity-stream/handler').handler;
  });
  return world;
}

function stubServices(
  world: World,
  firehoseMock: ReturnType<typeof ClientMockModule.mockClient>,
  PutRecordBatchCommand: typeof FirehoseModule.PutRecordBatchCommand,
  s3Mock: ReturnType<typeof ClientMockModule.mockClient>,
  PutObjectCommand: typeof S3Module.PutObjectCommand,
  firehoseFault?: FirehoseFault,
): void {
  world.kms.on(world.DecryptCommand).callsFake((input) => {
    try {
      return { Plaintext: localKms.decrypt(input.CiphertextBlob, input.EncryptionContext ?? {}) };
    } catch (err) {
      throw err instanceof LocalKmsError ? err : new Error(String(err));
    }
  });
  firehoseMock.on(PutRecordBatchCommand as never).callsFake((input: PutRecordBatchCommandInput) => {
    world.firehoseCalls.push(input);
    const fault = firehoseFault?.(world.firehoseCalls.length, input);
    if (fault === 'throttle') {
      throw Object.assign(new Error('Slow down.'), { name: 'ServiceUnavailableException' });
    }
    const records = input.Records ?? [];
    const responses = records.map((r, i) => {
      if (fault?.(i)) return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
      // Firehose deaggregates each record into its events (as the delivery stream is configured).
      for (const line of deliveredLines(r.Data as Uint8Array))
        world.stored.push(parseAuditEvent(JSON.parse(line)));
      return { RecordId: `rid-${world.stored.length}` };
    });
    return { FailedPutCount: responses.filter((r) => 'ErrorCode' in r).length, RequestResponses: responses };
  });
  s3Mock.on(PutObjectCommand as never).callsFake((input: PutObjectCommandInput) => {
    world.quarantined.push({ key: input.Key as string, doc: JSON.parse(input.Body as string) });
    return {};
  });
}

let writeSpy: jest.SpyInstance;
let currentWorld: World | undefined;
beforeEach(() => {
  currentWorld = undefined;
  writeSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    const text = chunk.toString();
    if (text.startsWith('{"auditEvent":')) currentWorld?.alertLines.push(text);
    return true;
  });
});
afterEach(() => writeSpy.mockRestore());

function world(env?: Record<string, string>, fault?: FirehoseFault): World {
  currentWorld = loadHandler(env, fault);
  return currentWorld;
}

const failuresOf = (r: KinesisStreamBatchResponse) => r.batchItemFailures.map((f) => f.itemIdentifier).sort();
const seq = (r: KinesisStreamRecord) => r.kinesis.sequenceNumber;

describe('the decrypt Lambda', () => {
  it('delivers every event of a multi-event record to Firehose once, skipping heartbeats', async () => {
    const w = world();
    const record = await activityRecord(localKms, [
      activityEvent(),
      heartbeatEvent(),
      activityEvent({ class: 'READ', command: 'SELECT', commandText: 'SELECT 1' }),
    ]);
    const response = await w.handler(kinesisEvent([kinesisRecord(record.data)]));
    expect(response.batchItemFailures).toEqual([]);
    expect(w.stored.map((e) => e.command)).toEqual(['GRANT', 'SELECT']);
    expect(w.stored.every((e) => e.clusterId === CLUSTER_ID && e.source === 'das')).toBe(true);
    expect(w.quarantined).toEqual([]);
  });

  it('handles a heartbeat-only record without writing anything', async () => {
    const w = world();
    const record = await activityRecord(localKms, [heartbeatEvent(), heartbeatEvent()]);
    const response = await w.handler(kinesisEvent([kinesisRecord(record.data)]));
    expect(response.batchItemFailures).toEqual([]);
    expect(w.firehoseCalls).toHaveLength(0);
    expect(w.quarantined).toHaveLength(0);
  });

  it('handles a record with an empty event list', async () => {
    const w = world();
    const record = await activityRecord(localKms, []);
    expect((await w.handler(kinesisEvent([kinesisRecord(record.data)]))).batchItemFailures).toEqual([]);
    expect(w.stored).toEqual([]);
  });

  it('filters rdsadmin traffic in any case', async () => {
    const w = world();
    const record = await activityRecord(localKms, [
      activityEvent({ dbUserName: 'rdsadmin' }),
      activityEvent({ dbUserName: 'RDSADMIN' }),
      activityEvent({ dbUserName: 'RdsProxyAdmin' }),
      activityEvent({ dbUserName: 'app_user' }),
    ]);
    await w.handler(kinesisEvent([kinesisRecord(record.data)]));
    expect(w.stored.map((e) => e.user)).toEqual(['app_user']);
  });

  it('decrypts the data key once for many records that share it', async () => {
    const w = world();
    const dataKey = new Uint8Array(32).fill(5);
    const records = await Promise.all(
      Array.from({ length: 20 }, () => activityRecord(localKms, [activityEvent()], { dataKey })),
    );
    // Records sharing one data key carry the same key ciphertext, as in a real stream period.
    const sharedKey = JSON.parse(records[0]!.json).key;
    const data = records.map((r) =>
      Buffer.from(JSON.stringify({ ...JSON.parse(r.json), key: sharedKey })).toString('base64'),
    );
    await w.handler(kinesisEvent(data.map((d) => kinesisRecord(d))));
    await w.handler(kinesisEvent(data.slice(0, 5).map((d) => kinesisRecord(d))));
    expect(w.kms.commandCalls(w.DecryptCommand)).toHaveLength(1);
    expect(w.stored).toHaveLength(25);
  });

  it('asks KMS with the cluster resource id as encryption context', async () => {
    const w = world();
    const record = await activityRecord(localKms, [activityEvent()]);
    await w.handler(kinesisEvent([kinesisRecord(record.data)]));
    expect(w.kms.commandCalls(w.DecryptCommand)[0]?.args[0].input.EncryptionContext).toEqual({
      'aws:rds:dbc-id': CLUSTER_ID,
    });
  });

  it('writes exactly one pure JSON alert line per ROLE event and none for others', async () => {
    const w = world();
    const record = await activityRecord(localKms, [
      activityEvent({ class: 'ROLE', command: 'GRANT' }),
      activityEvent({ class: 'READ', command: 'SELECT' }),
      activityEvent({
        class: 'ROLE',
        command: 'ALTER ROLE',
        commandText: "ALTER ROLE x PASSWORD 'pw-in-alert'",
      }),
    ]);
    await w.handler(kinesisEvent([kinesisRecord(record.data)]));
    expect(w.alertLines).toHaveLength(2);
    const parsed = w.alertLines.map((l) => JSON.parse(l));
    expect(parsed.map((p) => p.auditEvent.command)).toEqual(['GRANT', 'ALTER ROLE']);
    expect(w.alertLines.every((l) => l.endsWith('}\n') && l.indexOf('\n') === l.length - 1)).toBe(true);
    expect(w.alertLines.join('')).not.toContain('pw-in-alert');
  });

  it('never stores a password in clear', async () => {
    const w = world({ REDACTION_PATTERNS: JSON.stringify(['tok_[a-z0-9]+']) });
    const record = await activityRecord(localKms, [
      activityEvent({ command: 'CREATE ROLE', commandText: "CREATE USER bob WITH PASSWORD 'Secr3t-pw'" }),
      activityEvent({ class: 'READ', command: 'SELECT', commandText: "SELECT 'tok_abc123'" }),
    ]);
    await w.handler(kinesisEvent([kinesisRecord(record.data)]));
    const all = JSON.stringify(w.stored);
    expect(all).not.toContain('Secr3t-pw');
    expect(all).not.toContain('tok_abc123');
    expect(w.stored[0]?.commandText).toBe('CREATE USER bob WITH PASSWORD <REDACTED>');
  });

  describe('permanent failures are quarantined with their original bytes and the reason', () => {
    async function expectQuarantined(
      w: World,
      record: KinesisStreamRecord,
      errorName: string,
      reason: RegExp,
    ) {
      const response = await w.handler(kinesisEvent([record]));
      expect(response.batchItemFailures).toEqual([]);
      expect(w.quarantined).toHaveLength(1);
      const [{ key, doc }] = w.quarantined as [{ key: string; doc: QuarantineDocument }];
      expect(key).toMatch(/^quarantine\/das\/\d{4}-\d{2}-\d{2}\/shardId-000000000000_\d+\.json$/);
      expect(doc.errorName).toBe(errorName);
      expect(doc.reason).toMatch(reason);
      expect(doc.originalBase64).toBe(Buffer.from(record.kinesis.data, 'base64').toString('base64'));
      expect(doc.metadata).toMatchObject({
        sequenceNumber: record.kinesis.sequenceNumber,
        eventSourceARN: record.eventSourceARN,
      });
    }

    it('non-JSON data', async () => {
      await expectQuarantined(
        world(),
        kinesisRecord(Buffer.from('hello').toString('base64')),
        'InvalidRecordError',
        /not JSON/,
      );
    });

    it('truncated base64 inside the record', async () => {
      const record = await activityRecord(localKms, [activityEvent()]);
      const env = JSON.parse(record.json);
      env.key = env.key.slice(0, -2);
      const data = Buffer.from(JSON.stringify(env)).toString('base64');
      await expectQuarantined(world(), kinesisRecord(data), 'InvalidRecordError', /key is not valid base64/);
    });

    it('tampered ciphertext', async () => {
      const record = await activityRecord(localKms, [activityEvent()]);
      const env = JSON.parse(record.json);
      const msg = Buffer.from(env.databaseActivityEvents, 'base64');
      msg[msg.length - 50] = (msg[msg.length - 50] ?? 0) ^ 1;
      env.databaseActivityEvents = msg.toString('base64');
      const data = Buffer.from(JSON.stringify(env)).toString('base64');
      await expectQuarantined(
        world(),
        kinesisRecord(data),
        'PayloadDecryptionError',
        /could not be decrypted/,
      );
    });

    it('a data key encrypted for another cluster (wrong encryption context)', async () => {
      const record = await activityRecord(localKms, [activityEvent()], {
        keyContextClusterId: OTHER_CLUSTER_ID,
      });
      await expectQuarantined(
        world(),
        kinesisRecord(record.data),
        'DataKeyRejectedError',
        /InvalidCiphertextException/,
      );
    });

    it('a record from the stream of a cluster that is not configured', async () => {
      const record = await activityRecord(localKms, [activityEvent()], { clusterId: OTHER_CLUSTER_ID });
      await expectQuarantined(
        world(),
        kinesisRecord(record.data, OTHER_CLUSTER_ID),
        'ClusterMismatchError',
        /cluster-ZYXWVUTSRQPONMLKJIHGFEDCBA is not in the aurora-audit configuration/,
      );
    });

    it('a decompression bomb, stopped at the bound', async () => {
      const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x41));
      const record = await activityRecord(localKms, [], { compressedPayload: bomb });
      await expectQuarantined(
        world({ MAX_DECOMPRESSED_BYTES: String(1024 * 1024) }),
        kinesisRecord(record.data),
        'PayloadDecompressionError',
        /more than 1048576 bytes/,
      );
    });
  });

  it('delivers the good events of a record and quarantines it for the events it could not read', async () => {
    const w = world();
    const record = await activityRecord(localKms, [
      activityEvent(),
      activityEvent({ logTime: 'garbage', startTime: null }),
    ]);
    const response = await w.handler(kinesisEvent([kinesisRecord(record.data)]));
    expect(response.batchItemFailures).toEqual([]);
    expect(w.stored).toHaveLength(1);
    expect(w.quarantined[0]?.doc.reason).toBe('event 1: not a timestamp: "garbage"');
  });

  it('accepts an unknown record version', async () => {
    const w = world();
    const record = await activityRecord(localKms, [activityEvent()], { version: '2.0' });
    expect((await w.handler(kinesisEvent([kinesisRecord(record.data)]))).batchItemFailures).toEqual([]);
    expect(w.stored).toHaveLength(1);
  });

  it('stores a 1 MB statement, truncated to fit a Firehose record, and keeps the full record in quarantine', async () => {
    const w = world();
    const big = `SELECT '${'x'.repeat(1024 * 1024)}'`;
    const record = await activityRecord(localKms, [
      activityEvent({ class: 'READ', command: 'SELECT', commandText: big }),
    ]);
    const response = await w.handler(kinesisEvent([kinesisRecord(record.data)]));
    expect(response.batchItemFailures).toEqual([]);
    expect(w.stored).toHaveLength(1);
    expect(Buffer.byteLength(JSON.stringify(w.stored[0]))).toBeLessThanOrEqual(1000 * 1024);
    expect(w.stored[0]?.commandText).toMatch(
      /…\[truncated by aurora-audit: \d+ of 1048585 characters omitted/,
    );
    const original = Buffer.from(w.quarantined[0]!.doc.originalBase64, 'base64').toString();
    expect(original).toBe(record.json);
  });

  it('reports a record whose data key KMS could not give (throttling) as a batch-item failure', async () => {
    const w = world();
    w.kms
      .on(w.DecryptCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const bad = kinesisRecord((await activityRecord(localKms, [activityEvent()])).data);
    const response = await w.handler(kinesisEvent([bad]));
    expect(failuresOf(response)).toEqual([seq(bad)]);
    expect(w.quarantined).toEqual([]);
    expect(w.stored).toEqual([]);
  });

  it('names exactly the transient failures in a mixed batch', async () => {
    const w = world();
    const goodKey = new Uint8Array(32).fill(1);
    const good = await activityRecord(localKms, [activityEvent()], { dataKey: goodKey });
    const throttledRec = await activityRecord(localKms, [activityEvent()]);
    const throttledKey = JSON.parse(throttledRec.json).key;
    w.kms.on(w.DecryptCommand).callsFake((input) => {
      if (Buffer.from(input.CiphertextBlob).toString('base64') === throttledKey) {
        throw Object.assign(new Error('KMS internal'), { name: 'KMSInternalException' });
      }
      return { Plaintext: localKms.decrypt(input.CiphertextBlob, input.EncryptionContext ?? {}) };
    });
    const records = [
      kinesisRecord(good.data),
      kinesisRecord(throttledRec.data),
      kinesisRecord(Buffer.from('{"oops"').toString('base64')),
      kinesisRecord(good.data),
    ];
    const response = await w.handler(kinesisEvent(records));
    expect(failuresOf(response)).toEqual([seq(records[1]!)]);
    expect(w.quarantined.map((q) => q.doc.metadata.sequenceNumber)).toEqual([seq(records[2]!)]);
    expect(w.stored).toHaveLength(2);
  });

  it('retries Firehose entries that came back failed and delivers each event once', async () => {
    const w = world({}, (call) => (call === 1 ? (i) => i % 2 === 0 : undefined));
    // Events of 900 KB: one per Firehose record (1,000 KiB each), four records per call (4 MiB).
    const big = 'x'.repeat(900_000);
    const records = await Promise.all(
      Array.from({ length: 6 }, () =>
        activityRecord(localKms, [activityEvent({ commandText: `SELECT '${big}'` })]),
      ),
    );
    const response = await w.handler(kinesisEvent(records.map((r) => kinesisRecord(r.data))));
    expect(response.batchItemFailures).toEqual([]);
    // Call 1: records 1-4, the 1st and 3rd refused; call 2: records 5-6; call 3: the two refused ones again.
    expect(w.firehoseCalls.map((c) => c.Records?.length)).toEqual([4, 2, 2]);
    expect(new Set(w.stored.map((e) => e.id)).size).toBe(6);
    expect(w.stored).toHaveLength(6);
  });

  it('retries a throttled PutRecordBatch call as a whole', async () => {
    const w = world({}, (call) => (call <= 2 ? 'throttle' : undefined));
    const record = await activityRecord(localKms, [activityEvent(), activityEvent()]);
    const response = await w.handler(kinesisEvent([kinesisRecord(record.data)]));
    expect(response.batchItemFailures).toEqual([]);
    expect(w.firehoseCalls).toHaveLength(3);
    expect(w.stored).toHaveLength(2);
  });

  it('reports the records whose events Firehose still refused after the last attempt', async () => {
    // Events of 900 KB: one per Firehose record.
    const big = 'x'.repeat(900_000);
    const records = await Promise.all(
      Array.from({ length: 4 }, () =>
        activityRecord(localKms, [activityEvent({ commandText: `SELECT '${big}'` })]),
      ),
    );
    const kinesis = records.map((r) => kinesisRecord(r.data));
    // The record carrying the second Kinesis record's event is refused every time.
    const refused = (input: PutRecordBatchCommandInput) => (i: number) =>
      deliveredLines(input.Records?.[i]?.Data as Uint8Array).some(
        (line) => JSON.parse(line).statementId === records[1]!.events[0]!.statementId,
      );
    const w = world({ FIREHOSE_MAX_ATTEMPTS: '3' }, (_call, input) => refused(input));
    const response = await w.handler(kinesisEvent(kinesis));
    expect(failuresOf(response)).toEqual([seq(kinesis[1]!)]);
    expect(w.firehoseCalls).toHaveLength(3);
    expect(w.stored).toHaveLength(3);
    expect(w.alertLines).toHaveLength(3); // no alert for the undelivered record
  });

  it('packs at most 500 events per Firehose record, in one PutRecordBatch call', async () => {
    const w = world();
    const events = Array.from({ length: 1200 }, (_, i) =>
      activityEvent({ class: 'READ', statementId: i + 1 }),
    );
    const record = await activityRecord(localKms, events);
    const response = await w.handler(kinesisEvent([kinesisRecord(record.data)]));
    expect(response.batchItemFailures).toEqual([]);
    expect(w.firehoseCalls.map((c) => c.Records?.length)).toEqual([3]);
    expect(w.firehoseCalls[0]!.Records!.map((r) => deliveredLines(r.Data as Uint8Array).length)).toEqual([
      500, 500, 200,
    ]);
    expect(w.stored.map((e) => e.statementId)).toEqual(events.map((e) => e.statementId));
  });

  it('fails exactly the Kinesis records whose events were in a refused aggregated record', async () => {
    // 3 Kinesis records of 400 events: Firehose records of 500 carry [k0 ×400, k1 ×100], [k1 ×300, k2 ×200],
    // [k2 ×200]. The first is refused every time: k0 and k1 fail (k1's other events were delivered and will
    // be again: at least once), k2 is delivered.
    const records = await Promise.all(
      [0, 1, 2].map((k) =>
        activityRecord(
          localKms,
          Array.from({ length: 400 }, (_, i) => activityEvent({ class: 'READ', statementId: k * 1000 + i })),
        ),
      ),
    );
    const kinesis = records.map((r) => kinesisRecord(r.data));
    const w = world(
      { FIREHOSE_MAX_ATTEMPTS: '2' },
      (_call, input) => (i: number) =>
        deliveredLines(input.Records?.[i]?.Data as Uint8Array).some((l) => JSON.parse(l).statementId === 0),
    );
    const response = await w.handler(kinesisEvent(kinesis));
    expect(failuresOf(response)).toEqual([seq(kinesis[0]!), seq(kinesis[1]!)].sort());
    expect(w.stored).toHaveLength(700);
    expect(w.stored.filter((e) => (e.statementId ?? 0) >= 2000)).toHaveLength(400);
    expect(w.stored.filter((e) => (e.statementId ?? 0) < 1000)).toHaveLength(0);
  });

  it('sends events to Firehose as consecutive JSON objects of the event model, stored one per line', async () => {
    const w = world();
    const record = await activityRecord(localKms, [activityEvent(), activityEvent()]);
    await w.handler(kinesisEvent([kinesisRecord(record.data)]));
    expect(w.firehoseCalls[0]!.Records).toHaveLength(1);
    const data = Buffer.from(w.firehoseCalls[0]!.Records![0]!.Data as Uint8Array).toString();
    expect(data).not.toContain('\n');
    expect(data.startsWith('{') && data.endsWith('}')).toBe(true);
    const lines = deliveredLines(Buffer.from(data));
    expect(lines.map((l) => l.endsWith('\n'))).toEqual([true, true]);
    expect(lines.map((l) => parseAuditEvent(JSON.parse(l)))).toEqual(w.stored);
  });

  it('refuses to start with invalid settings and names them', () => {
    expect(() => loadHandler({ CLUSTER_RESOURCE_IDS: 'orders-db' })).toThrow(/CLUSTER_RESOURCE_IDS/);
  });
});
