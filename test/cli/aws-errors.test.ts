import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalKms } from '../../cli/local/kms';
import { activityEvent, activityRecord, CLUSTER_ID } from '../../cli/local/records/activity-stream';
import { bareAwsEnv, runBin } from '../helpers/cli-process';

// The real AWS SDK inside the built CLI, in an environment without AWS set-up, or against a loopback endpoint
// that answers as CloudFormation does: each error is said once, as what to do, with no stack trace.

const FAKE_KEYS = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' };

function expectOneLine(stderr: string, text: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines.filter((l) => l.includes(text))).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(stderr).not.toContain('NodeVersionSupportWarning');
}

/** A loopback CloudFormation: DescribeStacks of any stack answers the query-protocol ValidationError AWS sends. */
async function cloudFormationWithoutStacks(): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      requests.push(body);
      const stack = new URLSearchParams(body).get('StackName');
      res.writeHead(400, { 'content-type': 'text/xml' });
      res.end(
        `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${stack} does not exist</Message></Error><RequestId>4af1a1a2-0000-4000-8000-000000000000</RequestId></ErrorResponse>`,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe('AWS errors from the CLI', () => {
  it('says to log in when there are no credentials, once, exit 2', async () => {
    const run = await runBin(['status', '--cluster', 'orders-db'], bareAwsEnv({ AWS_REGION: 'eu-west-1' }));
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, 'no credentials: run `aws sso login --profile <name>` or set AWS_PROFILE');
  });

  it('names the profile to log in with when --profile names one without credentials', async () => {
    const env = bareAwsEnv({ AWS_REGION: 'eu-west-1' });
    writeFileSync(join(env.HOME ?? '', '.aws', 'config'), '[profile audit]\nregion = eu-west-1\n');
    const run = await runBin(['--profile', 'audit', 'status', '--cluster', 'orders-db'], env);
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, 'no credentials: run `aws sso login --profile audit` or set AWS_PROFILE');
  });

  it('says an unknown profile is not in ~/.aws/config before any call, exit 2', async () => {
    const run = await runBin(
      ['status', '--cluster', 'orders-db'],
      bareAwsEnv({ AWS_PROFILE: 'nosuch', AWS_REGION: 'eu-west-1' }),
    );
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, 'profile nosuch is not in ~/.aws/config');
  });

  it('says the stack is not in the region used and to try --region, naming the region once', async () => {
    const cfn = await cloudFormationWithoutStacks();
    try {
      const run = await runBin(
        ['--region', 'us-east-1', 'status', '--cluster', 'orders-db'],
        bareAwsEnv({ ...FAKE_KEYS, AWS_ENDPOINT_URL_CLOUDFORMATION: cfn.url }),
      );
      expect(run.code).toBe(2);
      expect(cfn.requests[0]).toContain('StackName=aurora-audit');
      expectOneLine(run.stderr, 'stack aurora-audit is not in us-east-1: deployed elsewhere? use --region');
      expectOneLine(run.stderr, "region us-east-1 (from --region), not the configuration's eu-west-1");
    } finally {
      cfn.server.close();
    }
  });

  it("uses the configuration's deployment.region over the profile's, and AWS_REGION over both", async () => {
    const cfn = await cloudFormationWithoutStacks();
    try {
      const env = bareAwsEnv({ ...FAKE_KEYS, AWS_ENDPOINT_URL_CLOUDFORMATION: cfn.url });
      writeFileSync(join(env.HOME ?? '', '.aws', 'config'), '[default]\nregion = ap-south-1\n');
      const fromConfig = await runBin(['status', '--cluster', 'orders-db'], env);
      expect(fromConfig.stderr).toContain('stack aurora-audit is not in eu-west-1');
      expect(fromConfig.stderr).not.toContain('region eu-west-1 (from');
      const fromEnv = await runBin(['status', '--cluster', 'orders-db'], {
        ...env,
        AWS_REGION: 'eu-central-1',
      });
      expect(fromEnv.stderr).toContain('stack aurora-audit is not in eu-central-1');
      expectOneLine(
        fromEnv.stderr,
        "region eu-central-1 (from AWS_REGION), not the configuration's eu-west-1",
      );
    } finally {
      cfn.server.close();
    }
  });

  it('says what to do when no region is given anywhere (flag, AWS_REGION, configuration, profile)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aa-config-'));
    const config = join(dir, 'no-region.yaml');
    const example = readFileSync(join(__dirname, '..', '..', 'infra', 'config', 'example.yaml'), 'utf8');
    writeFileSync(config, example.replace(/^deployment:\n(\s+.*\n)+/m, ''));
    const run = await runBin(['status', '--cluster', 'orders-db', '-c', config], bareAwsEnv(FAKE_KEYS));
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, 'no AWS region: give --region, set AWS_REGION');
  });

  it('says an endpoint cannot be reached (ENOTFOUND), once, exit 1', async () => {
    const run = await runBin(
      ['status', '--cluster', 'orders-db'],
      bareAwsEnv({
        ...FAKE_KEYS,
        AWS_MAX_ATTEMPTS: '1',
        AWS_ENDPOINT_URL_CLOUDFORMATION: 'https://cloudformation.nosuch.invalid',
      }),
    );
    expect(run.code).toBe(1);
    expectOneLine(run.stderr, 'cannot reach cloudformation.nosuch.invalid');
  });

  it('decode stops at the first credentials error instead of repeating it for every line', async () => {
    const kms = new LocalKms();
    const lines: string[] = [];
    for (let i = 0; i < 3; i++) lines.push((await activityRecord(kms, [activityEvent({})])).json);
    const file = join(mkdtempSync(join(tmpdir(), 'aa-decode-')), 'records.txt');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const run = await runBin(
      ['decode', '--cluster-resource-id', CLUSTER_ID, file],
      bareAwsEnv({ AWS_REGION: 'eu-west-1' }),
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expectOneLine(run.stderr, 'no credentials:');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
