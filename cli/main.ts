/**
 * The operator CLI. Every command is a thin adapter over the modules in `tasks/core/` and `infra/config/`;
 * each command group lives in `cli/commands/<group>.ts` and is registered below. Commands set an exit code
 * instead of calling process.exit, so tests run them in-process.
 */
import { Command, CommanderError } from 'commander';
import { register as registerConfig } from './commands/config';
import { register as registerDecode } from './commands/decode';
import { register as registerDemo } from './commands/demo';
import { register as registerEvents } from './commands/events';
import { register as registerPgaudit } from './commands/pgaudit';
import { register as registerRedrive } from './commands/redrive';
import { register as registerReport } from './commands/report';
import { register as registerRules } from './commands/rules';
import { register as registerWorkflows } from './commands/workflows';
import type { CliIo, RegisterCommands } from './io';

export type { CliIo } from './io';

const COMMAND_GROUPS: readonly RegisterCommands[] = [
  registerConfig,
  registerDecode,
  registerRedrive,
  registerWorkflows,
  registerReport,
  registerEvents,
  registerPgaudit,
  registerRules,
  registerDemo,
];

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: () => process.stdin,
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
  for (const register of COMMAND_GROUPS) register({ program, io, setExit });
  // Subcommands inherit the output settings and exit override.
  for (const cmd of program.commands)
    cmd.configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).exitOverride();
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
