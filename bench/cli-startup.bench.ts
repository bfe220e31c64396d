/**
 * The CLI's start-up: wall time of `aurora-audit --help` and `--version` (the package bin, as a user runs it:
 * the esbuild bundle, rebuilt first if a source changed) next to `node -e 0` on the same machine, in one run.
 * Median and slowest of several starts each, interleaved so a busy moment hits all three alike.
 * Target: --help well under a second.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Benchmark } from './harness';

const BIN = join(__dirname, '..', 'cli', 'bin', 'aurora-audit.js');
const RUNS = 11;

function startMs(args: readonly string[]): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return ms;
}

const summary = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return { median, max: sorted[sorted.length - 1] ?? 0 };
};

export const benchmarks: Benchmark[] = [
  {
    name: 'cli-startup',
    description: `aurora-audit --help and --version start-up next to node -e 0 (median and slowest of ${RUNS})`,
    run: async () => {
      startMs([BIN, '--version']); // builds the bundle if it is missing or stale: not measured
      const cases = [
        { label: 'node -e 0', args: ['-e', '0'] },
        { label: 'aurora-audit --help', args: [BIN, '--help'] },
        { label: 'aurora-audit --version', args: [BIN, '--version'] },
      ];
      const times = cases.map(() => [] as number[]);
      for (let i = 0; i < RUNS; i++) {
        for (const [j, c] of cases.entries()) times[j]?.push(startMs(c.args));
      }
      const base = summary(times[0] ?? []).median;
      return cases.map((c, j) => {
        const { median, max } = summary(times[j] ?? []);
        const over = j === 0 ? '' : `  (+${Math.round(median - base)} ms over node)`;
        return `${c.label.padEnd(24)} median ${Math.round(median)} ms, slowest ${Math.round(max)} ms${over}`;
      });
    },
  },
];
