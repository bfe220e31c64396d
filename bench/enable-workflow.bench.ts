/**
 * State transitions of the enablement workflow (Step Functions bills each one): the synthesized definition
 * run locally against the simulators, in simulated time. The figure that matters is a happy run whose
 * restarts take 20 minutes (target: under 60 transitions); for context, other restart lengths and a run
 * that waits for the maintenance window; and the disable workflow's happy run (its rollback) the same way.
 */
import { disableScenario } from '../cli/local/scenarios/disable-activity-stream';
import { enableScenario } from '../cli/local/scenarios/enable-activity-stream';
import type { Benchmark } from './harness';

export function collapse(states: readonly string[]): string {
  // "A > B > C > A > B > C" → "(A > B > C) ×2" for the polling loop; plain names otherwise.
  const out: string[] = [];
  let i = 0;
  while (i < states.length) {
    let best = { len: 0, reps: 1 };
    for (let len = 2; len <= 6; len++) {
      let reps = 1;
      while (
        i + (reps + 1) * len <= states.length &&
        states.slice(i, i + len).every((s, k) => s === states[i + reps * len + k])
      ) {
        reps++;
      }
      if (reps > 1 && reps * len > best.reps * best.len) best = { len, reps };
    }
    if (best.reps > 1) {
      out.push(`(${states.slice(i, i + best.len).join(' > ')}) ×${best.reps}`);
      i += best.len * best.reps;
    } else {
      out.push(states[i] as string);
      i++;
    }
  }
  return out.join(' > ');
}

export const benchmarks: Benchmark[] = [
  {
    name: 'enable-workflow',
    description:
      'state transitions of the enablement workflow (synthesized definition, simulators, simulated time)',
    run: async () => {
      const lines: string[] = [];
      const happy = enableScenario({ cluster: { restartSeconds: 20 * 60 } });
      const started = process.hrtime.bigint();
      const run = await happy.run({ clusterIdentifier: 'orders-db', window: 'now', changeTicket: 'BENCH-1' });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const polls = run.waits.length;
      lines.push(
        `happy run, window "now", restarts of 20 min: ${run.status}, ${run.transitions} state transitions (target < 60), ` +
          `${polls} polls at ${run.waits.map((w) => w.seconds).join(', ')} s, simulated ${run.startedAt} → ${run.stoppedAt}, ` +
          `${ms.toFixed(0)} ms of real time`,
        `  ${collapse(run.states)}`,
        '| scenario | status | state transitions | polls | simulated duration |',
        '| --- | --- | ---: | ---: | --- |',
      );
      const scenarios: [string, Parameters<typeof enableScenario>[0], unknown][] = [
        [
          'restarts 10 min, now',
          { cluster: { restartSeconds: 600 } },
          { clusterIdentifier: 'orders-db', window: 'now' },
        ],
        [
          'restarts 20 min, now',
          { cluster: { restartSeconds: 1200 } },
          { clusterIdentifier: 'orders-db', window: 'now' },
        ],
        [
          'restarts 40 min, now',
          { cluster: { restartSeconds: 2400 } },
          { clusterIdentifier: 'orders-db', window: 'now' },
        ],
        [
          'restarts 20 min, next window (4.7 days away)',
          { cluster: { restartSeconds: 1200 } },
          { clusterIdentifier: 'orders-db' },
        ],
        [
          'already started',
          { cluster: { activityStream: 'started' } },
          { clusterIdentifier: 'orders-db', window: 'now' },
        ],
        [
          'stream never starts (45 min deadline)',
          { cluster: { neverStarts: true } },
          { clusterIdentifier: 'orders-db', window: 'now' },
        ],
      ];
      for (const [name, options, input] of scenarios) {
        const s = enableScenario(options);
        const r = await s.run(input);
        const minutes = (Date.parse(r.stoppedAt) - Date.parse(r.startedAt)) / 60_000;
        lines.push(
          `| ${name} | ${r.status}${r.error ? ` (${r.error})` : ''} | ${r.transitions} | ${r.waits.filter((w) => w.kind === 'seconds').length} | ${minutes >= 120 ? `${(minutes / 60 / 24).toFixed(1)} days` : `${minutes.toFixed(0)} min`} |`,
        );
      }
      const disable = disableScenario({ cluster: { restartSeconds: 20 * 60 } });
      const off = await disable.run({
        clusterIdentifier: 'orders-db',
        window: 'now',
        changeTicket: 'BENCH-2',
      });
      lines.push(
        `disable workflow, happy run, window "now", restarts of 20 min, mapping disabled then deleted: ${off.status}, ${off.transitions} state transitions`,
        `  ${collapse(off.states)}`,
      );
      return lines;
    },
  },
];
