/**
 * Errors of the activity-stream path. A {@link PermanentRecordError} means the record can never be
 * processed as it is: it is quarantined with its original bytes and the reason. Anything else is transient:
 * the record is reported as a batch-item failure and Lambda retries it.
 */

export abstract class PermanentRecordError extends Error {}

/** Not base64, not JSON, or not an activity-stream record. */
export class InvalidRecordError extends PermanentRecordError {
  override readonly name = 'InvalidRecordError';
}

/** KMS refused the data key: tampered key or wrong encryption context (`InvalidCiphertextException`). */
export class DataKeyRejectedError extends PermanentRecordError {
  override readonly name = 'DataKeyRejectedError';
}

/** The Encryption SDK message could not be decrypted with the data key (tampered or truncated payload). */
export class PayloadDecryptionError extends PermanentRecordError {
  override readonly name = 'PayloadDecryptionError';
}

/** The decrypted payload is not gzip, or decompresses beyond the configured bound. */
export class PayloadDecompressionError extends PermanentRecordError {
  override readonly name = 'PayloadDecompressionError';
}

/** The record belongs to another cluster than the stream it came from, or to no configured cluster. */
export class ClusterMismatchError extends PermanentRecordError {
  override readonly name = 'ClusterMismatchError';
}

/** KMS could not be reached or throttled us: retry later. */
export class DataKeyUnavailableError extends Error {
  override readonly name = 'DataKeyUnavailableError';
}

export function isPermanent(err: unknown): err is PermanentRecordError {
  return err instanceof PermanentRecordError;
}
