// The CLI's build: cli/main.ts bundled with esbuild (the bundler the Lambdas use) into one CommonJS file under
// node_modules/.cache/aurora-audit/ (git-ignored with node_modules), so a start loads plain JavaScript instead of
// compiling TypeScript. The npm packages stay outside the bundle (loaded from node_modules when a command needs
// them). Built by `npm ci` (the `prepare` script) and again by the launcher whenever a bundled source file is
// newer than the build: a checkout that edits cli/ or tasks/ never runs a stale CLI.

const { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join, relative, sep } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const OUT_DIR = join(ROOT, 'node_modules', '.cache', 'aurora-audit');
const BUNDLE = join(OUT_DIR, 'cli.js');
const MANIFEST = join(OUT_DIR, 'cli.inputs.json');

/** The project files the bundle was built from: fresh when none is newer than the build. */
function isFresh() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
    statSync(BUNDLE);
  } catch {
    return false;
  }
  for (const file of manifest.inputs) {
    try {
      if (statSync(join(ROOT, file)).mtimeMs > manifest.builtAt) return false;
    } catch {
      return false; // a bundled file was removed or renamed
    }
  }
  return true;
}

/**
 * A bundled module keeps the directory of its source file: `__dirname` and `__filename` in project files are
 * rewritten to their source paths (relative to the project root, resolved at run time from the bundle's own
 * place), so files read beside the sources (the example configuration, the default rules, the SQL) are found.
 */
const sourcePaths = {
  name: 'aurora-audit-source-paths',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      const rel = (p) => JSON.stringify(relative(ROOT, p).split(sep).join('/'));
      const contents = text
        .replace(/\b__dirname\b/g, `__auroraAuditPath(${rel(dirname(args.path))})`)
        .replace(/\b__filename\b/g, `__auroraAuditPath(${rel(args.path)})`);
      return { contents, loader: 'ts' };
    });
  },
};

/** Builds the bundle; resolves to its path. The file is replaced atomically (concurrent starts are safe). */
async function build() {
  const esbuild = require('esbuild');
  const builtAt = Date.now();
  mkdirSync(OUT_DIR, { recursive: true });
  const tmp = `${BUNDLE}.${process.pid}.tmp`;
  const result = await esbuild.build({
    entryPoints: [join(ROOT, 'cli', 'main.ts')],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    absWorkingDir: ROOT,
    metafile: true,
    logLevel: 'silent',
    banner: {
      js: 'const __auroraAuditRoot = require("node:path").join(__dirname, "..", "..", "..");\nconst __auroraAuditPath = (p) => require("node:path").join(__auroraAuditRoot, p);',
    },
    plugins: [sourcePaths],
  });
  const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.startsWith('node_modules/'));
  renameSync(tmp, BUNDLE);
  const manifestTmp = `${MANIFEST}.${process.pid}.tmp`;
  writeFileSync(manifestTmp, JSON.stringify({ builtAt, inputs }));
  renameSync(manifestTmp, MANIFEST);
  return BUNDLE;
}

/** The bundle's path, built first when missing or stale; undefined when it cannot be built (no esbuild, read-only). */
async function ensureBuilt() {
  if (isFresh()) return BUNDLE;
  try {
    return await build();
  } catch {
    return undefined;
  }
}

module.exports = { build, ensureBuilt, isFresh, BUNDLE };

if (require.main === module) {
  // `npm ci` runs this (the `prepare` script): a failed build is not fatal, the launcher falls back to tsx.
  build().then(
    (path) => console.log(`aurora-audit CLI built: ${relative(ROOT, path)}`),
    (err) => console.warn(`aurora-audit CLI not built (${err.message}); it will run through tsx`),
  );
}
