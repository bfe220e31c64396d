import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { runCli } from '../helpers/cli';

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
});
