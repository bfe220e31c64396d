#!/usr/bin/env node
// Entry point of the `aurora-audit` command. Runs the CLI's esbuild bundle (./build.js: built by `npm ci`, rebuilt
// here when a source is newer), so a start loads JavaScript instead of compiling TypeScript. Falls back to the
// TypeScript sources through tsx when the bundle cannot be built, and for `demo`, which loads the Lambda handlers
// by path as Lambda does. Process-level behaviour lives here: exit 130 on Ctrl-C, a closed pipe ends quietly.

// Ctrl-C: 130, as shells report an interrupted command; exit handlers (the demo's PostgreSQL stop) still run.
process.on('SIGINT', () => process.exit(130));

// `aurora-audit … | head -1`: the reader went away; stop quietly with the exit code so far (no EPIPE trace).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

/** The command word: the first argument that is neither an option nor a global option's value. */
function commandWord(args) {
  const withValue = new Set(['--profile', '--region', '--output']);
  for (let i = 0; i < args.length; i++) {
    if (withValue.has(args[i])) i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return undefined;
}

async function load() {
  if (commandWord(process.argv.slice(2)) !== 'demo' && process.env.AURORA_AUDIT_FROM_SOURCE !== '1') {
    const bundle = await require('./build').ensureBuilt();
    if (bundle) return require(bundle);
  }
  require('tsx/cjs/api').register();
  return require('../main.ts');
}

load()
  .then((cli) => cli.main(process.argv))
  .then((code) => {
    process.exitCode = code;
  });
