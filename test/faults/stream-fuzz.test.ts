/**
 * Fuzzing the activity-stream path (issue 12, item 1): the real decrypt Lambda module (its own clients,
 * cache, settings, rules, logger) on seeded batches of genuine activity-stream records (real Encryption SDK
 * messages, gzip, data keys sealed by the local KMS under the cluster's encryption context, shared by records
 * as Aurora does) mixed with mutated ones: bit flips, truncation, invalid base64, wrong JSON types in the
 * envelope, the payload and the events, wrong versions, wrong clusters, oversized statements and parameters,
 * decompression bombs, payloads that are not gzip, random bytes; plus transient KMS, Firehose and S3 faults.
 *
 * Every number comes from what the handler did at the SDK boundary: Firehose entries accepted (attributed to
 * their record by a marker each event carries), quarantine PutObjects whose original bytes equal the record's
 * byte for byte, and the response's batchItemFailures. `AURORA_AUDIT_FUZZ_CASES` raises the number of records
 * (default 10,000), `AURORA_AUDIT_FUZZ_SEED` picks the seed. The seed fixes every choice and every count: the
 * Encryption SDK's IVs and keys stay random, as in Aurora, and no mutation depends on them (see `flipped`).
 */
import { gzipSync } from 'node:zlib';
import {
  FirehoseClient,
  FirehoseServiceException,
  PutRecordBatchCommand,
  type PutRecordBatchCommandInput,
  type PutRecordBatchResponseEntry,
} from '@aws-sdk/client-firehose';
import { DecryptCommand, KMSClient, KMSServiceException } from '@aws-sdk/client-kms';
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { deliveredLines } from '../../cli/local/aws/firehose';
import { LocalKms } from '../../cli/local/kms';
import {
  activityEvent,
  activityRecord,
  CLUSTER_ID,
  heartbeatEvent,
  kinesisRecord,
  OTHER_CLUSTER_ID,
} from '../../cli/local/records/activity-stream';
import type { ActivityEvent } from '../../tasks/core/das/record';
import type { QuarantineDocument } from '../../tasks/shared/quarantine';
import { FAULT_KINDS, type FaultKind, fault } from './aws-errors';
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
  verdictOf,
} from './summary';

const MAX_DECOMPRESSED = 4 * 1024 * 1024;
const BATCH_SIZE = 100;

Object.assign(process.env, {
  AUDIT_BUCKET: 'audit-bucket',
  DELIVERY_STREAM_NAME: 'audit-events',
  CLUSTER_RESOURCE_IDS: CLUSTER_ID,
  FIREHOSE_RETRY_BASE_DELAY_MS: '0',
  FIREHOSE_MAX_ATTEMPTS: '5',
  MAX_DECOMPRESSED_BYTES: String(MAX_DECOMPRESSED),
  REDACTION_PATTERNS: JSON.stringify(EXTRA_PATTERNS),
  // Everything the logger can say is captured and searched for the test passwords.
  POWERTOOLS_LOG_LEVEL: 'DEBUG',
  AWS_REGION: 'eu-west-1',
});

const localKms = new LocalKms();
const kmsMock = mockClient(KMSClient);
const firehoseMock = mockClient(FirehoseClient);
const s3Mock = mockClient(S3Client);

type Handler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;
// Loaded after the environment and the stubs: the module builds its clients, cache and settings once.
const { handler } = require('../../tasks/decrypt-activity-stream/handler') as { handler: Handler };

const rand = prng(FUZZ_SEED);
/** Fault decisions draw from their own stream, reseeded per batch: they never shift the cases. */
let faultRand = prng(FUZZ_SEED);
const faultChance = (p: number) => faultRand() < p;
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
const chance = (p: number) => rand() < p;

interface FuzzCase {
  readonly kind: string;
  readonly record: KinesisStreamRecord;
  /** Markers (clientApplication) of the events that must be stored unless the record is quarantined or retried. */
  readonly expected: readonly string[];
}

// ---------------------------------------------------------------- genuine records

/** Data keys shared by many records, as in a real stream (one key per period): hits in the Lambda's cache. */
const dataKeys = Array.from({ length: 20 }, (_, i) => {
  const key = new Uint8Array(32).fill(i + 1);
  return { key, ciphertext: localKms.encrypt(key, { 'aws:rds:dbc-id': CLUSTER_ID }).toString('base64') };
});

