import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLI_BIN = join(__dirname, '..', '..', 'cli', 'bin', 'aurora-audit.js');

export interface ProcessRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * An environment with no AWS set-up at all: an empty home (no ~/.aws), no AWS_* variables, no instance
 * metadata lookups; `extra` adds what a test sets.
 */
export function bareAwsEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'aa-home-'));
  mkdirSync(join(home, '.aws'));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return {
    ...env,
    HOME: home,
    XDG_CACHE_HOME: join(home, '.cache'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

/** Runs the package bin (the built CLI) as a user does, without blocking this process (loopback servers answer). */
export function runBin(args: readonly string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<ProcessRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI_BIN, ...args],
      { env, encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
    child.stdin?.end(stdin ?? '');
  });
}

/** Runs `bin args | head -n lines` through a shell; resolves to what head printed and the CLI's stderr and status. */
export function runBinIntoHead(args: readonly string[], lines: number): Promise<ProcessRun> {
  return new Promise((resolve) => {
    const quoted = [process.execPath, CLI_BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const child = spawn(
      'bash',
      ['-c', `set -o pipefail; ${quoted} 2>"$ERR" | head -n ${lines}; echo "status=$?" >&2; cat "$ERR" >&2`],
      {
        env: { ...process.env, ERR: join(mkdtempSync(join(tmpdir(), 'aa-pipe-')), 'stderr') },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
