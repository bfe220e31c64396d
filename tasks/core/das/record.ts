/**
 * Database Activity Streams record decoding (Aurora PostgreSQL), with no AWS client inside: the data key is
 * obtained through a {@link DataKeyResolver} the caller provides (KMS in the Lambda and CLI, a local stand-in
 * in tests and the demo).
 *
 * Kinesis data → JSON envelope `{type, version, databaseActivityEvents, key}` → data key (KMS, encryption
 * context `aws:rds:dbc-id`) → AWS Encryption SDK message (raw AES keyring `BC`/`DataKey`) → gunzip →
 * `{type: "DatabaseActivityMonitoringRecord", clusterId, instanceId, databaseActivityEventList}`.
 */

import { gunzipSync } from 'node:zlib';
// The decrypting half of the Encryption SDK only: `@aws-crypto/client-node` would also bring the encrypting
// client, the KMS and hierarchical keyrings and their DynamoDB client into the decrypt Lambda's bundle.
import { buildDecrypt } from '@aws-crypto/decrypt-node';
import { CommitmentPolicy } from '@aws-crypto/material-management-node';
import { RawAesKeyringNode, RawAesWrappingSuiteIdentifier } from '@aws-crypto/raw-aes-keyring-node';
import { ACTIVITY_STREAM_ARN } from '../identifiers';
import {
  ClusterMismatchError,
  DataKeyRejectedError,
  InvalidRecordError,
  PayloadDecompressionError,
  PayloadDecryptionError,
  PermanentRecordError,
} from './errors';
import { fastDecrypt } from './fast-decrypt';

/** Aurora writes suite 0x0178 (non-committing): decrypting needs REQUIRE_ENCRYPT_ALLOW_DECRYPT. */
export const esdk = buildDecrypt(CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT);

/** The SDK's own decryption, without the fast path (for references and differential tests). */
export async function sdkDecrypt(message: Uint8Array, dataKey: Uint8Array): Promise<Buffer> {
  const { plaintext } = await esdk.decrypt(keyringFor(new Uint8Array(dataKey)), message);
  return plaintext;
}

export const ENVELOPE_TYPE = 'DatabaseActivityMonitoringRecords';
export const PAYLOAD_TYPE = 'DatabaseActivityMonitoringRecord';
/** Versions written by Aurora PostgreSQL. Others are accepted with a warning. */
export const KNOWN_VERSIONS: readonly string[] = ['1.0', '1.1'];
export const KEYRING_NAMESPACE = 'BC';
export const KEYRING_KEY_NAME = 'DataKey';
export const ENCRYPTION_CONTEXT_KEY = 'aws:rds:dbc-id';

export interface ActivityEnvelope {
  readonly type: string;
  readonly version: string;
  /** Base64 AWS Encryption SDK message. */
  readonly databaseActivityEvents: string;
  /** Base64 KMS ciphertext of the data key. */
  readonly key: string;
}

/** One entry of `databaseActivityEventList`, as Aurora PostgreSQL writes it (unknown fields ignored). */
export interface ActivityEvent {
  readonly type?: string;
  readonly class?: string;
  readonly clientApplication?: string | null;
  readonly command?: string;
  readonly commandText?: string | null;
  readonly databaseName?: string | null;
  readonly dbProtocol?: string | null;
  readonly dbUserName?: string | null;
  readonly errorMessage?: string | null;
  readonly exitCode?: string | number | null;
  readonly logTime?: string;
  readonly netProtocol?: string | null;
  readonly objectName?: string | null;
  readonly objectType?: string | null;
  readonly paramList?: unknown;
  readonly pid?: number | null;
  readonly remoteHost?: string | null;
  readonly remotePort?: string | number | null;
  readonly rowCount?: number | null;
  readonly serverHost?: string | null;
  readonly serverType?: string | null;
  readonly serverVersion?: string | null;
  readonly serviceName?: string | null;
  readonly sessionId?: string | number | null;
  readonly startTime?: string | null;
  readonly statementId?: number | null;
  readonly substatementId?: number | null;
}

