import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeDBClusterParametersCommand,
  DescribeDBClustersCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { configureAws, limitNodeVersionNotice } from '../../cli/aws-settings';
import { auditEntry } from '../../cli/local/records/pgaudit-log';
import { main } from '../../cli/main';
import { runCli } from '../helpers/cli';
import { CLI_BIN, runBinIntoHead } from '../helpers/cli-process';

const dir = mkdtempSync(join(tmpdir(), 'aa-exit-'));
/** A pgAudit log far larger than a pipe's buffer: 20,000 entries. */
const bigLog = join(dir, 'postgresql.log');
writeFileSync(
  bigLog,
  `${Array.from({ length: 20_000 }, (_, i) =>
    auditEntry({ statementId: i + 1, statement: `GRANT SELECT ON t${i} TO app_user` }),
  ).join('\n')}\n`,
);

describe('exit codes, the same in every command', () => {
  it("exits 2 on commander's own usage errors: unknown option, missing argument, bad --output", async () => {
    for (const args of [
      ['decode', '--no-such-option'],
      ['pgaudit', 'setup-sql'],
      ['--output', 'yaml', 'config', 'check'],
      ['frobnicate'],
    ]) {
      const run = await runCli(...args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).not.toBe('');
    }
  });

  it('exits 0 on --help and --version', async () => {
    expect((await runCli('--help')).code).toBe(0);
    expect((await runCli('decode', '--help')).code).toBe(0);
    expect((await runCli('--version')).code).toBe(0);
  });

  it('exits 2 on a missing input file, in decode as in rules test and pgaudit parse', async () => {
    for (const args of [
      ['decode', '--cluster-resource-id', 'cluster-ABC', '/nonexistent/records.txt'],
      ['rules', 'test', '/nonexistent/events.jsonl'],
      ['pgaudit', 'parse', '/nonexistent/postgresql.log'],
      ['rules', 'test', '--rules', '/nonexistent/rules.yaml'],
    ]) {
      const run = await runCli(...args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(/not found: \/nonexistent\//);
    }
  });

  it('exits 130 when interrupted with Ctrl-C (SIGINT)', async () => {
    // decode waits for standard input: interrupt it there.
    const child = spawn(process.execPath, [CLI_BIN, 'decode', '--cluster-resource-id', 'cluster-ABC'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    await new Promise((r) => setTimeout(r, 2500));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(code).toBe(130);
    expect(stderr).toBe('');
  });
});

/** A smaller log for `rules test`, which replays every event through the alert processing before printing. */
const smallLog = join(dir, 'small.log');
writeFileSync(
  smallLog,
  `${Array.from({ length: 300 }, (_, i) => auditEntry({ statementId: i + 1, statement: `GRANT SELECT ON t${i} TO u` })).join('\n')}\n`,
);

describe('a closed pipe', () => {
  it('ends `pgaudit parse file | head -1` quietly: one event, no EPIPE trace, exit 0', async () => {
    const run = await runBinIntoHead(['pgaudit', 'parse', bigLog], 1);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(run.stdout).command).toBe('GRANT');
    expect(run.stderr.trim()).toBe('status=0');
  });

  it('ends `rules test … | head` quietly', async () => {
    const run = await runBinIntoHead(['rules', 'test', smallLog], 2);
    expect(run.stdout.trim().split('\n')).toHaveLength(2);
    expect(run.stdout).toContain('300 events');
    expect(run.stderr).not.toContain('EPIPE');
    expect(run.stderr.trim()).toBe('status=0');
  });
});

describe('global options', () => {
  const rds = mockClient(RDSClient);
  afterEach(() => rds.reset());

  it('--output json gives a command the JSON its --json gives', async () => {
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
    const viaOutput = await runCli('--output', 'json', 'pgaudit', 'check', '--cluster', 'nope');
    const viaFlag = await runCli('pgaudit', 'check', '--cluster', 'nope', '--json');
    expect(JSON.parse(viaOutput.stdout)).toEqual(JSON.parse(viaFlag.stdout));
    expect(JSON.parse(viaOutput.stdout)).toMatchObject({ cluster: 'nope', ok: false });
    expect(rds.commandCalls(DescribeDBClusterParametersCommand)).toHaveLength(0);
  });

  it('passes --region and --profile to the AWS clients', async () => {
    const awsDir = mkdtempSync(join(tmpdir(), 'aa-aws-'));
    writeFileSync(join(awsDir, 'config'), '[profile audit]\nregion = eu-west-1\n');
    process.env.AWS_CONFIG_FILE = join(awsDir, 'config');
    try {
      rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
      const run = await runCli(
        '--region',
        'eu-west-1',
        '--profile',
        'audit',
        'pgaudit',
        'check',
        '--cluster',
        'x',
      );
      expect(run.code).toBe(1);
      const client = rds.commandCalls(DescribeDBClustersCommand)[0]?.thisValue as RDSClient;
      expect(await client.config.region()).toBe('eu-west-1');
      expect(client.config.profile).toBe('audit');
    } finally {
      delete process.env.AWS_CONFIG_FILE;
    }
  });

  it("limits the SDK's Node version notice to one line, once per user, on a terminal only", () => {
    const saved = process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const savedCache = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = mkdtempSync(join(tmpdir(), 'aa-cache-'));
    const notes: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
        configureAws({ note: (t) => notes.push(t), interactive: true });
        limitNodeVersionNotice();
        // The SDK's own switch, read by emitWarningIfUnsupportedVersion in @aws-sdk/core.
        expect(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');
      }
      const major = Number(process.versions.node.split('.')[0]);
      expect(notes).toHaveLength(major < 22 ? 1 : 0);
      if (major < 22) expect(notes[0]).toMatch(/^note: AWS SDK releases .* Node\.js 22 .*\(shown once\)\n$/);
      const core = readFileSync(require.resolve('@aws-sdk/core/client'), 'utf8');
      expect(core).toContain('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === "true"');
    } finally {
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = saved;
      if (saved === undefined) delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
      process.env.XDG_CACHE_HOME = savedCache;
      if (savedCache === undefined) delete process.env.XDG_CACHE_HOME;
      configureAws({ note: (t) => process.stderr.write(t) });
    }
  });
});

describe('--no-color', () => {
  it('sets NO_COLOR for the run only', async () => {
    const saved = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    let during: string | undefined;
    const code = await main(['node', 'aurora-audit', '--no-color', 'config', 'check'], {
      stdout: () => {
        during ??= process.env.NO_COLOR;
      },
      stderr: () => {},
    });
    expect(code).toBe(0);
    expect(during).toBe('1');
    expect(process.env.NO_COLOR).toBeUndefined();
    if (saved !== undefined) process.env.NO_COLOR = saved;
  });
});
