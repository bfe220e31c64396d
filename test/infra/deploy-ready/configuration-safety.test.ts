/**
 * Issue 18 (18b), point 5: deploying needs an explicit configuration, the embedded example says so, a misspelt
 * `config` context key is reported; the PostgreSQL log group RDS creates gets its retention without being owned.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { newApp } from '../../../cli/local/cdk-app';
import { buildApp } from '../../../infra/build-app';
import { looksLikeConfigKey, selectConfig } from '../../../infra/config/context';
import { ConfigError, loadConfig, validateConfig } from '../../../infra/config/load';
import { EMBEDDED_EXAMPLE } from '../../../infra/constructs/example-guard';
import { configDocument } from '../../builders/config';

type Rule = { Assertions: { Assert: unknown; AssertDescription: string }[] };
type TemplateJson = {
  Parameters?: Record<string, { Default?: string }>;
  Rules?: Record<string, Rule>;
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }>;
};
const templateOf = (config = validateConfig(configDocument(), 'test')) =>
  Template.fromStack(buildApp(config, newApp({ bundling: false })).auditStack).toJSON() as TemplateJson;

/** CloudFormation's rule functions, for the template's own rules, with the parameters' values. */
function evaluate(expr: unknown, params: Record<string, string>): unknown {
  if (typeof expr !== 'object' || expr === null) return expr;
  const [[fn, arg]] = Object.entries(expr) as [[string, unknown]];
  switch (fn) {
    case 'Ref':
      return params[arg as string];
    case 'Fn::Not':
      return !evaluate((arg as unknown[])[0], params);
    case 'Fn::Equals':
      return evaluate((arg as unknown[])[0], params) === evaluate((arg as unknown[])[1], params);
    case 'Fn::Contains':
      return (arg as [string[], unknown])[0].includes(evaluate((arg as unknown[])[1], params) as string);
    default:
      throw new Error(`unsupported rule function ${fn}`);
  }
}
/** The descriptions of the rule assertions that fail: CloudFormation refuses the change set with them. */
function refusals(t: TemplateJson, overrides: Record<string, string> = {}): string[] {
  const params = Object.fromEntries(
    Object.entries(t.Parameters ?? {}).map(([k, p]) => [k, overrides[k] ?? p.Default ?? '']),
  );
  params.BootstrapVersion = '30';
  return Object.values(t.Rules ?? {}).flatMap((r) =>
    r.Assertions.filter((a) => evaluate(a.Assert, params) !== true).map((a) => a.AssertDescription),
  );
}

describe('choosing the configuration', () => {
  it('uses the file that -c config= names, without a notice', () => {
    expect(selectConfig({ config: 'prod.yaml', '@aws-cdk/core:checkSecretUsage': true })).toEqual({
      path: 'prod.yaml',
    });
  });

  it('says on stderr, without -c config=, that the embedded example is in use and will not deploy', () => {
    const { notice, path } = selectConfig({ '@aws-cdk/aws-iam:minimizePolicies': true });
    expect(path).toBeUndefined();
    expect(notice).toMatch(/EMBEDDED EXAMPLE/);
    expect(notice).toContain('-c config=path/to/your.yaml');
  });

  it.each([
    'confg',
    'conifg',
    'Config',
    'configuration',
    'config-file',
    'configFile',
    'conf',
    'cfg',
    'cnfig',
  ])('reports the context key %j as a misspelt config', (key) => {
    expect(looksLikeConfigKey(key)).toBe(true);
    expect(() => selectConfig({ [key]: 'prod.yaml' })).toThrow(ConfigError);
    expect(() => selectConfig({ [key]: 'prod.yaml' })).toThrow(
      `context key ${JSON.stringify(key)} is not one aurora-audit reads: did you mean -c config=prod.yaml?`,
    );
  });

  it('takes no feature flag or CDK key for a misspelt config', () => {
    for (const key of [
      '@aws-cdk/core:checkSecretUsage',
      'aws:cdk:bundling-stacks',
      'aws:cdk:enable-path-metadata',
      'cli-telemetry',
      'acknowledged-issue-numbers',
    ]) {
      expect({ key, flagged: looksLikeConfigKey(key) }).toEqual({ key, flagged: false });
    }
  });

  it('refuses an empty config', () => {
    expect(() => selectConfig({ config: '' })).toThrow('context key "config" must name a configuration file');
  });

  it('runs the CDK app: a misspelt key fails synth, the example prints the notice', () => {
    const app = join(__dirname, '..', '..', '..', 'infra', 'app.ts');
    const run = (context: Record<string, string>) => {
      try {
        execFileSync('npx', ['tsx', app], {
          env: {
            ...process.env,
            CDK_CONTEXT_JSON: JSON.stringify(context),
            CDK_OUTDIR: join(__dirname, '..', '..', '..', 'test-artifacts', 'i18b-cdk-out'),
          },
          stdio: 'pipe',
          timeout: 120_000,
        });
        return { code: 0, stderr: '' };
      } catch (err) {
        const e = err as { status: number; stderr: Buffer };
        return { code: e.status, stderr: e.stderr.toString() };
      }
    };
    const typo = run({ confg: 'prod.yaml' });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('context key "confg" is not one aurora-audit reads');
  }, 120_000);
});

