/**
 * A throwaway real PostgreSQL 15 with pgAudit (Debian packages `postgresql-15` and `postgresql-15-pgaudit`,
 * installed by `npm test`'s pretest step) in a temporary directory, logging to stderr with Aurora's fixed
 * prefix `%t:%r:%u@%d:[%p]:`. Shared by tests, benchmarks and the demo.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
const PGAUDIT_CONTROL = '/usr/share/postgresql/15/extension/pgaudit.control';

export class PostgresUnavailableError extends Error {
  override readonly name = 'PostgresUnavailableError';
}

export interface PostgresOptions {
  /** `pgaudit.log` for the server. Default `none` (set per role in the scenario). */
  readonly pgauditLog?: string;
  /** Superuser password (TCP logins use scram-sha-256). */
  readonly superuserPassword?: string;
  /** Also write a csvlog (`log_destination = 'stderr,csvlog'`, read with `csvLog()`). Default false. */
  readonly csvlog?: boolean;
}

export interface PsqlOptions {
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  /** Fail the call when psql fails. Default true. */
  readonly check?: boolean;
}

export interface PostgresServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** Runs SQL through psql over TCP; returns stdout (and stderr when check is false). */
  psql(sql: string, options?: PsqlOptions): { stdout: string; stderr: string; status: number };
  /** The server log so far. */
  log(): string;
  /** The csvlog so far (with `csvlog: true`). */
  csvLog(): string;
  stop(): void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

const isRoot = () => process.getuid?.() === 0;

/** Runs a PostgreSQL binary as the `postgres` OS user when we are root (initdb and postgres refuse root). */
function asPostgres(command: string, args: readonly string[]) {
  return isRoot()
    ? { cmd: 'runuser', args: ['-u', 'postgres', '--', command, ...args] }
    : { cmd: command, args: [...args] };
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  if (!existsSync(join(PG_BIN, 'postgres')) || !existsSync(PGAUDIT_CONTROL)) {
    throw new PostgresUnavailableError(
      'PostgreSQL 15 with pgAudit is not installed: run `bash cli/local/setup/install-debian-packages.sh` as root ' +
        '(it installs postgresql-15 and postgresql-15-pgaudit with apt-get).',
    );
  }
  const password = options.superuserPassword ?? 'superuser-test-pw';
  const root = mkdtempSync(join(tmpdir(), 'aurora-audit-pg-'));
  chmodSync(root, 0o755);
  const dataDir = join(root, 'data');
  const logFile = join(root, 'postgres.log');
  const pwFile = join(root, 'pw');
  writeFileSync(pwFile, `${password}\n`);
  writeFileSync(logFile, '');
  if (isRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    for (const p of [root, pwFile, logFile]) chownSync(p, uid, gid);
  }
  const init = asPostgres(join(PG_BIN, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--pwfile',
    pwFile,
    '--auth-local',
    'trust',
    '--auth-host',
    'scram-sha-256',
    '-E',
    'UTF8',
    '--locale',
    'C',
  ]);
  const initResult = spawnSync(init.cmd, init.args, { encoding: 'utf8' });
  if (initResult.status !== 0) throw new Error(`initdb failed: ${initResult.stderr || initResult.stdout}`);
  const port = await freePort();
  writeFileSync(
    join(dataDir, 'postgresql.auto.conf'),
    [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${root}'`,
      "shared_preload_libraries = 'pgaudit'",
      `pgaudit.log = '${options.pgauditLog ?? 'none'}'`,
      "log_line_prefix = '%t:%r:%u@%d:[%p]:'",
      "log_timezone = 'UTC'",
      "timezone = 'UTC'",
      ...(options.csvlog
        ? [
            // csvlog needs the collector, which then writes the stderr log beside it as well.
            'logging_collector = on',
            "log_destination = 'stderr,csvlog'",
            "log_directory = 'log'",
            "log_filename = 'postgresql.log'",
            'log_file_mode = 0644',
          ]
        : ['logging_collector = off', "log_destination = 'stderr'"]),
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      "password_encryption = 'scram-sha-256'",
      '',
    ].join('\n'),
  );
  const start = asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-w', '-t', '30', 'start']);
  const started = spawnSync(start.cmd, start.args, { encoding: 'utf8' });
  if (started.status !== 0) {
    throw new Error(
      `pg_ctl start failed: ${started.stderr || started.stdout}\n${readFileSync(logFile, 'utf8')}`,
    );
  }
  let stopped = false;
  const server: PostgresServer = {
    host: '127.0.0.1',
    port,
    dataDir,
    logFile,
    psql(sql, o = {}) {
      const result = spawnSync(
        join(PG_BIN, 'psql'),
        [
          '-X',
          '-v',
          'ON_ERROR_STOP=1',
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-U',
          o.user ?? 'postgres',
          '-d',
          o.database ?? 'postgres',
          '-At',
          '-f',
          '-',
        ],
        {
          input: sql,
          encoding: 'utf8',
          env: { ...process.env, PGPASSWORD: o.password ?? password, PGCONNECT_TIMEOUT: '10' },
        },
      );
      const out = { stdout: result.stdout ?? '', stderr: result.stderr ?? '', status: result.status ?? 1 };
      if ((o.check ?? true) && out.status !== 0)
        throw new Error(`psql failed (${out.status}): ${out.stderr}`);
      return out;
    },
    log: () =>
      options.csvlog
        ? readFileSync(join(dataDir, 'log', 'postgresql.log'), 'utf8')
        : readFileSync(logFile, 'utf8'),
    csvLog: () => readFileSync(join(dataDir, 'log', 'postgresql.csv'), 'utf8'),
    stop() {
      if (stopped) return;
      stopped = true;
      const stop = asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      spawnSync(stop.cmd, stop.args, { encoding: 'utf8' });
      rmSync(root, { recursive: true, force: true });
    },
  };
  return server;
}

/** Waits until the log contains `text` (the server writes asynchronously). */
export async function waitForLog(server: PostgresServer, text: string, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = server.log();
    if (log.includes(text) || Date.now() > deadline) return log;
    await new Promise((r) => setTimeout(r, 50));
  }
}
