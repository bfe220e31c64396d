import { seededRandom } from '../../../cli/local/random';

/** mulberry32 as its author publishes it (signed state), written out independently of cli/local/random.ts. */
function reference(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the seeded random numbers of benchmarks and fuzz tests', () => {
  it.each([0, 9, 20261124, 2 ** 31 + 5])('gives mulberry32’s sequence for seed %d', (seed) => {
    const ours = seededRandom(seed);
    const theirs = reference(seed);
    for (let i = 0; i < 1000; i++) expect(ours()).toBe(theirs());
  });

  it('gives numbers in [0, 1) that differ between seeds', () => {
    const values = Array.from({ length: 10_000 }, seededRandom(1));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(seededRandom(1)()).not.toBe(seededRandom(2)());
  });
});
