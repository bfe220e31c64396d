/**
 * How a Lambda bundle is built: one esbuild configuration ({@link lambdaBuildOptions}) for the deployed bundles,
 * `npm run bench -- cold-start` and test/infra/constructs/lambda-bundles.test.ts.
 *
 * CDK's `NodejsFunction` runs the esbuild command line, which takes no plugins; so `projectFunction`'s bundling
 * ends with this module run as a script (`afterBundling`, {@link rebuildCommand}), which rebuilds `index.js` and
 * its map in the asset with the options below, plugin included, before the asset is hashed.
 */

import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { type BuildOptions, build, type Plugin } from 'esbuild';

const ROOT = path.join(__dirname, '..', '..');

/**
 * The esbuild options of every Lambda bundle (`lambdaBuildOptions`: the deployed bundles, `bench/cold-start.bench.ts` and the bundle test):
 * - minified, for the Node.js 24 runtime, CommonJS;
 * - `mainFields` module first: the AWS SDK's ES module builds, which esbuild tree-shakes (the CommonJS builds
 *   bring every command and serializer of a client);
 * - `process.env.AURORA_AUDIT_BUNDLE` defined as "true": code for runs from source only (reading YAML rules)
 *   is dropped with what it requires;
 * - `@aws-sdk/credential-provider-node` aliased to tasks/shared/env-credentials.ts: the SDK's `fromEnv`, the
 *   credentials Lambda gives in the environment, without the rest of the default chain (its STS, SSO and
 *   sign-in clients);
 * - the AWS SDK's schema modules with literal trait keys (`literalSchemaKeys`), so that esbuild tree-shakes the
 *   shapes no command in the bundle uses;
 * - a source map beside the code, without the sources (they are the repository's at the deployed commit), for
 *   mapping a logged position by hand; the Lambdas run without `--enable-source-maps` (`LAMBDA_NODE_OPTIONS`).
 */
export const LAMBDA_BUNDLE = {
  minify: true,
  target: 'node24',
  sourcesContent: false,
  mainFields: ['module', 'main'] as readonly string[],
  define: { 'process.env.AURORA_AUDIT_BUNDLE': JSON.stringify('true') } as Readonly<Record<string, string>>,
  /** Package → module (relative to the repository root) bundled in its place. */
  alias: { '@aws-sdk/credential-provider-node': 'tasks/shared/env-credentials.ts' } as Readonly<
    Record<string, string>
  >,
} as const;

/**
 * The AWS SDK's generated schema modules (`@aws-sdk/client-*` and `@aws-sdk/nested-clients`,
 * `dist-es/…/schemas/schemas_N.js`): one per client, every shape of its API.
 */
const SCHEMA_MODULE =
  /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/](?:[^\\/]+[\\/])*schemas[\\/]schemas_\d+\.js$/;

/**
 * The schema module `source` with its computed trait keys written as the string literals they are: the generator
 * writes `{ [_hH]: _xacc }` with `const _hH = "httpHeader";` at the top of the file, and esbuild keeps every
 * object literal with a computed key (the key expression might have side effects), so a bundle held every shape of
 * a client's API (69 KB of the S3 client's for one PutObject). `{ "httpHeader": _xacc }` is the same object; with
 * it esbuild drops the shapes no command in the bundle reaches (aws/aws-sdk-js-v3#7607, fixed the same way in
 * smithy-lang/smithy-typescript#1889). Only keys naming a top-level `const` string are rewritten, never
 * `__proto__` (a literal `__proto__` key would set the prototype).
 */
export function literalSchemaKeys(source: string): string {
  const strings = new Map<string, string>();
  for (const m of source.matchAll(/^const (_[A-Za-z0-9_]+) = ("(?:[^"\\\n]|\\.)*");$/gm)) {
    const [, name, literal] = m;
    if (name && literal && JSON.parse(literal) !== '__proto__') strings.set(name, literal);
  }
  return source.replace(/\[(_[A-Za-z0-9_]+)\]:/g, (key, name: string) => {
    const literal = strings.get(name);
    return literal === undefined ? key : `${literal}:`;
  });
}

/** The esbuild plugin applying {@link literalSchemaKeys} to the AWS SDK's schema modules. */
export const literalSchemaKeysPlugin: Plugin = {
  name: 'aurora-audit-literal-schema-keys',
  setup(b) {
    b.onLoad({ filter: SCHEMA_MODULE }, async (args) => ({
      contents: literalSchemaKeys(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};

/**
 * The esbuild options of a Lambda bundle: {@link LAMBDA_BUNDLE} (minified, Node.js 24, CommonJS, ES module builds
 * first, the bundle-only define, the credential alias), the schema plugin, a source map without sources.
 */
export function lambdaBuildOptions(
  entry: string,
  outfile: string,
  options: { readonly sourcesContent?: boolean; readonly sourcemap?: boolean } = {},
): BuildOptions {
  return {
    entryPoints: [path.resolve(ROOT, entry)],
    outfile,
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: LAMBDA_BUNDLE.target,
    minify: LAMBDA_BUNDLE.minify,
    sourcemap: options.sourcemap ?? true,
    sourcesContent: options.sourcesContent ?? LAMBDA_BUNDLE.sourcesContent,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    define: { ...LAMBDA_BUNDLE.define },
    alias: Object.fromEntries(
      Object.entries(LAMBDA_BUNDLE.alias).map(([pkg, file]) => [pkg, path.join(ROOT, file)]),
    ),
    plugins: [literalSchemaKeysPlugin],
    logLevel: 'warning',
  };
}

/** Builds `entry` (relative to the repository root) into `outDir/index.js` with its map. */
export async function buildLambdaBundle(entry: string, outDir: string): Promise<void> {
  const outfile = path.join(outDir, 'index.js');
  await build(lambdaBuildOptions(entry, outfile));
  // CDK printed the size of its own pass, which this replaces.
  console.error(`rebuilt with the schema plugin: ${outfile} ${(statSync(outfile).size / 1024).toFixed(1)}kb`);
}

/** The shell command that rebuilds a bundle in the asset's output directory (`afterBundling`). */
export function rebuildCommand(entry: string, outDir: string): string {
  const quote = (s: string) => `"${s.replace(/(["\\$`])/g, '\\$1')}"`;
  return [process.execPath, require.resolve('tsx/cli'), __filename, entry, outDir].map(quote).join(' ');
}

if (require.main === module) {
  const [entry, outDir] = process.argv.slice(2);
  if (!entry || !outDir) {
    console.error('usage: lambda-bundle.ts <entry> <output directory>');
    process.exit(2);
  }
  buildLambdaBundle(entry, outDir).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