let caseNo = 0;

/** 1-5 events: reads, writes, grants (alerted), statements with the test passwords, heartbeats, rdsadmin. */
function eventsFor(n: number): { events: ActivityEvent[]; expected: string[] } {
  const events: ActivityEvent[] = [];
  const expected: string[] = [];
  const count = 1 + Math.floor(rand() * 5);
  for (let i = 0; i < count; i++) {
    const marker = `fuzz-${n}-${i}`;
    const r = rand();
    if (r < 0.1) {
      events.push(heartbeatEvent());
      continue;
    }
    if (r < 0.18) {
      events.push(
        activityEvent({
          dbUserName: pick(['rdsadmin', 'RDSADMIN', 'rdsproxyadmin']),
          clientApplication: marker,
        }),
      );
      continue;
    }
    const statement = pick([
      { class: 'READ', command: 'SELECT', commandText: `SELECT * FROM orders WHERE id = ${n}` },
      { class: 'WRITE', command: 'INSERT', commandText: `INSERT INTO orders VALUES (${n}, 'a, "b"')` },
      { class: 'ROLE', command: 'GRANT', commandText: 'GRANT SELECT ON app_1 TO app_user_new' },
      { class: 'ROLE', command: 'CREATE ROLE', commandText: pick(secretStatements()) },
      { class: 'READ', command: 'SELECT', commandText: pick(secretStatements()) },
    ]);
    events.push(
      activityEvent({
        ...statement,
        clientApplication: marker,
        paramList: chance(0.2) ? ['tok_s3cr3tfuzztoken0042', n] : [],
      }),
    );
    expected.push(marker);
  }
  return { events, expected };
}

interface Built {
  readonly json: string;
  readonly expected: string[];
}

/** A genuine record (its envelope JSON) whose events carry this case's markers; data keys from the pool. */
async function genuine(
  options: {
    events?: ActivityEvent[];
    expected?: string[];
    payload?: unknown;
    compressed?: Uint8Array;
    version?: string;
    clusterId?: string;
    payloadClusterId?: string;
    keyContextClusterId?: string;
  } = {},
): Promise<Built> {
  const own = options.events
    ? { events: options.events, expected: options.expected ?? [] }
    : eventsFor(caseNo);
  // In a batch whose plan is KMS faults every record has its own data key, so each one asks KMS.
  const shared =
    plan !== 'kms' && options.clusterId === undefined && options.keyContextClusterId === undefined;
  const pooled = pick(dataKeys);
  const compressed =
    options.compressed ??
    (options.payload !== undefined ? gzipSync(JSON.stringify(options.payload)) : undefined);
  const built = await activityRecord(localKms, own.events, {
    clusterId: options.clusterId,
    payloadClusterId: options.payloadClusterId,
    keyContextClusterId: options.keyContextClusterId,
    version: options.version,
    dataKey: shared ? pooled.key : undefined,
    compressedPayload: compressed,
  });
  // Records of one key period carry the same key ciphertext.
  const json = shared ? JSON.stringify({ ...JSON.parse(built.json), key: pooled.ciphertext }) : built.json;
  return {
    json,
    expected: options.payload !== undefined || options.compressed ? (options.expected ?? []) : own.expected,
  };
}

const asData = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64');

// ---------------------------------------------------------------- mutations

function flipBits(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  const flips = 1 + Math.floor(rand() * 8);
  for (let i = 0; i < flips; i++) {
    const at = Math.floor(rand() * out.length);
    out[at] = (out[at] ?? 0) ^ (1 << Math.floor(rand() * 8));
  }
  return out;
}

/**
 * Bit flips in the record: in the decoded bytes of the key or the Encryption SDK message (re-encoded), or in
 * the JSON around them. Never in the base64 text itself, whose characters come from random IVs and keys: the
 * outcome of a flip there would depend on them, and the seed would no longer fix the run.
 */
