/**
 * `npm run bench`: runs every benchmark and prints its figures. Benchmarks measure; they never fail a build
 * on a time (that would make CI flaky on a busy machine). Run one with `npm run bench -- <name>`.
 */
import { readdirSync } from 'node:fs';
import type { Benchmark } from './harness';

/** Every `bench/*.bench.ts` exports `benchmarks: Benchmark[]`. */
function loadBenchmarks(): Benchmark[] {
  return readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort()
    .flatMap((f) => (require(`./${f}`) as { benchmarks: Benchmark[] }).benchmarks);
}

async function run(): Promise<void> {
  const benchmarks = loadBenchmarks();
  const only = process.argv.slice(2);
  const selected = only.length > 0 ? benchmarks.filter((b) => only.includes(b.name)) : benchmarks;
  if (selected.length === 0) {
    console.error(
      `no benchmark named ${only.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}`,
    );
    process.exitCode = 1;
    return;
  }
  console.log(`node ${process.version}, ${process.arch}; ${new Date().toISOString()}`);
  for (const bench of selected) {
    console.log(`\n== ${bench.name}: ${bench.description}`);
    for (const line of await bench.run()) console.log(`  ${line}`);
  }
}

void run();
