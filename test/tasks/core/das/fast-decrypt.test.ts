import { createCipheriv, randomBytes } from 'node:crypto';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  EncryptedDataKey,
  type EncryptionContext,
  KeyringNode,
  KeyringTraceFlag,
  MultiKeyringNode,
  NodeAlgorithmSuite,
  type NodeDecryptionMaterial,
  NodeEncryptionMaterial,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import { serializeFactory } from '@aws-crypto/serialize';
import { seededRandom as prng } from '../../../../cli/local/random';
import { FAST_PATH_SUITE, fastDecrypt } from '../../../../tasks/core/das/fast-decrypt';
import { sdkDecrypt } from '../../../../tasks/core/das/record';

/** Seeded cases: AURORA_AUDIT_FUZZ_CASES raises the count (default 10,000). */
const CASES = Number(process.env.AURORA_AUDIT_FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.AURORA_AUDIT_FUZZ_SEED ?? 20261124);

const producer = buildClient(CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT);
const committing = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);

function keyring(key: Uint8Array): RawAesKeyringNode {
  return new RawAesKeyringNode({
    keyNamespace: 'BC',
    keyName: 'DataKey',
    unencryptedMasterKey: new Uint8Array(key),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
}

/** The SDK's verdict (a tagged result: errors from node:crypto come from another realm than the test's). */
async function sdkResult(
  message: Uint8Array,
  key: Uint8Array,
): Promise<{ ok: true; plaintext: Buffer } | { ok: false; error: string }> {
  try {
    return { ok: true, plaintext: await sdkDecrypt(message, key) };
  } catch (err) {
    return { ok: false, error: String((err as { message?: unknown }).message) };
  }
}

/**
 * A wrapped data key made by hand, so that a test can get what no keyring writes (wrong lengths, another name,
 * a bad tag) into a message whose header tag is still valid: byte flips after the fact only reach the header
 * check, never the unwrapping behind it.
 */
interface WrappedKeySpec {
  readonly providerId?: string;
  readonly keyName?: string;
  /** Tag length in bits as written in the provider info. Default 128. */
  readonly tagBits?: number;
  /** IV length as written in the provider info, and the IV's real length. Default 12. */
  readonly ivLength?: number;
  /** Length the wrapped key is cut or padded to. Default 48 (32 + 16). */
  readonly wrappedLength?: number;
  /** Wrap another random key instead of the message's data key. */
  readonly otherDataKey?: boolean;
  readonly badTag?: boolean;
}

const contextSerializer = serializeFactory((s: string) => Buffer.from(s, 'utf8'), { utf8Sorting: false });

function wrappedKey(
  spec: WrappedKeySpec,
  wrappingKey: Uint8Array,
  dataKey: Buffer,
  aad: Buffer,
): EncryptedDataKey {
  const ivLength = spec.ivLength ?? 12;
  const iv = randomBytes(ivLength);
  const cipher = createCipheriv('aes-256-gcm', wrappingKey, iv).setAAD(aad);
  const sealed = Buffer.concat([
    cipher.update(spec.otherDataKey ? randomBytes(32) : dataKey),
    cipher.final(),
  ]);
  let wrapped = Buffer.concat([sealed, cipher.getAuthTag()]);
  if (spec.badTag) wrapped[wrapped.length - 1] = (wrapped[wrapped.length - 1] as number) ^ 1;
  if (spec.wrappedLength !== undefined) {
    wrapped =
      spec.wrappedLength > wrapped.length
        ? Buffer.concat([wrapped, Buffer.alloc(spec.wrappedLength - wrapped.length)])
        : wrapped.subarray(0, spec.wrappedLength);
  }
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const rawInfo = Buffer.concat([
    Buffer.from(spec.keyName ?? 'DataKey'),
    u32(spec.tagBits ?? 128),
    u32(ivLength),
    iv,
  ]);
  return new EncryptedDataKey({
    providerId: spec.providerId ?? 'BC',
    providerInfo: rawInfo.toString('utf8'),
    rawInfo: new Uint8Array(rawInfo),
    encryptedDataKey: new Uint8Array(wrapped),
  });
}

/** A keyring that writes the wrapped keys it is given, in order (encrypting only). */
class CraftedKeyring extends KeyringNode {
  constructor(
    private readonly specs: readonly WrappedKeySpec[],
    private readonly wrappingKey: Uint8Array,
  ) {
    super();
  }

  override async _onEncrypt(material: NodeEncryptionMaterial): Promise<NodeEncryptionMaterial> {
    const dataKey = randomBytes(32);
    material.setUnencryptedDataKey(new Uint8Array(dataKey), {
      keyNamespace: 'BC',
      keyName: 'DataKey',
      flags: KeyringTraceFlag.WRAPPING_KEY_GENERATED_DATA_KEY,
    });
    const aad = Buffer.from(
      contextSerializer.serializeEncryptionContext(material.encryptionContext).slice(2),
    );
    for (const spec of this.specs) {
      material.addEncryptedDataKey(
        wrappedKey(spec, this.wrappingKey, dataKey, aad),
        KeyringTraceFlag.WRAPPING_KEY_ENCRYPTED_DATA_KEY,
      );
    }
    return material;
  }

  override async _onDecrypt(material: NodeDecryptionMaterial): Promise<NodeDecryptionMaterial> {
    return material;
  }
}

describe('the decrypt fast path', () => {
  const keys = [new Uint8Array(randomBytes(32)), new Uint8Array(randomBytes(32))];

  async function aurora(
    plaintext: Buffer,
    key = keys[0]!,
    frameLength = 4096,
    encryptionContext: EncryptionContext = {},
  ) {
    const { result } = await producer.encrypt(keyring(key), plaintext, {
      suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256,
      frameLength,
      encryptionContext,
    });
    return Buffer.from(result);
  }

  it('unwraps the data key under the encryption context the SDK binds to it (the AAD), in any key order', async () => {
    const plaintext = randomBytes(5000);
    for (const context of <EncryptionContext[]>[
      { 'aws:rds:dbc-id': 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ' },
      { zeta: 'z', alpha: 'a', Grüße: '😀', mid: '' },
    ]) {
      const message = await aurora(plaintext, keys[0]!, 4096, context);
      expect((await fastDecrypt(message, keys[0]!))?.equals(plaintext)).toBe(true);
      expect((await sdkDecrypt(message, keys[0]!)).equals(plaintext)).toBe(true);
    }
  });

  it('tries each wrapped data key of the keyring in order and uses the first that unwraps, as the keyring does', async () => {
    const plaintext = randomBytes(3000);
    // Two data keys wrapped for the same keyring name under different keys: only the second unwraps with keys[1].
    const { result } = await producer.encrypt(
      new MultiKeyringNode({ generator: keyring(keys[0]!), children: [keyring(keys[1]!)] }),
      plaintext,
      { suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256 },
    );
    for (const key of keys) {
      expect((await fastDecrypt(result, key))?.equals(plaintext)).toBe(true);
      expect((await sdkDecrypt(result, key)).equals(plaintext)).toBe(true);
    }
    const stranger = new Uint8Array(randomBytes(32));
    expect(await fastDecrypt(result, stranger)).toBeUndefined();
    await expect(sdkDecrypt(result, stranger)).rejects.toThrow();
  });

  it('leaves a data key wrapped for another keyring name or namespace to the SDK, which refuses it too', async () => {
    const plaintext = randomBytes(100);
    for (const other of [
      { keyNamespace: 'BC', keyName: 'OtherKey' },
      { keyNamespace: 'XX', keyName: 'DataKey' },
    ]) {
      const { result } = await producer.encrypt(
        new RawAesKeyringNode({
          ...other,
          unencryptedMasterKey: new Uint8Array(keys[0]!),
          wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
        }),
        plaintext,
        { suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256 },
      );
      expect(await fastDecrypt(result, keys[0]!)).toBeUndefined();
      await expect(sdkDecrypt(result, keys[0]!)).rejects.toThrow();
    }
  });

  it('decrypts messages as Aurora writes them, to the same bytes as the SDK', async () => {
    for (const size of [0, 1, 100, 4095, 4096, 4097, 8192, 20_000]) {
      const plaintext = randomBytes(size);
      const message = await aurora(plaintext);
      expect(message.readUInt16BE(2)).toBe(FAST_PATH_SUITE);
      const fast = await fastDecrypt(message, keys[0]!);
      expect(fast?.equals(plaintext)).toBe(true);
      expect((await sdkDecrypt(message, keys[0]!)).equals(plaintext)).toBe(true);
    }
  });

  describe('on wrapped data keys made by hand (the header tag valid)', () => {
    const wrappingKey = new Uint8Array(randomBytes(32));
    const plaintext = randomBytes(700);

    async function crafted(specs: readonly WrappedKeySpec[], encryptionContext: EncryptionContext = {}) {
      const { result } = await producer.encrypt(new CraftedKeyring(specs, wrappingKey), plaintext, {
        suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256,
        encryptionContext,
        frameLength: 256,
      });
      return Buffer.from(result);
    }

    it.each<[string, WrappedKeySpec[]]>([
      ['a tag length of 96 bits', [{ tagBits: 96 }]],
      ['an IV of 16 bytes', [{ ivLength: 16 }]],
      ['a wrapped key of 47 bytes', [{ wrappedLength: 47 }]],
      ['a wrapped key of 49 bytes', [{ wrappedLength: 49 }]],
      ['a bad wrapping tag', [{ badTag: true }]],
      ['another key name that starts with DataKey', [{ keyName: 'DataKeyX' }]],
      ['another provider', [{ providerId: 'XX' }]],
      // The first key unwraps (to the wrong data key): the keyring stops there, and the header check fails.
      ['a key that unwraps to another data key, before the right one', [{ otherDataKey: true }, {}]],
    ])('refuses, as the SDK does, a message whose only usable key has %s', async (_what, specs) => {
      const message = await crafted(specs);
      expect(await fastDecrypt(message, wrappingKey)).toBeUndefined();
      await expect(sdkDecrypt(message, wrappingKey)).rejects.toThrow();
    });

    it.each<[string, WrappedKeySpec[]]>([
      ['a tag length of 96 bits', [{ tagBits: 96 }, {}]],
      ['an IV of 16 bytes', [{ ivLength: 16 }, {}]],
      ['a wrapped key of 47 bytes', [{ wrappedLength: 47 }, {}]],
      ['a wrapped key of 49 bytes', [{ wrappedLength: 49 }, {}]],
      ['a bad wrapping tag', [{ badTag: true }, {}]],
      ['another key name that starts with DataKey', [{ keyName: 'DataKeyX' }, {}]],
      ['another provider', [{ providerId: 'XX' }, {}]],
      ['299 bad wrapping tags', [...Array.from({ length: 299 }, () => ({ badTag: true })), {}]],
    ])('skips, as the SDK does, a key with %s and decrypts with the next one', async (_what, specs) => {
      const message = await crafted(specs);
      expect((await fastDecrypt(message, wrappingKey))?.equals(plaintext)).toBe(true);
      expect((await sdkDecrypt(message, wrappingKey)).equals(plaintext)).toBe(true);
    });

    it('decrypts with the first right key when a wrong one follows it', async () => {
      const message = await crafted([{}, { otherDataKey: true }]);
      expect((await fastDecrypt(message, wrappingKey))?.equals(plaintext)).toBe(true);
      expect((await sdkDecrypt(message, wrappingKey)).equals(plaintext)).toBe(true);
    });

    it('binds the key to contexts whose keys sort differently by code unit and by character', async () => {
      const context = { b: '1', B: '2', a: '3', é: '4', 10: 'x', 9: 'y', Ä: 'z', '😀': 'q', ｚ: 'w' };
      const message = await crafted([{}], context);
      expect((await fastDecrypt(message, wrappingKey))?.equals(plaintext)).toBe(true);
      expect((await sdkDecrypt(message, wrappingKey)).equals(plaintext)).toBe(true);
    });

    it.each(['AAAA', ''])(
      'refuses, as the SDK does, an unsigned message whose context carries a signing key (%j)',
      async (value) => {
        // The encrypt client refuses such a context: a materials manager of our own writes it.
        const keyring = new CraftedKeyring([{}], wrappingKey);
        const materials = {
          getEncryptionMaterials: async () =>
            keyring.onEncrypt(
              new NodeEncryptionMaterial(new NodeAlgorithmSuite(FAST_PATH_SUITE), {
                'aws-crypto-public-key': value,
                x: 'y',
              }),
            ),
          decryptMaterials: async () => {
            throw new Error('not used');
          },
        };
        const { result } = await producer.encrypt(materials as never, plaintext, {
          suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256,
        });
        expect(await fastDecrypt(result, wrappingKey)).toBeUndefined();
        await expect(sdkDecrypt(result, wrappingKey)).rejects.toThrow();
      },
    );
  });

  it('leaves other suites to the SDK', async () => {
    const { result } = await committing.encrypt(keyring(keys[0]!), Buffer.from('x'));
    expect(await fastDecrypt(result, keys[0]!)).toBeUndefined();
    expect((await sdkDecrypt(result, keys[0]!)).toString()).toBe('x');
  });

  it(`agrees with the SDK on ${CASES} seeded valid and mutated messages and never accepts what it rejects`, async () => {
    const rand = prng(SEED);
    const int = (n: number) => Math.floor(rand() * n);
    const seeds: { message: Buffer; plaintext: Buffer }[] = [];
    for (let i = 0; i < 120; i++) {
      const plaintext = randomBytes([0, 1, 600, 4096, 5000, 9000][i % 6]! + int(50));
      // A third with an encryption context, so that mutations reach the AAD the wrapped key is bound to.
      const context: EncryptionContext =
        i % 3 === 1 ? { 'aws:rds:dbc-id': `cluster-${i}`, other: 'x'.repeat(i % 7) } : {};
      seeds.push({
        message: await aurora(plaintext, keys[i % 2], [4096, 512, 1024][i % 3], context),
        plaintext,
      });
    }
    const counts = {
      valid: 0,
      mutated: 0,
      fastAccepted: 0,
      sdkAccepted: 0,
      agreedRejections: 0,
      fallbacks: 0,
    };
    for (let c = 0; c < CASES; c++) {
      const seed = seeds[int(seeds.length)]!;
      let message = Buffer.from(seed.message);
      let key = keys[seeds.indexOf(seed) % 2]!;
      const kind =
        c % 20 === 0
          ? 'valid'
          : (['flip', 'truncate', 'extend', 'delete', 'insert', 'swap', 'key', 'field'] as const)[int(8)]!;
      switch (kind) {
        case 'valid':
          break;
        case 'flip': {
          const at = int(message.length);
          message[at] = message[at]! ^ (1 << int(8));
          break;
        }
        case 'truncate':
          message = message.subarray(0, int(message.length));
          break;
        case 'extend':
          message = Buffer.concat([message, randomBytes(1 + int(40))]);
          break;
        case 'delete': {
          const at = int(message.length);
          message = Buffer.concat([message.subarray(0, at), message.subarray(at + 1 + int(8))]);
          break;
        }
        case 'insert': {
          const at = int(message.length);
          message = Buffer.concat([message.subarray(0, at), randomBytes(1 + int(8)), message.subarray(at)]);
          break;
        }
        case 'swap': {
          const a = int(Math.max(1, message.length - 32));
          const b = int(Math.max(1, message.length - 32));
          const chunk = Buffer.from(message.subarray(a, a + 16));
          message.copy(message, a, b, b + 16);
          chunk.copy(message, b);
          break;
        }
        case 'key':
          key = keys[(seeds.indexOf(seed) + 1) % 2]!;
          break;
        case 'field': {
          // version, type, suite id, content type, frame length: the header fields the fast path keys on.
          const at = [0, 1, 2, 3, int(64)][int(5)]!;
          message[at] = int(256);
          break;
        }
      }
      if (kind === 'valid') counts.valid++;
      else counts.mutated++;
      const fast = await fastDecrypt(message, key);
      const sdk = await sdkResult(message, key);
      if (sdk.ok) counts.sdkAccepted++;
      if (fast !== undefined) {
        counts.fastAccepted++;
        // Never accept what the SDK rejects; never differ from it.
        if (!sdk.ok)
          throw new Error(`case ${c} (${kind}): fast path accepted a message the SDK rejects: ${sdk.error}`);
        expect(fast.equals(sdk.plaintext)).toBe(true);
      } else if (!sdk.ok) {
        counts.agreedRejections++;
      } else {
        counts.fallbacks++;
      }
      if (kind === 'valid') expect(fast?.equals(seed.plaintext)).toBe(true);
    }
    // eslint-disable-next-line no-console
    console.log(`fast-path differential fuzz (seed ${SEED}): ${JSON.stringify(counts)}`);
    expect(counts.valid + counts.mutated).toBe(CASES);
    expect(counts.fastAccepted).toBeGreaterThanOrEqual(counts.valid);
    // The mutations mostly break messages: the corpus really exercises rejection.
    expect(counts.agreedRejections).toBeGreaterThan(CASES / 2);
  }, 300_000);
});