function flipped(json: string): Buffer {
  const env = JSON.parse(json) as Record<string, string>;
  const r = rand();
  if (r < 0.6) {
    const field = r < 0.2 ? 'key' : 'databaseActivityEvents';
    return Buffer.from(
      JSON.stringify({
        ...env,
        [field]: flipBits(Buffer.from(env[field] as string, 'base64')).toString('base64'),
      }),
    );
  }
  const skeleton = Buffer.from(JSON.stringify({ ...env, databaseActivityEvents: '\u0001', key: '\u0002' }));
  const out = flipBits(skeleton).toString('latin1');
  return Buffer.from(
    out.replace('\u0001', env.databaseActivityEvents ?? '').replace('\u0002', env.key ?? ''),
    'latin1',
  );
}

function badBase64(text: string): string {
  const at = Math.floor(rand() * text.length);
  switch (Math.floor(rand() * 5)) {
    case 0:
      return text.slice(0, -1 - Math.floor(rand() * 3)); // truncated: not a multiple of 4
    case 1:
      return `${text.slice(0, at)}${pick(['!', '*', '-', '_', ' ', '\n', 'é', '=='])}${text.slice(at)}`;
    case 2:
      return `${text.slice(0, at)}=${text.slice(at + 1)}`; // padding in the middle
    case 3:
      return `${text}====`;
    default:
      return text.replace(/[A-Za-z]/, '%');
  }
}

const WRONG_VALUES: readonly unknown[] = [
  1.1,
  0,
  -1,
  null,
  true,
  false,
  [],
  ['1.1'],
  {},
  { v: '1.1' },
  '',
  1e308,
];

/** Gzip of `size` zero bytes: a few KiB that decompress far beyond the bound. */
const bombs = [8, 32, 128].map((mib) => gzipSync(Buffer.alloc(mib * 1024 * 1024)));
/** Valid JSON padded with whitespace past the bound: still a bomb. */
const paddedPayload = gzipSync(
  Buffer.concat([
    Buffer.from('{"type":"DatabaseActivityMonitoringRecord","clusterId":"'),
    Buffer.from(CLUSTER_ID),
    Buffer.from('","databaseActivityEventList":[]'),
    Buffer.alloc(MAX_DECOMPRESSED + 1, 0x20),
    Buffer.from('}'),
  ]),
);

const KINDS = [
  ['valid', 36],
  ['bit-flip', 14],
  ['truncated', 8],
  ['invalid-base64', 7],
  ['envelope-types', 6],
  ['payload-types', 5],
  ['event-types', 6],
  ['version', 5],
  ['partial', 2.5],
  ['wrong-cluster', 3],
  ['not-gzip', 2],
  ['bomb', 2],
  ['oversized', 0.5],
  ['random', 3],
] as const;
type Kind = (typeof KINDS)[number][0];
const TOTAL_WEIGHT = KINDS.reduce((n, [, w]) => n + w, 0);

function kindOf(): Kind {
  let r = rand() * TOTAL_WEIGHT;
  for (const [kind, weight] of KINDS) {
    r -= weight;
    if (r < 0) return kind;
  }
  return 'valid';
}

const mixed = (marker: string, overrides: Record<string, unknown>) =>
  activityEvent({ class: 'READ', command: 'SELECT', clientApplication: marker, ...overrides });

