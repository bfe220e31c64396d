/**
 * The tree's architecture rules, read from the source with the TypeScript parser:
 * - test/ holds tests and their builders: nothing outside test/ imports from it (the demo and the
 *   benchmarks run on cli/local/, which ships with the CLI);
 * - every package that code outside test/ loads at run time is in package.json's `dependencies` (a
 *   devDependency is absent from a production install: `npm ci --omit=dev`); type-only imports, erased at
 *   run time, need only be declared somewhere (the package or its `@types/`);
 * - Lambda functions and state machines are built by the shared constructs only
 *   (`infra/constructs/project-function.ts`, `workflows/shared/workflow-construct.ts`): no other source
 *   constructs or extends a CDK Lambda function or state machine class, and every Lambda function of the
 *   synthesized template is a project function or a provider CDK itself adds for a custom resource (listed);
 * - the Lambdas' code (`tasks/`) loads no CDK package at run time, directly or through what it imports (the
 *   settings declarations the constructs read live there: they must not pull the CDK into a bundle).
 * Each rule is also run on a small tree that breaks it, so the check is known to be able to fail.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import ts from 'typescript';
import { newApp } from '../cli/local/cdk-app';
import { buildApp } from '../infra/build-app';
import { loadConfig } from '../infra/config/load';
import { isProjectFunction } from '../infra/constructs/project-function';

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

/** The CDK classes that build a Lambda function or a state machine, by the module that exports them. */
const BUILDER_CLASSES: Record<string, readonly string[]> = {
  'aws-cdk-lib/aws-lambda': ['Function', 'SingletonFunction', 'DockerImageFunction', 'CfnFunction'],
  'aws-cdk-lib/aws-lambda-nodejs': ['NodejsFunction'],
  'aws-cdk-lib/aws-stepfunctions': ['StateMachine', 'CfnStateMachine'],
};
/** The same modules as `aws-cdk-lib`'s namespaces (`import { aws_lambda } from 'aws-cdk-lib'`). */
const ROOT_NAMESPACES: Record<string, string> = {
  aws_lambda: 'aws-cdk-lib/aws-lambda',
  aws_lambda_nodejs: 'aws-cdk-lib/aws-lambda-nodejs',
  aws_stepfunctions: 'aws-cdk-lib/aws-stepfunctions',
};
/** The shared constructs: the only sources that may build one. */
const SHARED_CONSTRUCTS = ['infra/constructs/project-function.ts', 'workflows/shared/workflow-construct.ts'];

/**
 * Where a source outside test/ constructs (`new`) or extends a CDK Lambda function or state machine class,
 * however it imported it (namespace, named, renamed, through `aws-cdk-lib`'s namespaces); `allowed` files
 * excepted.
 */
function builtOutsideSharedConstructs(root: string, allowed: readonly string[]): string[] {
  const found: string[] = [];
  for (const file of nonTestSources(root)) {
    if (allowed.includes(file)) continue;
    const source = ts.createSourceFile(
      file,
      readFileSync(join(root, file), 'utf8'),
      ts.ScriptTarget.Latest,
      true,
    );
    /** Local name → module, for namespaces; local name → [module, class], for classes. */
    const namespaces = new Map<string, string>();
    const classes = new Map<string, readonly [string, string]>();
    for (const statement of source.statements) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
      const module = statement.moduleSpecifier.text;
      const bindings = statement.importClause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) namespaces.set(bindings.name.text, module);
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          const imported = (element.propertyName ?? element.name).text;
          if (module === 'aws-cdk-lib' && ROOT_NAMESPACES[imported])
            namespaces.set(element.name.text, ROOT_NAMESPACES[imported]);
          else classes.set(element.name.text, [module, imported]);
        }
      }
    }
    /** The [module, class] an expression names, if it names a class of an imported module. */
    const resolve = (e: ts.Expression): readonly [string, string] | undefined => {
      if (ts.isParenthesizedExpression(e)) return resolve(e.expression);
      if (ts.isIdentifier(e)) return classes.get(e.text);
      if (!ts.isPropertyAccessExpression(e)) return undefined;
      const owner = e.expression;
      if (ts.isIdentifier(owner) && namespaces.has(owner.text))
        return [namespaces.get(owner.text) as string, e.name.text];
      // cdk.aws_lambda.Function, with `import * as cdk from 'aws-cdk-lib'`
      if (
        ts.isPropertyAccessExpression(owner) &&
        ts.isIdentifier(owner.expression) &&
        namespaces.get(owner.expression.text) === 'aws-cdk-lib' &&
        ROOT_NAMESPACES[owner.name.text]
      )
        return [ROOT_NAMESPACES[owner.name.text] as string, e.name.text];
      return undefined;
    };
    const report = (node: ts.Node, e: ts.Expression, how: string) => {
      const target = resolve(e);
      if (!target || !BUILDER_CLASSES[target[0]]?.includes(target[1])) return;
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      found.push(`${file}:${line + 1} ${how} ${target[1]} (${target[0]})`);
    };
    const visit = (node: ts.Node) => {
      if (ts.isNewExpression(node)) report(node, node.expression, 'new');
      if (ts.isHeritageClause(node) && node.token === ts.SyntaxKind.ExtendsKeyword)
        for (const t of node.types) report(t, t.expression, 'extends');
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found.sort();
}