export interface ActivityPayload {
  readonly type: string;
  readonly clusterId: string;
  readonly instanceId: string | null;
  readonly databaseActivityEventList: readonly ActivityEvent[];
}

/** Resolves the plaintext data key of a record; throws DataKeyRejectedError or DataKeyUnavailableError. */
export type DataKeyResolver = (
  keyCiphertext: Uint8Array,
  keyCiphertextBase64: string,
  clusterResourceId: string,
) => Promise<Uint8Array>;

export interface DecodeLimits {
  /** Most bytes a payload may decompress to. Default 16 MiB (a Kinesis record holds at most 1 MiB). */
  readonly maxDecompressedBytes?: number;
}

export const DEFAULT_MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024;

const NOT_BASE64_BODY = /[^A-Za-z0-9+/]/;
const BASE64_TAIL = /^(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)$/;

/**
 * Strict base64 (Node's decoder silently skips garbage and reads base64url, which would hide truncation).
 * Linear time. Canonical input (what AWS writes) is proven by re-encoding the decoded bytes, several times
 * faster than the pattern on records of tens of KB; anything else gets the pattern's verdict, so the
 * accepted set is the same (padding bits that are not zero included).
 */
export function decodeBase64(text: string, what: string): Buffer {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') === text) return bytes;
  const ok =
    text.length % 4 === 0 &&
    (text.length === 0 || (!NOT_BASE64_BODY.test(text.slice(0, -4)) && BASE64_TAIL.test(text.slice(-4))));
  if (!ok) {
    throw new InvalidRecordError(
      `${what} is not valid base64 (length ${text.length}${text.length % 4 ? ', not a multiple of 4' : ''})`,
    );
  }
  return bytes;
}

/**
 * Parses the record bytes Kinesis delivers (the JSON envelope). `version` other than 1.0/1.1 is accepted
 * and reported in `warnings`.
 */
