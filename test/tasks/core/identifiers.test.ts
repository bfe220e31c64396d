/**
 * The shared patterns (tasks/core/identifiers.ts): what each accepts and refuses, and that no other source
 * file writes one of them out again. The search reads every regular-expression literal, string and template
 * text of the source outside test/ with the TypeScript parser, so a copy is found however it is quoted; it
 * is also run on a small source that copies two patterns, so it is known to be able to fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import {
  ACTIVITY_STREAM_ARN,
  CLUSTER_IDENTIFIER,
  CLUSTER_RESOURCE_ID,
  INSTANCE_RESOURCE_ID,
  REQUEST_TEXT,
  RUNBOOK_CHANGE_TICKET,
  RUNBOOK_CLUSTER_IDENTIFIER,
  RUNTIME_CLUSTER_RESOURCE_ID,
  SCHEDULE_EXPRESSION,
  SES_EMAIL_ADDRESS,
  SHARED_PATTERNS,
  WEEKLY_WINDOW,
} from '../../../tasks/core/identifiers';

const ROOT = resolve(__dirname, '../../..');
const HOME = 'tasks/core/identifiers.ts';
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'cdk.out', 'demo-out', 'test-artifacts', 'coverage']);

/**
 * A piece of each shared pattern that any copy or variant of it would contain (a variant differing
 * elsewhere, e.g. a resource id without the length, still contains it).
 */
const SIGNATURES = [
  'cluster-[A-Z0-9]',
  '(mon|tue|wed|thu|fri|sat|sun)',
  '[a-zA-Z0-9-]{0,62}',
  ' ._@:/+#()-]{1,128}',
  'db-[A-Z0-9]',
  'rate\\(\\d+ (minute',
  "[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@",
];

function nonTestSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name) || relative(ROOT, path) === 'test') continue;
        walk(path);
      } else if (/\.(ts|js|mjs|cjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        out.push(relative(ROOT, path));
      }
    }
  };
  walk(ROOT);
  return out.sort();
}

