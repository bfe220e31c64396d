import { main } from '../../cli/main';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process, capturing its output; `stdin` is what the command reads from standard input. */
export async function runCliWith(options: { stdin?: string }, ...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'aurora-audit', ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stdin: async function* () {
      if (options.stdin !== undefined) yield options.stdin;
    },
  });
  return { code, stdout, stderr };
}

export function runCli(...args: string[]): Promise<CliRun> {
  return runCliWith({}, ...args);
}
