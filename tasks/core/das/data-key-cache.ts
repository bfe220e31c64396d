/**
 * A bounded cache of decrypted activity-stream data keys, keyed by the cluster resource id (the encryption
 * context) and the `key` ciphertext. A hit makes no KMS call; concurrent misses for one key share one call;
 * a failed load is not cached. Entries expire after `ttlMs` and the least recently used entry is evicted
 * beyond `maxEntries`. (Evicted keys are not zeroed: a concurrent decryption may still hold them.)
 *
 * Why: one KMS Decrypt per record is what made activity streams unaffordable for other teams.
 */

export type DataKeyLoader = () => Promise<Uint8Array>;

export interface DataKeyCacheOptions {
  /** Most keys held. Default 1000. */
  readonly maxEntries?: number;
  /** How long a key may be used, in ms. Default 1 hour. */
  readonly ttlMs?: number;
  /** Clock, for tests. Default Date.now. */
  readonly now?: () => number;
}

export interface DataKeyCacheStats {
  hits: number;
  misses: number;
  /** Misses that joined a load already under way. */
  sharedLoads: number;
  evictions: number;
  expirations: number;
}

interface Entry {
  readonly key: Uint8Array;
  readonly expiresAt: number;
}

export class DataKeyCache {
  readonly maxEntries: number;
  readonly ttlMs: number;
  readonly stats: DataKeyCacheStats = { hits: 0, misses: 0, sharedLoads: 0, evictions: 0, expirations: 0 };
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Uint8Array>>();

  constructor(options: DataKeyCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1000;
    this.ttlMs = options.ttlMs ?? 60 * 60 * 1000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError(`DataKeyCache: maxEntries must be a positive integer, got ${this.maxEntries}`);
    }
    if (!(this.ttlMs > 0)) throw new RangeError(`DataKeyCache: ttlMs must be positive, got ${this.ttlMs}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The plaintext key for `ciphertext` under `context`, loading it with `load` on a miss. */
  async get(context: string, ciphertext: string, load: DataKeyLoader): Promise<Uint8Array> {
    const id = `${context}\u0000${ciphertext}`;
    const entry = this.entries.get(id);
    if (entry) {
      if (entry.expiresAt > this.now()) {
        this.entries.delete(id);
        this.entries.set(id, entry); // most recently used goes last
        this.stats.hits++;
        return entry.key;
      }
      this.entries.delete(id);
      this.stats.expirations++;
    }
    this.stats.misses++;
    const pending = this.loading.get(id);
    if (pending) {
      this.stats.sharedLoads++;
      return pending;
    }
    const promise = load().then(
      (key) => {
        this.loading.delete(id);
        this.store(id, key);
        return key;
      },
      (err: unknown) => {
        this.loading.delete(id);
        throw err;
      },
    );
    this.loading.set(id, promise);
    return promise;
  }

  private store(id: string, key: Uint8Array): void {
    this.entries.set(id, { key, expiresAt: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.stats.evictions++;
    }
  }
}
