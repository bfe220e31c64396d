/**
 * A fast path for the one message shape Aurora writes: Encryption SDK message format v1, suite 0x0178
 * (AES-256-GCM, HKDF-SHA256, non-committing, unsigned), framed, its data key wrapped by a raw AES keyring
 * (`BC`/`DataKey`, AES-256-GCM, 12-byte IV, 16-byte tag). It decrypts the whole message in one pass instead of
 * through the SDK's stream pipeline and materials objects:
 *
 * - header parsing: `deserializeFactory(...).deserializeMessageHeader` (@aws-crypto/serialize);
 * - data-key unwrapping as the SDK's raw AES keyring does it (`aesGcmUnwrapKey` in
 *   @aws-crypto/raw-aes-keyring-node): the encrypted data keys of provider `BC` whose provider info starts with
 *   `DataKey`, in order, the first that decrypts; provider info `DataKey ‖ uInt32BE(128) ‖ uInt32BE(12) ‖ IV`;
 *   AAD the serialized encryption context without its length (`serializeEncryptionContext(...).slice(2)`);
 * - key derivation as the SDK's `nodeKdf` does it for a non-committing suite: HKDF-SHA256, salt 32 zero bytes,
 *   info `kdfInfo(suite id, message id)` (@aws-crypto/serialize), 32 bytes;
 * - frame headers and frame AAD: `decodeBodyHeader`, `aadFactory` (@aws-crypto/serialize).
 *
 * It verifies what the SDK verifies: the commitment policy, no signing key in the context of an unsigned
 * suite, the wrapped key's tag, the header authentication tag, every frame's sequence number (1, 2, 3, …) and
 * authentication tag, and that a final frame ends the body. Anything it does not handle (another version or
 * suite, non-framed content, trailing bytes, a truncated message, any error) returns `undefined`, and the
 * caller uses the SDK's `decrypt`, so the result is always the SDK's. A differential fuzz test holds it to that.
 */
import { createDecipheriv, createHmac } from 'node:crypto';
import {
  CommitmentPolicy,
  CommitmentPolicySuites,
  NodeAlgorithmSuite,
} from '@aws-crypto/material-management-node';
import {
  aadFactory,
  ContentType,
  decodeBodyHeader,
  deserializeFactory,
  ENCODED_SIGNER_KEY,
  kdfInfo,
  serializeFactory,
} from '@aws-crypto/serialize';

const toUtf8 = (input: Uint8Array) =>
  Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
const fromUtf8 = (input: string) => Buffer.from(input, 'utf8');
const deserialize = deserializeFactory(toUtf8, NodeAlgorithmSuite);
const serialize = serializeFactory(fromUtf8, { utf8Sorting: false });
const aad = aadFactory(fromUtf8);

/** The suite Aurora PostgreSQL writes: ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256. */
export const FAST_PATH_SUITE = 0x0178;
/** The raw AES keyring Aurora's data key is wrapped for. */
export const WRAPPING_KEY_NAMESPACE = 'BC';
export const WRAPPING_KEY_NAME = 'DataKey';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = Buffer.alloc(32, 0);
const KEY_NAME_BYTES = fromUtf8(WRAPPING_KEY_NAME);

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

interface EncryptedDataKey {
  readonly providerId: string;
  readonly providerInfo: string;
  readonly rawInfo?: Uint8Array;
  readonly encryptedDataKey: Uint8Array;
}

/**
 * HKDF-SHA256 (RFC 5869) of one 32-byte block, as @aws-crypto/hkdf-node computes it: PRK = HMAC(salt, IKM),
 * OKM = HMAC(PRK, info ‖ 0x01). Two HMACs cost half of `crypto.hkdfSync`, whose job set-up dominates at this size.
 */
function hkdfSha256Block(ikm: Buffer, info: Buffer): Buffer {
  const prk = createHmac('sha256', HKDF_SALT).update(ikm).digest();
  const okm = createHmac('sha256', prk).update(info).update(HKDF_FIRST_BLOCK).digest();
  prk.fill(0);
  return okm;
}

const HKDF_FIRST_BLOCK = Buffer.of(1);

