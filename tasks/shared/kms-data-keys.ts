/**
 * The KMS adapter of the activity-stream data-key resolver: KMS Decrypt with the encryption context
 * `{"aws:rds:dbc-id": <cluster resource id>}`, behind the bounded {@link DataKeyCache}.
 */
import { DecryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { DataKeyCache } from '../core/das/data-key-cache';
import { DataKeyRejectedError, DataKeyUnavailableError } from '../core/das/errors';
import { type DataKeyResolver, ENCRYPTION_CONTEXT_KEY } from '../core/das/record';

/** KMS errors that mean this ciphertext will never decrypt under this context. */
const PERMANENT_KMS_ERRORS = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);

export function kmsDataKeyResolver(kms: KMSClient, cache: DataKeyCache): DataKeyResolver {
  return (ciphertext, ciphertextBase64, clusterResourceId) =>
    cache.get(clusterResourceId, ciphertextBase64, async () => {
      let plaintext: Uint8Array | undefined;
      try {
        ({ Plaintext: plaintext } = await kms.send(
          new DecryptCommand({
            CiphertextBlob: ciphertext,
            EncryptionContext: { [ENCRYPTION_CONTEXT_KEY]: clusterResourceId },
          }),
        ));
      } catch (err) {
        const name = (err as Error).name;
        if (PERMANENT_KMS_ERRORS.has(name)) {
          throw new DataKeyRejectedError(
            `KMS rejected the data key for ${clusterResourceId} (${name}): tampered key or wrong encryption context`,
          );
        }
        throw new DataKeyUnavailableError(
          `KMS Decrypt failed for ${clusterResourceId}: ${name}: ${(err as Error).message}`,
        );
      }
      if (!plaintext) throw new DataKeyUnavailableError('KMS Decrypt returned no plaintext');
      return plaintext;
    });
}