/** The text of every regular-expression literal, string and template piece in a source. */
function literalTexts(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const texts: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isRegularExpressionLiteral(node)) {
      texts.push(node.text.slice(1, node.text.lastIndexOf('/')));
    } else if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) {
      // Raw text for templates, as String.raw`…` would pass it to new RegExp.
      texts.push(node.text, (node as { rawText?: string }).rawText ?? node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return texts;
}

/** The signatures (and whole shared patterns, by name) a source writes out. */
function copiesIn(file: string, text: string): string[] {
  const found = new Set<string>();
  const sources = Object.entries(SHARED_PATTERNS);
  for (const literal of literalTexts(file, text)) {
    for (const signature of SIGNATURES) if (literal.includes(signature)) found.add(signature);
    for (const [name, pattern] of sources) if (literal === pattern.source) found.add(name);
  }
  return [...found].sort();
}

describe('the shared patterns', () => {
  it('accept a cluster identifier RDS accepts and refuse what RDS refuses', () => {
    for (const ok of ['orders-db', 'a', `a${'b'.repeat(62)}`]) expect(CLUSTER_IDENTIFIER.test(ok)).toBe(true);
    for (const bad of ['1db', 'orders--db', 'orders-', '', `a${'b'.repeat(63)}`, 'orders_db'])
      expect(CLUSTER_IDENTIFIER.test(bad)).toBe(false);
  });

  it('leave the double and trailing hyphen rules out of the runbook form only', () => {
    expect(RUNBOOK_CLUSTER_IDENTIFIER.test('orders--db')).toBe(true);
    expect(RUNBOOK_CLUSTER_IDENTIFIER.test('orders-')).toBe(true);
    expect(RUNBOOK_CLUSTER_IDENTIFIER.test('1db')).toBe(false);
    expect(RUNBOOK_CLUSTER_IDENTIFIER.source).not.toMatch(/\(\?[=!<]/);
  });

  it('pin the cluster resource id length in configuration and not at run time', () => {
    const id = `cluster-${'A1'.repeat(13)}`;
    expect(CLUSTER_RESOURCE_ID.test(id)).toBe(true);
    expect(CLUSTER_RESOURCE_ID.test(`${id}X`)).toBe(false);
    expect(RUNTIME_CLUSTER_RESOURCE_ID.test(`${id}X`)).toBe(true);
    for (const bad of ['cluster-abc', 'orders-db', `arn:aws:rds:eu-west-1:123456789012:cluster:${id}`]) {
      expect(CLUSTER_RESOURCE_ID.test(bad)).toBe(false);
      expect(RUNTIME_CLUSTER_RESOURCE_ID.test(bad)).toBe(false);
    }
  });

  it('take the cluster resource id out of an activity stream ARN', () => {
    expect(
      ACTIVITY_STREAM_ARN.exec(
        'arn:aws:kinesis:eu-west-1:123456789012:stream/aws-rds-das-cluster-ABC123',
      )?.[1],
    ).toBe('cluster-ABC123');
    expect(ACTIVITY_STREAM_ARN.test('arn:aws:kinesis:eu-west-1:123456789012:stream/orders')).toBe(false);
  });

  it('accept instance resource ids, weekly windows and schedules as AWS writes them', () => {
    expect(INSTANCE_RESOURCE_ID.test('db-ABCDEFGHIJKLMNOPQRSTUVWXYZ')).toBe(true);
    expect(INSTANCE_RESOURCE_ID.test('cluster-ABC')).toBe(false);
    expect(WEEKLY_WINDOW.exec('sat:23:30-sun:00:30')?.slice(1)).toEqual([
      'sat',
      '23',
      '30',
      'sun',
      '00',
      '30',
    ]);
    for (const bad of ['sun:24:00-mon:01:00', 'Sun:03:00-sun:04:00', 'sun:03:00'])
      expect(WEEKLY_WINDOW.test(bad)).toBe(false);
    expect(SCHEDULE_EXPRESSION.test('cron(0 6 * * ? *)')).toBe(true);
    expect(SCHEDULE_EXPRESSION.test('rate(1 day)')).toBe(true);
    expect(SCHEDULE_EXPRESSION.test('cron(0 6 * * ?)')).toBe(false);
    expect(SCHEDULE_EXPRESSION.test('at(2026-01-01T00:00:00)')).toBe(false);
  });

  it('let a change ticket through JSON unchanged, the runbook form in ASCII only', () => {
    expect(REQUEST_TEXT.test('CHG-1 (Zürich) #42')).toBe(true);
    expect(RUNBOOK_CHANGE_TICKET.test('CHG-1 (Zurich) #42')).toBe(true);
    expect(RUNBOOK_CHANGE_TICKET.test('CHG-1 (Zürich)')).toBe(false);
    for (const bad of ['a"b', 'a\\b', 'a\nb', '', 'x'.repeat(129)]) {
      expect(REQUEST_TEXT.test(bad)).toBe(false);
      expect(RUNBOOK_CHANGE_TICKET.test(bad)).toBe(false);
    }
  });

  it('accept only ASCII email addresses with a domain for SES', () => {
    expect(SES_EMAIL_ADDRESS.test('compliance@example.com')).toBe(true);
    for (const bad of ['compliance@example', 'zoë@example.com', 'a b@example.com', '@example.com'])
      expect(SES_EMAIL_ADDRESS.test(bad)).toBe(false);
  });
});

describe('one definition of every shared pattern', () => {
  it('has a signature for every shared pattern, each found in the patterns themselves', () => {
    const sources = Object.values(SHARED_PATTERNS).map((p) => p.source);
    for (const signature of SIGNATURES) expect(sources.some((s) => s.includes(signature))).toBe(true);
    for (const source of sources) expect(SIGNATURES.some((s) => source.includes(s))).toBe(true);
  });

  it('finds a copied pattern however it is written', () => {
    const text = [
      'const A = /^cluster-[A-Z0-9]{26}$/;',
      "const B = '^[a-zA-Z][a-zA-Z0-9-]{0,62}$';",
      'const C = new RegExp(String.raw`^(mon|tue|wed|thu|fri|sat|sun):x$`);',
      'const D = /^orders$/;',
    ].join('\n');
    expect(copiesIn('copy.ts', text)).toEqual(
      [
        '(mon|tue|wed|thu|fri|sat|sun)',
        'CLUSTER_RESOURCE_ID',
        'RUNBOOK_CLUSTER_IDENTIFIER',
        '[a-zA-Z0-9-]{0,62}',
        'cluster-[A-Z0-9]',
      ].sort(),
    );
  });

  it('is written out in tasks/core/identifiers.ts only (outside test/)', () => {
    const files = nonTestSources();
    expect(files).toContain(HOME);
    expect(files.length).toBeGreaterThan(100);
    const found: Record<string, string[]> = {};
    for (const file of files) {
      if (file === HOME) continue;
      const copies = copiesIn(file, readFileSync(join(ROOT, file), 'utf8'));
      if (copies.length > 0) found[file] = copies;
    }
    expect(found).toEqual({});
  });
});