/**
 * Lambda functions that CDK itself adds for custom resources, by the logical id prefix CDK gives them: not
 * project Lambdas, so not built by `projectFunction`. None is in the example template today (the PostgreSQL
 * log groups' retention is a project provider since issue 18); each is listed so that one a CDK feature
 * brings in (a construct prop such as `logRetention` or `autoDeleteObjects`) is told apart from a function
 * built by hand.
 */
const CDK_PROVIDER_FUNCTIONS: readonly string[] = [
  'LogRetention', // aws-logs LogRetention (a Lambda function's `logRetention` prop)
  'CustomS3AutoDeleteObjectsCustomResourceProvider', // s3.Bucket `autoDeleteObjects`
  'BucketNotificationsHandler', // s3.Bucket `addEventNotification`
  'AWS679f53fac002430cb0da5b7982bd2287', // custom-resources AwsCustomResource
  'CustomCDKBucketDeployment', // s3-deployment BucketDeployment
];

/** The Lambda functions of a stack that are neither project functions nor CDK's custom-resource providers. */
function handBuiltFunctions(stack: Stack): string[] {
  const project = new Set(
    stack.node
      .findAll()
      .filter(isProjectFunction)
      .map((c) => stack.getLogicalId(c.node.defaultChild as CfnElement)),
  );
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string }>;
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([id]) => id)
    .filter((id) => !project.has(id) && !CDK_PROVIDER_FUNCTIONS.some((prefix) => id.startsWith(prefix)))
    .sort();
}

