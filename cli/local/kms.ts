/**
 * A local stand-in for KMS that really encrypts: a data key is sealed with AES-256-GCM under a master key,
 * the encryption context bound as additional authenticated data. Decrypting with another context or a
 * tampered blob fails with `InvalidCiphertextException`, as KMS does. Used by tests, benchmarks and the demo.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const MAGIC = Buffer.from('LKMS1');

export class LocalKmsError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

function aad(context: Readonly<Record<string, string>>): Buffer {
  const sorted = Object.keys(context)
    .sort()
    .map((k) => [k, context[k]]);
  return Buffer.from(JSON.stringify(sorted));
}

export class LocalKms {
  readonly keyId: string;
  /** Decrypt calls answered, for tests that count KMS traffic. */
  decryptCalls = 0;
  private readonly masterKey: Buffer;

  constructor(
    keyId = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    masterKey = randomBytes(32),
  ) {
    this.keyId = keyId;
    this.masterKey = masterKey;
  }

  encrypt(plaintext: Uint8Array, context: Readonly<Record<string, string>>): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv);
    cipher.setAAD(aad(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]);
  }

  /** Like KMS Decrypt: InvalidCiphertextException for a foreign, tampered or wrongly-contexted blob. */
  decrypt(blob: Uint8Array, context: Readonly<Record<string, string>>): Buffer {
    this.decryptCalls++;
    const buf = Buffer.from(blob);
    if (buf.length < MAGIC.length + 28 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new LocalKmsError('InvalidCiphertextException', 'The ciphertext is invalid');
    }
    const iv = buf.subarray(MAGIC.length, MAGIC.length + 12);
    const tag = buf.subarray(MAGIC.length + 12, MAGIC.length + 28);
    const decipher = createDecipheriv('aes-256-gcm', this.masterKey, iv);
    decipher.setAAD(aad(context));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(buf.subarray(MAGIC.length + 28)), decipher.final()]);
    } catch {
      throw new LocalKmsError('InvalidCiphertextException', 'The ciphertext is invalid');
    }
  }
}
