import { DataKeyCache } from '../../../../tasks/core/das/data-key-cache';

const key = (n: number) => new Uint8Array(32).fill(n);

describe('the data-key cache', () => {
  it('makes no second load for a key it holds', async () => {
    const cache = new DataKeyCache();
    const load = jest.fn(async () => key(1));
    await cache.get('cluster-A', 'ct1', load);
    const again = await cache.get('cluster-A', 'ct1', load);
    expect(load).toHaveBeenCalledTimes(1);
    expect(again).toEqual(key(1));
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1 });
  });

  it('shares one load among concurrent misses for the same key', async () => {
    const cache = new DataKeyCache();
    let release!: (k: Uint8Array) => void;
    const load = jest.fn(() => new Promise<Uint8Array>((r) => (release = r)));
    const all = Promise.all(Array.from({ length: 50 }, () => cache.get('cluster-A', 'ct1', load)));
    release(key(7));
    const keys = await all;
    expect(load).toHaveBeenCalledTimes(1);
    expect(keys.every((k) => k[0] === 7)).toBe(true);
    expect(cache.stats.sharedLoads).toBe(49);
  });

  it('keeps keys of different clusters apart even for the same ciphertext', async () => {
    const cache = new DataKeyCache();
    await cache.get('cluster-A', 'ct', async () => key(1));
    const other = await cache.get('cluster-B', 'ct', async () => key(2));
    expect(other[0]).toBe(2);
  });

  it('does not cache a failed load, so the next record retries', async () => {
    const cache = new DataKeyCache();
    await expect(cache.get('c', 'ct', async () => Promise.reject(new Error('throttled')))).rejects.toThrow(
      'throttled',
    );
    expect(await cache.get('c', 'ct', async () => key(3))).toEqual(key(3));
    expect(cache.size).toBe(1);
  });

  it('evicts the least recently used key beyond its bound', async () => {
    const cache = new DataKeyCache({ maxEntries: 2 });
    await cache.get('c', 'a', async () => key(1));
    await cache.get('c', 'b', async () => key(2));
    await cache.get('c', 'a', async () => key(9)); // hit: a is now most recent
    await cache.get('c', 'c', async () => key(3)); // evicts b
    expect(cache.size).toBe(2);
    expect(cache.stats.evictions).toBe(1);
    const loadB = jest.fn(async () => key(2));
    await cache.get('c', 'b', loadB);
    expect(loadB).toHaveBeenCalledTimes(1);
    const loadA = jest.fn(async () => key(1));
    await cache.get('c', 'c', loadA);
    expect(loadA).not.toHaveBeenCalled();
  });

  it('reloads a key after its time to live', async () => {
    let now = 0;
    const cache = new DataKeyCache({ ttlMs: 1000, now: () => now });
    const load = jest.fn(async () => key(1));
    await cache.get('c', 'a', load);
    now = 999;
    await cache.get('c', 'a', load);
    now = 1000;
    await cache.get('c', 'a', load);
    expect(load).toHaveBeenCalledTimes(2);
    expect(cache.stats.expirations).toBe(1);
  });

  it('rejects a bound that is not a positive integer', () => {
    expect(() => new DataKeyCache({ maxEntries: 0 })).toThrow('maxEntries must be a positive integer, got 0');
    expect(() => new DataKeyCache({ ttlMs: -1 })).toThrow('ttlMs must be positive, got -1');
  });
});