describe('Lambda functions and state machines come from the shared constructs', () => {
  it('has the shared constructs where the rule says', () => {
    const files = nonTestSources(ROOT);
    for (const file of SHARED_CONSTRUCTS) expect(files).toContain(file);
    // The shared constructs themselves build them, and the search finds them there (and nowhere else).
    expect(builtOutsideSharedConstructs(ROOT, [])).toEqual([
      expect.stringMatching(/^infra\/constructs\/project-function\.ts:\d+ new NodejsFunction /),
      expect.stringMatching(/^workflows\/shared\/workflow-construct\.ts:\d+ new StateMachine /),
    ]);
  });

  it('constructs no Lambda function or state machine outside them', () => {
    expect(builtOutsideSharedConstructs(ROOT, SHARED_CONSTRUCTS)).toEqual([]);
  });

  it('reports a Lambda function or state machine built elsewhere, however the class was imported', () => {
    const root = tree({
      'infra/constructs/project-function.ts':
        "import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';\nnew nodejs.NodejsFunction(s, 'F', {});\n",
      'infra/constructs/a.ts': [
        "import * as lambda from 'aws-cdk-lib/aws-lambda';",
        "import { NodejsFunction as Fn } from 'aws-cdk-lib/aws-lambda-nodejs';",
        "new lambda.Function(s, 'A', {});",
        "new Fn(s, 'B', {});",
        "new lambda.Permission(s, 'P', {});",
        '',
      ].join('\n'),
      'workflows/x/construct.ts': [
        "import * as cdk from 'aws-cdk-lib';",
        "import { aws_stepfunctions as sfn } from 'aws-cdk-lib';",
        "new sfn.StateMachine(s, 'M', {});",
        "new cdk.aws_lambda.SingletonFunction(s, 'S', {});",
        'class Mine extends sfn.StateMachine {}',
        '',
      ].join('\n'),
      // Not CDK: the local Step Functions engine's StateMachine.
      'cli/local/runner.ts':
        "import { StateMachine } from 'aws-local-stepfunctions';\nnew StateMachine({});\n",
      'test/infra/a.test.ts':
        "import * as lambda from 'aws-cdk-lib/aws-lambda';\nnew lambda.Function(s, 'T', {});\n",
    });
    try {
      expect(builtOutsideSharedConstructs(root, SHARED_CONSTRUCTS)).toEqual([
        'infra/constructs/a.ts:3 new Function (aws-cdk-lib/aws-lambda)',
        'infra/constructs/a.ts:4 new NodejsFunction (aws-cdk-lib/aws-lambda-nodejs)',
        'workflows/x/construct.ts:3 new StateMachine (aws-cdk-lib/aws-stepfunctions)',
        'workflows/x/construct.ts:4 new SingletonFunction (aws-cdk-lib/aws-lambda)',
        'workflows/x/construct.ts:5 extends StateMachine (aws-cdk-lib/aws-stepfunctions)',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('synthesizes every Lambda function of the stack through projectFunction, CDK providers excepted', () => {
    const { auditStack } = buildApp(loadConfig(), newApp({ bundling: false }));
    expect(auditStack.node.findAll().filter(isProjectFunction)).toHaveLength(5);
    expect(handBuiltFunctions(auditStack)).toEqual([]);
  });

  it('tells a hand-built function from a CDK provider in a template', () => {
    const stack = new Stack(new App(), 'Planted');
    new lambda.Function(stack, 'HandBuilt', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
    // CDK's own provider (aws-logs LogRetention): excepted.
    new logs.LogRetention(stack, 'Retention', {
      logGroupName: '/planted',
      retention: logs.RetentionDays.ONE_WEEK,
    });
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string }>;
    expect(Object.keys(resources).filter((id) => id.startsWith('LogRetention'))).not.toEqual([]);
    expect(handBuiltFunctions(stack)).toEqual([expect.stringMatching(/^HandBuilt/)]);
  });
});

/** Packages of the CDK app: never in a Lambda bundle. */
const CDK_PACKAGES = ['aws-cdk-lib', 'constructs', 'cdk-nag', 'cdk-monitoring-constructs', 'aws-cdk'];

/** Resolves a relative specifier of `file` to a source file of `root` (`.ts`, `.js`, `/index.ts`). */
function resolveSource(root: string, file: string, specifier: string): string | undefined {
  const base = join(dirname(join(root, file)), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.js`, join(base, 'index.ts')]) {
    try {
      if (readdirSync(dirname(candidate)).includes(candidate.slice(dirname(candidate).length + 1)))
        if (SOURCE.test(candidate)) return relative(root, candidate);
    } catch {
      // not there
    }
  }
  return undefined;
}

/** CDK packages that code under tasks/ loads at run time, with the import chain that brings each in. */
function cdkInLambdaCode(root: string): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string, chain: readonly string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const ref of importsOf(root, file)) {
      if (ref.typeOnly) continue;
      if (ref.specifier.startsWith('.')) {
        const target = resolveSource(root, file, ref.specifier);
        if (target) visit(target, [...chain, target]);
      } else if (CDK_PACKAGES.includes(packageOf(ref.specifier) ?? '')) {
        problems.push(`${[...chain].join(' → ')}:${ref.line} loads ${ref.specifier}`);
      }
    }
  };
  for (const file of nonTestSources(root).filter((f) => f.startsWith(`tasks${sep}`))) visit(file, [file]);
  return problems.sort();
}

describe("the Lambdas' code stays out of the CDK", () => {
  it('loads no CDK package from tasks/, directly or through its imports', () => {
    expect(cdkInLambdaCode(ROOT)).toEqual([]);
  });

  it('reports a CDK package a task loads through another module, not a type-only import', () => {
    const root = tree({
      'tasks/a/settings.ts':
        "import { x } from '../../infra/shared';\nimport type { Duration } from 'aws-cdk-lib';\n",
      'infra/shared.ts': "import { Duration } from 'aws-cdk-lib';\nexport const x = 1;\n",
      'tasks/b/handler.ts': "import { z } from 'zod';\n",
    });
    try {
      expect(cdkInLambdaCode(root)).toEqual(['tasks/a/settings.ts → infra/shared.ts:1 loads aws-cdk-lib']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