/** The message's data key, unwrapped as the SDK's raw AES keyring does; undefined when no key unwraps. */
function unwrapDataKey(
  wrappingKey: Uint8Array,
  encryptedDataKeys: readonly EncryptedDataKey[],
  encryptionContextAad: Buffer,
): Buffer | undefined {
  for (const edk of encryptedDataKeys) {
    if (edk.providerId !== WRAPPING_KEY_NAMESPACE || !edk.providerInfo.startsWith(WRAPPING_KEY_NAME))
      continue;
    const { rawInfo, encryptedDataKey } = edk;
    // The keyring's preconditions; a failed one makes it try the next key, as here.
    if (!(rawInfo instanceof Uint8Array)) continue;
    const info = asBuffer(rawInfo).subarray(KEY_NAME_BYTES.byteLength);
    if (info.byteLength !== 8 + IV_BYTES) continue;
    if (info.readUInt32BE(0) !== TAG_BYTES * 8 || info.readUInt32BE(4) !== IV_BYTES) continue;
    if (encryptedDataKey.byteLength !== KEY_BYTES + TAG_BYTES) continue;
    try {
      const wrapped = asBuffer(encryptedDataKey);
      const decipher = createDecipheriv('aes-256-gcm', wrappingKey, info.subarray(8))
        .setAAD(encryptionContextAad)
        .setAuthTag(wrapped.subarray(KEY_BYTES));
      const dataKey = decipher.update(wrapped.subarray(0, KEY_BYTES));
      try {
        decipher.final(); // throws on a bad tag
      } catch (err) {
        dataKey.fill(0);
        throw err;
      }
      if (dataKey.byteLength === KEY_BYTES) return dataKey;
    } catch {
      // Not this key (the keyring swallows the failure and tries the next one).
    }
  }
  return undefined;
}

/**
 * The plaintext, or undefined when the message is not one the fast path handles (use the SDK then).
 * @param wrappingKey the plaintext data key from KMS (the raw AES keyring's wrapping key).
 */
export async function fastDecrypt(message: Uint8Array, wrappingKey: Uint8Array): Promise<Buffer | undefined> {
  let derivedKey: Buffer | undefined;
  try {
    if (wrappingKey.byteLength !== KEY_BYTES) return undefined;
    const headerInfo = deserialize.deserializeMessageHeader(message, { maxEncryptedDataKeys: false });
    if (!headerInfo) return undefined;
    const { messageHeader, algorithmSuite, rawHeader, headerAuth } = headerInfo;
    if (
      messageHeader.version !== 1 ||
      algorithmSuite.id !== FAST_PATH_SUITE ||
      messageHeader.contentType !== ContentType.FRAMED_DATA
    ) {
      return undefined;
    }
    const messageIdHex = asBuffer(messageHeader.messageId).toString('hex');
    CommitmentPolicySuites.isDecryptEnabled(
      CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT,
      algorithmSuite,
      messageIdHex,
    );
    const { encryptionContext } = messageHeader;
    // An unsigned suite's context must not carry a verification key (the SDK's materials manager refuses it).
    if (Object.hasOwn(encryptionContext, ENCODED_SIGNER_KEY)) return undefined;

    const contextAad = asBuffer(serialize.serializeEncryptionContext(encryptionContext).slice(2));
    const dataKey = unwrapDataKey(
      wrappingKey,
      messageHeader.encryptedDataKeys as readonly EncryptedDataKey[],
      contextAad,
    );
    if (!dataKey) return undefined;
    const messageKey = hkdfSha256Block(dataKey, asBuffer(kdfInfo(FAST_PATH_SUITE, messageHeader.messageId)));
    derivedKey = messageKey;
    dataKey.fill(0);
    const getDecipher = (iv: Uint8Array) => createDecipheriv('aes-256-gcm', messageKey, asBuffer(iv));

    // Header authentication, exactly as the SDK's ParseHeaderStream does it.
    const headerCheck = getDecipher(headerAuth.headerIv);
    headerCheck.setAAD(asBuffer(rawHeader));
    headerCheck.setAuthTag(asBuffer(headerAuth.headerAuthTag));
    headerCheck.update(Buffer.alloc(0));
    headerCheck.final();

    const messageId = asBuffer(messageHeader.messageId);
    const parts: Buffer[] = [];
    let pos = rawHeader.byteLength + headerAuth.headerAuthLength;
    for (let expected = 1; ; expected++) {
      const frame = decodeBodyHeader(message, headerInfo, pos);
      if (!frame) return undefined; // truncated
      if (frame.sequenceNumber !== expected) return undefined;
      const contentEnd = frame.readPos + frame.contentLength;
      const tagEnd = contentEnd + frame.tagLength / 8;
      if (tagEnd > message.byteLength) return undefined;
      const aadString = aad.messageAADContentString({
        contentType: frame.contentType,
        isFinalFrame: frame.isFinalFrame,
      });
      const frameAad = aad.messageAAD(messageId, aadString, frame.sequenceNumber, frame.contentLength);
      const decipher = getDecipher(frame.iv).setAAD(asBuffer(frameAad));
      decipher.setAuthTag(asBuffer(message.subarray(contentEnd, tagEnd)));
      const plain = decipher.update(asBuffer(message.subarray(frame.readPos, contentEnd)));
      decipher.final(); // throws on a bad tag: nothing unverified is returned
      parts.push(plain);
      pos = tagEnd;
      if (frame.isFinalFrame) break;
    }
    if (pos !== message.byteLength) return undefined; // trailing bytes: let the SDK decide
    return Buffer.concat(parts);
  } catch {
    return undefined;
  } finally {
    derivedKey?.fill(0); // the key material this function derived does not outlive it
  }
}
