export interface Benchmark {
  readonly name: string;
  readonly description: string;
  /** Runs the benchmark and returns the lines of figures to print. */
  readonly run: () => Promise<readonly string[]>;
}

/** Runs `fn` repeatedly for about `ms` milliseconds after a warm-up and returns operations per second. */
export function opsPerSecond(fn: (i: number) => void, ms = 1000): { ops: number; perSecond: number } {
  for (let i = 0; i < 1000; i++) fn(i);
  let ops = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(ms) * 1_000_000n;
  while (process.hrtime.bigint() - start < budget) {
    for (let i = 0; i < 1000; i++) fn(ops + i);
    ops += 1000;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { ops, perSecond: ops / seconds };
}