async function fuzzCase(): Promise<FuzzCase> {
  caseNo++;
  const n = caseNo;
  const kind = kindOf();
  const record = (json: string | Uint8Array, expected: readonly string[], stream = CLUSTER_ID): FuzzCase => ({
    kind,
    record: kinesisRecord(asData(json), stream),
    expected,
  });
  switch (kind) {
    case 'valid': {
      const b = await genuine();
      return record(b.json, b.expected);
    }
    case 'bit-flip': {
      const b = await genuine();
      return record(flipped(b.json), b.expected);
    }
    case 'truncated': {
      const b = await genuine();
      return record(b.json.slice(0, Math.floor(rand() * b.json.length)), b.expected);
    }
    case 'invalid-base64': {
      const b = await genuine();
      const env = JSON.parse(b.json);
      const field = pick(['key', 'databaseActivityEvents']);
      env[field] = badBase64(env[field]);
      return record(JSON.stringify(env), b.expected);
    }
    case 'envelope-types': {
      const b = await genuine();
      const env = JSON.parse(b.json);
      if (chance(0.25))
        return record(JSON.stringify(pick([[env], b.json, 42, null, true, { envelope: env }])), b.expected);
      env[pick(['type', 'version', 'databaseActivityEvents', 'key'])] = pick(WRONG_VALUES);
      if (chance(0.2)) env.unknownField = { nested: [1, 2, 3] }; // unknown fields are ignored
      return record(JSON.stringify(env), b.expected);
    }
    case 'payload-types': {
      const own = eventsFor(n);
      const payload: Record<string, unknown> = {
        type: 'DatabaseActivityMonitoringRecord',
        clusterId: CLUSTER_ID,
        instanceId: 'db-ABCDEFGHIJKLMNOPQRSTUVWXY1',
        databaseActivityEventList: own.events,
      };
      const field = pick(['type', 'clusterId', 'instanceId', 'databaseActivityEventList', 'whole']);
      const wrong = pick(WRONG_VALUES);
      const body = field === 'whole' ? pick([[payload], 'text', 7, null]) : { ...payload, [field]: wrong };
      // A wrong instanceId is mapped to null and the events still stored.
      const expected = field === 'instanceId' ? own.expected : [];
      const b = await genuine({ payload: body, expected });
      return record(b.json, b.expected);
    }
    case 'event-types': {
      const own = eventsFor(n);
      const field = pick([
        'logTime',
        'pid',
        'commandText',
        'dbUserName',
        'class',
        'command',
        'statementId',
        'remotePort',
        'sessionId',
        'paramList',
        'exitCode',
        'rowCount',
        'errorMessage',
        'objectName',
        'type',
      ]);
      const wrong = pick([...WRONG_VALUES, 'not a time', '2026-13-45 99:00:00', 12345, { PASSWORD: 'x' }]);
      const events: unknown[] = own.events.map((e) =>
        e.clientApplication?.startsWith('fuzz-') ? { ...e, [field]: wrong } : e,
      );
      // Non-object events are rejected: the record is quarantined for them.
      if (chance(0.3))
        events.splice(Math.floor(rand() * (events.length + 1)), 0, pick([42, 'event', null, [1]]));
      const b = await genuine({ events: events as ActivityEvent[], expected: own.expected });
      return record(b.json, b.expected);
    }
    case 'version': {
      const b = await genuine({
        version: pick(['1.0', '1.2', '1.3', '1.4', '2.0', '0.9', ' 1.1', 'x'.repeat(500)]),
      });
      return record(b.json, b.expected);
    }
    case 'partial': {
      const events = [
        mixed(`fuzz-${n}-0`, {}),
        mixed(`fuzz-${n}-1`, { logTime: 'garbage', startTime: null }),
      ];
      const b = await genuine({ events, expected: [`fuzz-${n}-0`, `fuzz-${n}-1`] });
      return record(b.json, b.expected);
    }
    case 'wrong-cluster': {
      const variant = Math.floor(rand() * 4);
      if (variant === 0) {
        const b = await genuine({ payloadClusterId: OTHER_CLUSTER_ID });
        return record(b.json, b.expected);
      }
      if (variant === 1) {
        const b = await genuine({ keyContextClusterId: OTHER_CLUSTER_ID });
        return record(b.json, b.expected);
      }
      const b = await genuine({ clusterId: OTHER_CLUSTER_ID });
      const c = record(b.json, b.expected, OTHER_CLUSTER_ID);
      if (variant === 3) {
        const arn = 'arn:aws:kinesis:eu-west-1:123456789012:stream/some-other-stream';
        return { ...c, record: { ...c.record, eventSourceARN: arn } };
      }
      return c;
    }
    case 'not-gzip': {
      const own = eventsFor(n);
      const json = Buffer.from(
        JSON.stringify({
          type: 'DatabaseActivityMonitoringRecord',
          clusterId: CLUSTER_ID,
          databaseActivityEventList: own.events,
        }),
      );
      const gz = gzipSync(json);
      const compressed = pick([
        json,
        gz.subarray(0, Math.floor(gz.length / 2)),
        flipBits(gz),
        Buffer.from([0x1f, 0x8b]),
        Buffer.alloc(0),
      ]);
      const b = await genuine({ events: own.events, compressed, expected: own.expected });
      return record(b.json, b.expected);
    }
    case 'bomb': {
      const b = await genuine({ events: [], compressed: chance(0.25) ? paddedPayload : pick(bombs) });
      return { ...record(b.json, b.expected), kind: 'bomb' };
    }
    case 'oversized': {
      const marker = `fuzz-${n}-0`;
      const [secret] = secretStatements();
      const variant = pick(['statement', 'parameters', 'alerted-object', 'many-events']);
      const events =
        variant === 'statement'
          ? [mixed(marker, { commandText: `${secret}; SELECT '${'x'.repeat(1100 * 1024)}'` })]
          : variant === 'parameters'
            ? [mixed(marker, { paramList: ['y'.repeat(1100 * 1024)] })]
            : variant === 'alerted-object'
              ? [mixed(marker, { class: 'ROLE', command: 'GRANT', objectName: 'o'.repeat(200 * 1024) })]
              : Array.from({ length: 1200 }, (_, i) => mixed(`fuzz-${n}-${i}`, {}));
      const expected = events.map((e) => e.clientApplication as string);
      const b = await genuine({ events, expected });
      return record(b.json, b.expected);
    }
    default: {
      const bytes = Buffer.from(
        Array.from({ length: Math.floor(rand() * 2000) }, () => Math.floor(rand() * 256)),
      );
      return record(
        pick([bytes, Buffer.alloc(0), Buffer.from('{"type":"DatabaseActivityMonitoringRecords"}')]),
        [],
      );
    }
  }
}

