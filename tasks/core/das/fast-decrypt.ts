/**
 * A fast path for the one message shape Aurora writes: Encryption SDK message format v1, suite 0x0178
 * (AES-256-GCM, HKDF-SHA256, non-committing, unsigned), framed. It decrypts the whole message in one pass
 * instead of through the SDK's stream pipeline, built only from the SDK's own exported pieces:
 *
 * - header parsing: `deserializeFactory(...).deserializeMessageHeader` (@aws-crypto/serialize);
 * - data-key unwrapping: the keyring through the SDK's default materials manager;
 * - key derivation and ciphers: `getDecryptionHelper` (@aws-crypto/material-management-node);
 * - frame headers and frame AAD: `decodeBodyHeader`, `aadFactory` (@aws-crypto/serialize).
 *
 * It verifies what the SDK verifies: the commitment policy, the header authentication tag, every frame's
 * sequence number (1, 2, 3, …) and authentication tag, and that a final frame ends the body. Anything it
 * does not handle (another version or suite, non-framed content, trailing bytes, a truncated message, any
 * error) returns `undefined`, and the caller uses the SDK's `decrypt`, so the result is always the SDK's.
 * A differential fuzz test holds it to that.
 */
import {
  CommitmentPolicy,
  CommitmentPolicySuites,
  getDecryptionHelper,
  type KeyringNode,
  NodeAlgorithmSuite,
  NodeDefaultCryptographicMaterialsManager,
} from '@aws-crypto/material-management-node';
import { aadFactory, ContentType, decodeBodyHeader, deserializeFactory } from '@aws-crypto/serialize';

const toUtf8 = (input: Uint8Array) =>
  Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
const fromUtf8 = (input: string) => Buffer.from(input, 'utf8');
const deserialize = deserializeFactory(toUtf8, NodeAlgorithmSuite);
const aad = aadFactory(fromUtf8);

/** The suite Aurora PostgreSQL writes: ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256. */
export const FAST_PATH_SUITE = 0x0178;

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** The plaintext, or undefined when the message is not one the fast path handles (use the SDK then). */
export async function fastDecrypt(message: Uint8Array, keyring: KeyringNode): Promise<Buffer | undefined> {
  let dispose: (() => void) | undefined;
  try {
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

    const material = await new NodeDefaultCryptographicMaterialsManager(keyring).decryptMaterials({
      suite: new NodeAlgorithmSuite(algorithmSuite.id),
      encryptionContext: messageHeader.encryptionContext,
      encryptedDataKeys: messageHeader.encryptedDataKeys,
    });
    if (material.suite.id !== FAST_PATH_SUITE) return undefined;
    const helper = getDecryptionHelper(material);
    dispose = helper.dispose;
    if (helper.getVerify) return undefined; // signed suites are the SDK's business
    const getDecipher = helper.getDecipherInfo(messageHeader.messageId);

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
    dispose?.();
  }
}
