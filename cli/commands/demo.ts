/**
 * `aurora-audit demo` (and `npm run demo`): the whole audit pipeline on this machine, no AWS account. A thin
 * adapter over `cli/demo/run-demo.ts`, which is loaded only when the command runs (it synthesizes the app
 * and starts PostgreSQL).
 */
import type { RegisterCommands } from '../io';

export interface DemoCommandOptions {
  statements: string;
  out: string;
}

export const register: RegisterCommands = ({ program, io, setExit }) => {
  program
    .command('demo')
    .description(
      'Run the whole audit pipeline locally: a real PostgreSQL with pgAudit, the workflows on simulated AWS, ' +
        'the real Lambdas, alert emails and the compliance report (no AWS account needed)',
    )
    .option('--statements <n>', 'workload statements after the reference scenario', '1000')
    .option('--out <dir>', 'output directory (replaced on each run)', 'demo-out')
    .action(async (opts: DemoCommandOptions) => {
      const statements = Number(opts.statements);
      if (!Number.isInteger(statements) || statements < 0 || statements > 1_000_000) {
        io.stderr('aurora-audit demo: --statements must be a whole number from 0 to 1000000\n');
        setExit(2);
        return;
      }
      // Loaded here: the CLI's other commands do not pay for the CDK app, DuckDB and the simulators.
      const { runDemo } = require('../demo/run-demo') as typeof import('../demo/run-demo');
      const { textDisplay } = require('../demo/display') as typeof import('../demo/display');
      // A terminal gets the step lists redrawn in place, and a little pacing to follow them.
      const interactive = process.stdout.isTTY === true && !process.env.NO_COLOR; // --no-color, NO_COLOR
      const display = textDisplay(io.stdout, { interactive, totalPhases: 7 });
      io.stdout(
        'aurora-audit demo: the audit pipeline on this machine; AWS is SIMULATED (no account, no network)\n',
      );
      try {
        await runDemo({ outDir: opts.out, statements, display, pace: interactive });
        setExit(0);
      } catch (err) {
        io.stderr(`aurora-audit demo failed: ${(err as Error).message}\n`);
        setExit(1);
      }
    });
};
