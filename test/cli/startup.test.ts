import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram, COMMAND_GROUPS } from '../../cli/main';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'cli', 'bin', 'aurora-audit.js');
const { BUNDLE, isFresh } = require('../../cli/bin/build.js') as { BUNDLE: string; isFresh: () => boolean };

const run = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });

describe('the CLI starts from its esbuild bundle', () => {
  it('answers --help and --version from the bundle, built from cli/main.ts', () => {
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: aurora-audit');
    expect(help.stdout).toContain('--profile <name>');
    const version = run(['--version']);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    const manifest = JSON.parse(readFileSync(`${BUNDLE}`.replace(/cli\.js$/, 'cli.inputs.json'), 'utf8'));
    expect(manifest.inputs).toContain('cli/main.ts');
    expect(manifest.inputs).toContain('cli/commands/decode.ts');
    expect(isFresh()).toBe(true);
  });

  it('loads no npm package but commander to print --help (the command groups are loaded on use)', () => {
    run(['--version']);
    const probe = `
      const M = require('module'); const load = M._load; const seen = new Set();
      M._load = function (r) { if (!r.startsWith('node:') && !r.startsWith('.') && !r.startsWith('/')) seen.add(r.split('/').slice(0, r.startsWith('@') ? 2 : 1).join('/')); return load.apply(this, arguments); };
      require(${JSON.stringify(BUNDLE)}).main(['node', 'aurora-audit', '--help'], { stdout() {}, stderr() {} })
        .then(() => console.log(JSON.stringify([...seen])));`;
    const out = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
    expect(JSON.parse(out.stdout)).toEqual(['commander']);
  });

  it('rebuilds the bundle when a source file is newer than it', () => {
    run(['--version']);
    const source = join(ROOT, 'cli', 'lines.ts');
    const before = statSync(source);
    const builtAt = statSync(BUNDLE).mtimeMs;
    try {
      const future = new Date(Date.now() + 60_000);
      utimesSync(source, future, future);
      expect(isFresh()).toBe(false);
      expect(run(['--version']).status).toBe(0);
      expect(statSync(BUNDLE).mtimeMs).toBeGreaterThan(builtAt);
    } finally {
      utimesSync(source, before.atime, before.mtime);
    }
  });

  it('lists each command with the same summary as its group registers', () => {
    const full = buildProgram({ stdout: () => {}, stderr: () => {} }, () => {}, 'all');
    const listed = Object.assign({}, ...COMMAND_GROUPS.map((g) => g.commands)) as Record<string, string>;
    expect(Object.fromEntries(full.commands.map((c) => [c.name(), c.description()]))).toEqual(listed);
  });
});
