/**
 * Each Lambda bundle holds only what that Lambda uses: built with the options `projectFunction` bundles with
 * (`LAMBDA_BUNDLE`), esbuild's metafile lists every module a bundle holds. The alert rules are compiled at
 * synth (no YAML parser), the settings use zod/mini (not zod's classic API), and the decrypt Lambda holds the
 * Encryption SDK's decrypting half without the DynamoDB client the hierarchical keyring would bring.
 * (Sizes and load times are measured by `npm run bench -- cold-start`, not here.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { LAMBDA_BUNDLE } from '../../../infra/constructs/settings-files';

const ROOT = join(__dirname, '..', '..', '..');

async function bundledModules(entry: string): Promise<string[]> {
  const out = mkdtempSync(join(tmpdir(), 'aurora-audit-bundle-'));
  try {
    const result = await build({
      entryPoints: [join(ROOT, entry)],
      outfile: join(out, 'index.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: LAMBDA_BUNDLE.target,
      minify: LAMBDA_BUNDLE.minify,
      ...(LAMBDA_BUNDLE.mainFields ? { mainFields: [...LAMBDA_BUNDLE.mainFields] } : {}),
      define: { ...LAMBDA_BUNDLE.define },
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    const metafile: Metafile = result.metafile;
    // The modules with code in the bundle (the metafile's inputs also list modules tree-shaken to nothing).
    const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
    return Object.entries(output?.inputs ?? {})
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const holds = (modules: readonly string[], pkg: string) =>
  modules.some((m) => m.includes(`node_modules/${pkg}/`));

describe('the Lambda bundles', () => {
  it.each([
    ['decrypt', 'tasks/decrypt-activity-stream/handler.ts'],
    ['alert', 'tasks/alert/handler.ts'],
  ])('of the %s Lambda read compiled rules: no YAML parser, no rules schema', async (_name, entry) => {
    const modules = await bundledModules(entry);
    expect(modules).toContain('tasks/core/alerts/rule-set.ts');
    expect(modules).not.toContain('tasks/core/alerts/rules.ts');
    expect(holds(modules, 'yaml')).toBe(false);
  });

  it.each([
    ['decrypt', 'tasks/decrypt-activity-stream/handler.ts'],
    ['alert', 'tasks/alert/handler.ts'],
    ['plan', 'tasks/plan-maintenance-window/handler.ts'],
    ['report', 'tasks/render-report/handler.ts'],
  ])('of the %s Lambda validate settings with zod/mini, not zod classic', async (_name, entry) => {
    const modules = await bundledModules(entry);
    expect(modules.some((m) => m.includes('node_modules/zod/v4/mini/'))).toBe(true);
    expect(modules.some((m) => m.includes('node_modules/zod/v4/classic/'))).toBe(false);
    // One locale: English.
    const locales = modules.filter((m) => m.includes('node_modules/zod/v4/locales/'));
    expect(locales).toEqual([expect.stringMatching(/zod\/v4\/locales\/en\.js$/)]);
  });

  it('of the decrypt Lambda hold the decrypting Encryption SDK and no DynamoDB client', async () => {
    const modules = await bundledModules('tasks/decrypt-activity-stream/handler.ts');
    expect(holds(modules, '@aws-crypto/decrypt-node')).toBe(true);
    expect(holds(modules, '@aws-crypto/raw-aes-keyring-node')).toBe(true);
    for (const unused of [
      '@aws-sdk/client-dynamodb',
      '@aws-crypto/encrypt-node',
      '@aws-crypto/branch-keystore-node',
      '@aws-crypto/kms-keyring-node',
      '@aws-crypto/caching-materials-manager-node',
      '@aws-crypto/raw-rsa-keyring-node',
    ])
      expect([unused, holds(modules, unused)]).toEqual([unused, false]);
  });
});
