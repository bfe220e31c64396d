import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli';
import { cliTranscript, documentedTranscript } from '../helpers/transcript';

const ROOT = `${join(__dirname, '..', '..')}/`;

describe('the aurora-audit CLI', () => {
  it('prints its commands with --help through the package bin', () => {
    const bin = join(__dirname, '..', '..', 'cli', 'bin', 'aurora-audit.js');
    const out = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(out).toContain('Usage: aurora-audit');
    expect(out).toContain('config');
  });

  it('validates the embedded example configuration and exits 0', async () => {
    const run = await runCli('config', 'check');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('cluster orders-db (cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ)');
  });

  it('names the problem and exits 1 on a configuration that does not exist', async () => {
    const run = await runCli('config', 'check', '--config', '/nonexistent.yaml');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('file not found: /nonexistent.yaml');
  });

  it('exits non-zero on an unknown command', async () => {
    const run = await runCli('frobnicate');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("unknown command 'frobnicate'");
  });

  it('prints, for a valid and an invalid configuration, the config check transcript docs/cli.md shows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aa-config-'));
    const example = readFileSync(join(ROOT, 'infra', 'config', 'example.yaml'), 'utf8');
    const broken = example
      .replace('resourceId: cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'resourceId: orders-db')
      .replace('recipients: [dba-team@example.com]', 'recipients: [dba-team]');
    expect(broken).not.toBe(example);
    writeFileSync(join(dir, 'my-config.yaml'), broken);
    const shown = [
      await cliTranscript(['config', 'check']),
      await cliTranscript(['config', 'check', '-c', join(dir, 'my-config.yaml')], {
        shown: 'aurora-audit config check -c my-config.yaml',
      }),
    ]
      .join('')
      .replaceAll(ROOT, '')
      .replaceAll(`${dir}/`, '');
    expect(shown).toBe(documentedTranscript('config-check'));
  });

  it('prints config check with --output text as one tab-separated record per line', async () => {
    const run = await runCli('--output', 'text', 'config', 'check');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toEqual([
      `CONFIG\tOK\tembedded example ${ROOT}infra/config/example.yaml`,
      'CLUSTER\torders-db\tcluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
      'ALERTS\tdba-team@example.com',
      'REPORTS\tcompliance@example.com',
      '',
    ]);
    const shown = await cliTranscript(['--output', 'text', 'config', 'check']);
    expect(shown.replaceAll(ROOT, '')).toBe(documentedTranscript('output-text'));
    const table = await runCli('--output', 'table', 'config', 'check');
    expect(table.stdout).toContain('  cluster orders-db (cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ)\n');
  });
});
