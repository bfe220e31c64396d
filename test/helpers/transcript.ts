import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../cli/main';

const CLI_DOC = join(__dirname, '..', '..', 'docs', 'cli.md');

/**
 * The fenced block that follows `<!-- transcript: NAME -->` in docs/cli.md, without its fences: the transcript a
 * test checks against a run of the real command, so the page cannot drift from what the command prints.
 */
export function documentedTranscript(name: string, file: string = CLI_DOC): string {
  const text = readFileSync(file, 'utf8');
  const marker = `<!-- transcript: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${file} has no ${marker}`);
  const block = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(at + marker.length));
  if (!block?.[1]) throw new Error(`${file}: no fenced block after ${marker}`);
  return block[1];
}

/**
 * A run of the CLI in-process as a terminal shows it: `$ aurora-audit ARGS` (as `shown`, when the arguments
 * name temporary files), then stdout and stderr in the order the command wrote them, then `exit N`.
 */
export async function cliTranscript(
  args: readonly string[],
  options: { readonly stdin?: string; readonly shown?: string } = {},
): Promise<string> {
  let out = '';
  const code = await main(['node', 'aurora-audit', ...args], {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      out += t;
    },
    stdin: async function* () {
      if (options.stdin !== undefined) yield options.stdin;
    },
  });
  return `$ ${options.shown ?? `aurora-audit ${args.join(' ')}`}\n${out}exit ${code}\n`;
}
