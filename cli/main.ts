/**
 * The operator CLI. Every command is a thin adapter over the modules in `tasks/core/` and `infra/config/`;
 * each command group lives in `cli/commands/<group>.ts` and is listed below. Only the group of the command
 * being run is loaded (the others are listed by name and summary), so `--help` loads none of the AWS SDK.
 * Commands set an exit code instead of calling process.exit, so tests run them in-process.
 *
 * Exit codes, the same in every command (docs/cli.md): 0 success; 1 the command ran and found problems, or
 * the operation failed; 2 usage or configuration error; 130 interrupted (set by cli/bin/aurora-audit.js).
 */
import { Command, CommanderError, Option } from 'commander';
import { STREAM_WORKFLOWS } from '../workflows/registry';
import { AwsSetupError, configureAws, explainAwsError, silenceSdkNodeNotice } from './aws-settings';
import type { CliIo, RegisterCommands } from './io';

export type { CliIo } from './io';

export const EXIT = { ok: 0, problems: 1, usage: 2, interrupted: 130 } as const;

interface CommandGroup {
  /** The top-level commands the group registers, with the summary `--help` lists before it is loaded. */
  readonly commands: Readonly<Record<string, string>>;
  readonly load: () => RegisterCommands;
}

type Loaded = { register: RegisterCommands };

export const COMMAND_GROUPS: readonly CommandGroup[] = [
  {
    commands: { config: 'Inspect the aurora-audit configuration' },
    load: () => (require('./commands/config') as Loaded).register,
  },
  {
    commands: {
      decode:
        'Decrypt activity-stream records (one per line: the record JSON or its base64 Kinesis data; stdin without FILE) and print audit events as JSON lines',
    },
    load: () => (require('./commands/decode') as Loaded).register,
  },
  {
    commands: {
      redrive:
        'Re-process quarantined activity-stream records and on-failure objects from the audit bucket and deliver their events to Firehose',
    },
    load: () => (require('./commands/redrive') as Loaded).register,
  },
  {
    commands: {
      ...Object.fromEntries(STREAM_WORKFLOWS.map((w) => [w.cli.verb, w.cli.description])),
      status:
        "Show a cluster's activity-stream status, its stream, the mapping to the decrypt Lambda and the last runs",
    },
    load: () => (require('./commands/workflows') as Loaded).register,
  },
  {
    commands: {
      report: 'Start the compliance-report workflow for a period: queries, email via SES, archive',
    },
    load: () => (require('./commands/report') as Loaded).register,
  },
  {
    commands: {
      events:
        'Search the stored audit trail: statements (each once, with the sources that saw it) by cluster, user, database, class, command, object, source, text and time range, in Athena or locally',
    },
    load: () => (require('./commands/events') as Loaded).register,
  },
  {
    commands: {
      doctor:
        'Check that the account and each configured cluster are ready: engine and version, instance classes, KMS key, log export, pgAudit, log retention, SES, CloudTrail, the stack, and the canary prerequisites (Data API, secret, connection) where configured',
    },
    load: () => (require('./commands/doctor') as Loaded).register,
  },
  {
    commands: {
      export:
        "Export a period's stored audit events as JSON lines, as they were stored (both storage layouts; each event once), from the audit bucket or locally",
    },
    load: () => (require('./commands/export') as Loaded).register,
  },
  {
    commands: { pgaudit: 'pgAudit tools: parse logs, set-up SQL, set-up check' },
    load: () => (require('./commands/pgaudit') as Loaded).register,
  },
  {
    commands: { rules: 'Alert rules: try them on events' },
    load: () => (require('./commands/rules') as Loaded).register,
  },
  {
    commands: {
      demo: 'Run the whole audit pipeline locally: a real PostgreSQL with pgAudit, the workflows on simulated AWS, the real Lambdas, alert emails and the compliance report (no AWS account needed)',
    },
    load: () => (require('./commands/demo') as Loaded).register,
  },
];

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: () => process.stdin,
};

/** What a run changed in the process and puts back when it ends (in-process runs: tests). */
const restoreAfterRun: (() => void)[] = [];

const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--profile', '--region', '--output']);

/** The command word of `args` (after the program name): the first that is not an option or its value. */
export function commandWord(args: readonly string[]): string | undefined {
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) words.push(arg);
  }
  // `aurora-audit help decode` is about decode.
  return words[0] === 'help' ? words[1] : words[0];
}

