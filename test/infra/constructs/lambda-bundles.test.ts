/**
 * Each Lambda bundle holds only what that Lambda uses: built with the options `projectFunction` bundles with
 * (`lambdaBuildOptions`, plugin included), esbuild's metafile lists every module a bundle holds. The alert rules are compiled at
 * synth (no YAML parser), the settings use zod/mini (not zod's classic API), and the decrypt Lambda holds the
 * Encryption SDK's decrypting half without the DynamoDB client the hierarchical keyring would bring, the SDK
 * clients' credentials come from the environment (no STS/SSO clients) and only the schema shapes a command
 * reaches. The decrypt bundle's size is held here (a size, not a time: issue 21's ≤ 600 KB); load times are
 * measured by `npm run bench -- cold-start`, not here.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { lambdaBuildOptions } from '../../../infra/constructs/lambda-bundle';

const ROOT = join(__dirname, '..', '..', '..');

interface Bundle {
  /** The modules with code in the bundle (the metafile's inputs also list modules tree-shaken to nothing). */
  readonly modules: string[];
  /** The size of `index.js` as deployed (bytes). */
  readonly bytes: number;
}

async function bundleOf(entry: string): Promise<Bundle> {
  const out = mkdtempSync(join(tmpdir(), 'aurora-audit-bundle-'));
  try {
    const outfile = join(out, 'index.js');
    const result = await build({
      ...lambdaBuildOptions(entry, outfile),
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    const metafile: Metafile = result.metafile;
    const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
    const code = result.outputFiles.find((f) => f.path === outfile);
    return {
      modules: Object.entries(output?.inputs ?? {})
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([path]) => path),
      bytes: code?.contents.byteLength ?? Number.NaN,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const bundledModules = async (entry: string) => (await bundleOf(entry)).modules;

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

describe('the decrypt bundle', () => {
  it('is at most 600 KB (issue 21: it was 1,773 KB)', async () => {
    const { bytes } = await bundleOf('tasks/decrypt-activity-stream/handler.ts');
    expect(bytes).toBeGreaterThan(100 * 1024);
    expect(bytes).toBeLessThanOrEqual(600 * 1024);
  });

  it('takes credentials from the environment only: no STS, SSO or sign-in client, no shared ini files', async () => {
    const modules = await bundledModules('tasks/decrypt-activity-stream/handler.ts');
    expect(modules).toContain('tasks/shared/env-credentials.ts');
    expect(holds(modules, '@aws-sdk/credential-provider-env')).toBe(true);
    for (const unused of [
      '@aws-sdk/credential-provider-node',
      '@aws-sdk/nested-clients',
      '@aws-sdk/credential-provider-ini',
      '@aws-sdk/credential-provider-sso',
      '@aws-sdk/credential-provider-web-identity',
      '@aws-sdk/credential-provider-process',
      '@smithy/credential-provider-imds',
    ])
      expect([unused, holds(modules, unused)]).toEqual([unused, false]);
  });

  it("holds the S3 client's shapes for the commands it sends, not the whole API", async () => {
    const bundle = await bundleOf('tasks/decrypt-activity-stream/handler.ts');
    const { outputFiles } = await build({
      ...lambdaBuildOptions('tasks/decrypt-activity-stream/handler.ts', join(tmpdir(), 'unused.js')),
      minify: false,
      sourcemap: false,
      write: false,
      logLevel: 'silent',
    });
    const code = outputFiles[0]?.text ?? '';
    expect(bundle.modules).toContain('node_modules/@aws-sdk/client-s3/dist-es/schemas/schemas_0.js');
    expect(code).toMatch(/\bPutObjectRequest\$ = \[/);
    expect(code).not.toMatch(/\bGetBucketLifecycleConfigurationRequest\$ = \[/);
    expect(code).not.toMatch(/\bSelectObjectContentRequest\$ = \[/);
  });
});

describe('the AWS SDK clients as bundled', () => {
  /**
   * A bundle built with the Lambda options (credential alias, schema plugin) that sends an S3 PutObject, a KMS
   * Decrypt and a Firehose PutRecordBatch to a loopback endpoint and prints what came back, run in a fresh `node`
   * with credentials in its environment as Lambda gives them.
   */
  const PROBE = `
    import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
    import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
    import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
    const endpoint = process.env.PROBE_ENDPOINT;
    const outcome = (p) => p.then((r) => ({ ok: r }), (e) => ({ error: e.name, message: e.message }));
    (async () => {
      const s3 = new S3Client({ endpoint, forcePathStyle: true });
      const kms = new KMSClient({ endpoint });
      const firehose = new FirehoseClient({ endpoint, maxAttempts: 1 });
      const put = await outcome(s3.send(new PutObjectCommand({ Bucket: 'audit', Key: 'quarantine/a.json', Body: '{}' })));
      const decrypt = await outcome(kms.send(new DecryptCommand({ CiphertextBlob: new Uint8Array([1, 2]) })));
      const batch = await outcome(firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 's', Records: [{ Data: new Uint8Array([1]) }] })));
      console.log(JSON.stringify({ put, decrypt, batch: batch.ok ? batch.ok.FailedPutCount : batch }));
    })();`;

  it('sign with the credentials in the environment and parse answers and errors as the SDK does', async () => {
    const out = mkdtempSync(join(tmpdir(), 'aurora-audit-probe-'));
    const requests: { target: string; authorization: string; token: string }[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? `${req.method} ${req.url}`);
        requests.push({
          target,
          authorization: String(req.headers.authorization ?? ''),
          token: String(req.headers['x-amz-security-token'] ?? ''),
        });
        if (target.startsWith('PUT ')) {
          res.writeHead(200, { etag: '"abc"' }).end();
        } else if (target.startsWith('TrentService.')) {
          res
            .writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
            .end(JSON.stringify({ __type: 'InvalidCiphertextException', message: 'bad blob' }));
        } else {
          res
            .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
            .end(JSON.stringify({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'r1' }] }));
        }
      });
    });
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const outfile = join(out, 'index.js');
      const options = lambdaBuildOptions('tasks/decrypt-activity-stream/handler.ts', outfile, {
        sourcemap: false,
      });
      const { entryPoints: _entry, ...rest } = options;
      await build({
        ...rest,
        stdin: { contents: PROBE, resolveDir: ROOT, loader: 'js' },
        logLevel: 'silent',
      });
      const child = spawn(process.execPath, [outfile], {
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'ASIAPROBEKEY',
          AWS_SECRET_ACCESS_KEY: 'probe-secret',
          AWS_SESSION_TOKEN: 'probe-session-token',
          PROBE_ENDPOINT: `http://127.0.0.1:${port}`,
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect([
        code,
        stderr.replace(/^.*NodeVersionSupportWarning[\s\S]*?--trace-warnings[^\n]*\n/m, ''),
      ]).toEqual([0, '']);
      const result = JSON.parse(stdout.trim());
      expect(result.put.ok.ETag).toBe('"abc"');
      expect(result.decrypt).toEqual({ error: 'InvalidCiphertextException', message: 'bad blob' });
      expect(result.batch).toBe(0);
      expect(requests.map((r) => r.target)).toEqual([
        'PUT /audit/quarantine/a.json?x-id=PutObject',
        'TrentService.Decrypt',
        'Firehose_20150804.PutRecordBatch',
      ]);
      for (const r of requests) {
        expect(r.authorization).toMatch(
          /^AWS4-HMAC-SHA256 Credential=ASIAPROBEKEY\/\d{8}\/eu-west-1\/(s3|kms|firehose)\/aws4_request/,
        );
        expect(r.token).toBe('probe-session-token');
      }
    } finally {
      server.close();
      rmSync(out, { recursive: true, force: true });
    }
  });
});
