/**
 * State transitions of the canary workflow (Step Functions bills each one): the synthesized definition (example
 * configuration with a canary on orders-db) run locally, the Data API answered on a real PostgreSQL with pgAudit,
 * both audit paths delivered to the real alert Lambda processing after the given delays, in simulated time. The
 * figure that matters: a happy run whose statements arrive through both sources after 2 minutes (target: under
 * 40 transitions); for context, faster and slower arrivals and a silent path (the whole deadline).
 */
import { startPostgres } from '../cli/local/postgres';
import { canaryScenario, prepareCanaryDatabase } from '../cli/local/scenarios/canary';
import { collapse } from './enable-workflow.bench';
import type { Benchmark } from './harness';

export const benchmarks: Benchmark[] = [
  {
    name: 'canary-workflow',
    description:
      'state transitions of the canary workflow (synthesized definition, Data API on a real PostgreSQL with pgAudit, real alert processing, simulated time)',
    run: async () => {
      const pg = await startPostgres({ pgauditLog: 'role,ddl' });
      try {
        prepareCanaryDatabase(pg);
        const lines: string[] = [];
        const happy = canaryScenario({
          postgres: pg,
          activityStreamDelaySeconds: 120,
          pgAuditDelaySeconds: 120,
        });
        const run = await happy.run();
        happy.close();
        lines.push(
          `happy run, both sources arriving after 2 min: ${run.status}, ${run.transitions} state transitions (target < 40), ` +
            `${run.waits.length} polls at ${run.waits.map((w) => w.seconds).join(', ')} s, simulated ${run.startedAt} → ${run.stoppedAt}`,
          `  ${collapse(run.states)}`,
          '| scenario | status | state transitions | polls | simulated duration |',
          '| --- | --- | ---: | ---: | --- |',
        );
        const scenarios: [string, number | null, number | null][] = [
          ['both after 30 s', 30, 30],
          ['both after 2 min', 120, 120],
          ['activity stream 1 min, pgAudit 10 min', 60, 600],
          ['both after 25 min', 1500, 1500],
          ['pgAudit silent (30 min deadline)', 90, null],
          ['both silent (30 min deadline)', null, null],
        ];
        for (const [name, das, pgAudit] of scenarios) {
          const s = canaryScenario({
            postgres: pg,
            activityStreamDelaySeconds: das,
            pgAuditDelaySeconds: pgAudit,
          });
          const r = await s.run();
          s.close();
          const minutes = (Date.parse(r.stoppedAt) - Date.parse(r.startedAt)) / 60_000;
          lines.push(
            `| ${name} | ${r.status}${r.error ? ` (${r.error})` : ''} | ${r.transitions} | ${r.waits.length} | ${minutes.toFixed(1)} min |`,
          );
        }
        // A schedule's group run (two clusters): the dispatch's own transitions, apart from the runs it starts.
        const group = canaryScenario({ postgres: pg, variant: 'group' });
        const { parent, children } = await group.runGroup();
        group.close();
        lines.push(
          `group run of ${children.length} clusters (the dispatch): ${parent.status}, ${parent.transitions} state transitions; ` +
            `the runs it started: ${children.map((c) => `${c.cluster} ${c.result.status} ${c.result.transitions}`).join(', ')}`,
        );
        return lines;
      } finally {
        pg.stop();
      }
    },
  },
];