// ---------------------------------------------------------------- the SDK boundary, with faults

interface BatchObservation {
  accepted: Map<string, number>;
  quarantines: Map<string, QuarantineDocument>;
  alertMarkers: string[];
  output: string[];
}
let batch: BatchObservation;
/** One fault plan per batch; half the batches have none, and in those no record may be reported failed. */
const PLANS = [
  'none',
  'none',
  'none',
  'none',
  'none',
  'kms',
  's3',
  'firehose-entries',
  'firehose-first-call-throttled',
  'firehose-outage',
  'firehose-access-denied',
] as const;
let plan: (typeof PLANS)[number] = 'none';
let firehoseCallsThisBatch = 0;
let faultsThisBatch = 0;

const stats = {
  kmsFaults: 0,
  firehoseCalls: 0,
  firehoseEntriesRefused: 0,
  firehoseCallsFailed: 0,
  s3Faults: 0,
  eventsDelivered: 0,
  bombsStopped: 0,
  bombs: 0,
  byKind: new Map<string, number>(),
};

kmsMock.on(DecryptCommand).callsFake((input) => {
  if (plan === 'kms' && faultChance(0.3)) {
    stats.kmsFaults++;
    faultsThisBatch++;
    throw fault(
      KMSServiceException,
      'kms',
      FAULT_KINDS[Math.floor(faultRand() * FAULT_KINDS.length)] as FaultKind,
    );
  }
  return { Plaintext: localKms.decrypt(input.CiphertextBlob, input.EncryptionContext ?? {}) };
});

firehoseMock.on(PutRecordBatchCommand).callsFake((input: PutRecordBatchCommandInput) => {
  stats.firehoseCalls++;
  firehoseCallsThisBatch++;
  if (
    plan === 'firehose-outage' ||
    plan === 'firehose-access-denied' ||
    (plan === 'firehose-first-call-throttled' && firehoseCallsThisBatch === 1)
  ) {
    stats.firehoseCallsFailed++;
    faultsThisBatch++;
    throw fault(
      FirehoseServiceException,
      'firehose',
      plan === 'firehose-access-denied'
        ? 'accessDenied'
        : plan === 'firehose-outage'
          ? 'server'
          : 'throttling',
    );
  }
  const responses = (input.Records ?? []).map((r): PutRecordBatchResponseEntry => {
    if (plan === 'firehose-entries' && faultChance(0.3)) {
      stats.firehoseEntriesRefused++;
      faultsThisBatch++;
      return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
    }
    // Firehose deaggregates each accepted record into its events (as the delivery stream is configured).
    for (const line of deliveredLines(r.Data as Uint8Array)) {
      batch.output.push(line);
      const marker = (JSON.parse(line) as { clientApplication: string | null }).clientApplication ?? '';
      batch.accepted.set(marker, (batch.accepted.get(marker) ?? 0) + 1);
    }
    return { RecordId: `rid-${stats.firehoseCalls}` };
  });
  return { FailedPutCount: responses.filter((r) => r.ErrorCode).length, RequestResponses: responses };
});

