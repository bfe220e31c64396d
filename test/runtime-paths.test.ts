/**
 * test/ holds tests and their builders: no product file reaches into it at run time, by import (checked by
 * architecture.test.ts) or by a path it reads or runs (a script, a fixture). Product code is every source
 * file outside test/; the paths are its string literals, read with the TypeScript parser (comments and
 * docs may name test files).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..');
const SKIPPED_DIRS = new Set([
  'node_modules',
  '.git',
  'cdk.out',
  'demo-out',
  'test-artifacts',
  'coverage',
  'test',
]);

function productSources(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : productSources(path);
    return /\.(ts|js|mjs|cjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** String and template literals of `text` that name a path under test/. */
function pathsIntoTest(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isStringLiteralLike(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      if (/(^|[/'"`\s])test\/[\w.-]/.test(node.text)) found.push(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('product code at run time', () => {
  it('never reads or runs a file under test/ (the set-up script lives in cli/local/setup/)', () => {
    const offenders = productSources().flatMap((file) =>
      pathsIntoTest(file, readFileSync(file, 'utf8')).map((path) => `${relative(ROOT, file)}: ${path}`),
    );
    expect(offenders).toEqual([]);
  });

  it('notices a path into test/, however it is spelt', () => {
    const planted = [
      "const a = resolve(__dirname, '../../test/setup/install-debian-packages.sh');",
      'const b = `bash test/setup/x.sh`;',
      '// a comment may name test/setup/x.sh',
      "const c = 'contest/x';",
    ].join('\n');
    expect(pathsIntoTest('planted.ts', planted)).toEqual([
      '../../test/setup/install-debian-packages.sh',
      'bash test/setup/x.sh',
    ]);
  });
});
