/**
 * The bundling plugin rewrites the AWS SDK's schema modules (computed trait keys → string literals) so that esbuild
 * can tree-shake them. The rewrite must not change what a module exports: each schema module of the clients the
 * Lambdas use is evaluated as published and as rewritten, and every export (schemas, error registries) compared.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { literalSchemaKeys } from '../../../infra/constructs/lambda-bundle';

const ROOT = join(__dirname, '..', '..', '..');

/** The published schema modules of a package (`dist-es/**\/schemas/schemas_N.js`). */
function schemaModules(pkg: string): string[] {
  const dir = join(ROOT, 'node_modules', pkg, 'dist-es');
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => /(^|\/)schemas\/schemas_\d+\.js$/.test(f))
    .map((f) => join(dir, f));
}

/** Evaluates an ES module's source (its relative imports bundled, packages required) and returns its exports. */
async function evaluate(file: string, contents: string): Promise<Record<string, unknown>> {
  const { outputFiles } = await build({
    stdin: { contents, resolveDir: dirname(file), sourcefile: file, loader: 'js' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    write: false,
    logLevel: 'silent',
  });
  const module = { exports: {} as Record<string, unknown> };
  new Function('require', 'module', 'exports', outputFiles[0]?.text ?? '')(
    createRequire(file),
    module,
    module.exports,
  );
  return module.exports;
}

/** A comparable form: functions by their source, maps by their entries, objects by their own properties. */
function comparable(value: unknown, seen = new Set<unknown>()): unknown {
  if (typeof value === 'function') return `function ${value.toString()}`;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[cycle]';
  seen.add(value);
  try {
    if (value instanceof Map) return ['Map', [...value.entries()].map((e) => comparable(e, seen))];
    if (Array.isArray(value)) return value.map((v) => comparable(v, seen));
    return [
      value.constructor?.name,
      Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v, seen)])),
    ];
  } finally {
    seen.delete(value);
  }
}

describe('literalSchemaKeys', () => {
  it('writes a computed key naming a top-level string constant as that string, and leaves other keys alone', () => {
    const source = [
      'const _e = "error";',
      'const _p = "__proto__";',
      'export var A$ = [-3, n0, "A", { [_e]: _c, [_hE]: 403, [_p]: 1 }, [], []];',
    ].join('\n');
    expect(literalSchemaKeys(source)).toBe(
      [
        'const _e = "error";',
        'const _p = "__proto__";',
        'export var A$ = [-3, n0, "A", { "error": _c, [_hE]: 403, [_p]: 1 }, [], []];',
      ].join('\n'),
    );
  });

  it.each([
    '@aws-sdk/client-s3',
    '@aws-sdk/client-kms',
    '@aws-sdk/client-firehose',
    '@aws-sdk/client-sns',
    '@aws-sdk/client-dynamodb',
    '@aws-sdk/nested-clients',
  ])('leaves every export of the schema modules of %s unchanged', async (pkg) => {
    const files = schemaModules(pkg);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const published = readFileSync(file, 'utf8');
      const rewritten = literalSchemaKeys(published);
      // The rewrite did something, and left no computed key naming a string constant.
      expect([file, rewritten === published]).toEqual([file, false]);
      const [before, after] = await Promise.all([evaluate(file, published), evaluate(file, rewritten)]);
      expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
      expect(comparable(after)).toEqual(comparable(before));
    }
  });
});