export interface GlobalOptions {
  readonly profile?: string;
  readonly region?: string;
  readonly output?: 'json' | 'table' | 'text' | 'csv';
  readonly color: boolean;
}

/**
 * The program with every group listed; `load` names the group to load fully (the one the arguments run), the
 * others are summaries (null: none). With `load: 'all'` every group is registered (tests of the whole command tree).
 */
export function buildProgram(
  io: CliIo,
  setExit: (code: number) => void,
  load: string | null = 'all',
): Command {
  const program = new Command('aurora-audit')
    .description(
      'Operate aurora-audit: audited Amazon Aurora PostgreSQL (activity streams, pgAudit, reports).',
    )
    .version(require('../package.json').version as string)
    .option('--profile <name>', 'AWS profile (default: AWS_PROFILE, else the default chain)')
    .option(
      '--region <region>',
      "AWS region (default: AWS_REGION, else the configuration's deployment.region, else the profile's)",
    )
    .addOption(
      new Option(
        '--output <format>',
        'table (the default, for people), text (tab-separated records, one a line, as the AWS CLI), json (stable, for scripts: the JSON of --json); csv for `events`',
      ).choices(['json', 'table', 'text', 'csv']),
    )
    .option('--no-color', 'no colours or cursor movement (also NO_COLOR=1)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .showHelpAfterError();
  for (const group of COMMAND_GROUPS) {
    const names = Object.keys(group.commands);
    if (load === 'all' || (load !== null && names.includes(load))) {
      group.load()({ program, io, setExit });
    } else {
      // Listed for --help and command suggestions; never run (the arguments named another command).
      for (const name of names) program.command(name).description(group.commands[name] ?? '');
    }
  }
  // Subcommands inherit the output settings and exit override.
  const configure = (cmd: Command) => {
    cmd.configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).exitOverride();
    for (const sub of cmd.commands) configure(sub);
  };
  for (const cmd of program.commands) configure(cmd);
  program.hook('preAction', (_program, action) => applyGlobalOptions(program, action, io));
  return program;
}

/** The global options, as the action sees them: AWS settings, `--output json` as the command's `--json`. */
function applyGlobalOptions(program: Command, action: Command, io: CliIo): void {
  const global = program.opts<GlobalOptions>();
  const own = action.opts<{ config?: string }>();
  configureAws({ profile: global.profile, region: global.region, configFile: own.config, note: io.stderr });
  // Local commands create SDK clients too (the replayed alert Lambda's table): never the SDK's 8-line notice.
  silenceSdkNodeNotice();
  if (global.output === 'json' && action.options.some((o) => o.long === '--json')) {
    action.setOptionValue('json', true);
  }
  if (!global.color) {
    if (process.env.NO_COLOR === undefined) restoreAfterRun.push(() => delete process.env.NO_COLOR);
    process.env.NO_COLOR = '1';
  }
}

/** The exit code and message of an error an action threw: explained once, without a stack trace. */
export function reportError(err: unknown, io: CliIo): number {
  const explained = explainAwsError(err);
  if (explained) {
    io.stderr(`aurora-audit: ${explained.message}\n`);
    return explained instanceof AwsSetupError ? EXIT.usage : EXIT.problems;
  }
  const e = err as Error;
  // Usage and configuration errors of the commands (workflows' UsageError, the configuration's ConfigError).
  if (e?.name === 'UsageError' || e?.name === 'ConfigError') {
    io.stderr(`aurora-audit: ${e.message}\n`);
    return EXIT.usage;
  }
  if ((e as NodeJS.ErrnoException)?.code === 'ENOENT' && (e as NodeJS.ErrnoException).path) {
    io.stderr(`aurora-audit: file not found: ${(e as NodeJS.ErrnoException).path}\n`);
    return EXIT.usage;
  }
  io.stderr(
    `aurora-audit: ${e?.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e?.message ?? String(err)}\n`,
  );
  if (process.env.AURORA_AUDIT_DEBUG === '1' && e?.stack) io.stderr(`${e.stack}\n`);
  return EXIT.problems;
}

/** Runs the CLI with `argv` as in `process.argv`; resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code = 0;
  const program = buildProgram(
    io,
    (c) => {
      code = c;
    },
    commandWord(argv.slice(2)) ?? null,
  );
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with 0; commander's usage errors (unknown option, missing argument) are 2.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(err, io);
  } finally {
    configureAws({ note: (t) => process.stderr.write(t) });
    for (const restore of restoreAfterRun.splice(0)) restore();
  }
}
