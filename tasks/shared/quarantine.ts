/**
 * Quarantine: input that can never be processed is written to `quarantine/` in the audit bucket with its
 * original bytes (base64) and the reason, so nothing is dropped without a trace and it can be redriven.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { quarantineKey } from '../core/storage-layout';

export interface QuarantineEntry {
  /** `das` or `pgaudit`. */
  readonly source: string;
  /** URL-safe unique name, e.g. `<shard>_<sequence>`. */
  readonly name: string;
  /** Human-readable reason. */
  readonly reason: string;
  /** The error class, e.g. `PayloadDecryptionError`. */
  readonly errorName: string;
  /** The original bytes, exactly as received. */
  readonly original: Uint8Array;
  /** Where it came from (stream ARN, sequence number, log group, …). */
  readonly metadata: Readonly<Record<string, unknown>>;
}

export interface QuarantineDocument {
  readonly reason: string;
  readonly errorName: string;
  readonly quarantinedAt: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Base64 of the original bytes. */
  readonly originalBase64: string;
}

export type QuarantineWriter = (entry: QuarantineEntry) => Promise<string>;

export function s3QuarantineWriter(
  s3: S3Client,
  bucket: string,
  now: () => Date = () => new Date(),
): QuarantineWriter {
  return async (entry) => {
    const at = now();
    const key = quarantineKey(entry.source, at, entry.name);
    const document: QuarantineDocument = {
      reason: entry.reason,
      errorName: entry.errorName,
      quarantinedAt: at.toISOString(),
      metadata: entry.metadata,
      originalBase64: Buffer.from(entry.original).toString('base64'),
    };
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify(document),
        ContentType: 'application/json',
      }),
    );
    return key;
  };
}