s3Mock.on(PutObjectCommand).callsFake((input) => {
  if (plan === 's3' && faultChance(0.3)) {
    stats.s3Faults++;
    faultsThisBatch++;
    throw fault(
      S3ServiceException,
      's3',
      FAULT_KINDS[Math.floor(faultRand() * FAULT_KINDS.length)] as FaultKind,
    );
  }
  const doc = JSON.parse(input.Body as string) as QuarantineDocument;
  batch.quarantines.set(String(doc.metadata.sequenceNumber), doc);
  batch.output.push(`${input.Key} ${doc.reason} ${JSON.stringify(doc.metadata)}`);
  return {};
});

const tally = invariant(
  'stream fuzz',
  () =>
    `seed ${FUZZ_SEED}, ${FUZZ_CASES} records in batches of ${BATCH_SIZE} (${[...stats.byKind].map(([k, v]) => `${k} ${v}`).join(', ')}); ` +
    `${stats.eventsDelivered} events accepted by Firehose; ${stats.bombsStopped}/${stats.bombs} bombs stopped at ${MAX_DECOMPRESSED} bytes; ` +
    `faults injected: KMS ${stats.kmsFaults}, Firehose calls ${stats.firehoseCallsFailed} and entries ${stats.firehoseEntriesRefused}, S3 ${stats.s3Faults}; ${memoryNote}`,
);
let memoryNote = '';

// ---------------------------------------------------------------- the run