export function parseEnvelope(data: Uint8Array): { envelope: ActivityEnvelope; warnings: string[] } {
  let value: unknown;
  try {
    // A view of the record's bytes, not a copy of them.
    value = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (err) {
    throw new InvalidRecordError(`record data is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidRecordError('record data is not a JSON object');
  }
  const v = value as Record<string, unknown>;
  if (v.type !== ENVELOPE_TYPE) {
    throw new InvalidRecordError(`record type is ${JSON.stringify(v.type)}, expected "${ENVELOPE_TYPE}"`);
  }
  for (const field of ['version', 'databaseActivityEvents', 'key'] as const) {
    if (typeof v[field] !== 'string' || v[field] === '') {
      throw new InvalidRecordError(
        `record field ${field} must be a non-empty string, got ${JSON.stringify(v[field])?.slice(0, 40)}`,
      );
    }
  }
  const envelope = v as unknown as ActivityEnvelope;
  const warnings = KNOWN_VERSIONS.includes(envelope.version)
    ? []
    : [
        `record version ${JSON.stringify(envelope.version)} is not one of ${KNOWN_VERSIONS.join(', ')}; decoded anyway`,
      ];
  return { envelope, warnings };
}

// One keyring per data key object: the data-key cache hands out the same Uint8Array for a cached key, so
// records of one key period also share the keyring (and its imported key).
const keyrings = new WeakMap<Uint8Array, RawAesKeyringNode>();

function keyringFor(dataKey: Uint8Array): RawAesKeyringNode {
  let keyring = keyrings.get(dataKey);
  if (!keyring) {
    keyring = new RawAesKeyringNode({
      keyNamespace: KEYRING_NAMESPACE,
      keyName: KEYRING_KEY_NAME,
      // The keyring wants an isolated buffer of its own.
      unencryptedMasterKey: new Uint8Array(dataKey),
      wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
    });
    keyrings.set(dataKey, keyring);
  }
  return keyring;
}

/**
 * Decrypts the Encryption SDK message with the plaintext data key (raw AES keyring `BC`/`DataKey`), through
 * the fast path when it handles the message and the SDK's `decrypt` otherwise.
 */
export async function decryptPayload(message: Uint8Array, dataKey: Uint8Array): Promise<Buffer> {
  try {
    // The one-pass fast path for Aurora's message shape; the SDK for everything else (same result).
    const fast = await fastDecrypt(message, dataKey);
    if (fast) return fast;
    const { plaintext } = await esdk.decrypt(keyringFor(dataKey), message);
    return plaintext;
  } catch (err) {
    throw new PayloadDecryptionError(`activity payload could not be decrypted: ${(err as Error).message}`);
  }
}

/** Gunzips and parses the decrypted payload, bounded by `maxDecompressedBytes`. */
export async function parsePayload(
  compressed: Uint8Array,
  limits: DecodeLimits = {},
): Promise<{ payload: ActivityPayload; json: string }> {
  const max = limits.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  let json: Buffer;
  try {
    // Synchronous: payloads are small and the thread-pool round trip costs more than the work.
    json = gunzipSync(compressed, { maxOutputLength: max });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new PayloadDecompressionError(`activity payload decompresses to more than ${max} bytes`);
    }
    throw new PayloadDecompressionError(`activity payload is not gzip: ${e.message}`);
  }
  const text = json.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidRecordError(`decrypted payload is not JSON: ${(err as Error).message}`);
  }
  const v = value as Record<string, unknown> | null;
  if (typeof v !== 'object' || v === null || v.type !== PAYLOAD_TYPE) {
    throw new InvalidRecordError(
      `decrypted payload type is ${JSON.stringify(v?.type)}, expected "${PAYLOAD_TYPE}"`,
    );
  }
  if (typeof v.clusterId !== 'string' || !Array.isArray(v.databaseActivityEventList)) {
    throw new InvalidRecordError('decrypted payload lacks clusterId or databaseActivityEventList');
  }
  const payload: ActivityPayload = {
    type: v.type,
    clusterId: v.clusterId,
    instanceId: typeof v.instanceId === 'string' ? v.instanceId : null,
    databaseActivityEventList: v.databaseActivityEventList as ActivityEvent[],
  };
  return { payload, json: text };
}

export interface DecodedRecord {
  readonly payload: ActivityPayload;
  /** The decrypted, decompressed payload exactly as Aurora wrote it (unredacted: handle with care). */
  readonly payloadJson: string;
  readonly version: string;
  readonly warnings: readonly string[];
}

/**
 * Decodes one activity-stream record from a stream that belongs to `clusterResourceId`.
 * @throws PermanentRecordError (quarantine) or any other error (transient, retry).
 */
export async function decodeActivityRecord(
  data: Uint8Array,
  clusterResourceId: string,
  resolveDataKey: DataKeyResolver,
  limits: DecodeLimits = {},
): Promise<DecodedRecord> {
  const { envelope, warnings } = parseEnvelope(data);
  const message = decodeBase64(envelope.databaseActivityEvents, 'databaseActivityEvents');
  const keyCiphertext = decodeBase64(envelope.key, 'key');
  const dataKey = await resolveDataKey(keyCiphertext, envelope.key, clusterResourceId);
  if (dataKey.length !== 32) {
    throw new DataKeyRejectedError(`data key is ${dataKey.length} bytes, expected 32 (AES-256)`);
  }
  const compressed = await decryptPayload(message, dataKey);
  const { payload, json } = await parsePayload(compressed, limits);
  if (payload.clusterId !== clusterResourceId) {
    throw new ClusterMismatchError(
      `record is for cluster ${payload.clusterId} but arrived on the stream of ${clusterResourceId}`,
    );
  }
  return { payload, payloadJson: json, version: envelope.version, warnings };
}

const STREAM_ARN = ACTIVITY_STREAM_ARN;

/** The cluster resource id of an activity stream (`…:stream/aws-rds-das-<cluster resource id>`). */
export function clusterOfStream(eventSourceArn: string | undefined): string {
  const m = STREAM_ARN.exec(eventSourceArn ?? '');
  if (!m?.[1]) throw new ClusterMismatchError(`not an activity stream: ${JSON.stringify(eventSourceArn)}`);
  return m[1];
}

export { PermanentRecordError };
