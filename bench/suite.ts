import { createAuditEvent, toJsonLine } from '../tasks/core/audit-event';
import { auditEventInput } from '../test/builders/audit-event';

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

export const benchmarks: Benchmark[] = [
  {
    name: 'event-model',
    description: 'build an audit event (SHA-256 id) and serialize it as a JSON line, one core',
    run: async () => {
      const base = auditEventInput();
      let bytes = 0;
      const { ops, perSecond } = opsPerSecond((i) => {
        bytes += toJsonLine(createAuditEvent({ ...base, statementId: i })).length;
      });
      return [
        `${Math.round(perSecond).toLocaleString('en-US')} events/s (${ops} events, ${Math.round(bytes / ops)} bytes/line)`,
      ];
    },
  },
];
