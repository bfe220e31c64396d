/**
 * Genuine activity-stream records, built as Aurora PostgreSQL builds them: events → gzip → AWS Encryption
 * SDK message (suite 0x0178, raw AES keyring BC/DataKey, 4096-byte frames, no encryption context) → base64,
 * with the data key encrypted by a (local) KMS under `{"aws:rds:dbc-id": <cluster resource id>}`.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { ActivityEvent } from '../../../tasks/core/das/record';
import type { LocalKms } from '../kms';

// Producing non-committed (0x0178) messages needs FORBID_ENCRYPT_ALLOW_DECRYPT.
const esdk = buildClient(CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT);

export const CLUSTER_ID = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const OTHER_CLUSTER_ID = 'cluster-ZYXWVUTSRQPONMLKJIHGFEDCBA';
export const INSTANCE_ID = 'db-ABCDEFGHIJKLMNOPQRSTUVWXY1';

let statement = 0;

/** An activity event as Aurora PostgreSQL writes it (version 1.1 fields); override what the test is about. */
export function activityEvent(overrides: Partial<Record<keyof ActivityEvent, unknown>> = {}): ActivityEvent {
  statement++;
  return {
    class: 'ROLE',
    clientApplication: 'psql',
    command: 'GRANT',
    commandText: 'GRANT SELECT ON app_1 TO app_user_new',
    databaseName: 'appdb',
    dbProtocol: 'Postgres 3.0',
    dbUserName: 'app_user',
    errorMessage: null,
    exitCode: null,
    logTime: '2026-11-24 10:00:00.123456+00',
    netProtocol: 'TCP',
    objectName: null,
    objectType: null,
    paramList: [],
    pid: 4242,
    remoteHost: '10.0.0.5',
    remotePort: '51234',
    rowCount: null,
    serverHost: '10.0.0.1',
    serverType: 'PostgreSQL',
    serverVersion: '16.4',
    serviceName: 'Amazon Aurora PostgreSQL-Compatible edition',
    sessionId: '5ce5f7f0.474b',
    startTime: '2026-11-24 10:00:00.120001+00',
    statementId: statement,
    substatementId: 1,
    type: 'record',
    ...overrides,
  } as ActivityEvent;
}

export function heartbeatEvent(): ActivityEvent {
  return {
    type: 'heartbeat',
    logTime: '2026-11-24 10:00:05.000000+00',
    class: null,
    command: null,
    dbUserName: null,
  } as unknown as ActivityEvent;
}

export interface RecordOptions {
  readonly clusterId?: string;
  /** The cluster id written inside the encrypted payload. Default: clusterId. */
  readonly payloadClusterId?: string;
  /** The encryption context the data key is encrypted under. Default: clusterId. */
  readonly keyContextClusterId?: string;
  readonly instanceId?: string;
  readonly version?: string;
  /** Reuse a data key (records of one period share one); default: a fresh key. */
  readonly dataKey?: Uint8Array;
  /** Replace the gzip payload (e.g. for decompression bombs). */
  readonly compressedPayload?: Uint8Array;
  /** Extra envelope fields (unknown fields must be ignored). */
  readonly extraEnvelope?: Record<string, unknown>;
}

export interface BuiltRecord {
  /** The JSON envelope, as Kinesis carries it. */
  readonly json: string;
  /** Base64 of the JSON, as in a Lambda Kinesis event's `kinesis.data`. */
  readonly data: string;
  readonly dataKey: Uint8Array;
  readonly events: readonly ActivityEvent[];
}

export async function activityRecord(
  kms: LocalKms,
  events: readonly ActivityEvent[],
  options: RecordOptions = {},
): Promise<BuiltRecord> {
  const clusterId = options.clusterId ?? CLUSTER_ID;
  const dataKey = options.dataKey ?? new Uint8Array(randomBytes(32));
  const payload = {
    type: 'DatabaseActivityMonitoringRecord',
    clusterId: options.payloadClusterId ?? clusterId,
    instanceId: options.instanceId ?? INSTANCE_ID,
    databaseActivityEventList: events,
  };
  const compressed = options.compressedPayload ?? gzipSync(Buffer.from(JSON.stringify(payload)));
  const keyring = new RawAesKeyringNode({
    keyNamespace: 'BC',
    keyName: 'DataKey',
    unencryptedMasterKey: new Uint8Array(dataKey),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const { result } = await esdk.encrypt(keyring, compressed, {
    suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256,
    frameLength: 4096,
  });
  const key = kms.encrypt(dataKey, { 'aws:rds:dbc-id': options.keyContextClusterId ?? clusterId });
  const envelope = {
    type: 'DatabaseActivityMonitoringRecords',
    version: options.version ?? '1.1',
    databaseActivityEvents: Buffer.from(result).toString('base64'),
    key: key.toString('base64'),
    ...options.extraEnvelope,
  };
  const json = JSON.stringify(envelope);
  return { json, data: Buffer.from(json).toString('base64'), dataKey, events };
}

let sequence = 49_600_000_000_000_000_000_000_000_000_000_000_000_000n;

/** A Kinesis stream record around base64 data, from the activity stream of `clusterId`. */
export function kinesisRecord(data: string, clusterId = CLUSTER_ID): KinesisStreamRecord {
  sequence++;
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: 'a1b2c3',
      sequenceNumber: sequence.toString(),
      data,
      approximateArrivalTimestamp: 1_795_000_000.123,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${sequence}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/decrypt',
    awsRegion: 'eu-west-1',
    eventSourceARN: `arn:aws:kinesis:eu-west-1:123456789012:stream/aws-rds-das-${clusterId}`,
  };
}

export function kinesisEvent(records: KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: records };
}
