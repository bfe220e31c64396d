/**
 * The operator CLI. Every command is a thin adapter over the modules in `tasks/core/` and `infra/config/`.
 * Commands return an exit code instead of calling process.exit, so tests can run them in-process.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../infra/config/load';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('aurora-audit')
    .description(
      'Operate aurora-audit: audited Amazon Aurora PostgreSQL (activity streams, pgAudit, reports).',
    )
    .version(require('../package.json').version as string)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .showHelpAfterError();

  const config = program.command('config').description('Inspect the aurora-audit configuration');
  config
    .command('check')
    .description('Validate a configuration file (default: the embedded example) and summarize it')
    .option('-c, --config <file>', 'configuration file (YAML or JSON)')
    .action((opts: { config?: string }) => {
      try {
        const cfg = loadConfig(opts.config);
        io.stdout(`configuration OK: ${cfg.origin}\n`);
        for (const c of cfg.clusters) io.stdout(`  cluster ${c.identifier} (${c.resourceId})\n`);
        io.stdout(
          `  alerts to ${cfg.alerts.recipients.join(', ')}; reports to ${cfg.reports.recipients.join(', ')}\n`,
        );
        setExit(0);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        io.stderr(`${err.message}\n`);
        setExit(1);
      }
    });
  return program;
}

/** Runs the CLI with `argv` as in `process.argv`; resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    io.stderr(`aurora-audit: ${(err as Error).message}\n`);
    return 1;
  }
}
