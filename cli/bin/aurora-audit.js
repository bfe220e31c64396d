#!/usr/bin/env node
// Entry point of the `aurora-audit` command: runs the TypeScript CLI through tsx, so a checkout needs no
// build step (`npm ci && npx aurora-audit --help`).
require('tsx/cjs/api').register();
require('../main.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