describe('deploying the embedded example', () => {
  it('is refused by CloudFormation with a message saying what to do', () => {
    const t = Template.fromStack(
      buildApp(loadConfig(), newApp({ bundling: false })).auditStack,
    ).toJSON() as TemplateJson;
    expect(refusals(t)).toEqual([expect.stringContaining('-c config=path/to/your.yaml')]);
    expect(Object.values(t.Parameters ?? {}).some((p) => p.Default === EMBEDDED_EXAMPLE)).toBe(true);
  });

  it('is not in the way of a real configuration', () => {
    expect(refusals(templateOf())).toEqual([]);
  });
});

describe("the cluster's PostgreSQL log group", () => {
  const name = '/aws/rds/cluster/orders-db/postgresql';
  const withMode = (postgresLogGroup?: 'set-retention' | 'create' | 'existing') => {
    const cluster = configDocument().clusters[0]!;
    return templateOf(
      validateConfig(
        configDocument({ clusters: [{ ...cluster, ...(postgresLogGroup ? { postgresLogGroup } : {}) }] }),
        'test',
      ),
    );
  };
  const ofType = (t: TemplateJson, type: string) =>
    Object.entries(t.Resources).filter(([, r]) => r.Type === type);
  const pgFilter = (t: TemplateJson) =>
    ofType(t, 'AWS::Logs::SubscriptionFilter').find(
      ([, r]) => r.Properties!.FilterName === 'aurora-audit-pgaudit',
    )!;

  it('by default gets the logs retention set on the group RDS creates, without the stack owning it', () => {
    const t = withMode();
    expect(ofType(t, 'AWS::Logs::LogGroup').filter(([, r]) => r.Properties!.LogGroupName === name)).toEqual(
      [],
    );
    const retention = ofType(t, 'Custom::PostgresLogRetention');
    expect(
      retention.map(([, r]) => ({ names: r.Properties!.LogGroupNames, days: r.Properties!.RetentionInDays })),
    ).toEqual([{ names: [name], days: '365' }]);
    // The subscription waits for the retention (whose provider creates the group if RDS has not yet).
    const [, filter] = pgFilter(t);
    expect(filter.Properties!.LogGroupName).toBe(name);
    expect(filter.DependsOn).toEqual(expect.arrayContaining([retention[0]![0]]));
    // Its provider Lambda is the one function it adds; CDK's per-group LogRetention is gone.
    expect(
      ofType(t, 'AWS::Lambda::Function').filter(([k]) => k.startsWith('AlertProcessingPostgresLogRetention')),
    ).toHaveLength(1);
    expect(ofType(t, 'Custom::LogRetention')).toEqual([]);
  });

  it('is created by the stack only when asked (create), and left alone with existing', () => {
    const created = withMode('create');
    expect(
      ofType(created, 'AWS::Logs::LogGroup').filter(([, r]) => r.Properties!.LogGroupName === name),
    ).toHaveLength(1);
    expect(ofType(created, 'Custom::PostgresLogRetention')).toEqual([]);
    const existing = withMode('existing');
    expect(
      ofType(existing, 'AWS::Logs::LogGroup').filter(([, r]) => r.Properties!.LogGroupName === name),
    ).toEqual([]);
    expect(ofType(existing, 'Custom::PostgresLogRetention')).toEqual([]);
    for (const t of [created, existing]) expect(pgFilter(t)).toBeDefined();
  });
});
