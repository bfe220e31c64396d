/**
 * The tree's architecture rules, read from the source with the TypeScript parser:
 * - test/ holds tests and their builders: nothing outside test/ imports from it (the demo and the
 *   benchmarks run on cli/local/, which ships with the CLI);
 * - every package that code outside test/ loads at run time is in package.json's `dependencies` (a
 *   devDependency is absent from a production install: `npm ci --omit=dev`); type-only imports, erased at
 *   run time, need only be declared somewhere (the package or its `@types/`).
 * Each rule is also run on a small tree that breaks it, so the check is known to be able to fail.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..');
/** Not source of the project: dependencies, build and run outputs. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'cdk.out', 'demo-out', 'test-artifacts', 'coverage']);
const SOURCE = /\.(ts|js|mjs|cjs)$/;

interface ImportRef {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  /** Erased at run time (`import type`, `export type`, `typeof import('…')`, only `type` specifiers). */
  readonly typeOnly: boolean;
}

/** Every source file under `root` outside test/ (and outside dependencies and outputs), relative to root. */
function nonTestSources(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name) || relative(root, path) === 'test') continue;
        walk(path);
      } else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        out.push(relative(root, path));
      }
    }
  };
  walk(root);
  return out.sort();
}

/** The module specifiers a source file imports, exports from, requires or dynamically imports. */
function importsOf(root: string, file: string): ImportRef[] {
  const text = readFileSync(join(root, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const refs: ImportRef[] = [];
  const add = (node: ts.Node, specifier: ts.Expression | undefined, typeOnly: boolean) => {
    if (!specifier || !ts.isStringLiteralLike(specifier)) return;
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    refs.push({ file, line: line + 1, specifier: specifier.text, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const onlyTypeSpecifiers =
        !!clause &&
        !clause.name &&
        !!named &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier, !!clause?.isTypeOnly || onlyTypeSpecifiers);
    } else if (ts.isExportDeclaration(node)) {
      const named = node.exportClause;
      const onlyTypeSpecifiers =
        !!named &&
        ts.isNamedExports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier, node.isTypeOnly || onlyTypeSpecifiers);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg)) add(node, arg.literal as ts.Expression, true);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      const isDynamicImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      if ((isRequire || isDynamicImport) && node.arguments.length >= 1) add(node, node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return refs;
}

/** Relative imports from outside test/ that resolve into test/. */
function importsOfTestDir(root: string): string[] {
  const testDir = join(root, 'test');
  return nonTestSources(root).flatMap((file) =>
    importsOf(root, file)
      .filter((r) => r.specifier.startsWith('.'))
      .filter((r) => {
        const target = resolve(root, dirname(file), r.specifier);
        return target === testDir || target.startsWith(testDir + sep);
      })
      .map((r) => `${r.file}:${r.line} imports ${r.specifier}`),
  );
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`; undefined for relative paths and Node builtins. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:'))
    return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
  return builtinModules.includes(name) ? undefined : name;
}

interface PackageJson {
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

/** Packages loaded at run time by code outside test/ but not in `dependencies` (and undeclared type imports). */
function undeclaredDependencies(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
  const dependencies = new Set(Object.keys(pkg.dependencies ?? {}));
  const declared = new Set([...dependencies, ...Object.keys(pkg.devDependencies ?? {})]);
  const typesOf = (name: string) => `@types/${name.replace(/^@/, '').replace('/', '__')}`;
  const problems = new Set<string>();
  for (const file of nonTestSources(root)) {
    for (const ref of importsOf(root, file)) {
      const name = packageOf(ref.specifier);
      if (!name) continue;
      if (!ref.typeOnly && !dependencies.has(name)) {
        problems.add(`${name}: loaded by ${ref.file}:${ref.line}, not in dependencies`);
      } else if (ref.typeOnly && !declared.has(name) && !declared.has(typesOf(name))) {
        problems.add(`${name}: types imported by ${ref.file}:${ref.line}, not declared in package.json`);
      }
    }
  }
  return [...problems].sort();
}

/** A throwaway project tree: path → content. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'aa-architecture-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('the tree keeps test code out of the product', () => {
  it('scans the product folders, the benchmarks and the CLI launcher', () => {
    const files = nonTestSources(ROOT);
    for (const file of [
      'infra/app.ts',
      'cli/main.ts',
      'cli/bin/aurora-audit.js',
      'cli/demo/run-demo.ts',
      'cli/local/stepfunctions/runner.ts',
      'bench/run.ts',
    ]) {
      expect(files).toContain(file);
    }
    expect(files.filter((f) => f.startsWith(`test${sep}`))).toEqual([]);
  });

  it('has no import of test/ outside test/', () => {
    expect(importsOfTestDir(ROOT)).toEqual([]);
  });

  it('reports an import of test/ from product code, of any form', () => {
    const root = tree({
      'cli/demo/a.ts': "import { x } from '../../test/helpers/x';\n",
      'cli/demo/b.ts': "import type { Y } from '../../test/builders/y';\n",
      'bench/c.ts': "const z = require('../test/local/z');\n",
      'cli/ok.ts': "import { w } from './local/w';\nimport { v } from '../tasks/test/v';\n",
      'test/builders/x.test.ts': "import { x } from '../helpers/x';\n",
    });
    try {
      expect(importsOfTestDir(root)).toEqual([
        'bench/c.ts:1 imports ../test/local/z',
        'cli/demo/a.ts:1 imports ../../test/helpers/x',
        'cli/demo/b.ts:1 imports ../../test/builders/y',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('package.json declares what the product loads', () => {
  it('has every package loaded outside test/ in dependencies', () => {
    expect(undeclaredDependencies(ROOT)).toEqual([]);
  });

  it('reports a devDependency loaded at run time, and an undeclared type import', () => {
    const root = tree({
      'package.json': JSON.stringify({
        dependencies: { zod: '1' },
        devDependencies: { 'aws-sdk-client-mock': '1', '@types/aws-lambda': '1', jest: '1' },
      }),
      'cli/local/a.ts': [
        "import { mockClient } from 'aws-sdk-client-mock';",
        "import { z } from 'zod/v4';",
        "import { readFileSync } from 'node:fs';",
        "import { join } from 'path';",
        "import type { Handler } from 'aws-lambda';",
        "import type { Other } from 'undeclared-types';",
        "const duck = require('@duckdb/node-api');",
        '',
      ].join('\n'),
      'test/a.test.ts': "import { expect } from 'jest';\n",
    });
    try {
      expect(undeclaredDependencies(root)).toEqual([
        '@duckdb/node-api: loaded by cli/local/a.ts:7, not in dependencies',
        'aws-sdk-client-mock: loaded by cli/local/a.ts:1, not in dependencies',
        'undeclared-types: types imported by cli/local/a.ts:6, not declared in package.json',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