describe('the decrypt Lambda under fuzzed input and transient faults', () => {
  it(`delivers, quarantines with its bytes, or reports every one of ${FUZZ_CASES} seeded records, never throws, leaks no password and stays in bounded memory`, async () => {
    const writes = { out: process.stdout.write, err: process.stderr.write };
    const capture = (chunk: string | Uint8Array) => {
      batch?.output.push(chunk.toString());
      const text = chunk.toString();
      if (text.startsWith('{"auditEvent":')) {
        const marker = (JSON.parse(text) as { auditEvent: { clientApplication: string | null } }).auditEvent
          .clientApplication;
        batch.alertMarkers.push(marker ?? '');
      }
      return true;
    };
    const before = process.memoryUsage();
    let peakRss = before.rss;
    const lostExamples: string[] = [];
    const leaks: string[] = [];
    const thrown: string[] = [];
    const alertsForUndelivered: string[] = [];
    const duplicates: string[] = [];
    const unbounded: string[] = [];
    const poison: string[] = [];
    try {
      for (let done = 0; done < FUZZ_CASES; done += BATCH_SIZE) {
        plan = pick(PLANS);
        const cases: FuzzCase[] = [];
        for (let i = 0; i < Math.min(BATCH_SIZE, FUZZ_CASES - done); i++) cases.push(await fuzzCase());
        batch = { accepted: new Map(), quarantines: new Map(), alertMarkers: [], output: [] };
        firehoseCallsThisBatch = 0;
        faultsThisBatch = 0;
        faultRand = prng(FUZZ_SEED + done);

        process.stdout.write = capture as typeof process.stdout.write;
        process.stderr.write = capture as typeof process.stderr.write;
        let response: KinesisStreamBatchResponse;
        try {
          response = await handler({ Records: cases.map((c) => c.record) });
        } catch (err) {
          thrown.push(`batch at case ${done}: ${(err as Error).name}: ${(err as Error).message}`);
          continue;
        } finally {
          process.stdout.write = writes.out;
          process.stderr.write = writes.err;
        }

        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        // Retried only for a transient fault: a record failing without one would be retried until it expires.
        if (faultsThisBatch === 0 && failed.size > 0)
          poison.push(...cases.filter((c) => failed.has(c.record.kinesis.sequenceNumber)).map((c) => c.kind));
        const outcomes: ObservedOutcome[] = cases.map((c) => {
          const sequence = c.record.kinesis.sequenceNumber;
          const doc = batch.quarantines.get(sequence);
          return {
            id: `${c.kind} ${sequence}`,
            expectedEvents: c.expected.length,
            deliveredEvents: c.expected.filter((m) => (batch.accepted.get(m) ?? 0) > 0).length,
            quarantinedWithBytes:
              doc !== undefined &&
              Buffer.from(doc.originalBase64, 'base64').equals(Buffer.from(c.record.kinesis.data, 'base64')),
            reportedFailure: failed.has(sequence),
          };
        });
        lostExamples.push(...account(tally, outcomes).map((o) => o.id));
        cases.forEach((c, i) => {
          stats.byKind.set(c.kind, (stats.byKind.get(c.kind) ?? 0) + 1);
          if (c.kind !== 'bomb') return;
          stats.bombs++;
          const doc = batch.quarantines.get(c.record.kinesis.sequenceNumber);
          if (
            doc?.errorName === 'PayloadDecompressionError' &&
            doc.reason.includes(`more than ${MAX_DECOMPRESSED} bytes`)
          )
            stats.bombsStopped++;
          else if (verdictOf(outcomes[i]!) !== 'retried') unbounded.push(c.record.kinesis.sequenceNumber);
        });
        // An alert line only for an event whose record was delivered.
        const failedMarkers = new Set(
          cases.filter((c) => failed.has(c.record.kinesis.sequenceNumber)).flatMap((c) => c.expected),
        );
        alertsForUndelivered.push(...batch.alertMarkers.filter((m) => failedMarkers.has(m)));
        for (const [marker, count] of batch.accepted) {
          stats.eventsDelivered += count;
          if (count > 1) duplicates.push(marker);
        }
        leaks.push(...scanSecrets(tally, `batch at case ${done}`, batch.output.join('\n')));
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
    } finally {
      process.stdout.write = writes.out;
      process.stderr.write = writes.err;
    }
    const after = process.memoryUsage();
    const heapGrowthMiB = (after.heapUsed - before.heapUsed) / 2 ** 20;
    memoryNote = `heap growth ${heapGrowthMiB.toFixed(0)} MiB, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`;

    expect(thrown).toEqual([]);
    expect(lostExamples).toEqual([]);
    expect(tally.lost).toBe(0);
    expect(tally.cases).toBe(FUZZ_CASES);
    expect(leaks).toEqual([]);
    expect(alertsForUndelivered).toEqual([]);
    expect(duplicates).toEqual([]);
    expect(unbounded).toEqual([]);
    expect(poison).toEqual([]);
    expect(stats.bombsStopped).toBeGreaterThan(0);
    // Every outcome happened: the checks above ran on deliveries, quarantines and failures alike.
    expect(tally.delivered).toBeGreaterThan(0);
    expect(tally.quarantined).toBeGreaterThan(0);
    expect(tally.retried).toBeGreaterThan(0);
    // Bounded: nothing accumulates per record (a generous bound; a leak of the decoded payloads would pass it).
    expect(heapGrowthMiB).toBeLessThan(256);
    expect(peakRss).toBeLessThan(1536 * 2 ** 20);
  }, 600_000);
});

describe('the loss checker', () => {
  it('counts a record that was neither delivered, quarantined nor reported as lost', () => {
    const probe = { cases: 0, delivered: 0, quarantined: 0, retried: 0, lost: 0, leakedSecrets: 0 };
    const lost = account(probe, [
      {
        id: 'delivered',
        expectedEvents: 2,
        deliveredEvents: 2,
        quarantinedWithBytes: false,
        reportedFailure: false,
      },
      {
        id: 'empty',
        expectedEvents: 0,
        deliveredEvents: 0,
        quarantinedWithBytes: false,
        reportedFailure: false,
      },
      {
        id: 'quarantined',
        expectedEvents: 1,
        deliveredEvents: 0,
        quarantinedWithBytes: true,
        reportedFailure: false,
      },
      {
        id: 'retried',
        expectedEvents: 1,
        deliveredEvents: 0,
        quarantinedWithBytes: false,
        reportedFailure: true,
      },
      // Dropped: one of its two events never reached Firehose and nothing else happened to it.
      {
        id: 'dropped',
        expectedEvents: 2,
        deliveredEvents: 1,
        quarantinedWithBytes: false,
        reportedFailure: false,
      },
    ]);
    expect(lost.map((o) => o.id)).toEqual(['dropped']);
    expect(probe).toEqual({ cases: 5, delivered: 2, quarantined: 1, retried: 1, lost: 1, leakedSecrets: 0 });
  });

  it('catches a record the handler silently dropped, and a quarantine that lost its bytes', async () => {
    // A fake decrypt Lambda that answers "no failures" but stores nothing for the second record and
    // quarantines the third with other bytes: the same accounting as the fuzz run must flag both.
    const built = await Promise.all(
      [0, 1, 2].map((i) => genuine({ events: [mixed(`probe-${i}`, {})], expected: [`probe-${i}`] })),
    );
    const records = built.map((b) => kinesisRecord(asData(b.json)));
    const accepted = new Set(['probe-0']);
    const quarantined = new Map([[records[2]!.kinesis.sequenceNumber, Buffer.from('other bytes')]]);
    const probe = { cases: 0, delivered: 0, quarantined: 0, retried: 0, lost: 0, leakedSecrets: 0 };
    const lost = account(
      probe,
      records.map((r, i) => ({
        id: `probe-${i}`,
        expectedEvents: 1,
        deliveredEvents: built[i]!.expected.filter((m) => accepted.has(m)).length,
        quarantinedWithBytes:
          quarantined.get(r.kinesis.sequenceNumber)?.equals(Buffer.from(r.kinesis.data, 'base64')) ?? false,
        reportedFailure: false,
      })),
    );
    expect(lost.map((o) => o.id)).toEqual(['probe-1', 'probe-2']);
  });
});

describe('regressions found by the fuzz run', () => {
  async function runOne(events: ActivityEvent[]) {
    plan = 'none';
    batch = { accepted: new Map(), quarantines: new Map(), alertMarkers: [], output: [] };
    const built = await genuine({ events, expected: [] });
    const record = kinesisRecord(asData(built.json));
    const lines: string[] = [];
    const keep = (chunk: string | Uint8Array) => {
      lines.push(chunk.toString());
      return true;
    };
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation(keep),
      jest.spyOn(process.stderr, 'write').mockImplementation(keep),
    ];
    try {
      const response = await handler({ Records: [record] });
      return { response, record, lines, quarantine: batch.quarantines.get(record.kinesis.sequenceNumber) };
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  }

  it('still alerts on a GRANT whose object name is padded past an alert line, instead of failing the batch', async () => {
    const { response, lines } = await runOne([
      mixed('padded-grant', {
        class: 'ROLE',
        command: 'GRANT',
        objectName: `app_1${'o'.repeat(200 * 1024)}`,
      }),
    ]);
    expect(response.batchItemFailures).toEqual([]);
    const alerts = lines.filter((l) => l.startsWith('{"auditEvent":'));
    expect(alerts).toHaveLength(1);
    expect(Buffer.byteLength(alerts[0]!)).toBeLessThanOrEqual(128 * 1024);
    const { auditEvent } = JSON.parse(alerts[0]!) as { auditEvent: { command: string; objectName: string } };
    expect(auditEvent.command).toBe('GRANT');
    expect(auditEvent.objectName).toMatch(
      /^app_1o+ …\[truncated by aurora-audit: \d+ of 204805 characters omitted/,
    );
    expect(batch.accepted.get('padded-grant')).toBe(1);
  });

  it('stores an event whose parameters alone exceed a Firehose record shortened, and quarantines the record whole instead of retrying it forever', async () => {
    const { response, record, quarantine } = await runOne([
      mixed('huge-parameters', { paramList: ['y'.repeat(1100 * 1024)] }),
    ]);
    expect(response.batchItemFailures).toEqual([]);
    expect(batch.accepted.get('huge-parameters')).toBe(1);
    expect(
      Buffer.from(quarantine!.originalBase64, 'base64').equals(Buffer.from(record.kinesis.data, 'base64')),
    ).toBe(true);
    expect(quarantine!.reason).toMatch(/truncated to fit a Firehose record/);
  });
});
