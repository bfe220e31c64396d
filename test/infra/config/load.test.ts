import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, findCluster, loadConfig, validateConfig } from '../../../infra/config/load';
import { configDocument } from '../../builders/config';

const CANARY_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:aurora-audit/canary-AbCdEf';

function problemsOf(raw: unknown): readonly string[] {
  try {
    validateConfig(raw, 'test');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('the configuration loader', () => {
  it('loads the embedded example with one cluster named orders-db', () => {
    const config = loadConfig();
    expect(config.clusters.map((c) => c.identifier)).toEqual(['orders-db']);
    expect(config.origin).toMatch(/^embedded example .*example\.yaml$/);
  });

  it('applies the documented defaults to a minimal document', () => {
    const config = validateConfig(configDocument(), 'test');
    expect(config.name).toBe('aurora-audit');
    expect(config.serviceUsers).toEqual(['rdsadmin', 'rdsproxyadmin']);
    expect(config.alerts.subjectPrefix).toBe('aurora-audit');
    expect(config.retention).toEqual({
      auditEventsDays: 2557,
      quarantineDays: 400,
      reportsDays: 2557,
      athenaResultsDays: 30,
      logsDays: 365,
      infrequentAccessAfterDays: 90,
      glacierAfterDays: 365,
    });
    expect(config.reports.schedules).toEqual([
      { period: 'daily', expression: 'cron(0 7 * * ? *)', timeZone: 'UTC' },
    ]);
    expect(config.maintenanceWindow).toEqual({ policy: 'cluster-window', allowImmediate: true });
    expect(config.clusters[0]?.instances).toEqual([]);
    expect(config.clusters[0]?.canary).toBeUndefined();
  });

  it('applies the canary defaults: daily at 06:00 UTC, a 30-minute deadline', () => {
    const [cluster] = configDocument().clusters;
    const config = validateConfig(
      {
        ...configDocument(),
        clusters: [{ ...cluster, canary: { secretArn: CANARY_SECRET, database: 'orders' } }],
      },
      'test',
    );
    expect(config.clusters[0]?.canary).toEqual({
      secretArn: CANARY_SECRET,
      user: 'aurora_audit_canary',
      database: 'orders',
      schedule: { expression: 'cron(0 6 * * ? *)', timeZone: 'UTC' },
      deadlineMinutes: 30,
    });
  });

  it('reads JSON files as well as YAML', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aa-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(configDocument({ name: 'audit-json' })));
    expect(loadConfig(file).name).toBe('audit-json');
  });

  it('resolves the rules file against the configuration file and rejects a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aa-config-'));
    writeFileSync(join(dir, 'rules.yaml'), 'rules: []\n');
    const good = join(dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify(configDocument({ alerts: { recipients: ['a@example.com'], rulesFile: 'rules.yaml' } })),
    );
    expect(loadConfig(good).rulesFilePath).toBe(join(dir, 'rules.yaml'));
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify(configDocument({ alerts: { recipients: ['a@example.com'], rulesFile: 'nope.yaml' } })),
    );
    expect(() => loadConfig(bad)).toThrow(
      `alerts.rulesFile: file not found (got "nope.yaml", looked at ${join(dir, 'nope.yaml')})`,
    );
  });

  it('names the file when it does not exist or is not YAML', () => {
    expect(() => loadConfig('/nonexistent/config.yaml')).toThrow('file not found: /nonexistent/config.yaml');
    const dir = mkdtempSync(join(tmpdir(), 'aa-config-'));
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'clusters: [unclosed\n');
    expect(() => loadConfig(file)).toThrow(/not valid YAML/);
  });

  it('finds a cluster by name or by resource id', () => {
    const config = loadConfig();
    expect(findCluster(config, 'orders-db')?.resourceId).toBe('cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    expect(findCluster(config, 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ')?.identifier).toBe('orders-db');
    expect(findCluster(config, 'other')).toBeUndefined();
  });

  describe('rejects bad configuration with a message naming the field and the bad value', () => {
    const cluster = configDocument().clusters[0]!;
    it.each<[string, Record<string, unknown>, string]>([
      [
        'a cluster resource id that is a name',
        { clusters: [{ ...cluster, resourceId: 'orders-db' }] },
        'clusters[0].resourceId: must be a DbClusterResourceId like "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ" (got "orders-db")',
      ],
      [
        'a cluster identifier with an underscore',
        { clusters: [{ ...cluster, identifier: 'orders_db' }] },
        'clusters[0].identifier: must be a DB cluster identifier: 1-63 letters, digits or hyphens, starting with a letter (got "orders_db")',
      ],
      [
        'a KMS key id instead of an ARN',
        { clusters: [{ ...cluster, activityStreamKmsKeyArn: '1234abcd-12ab-34cd-56ef-1234567890ab' }] },
        'clusters[0].activityStreamKmsKeyArn: must be a KMS key or alias ARN (got "1234abcd-12ab-34cd-56ef-1234567890ab")',
      ],
      ['no clusters', { clusters: [] }, 'clusters: must list at least one cluster (got [])'],
      [
        'the same cluster twice',
        { clusters: [cluster, { ...cluster, identifier: 'other-db' }] },
        'clusters[1].resourceId: duplicates clusters[0] (got "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ")',
      ],
      [
        'an alert recipient that is not an email',
        { alerts: { recipients: ['dba-team'] } },
        'alerts.recipients[0]: must be an email address (got "dba-team")',
      ],
      [
        'a subject prefix too long for SNS',
        { alerts: { recipients: ['a@example.com'], subjectPrefix: 'x'.repeat(30) } },
        `alerts.subjectPrefix: must be at most 24 characters (SNS subjects are 100) (got "${'x'.repeat(30)}")`,
      ],
      [
        'a time zone that does not exist',
        {
          reports: {
            recipients: ['a@example.com'],
            sender: 'example.com',
            schedules: [{ period: 'daily', expression: 'cron(0 7 * * ? *)', timeZone: 'Europe/Atlantis' }],
          },
        },
        'reports.schedules[0].timeZone: must be an IANA time zone such as "Europe/Berlin" or "UTC" (got "Europe/Atlantis")',
      ],
      [
        'a five-field cron expression',
        {
          reports: {
            recipients: ['a@example.com'],
            sender: 'example.com',
            schedules: [{ period: 'weekly', expression: 'cron(0 7 * * 1)', timeZone: 'UTC' }],
          },
        },
        'reports.schedules[0].expression: must be "cron(<6 fields>)" or "rate(<n> <unit>)" (got "cron(0 7 * * 1)")',
      ],
      [
        'an unknown report period',
        {
          reports: {
            recipients: ['a@example.com'],
            sender: 'example.com',
            schedules: [{ period: 'hourly', expression: 'rate(1 hour)', timeZone: 'UTC' }],
          },
        },
        'reports.schedules[0].period: Invalid option: expected one of "daily"|"weekly"|"monthly" (got "hourly")',
      ],
      [
        'a log retention CloudWatch does not offer',
        { retention: { logsDays: 42 } },
        "retention.logsDays: must be one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (got 42)",
      ],
      [
        'events that expire before they reach Glacier',
        { retention: { auditEventsDays: 100 } },
        'retention.auditEventsDays: must be greater than retention.glacierAfterDays (events expire after they reach Glacier) (got 100)',
      ],
      [
        'a fixed window policy without a window',
        { maintenanceWindow: { policy: 'fixed' } },
        'maintenanceWindow.fixedWindow: is required when policy is "fixed"',
      ],
      [
        'a malformed fixed window',
        { maintenanceWindow: { policy: 'fixed', fixedWindow: 'sunday 3am' } },
        'maintenanceWindow.fixedWindow: must be "ddd:hh:mm-ddd:hh:mm" in UTC, e.g. "sun:03:00-sun:04:00" (got "sunday 3am")',
      ],
      [
        'a redaction pattern that is not a regular expression',
        { redaction: { extraPatterns: ['secret=('] } },
        'redaction.extraPatterns[0]: must be a valid regular expression (got "secret=(")',
      ],
      [
        'a canary secret given by name instead of ARN',
        { clusters: [{ ...cluster, canary: { secretArn: 'canary-user', database: 'orders' } }] },
        'clusters[0].canary.secretArn: must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>) (got "canary-user")',
      ],
      [
        'a canary database that is not a PostgreSQL name',
        { clusters: [{ ...cluster, canary: { secretArn: CANARY_SECRET, database: 'orders db' } }] },
        'clusters[0].canary.database: must be a PostgreSQL database name (letters, digits, _ or $, at most 63) (got "orders db")',
      ],
      [
        'a canary schedule in a time zone that does not exist',
        {
          clusters: [
            {
              ...cluster,
              canary: {
                secretArn: CANARY_SECRET,
                database: 'orders',
                schedule: { expression: 'rate(1 hour)', timeZone: 'Mars/Olympus' },
              },
            },
          ],
        },
        'clusters[0].canary.schedule.timeZone: must be an IANA time zone such as "Europe/Berlin" or "UTC" (got "Mars/Olympus")',
      ],
      [
        'a canary deadline of one minute',
        {
          clusters: [
            { ...cluster, canary: { secretArn: CANARY_SECRET, database: 'orders', deadlineMinutes: 1 } },
          ],
        },
        'clusters[0].canary.deadlineMinutes: must be at least 5 (got 1)',
      ],
      [
        'a canary secret in another region than the deployment',
        {
          deployment: { region: 'eu-west-1' },
          clusters: [
            {
              ...cluster,
              canary: { secretArn: CANARY_SECRET.replace('eu-west-1', 'us-east-1'), database: 'orders' },
            },
          ],
        },
        `clusters[0].canary.secretArn: must be a secret in the deployment region eu-west-1 (the Data API reads it there), not us-east-1 (got "${CANARY_SECRET.replace('eu-west-1', 'us-east-1')}")`,
      ],
      ['a misspelt top-level field', { cluster: [] }, '(root): unknown field "cluster"'],
      ['a missing section', { alerts: undefined }, 'alerts: is required'],
      ['a number where a string belongs', { name: 42 }, 'name: must be string (got 42)'],
    ])('%s', (_label, override, message) => {
      expect(problemsOf({ ...configDocument(), ...override })).toEqual([message]);
    });
  });

  it('reports every problem at once, not only the first', () => {
    const problems = problemsOf({ ...configDocument(), name: 'Bad Name', retention: { logsDays: 2 } });
    expect(problems).toHaveLength(2);
  });

  it('formats the error with its origin and one problem per line', () => {
    const err = new ConfigError('config.yaml', ['a: x', 'b: y']);
    expect(err.message).toBe('Invalid aurora-audit configuration (config.yaml):\n  - a: x\n  - b: y');
    expect(err.name).toBe('ConfigError');
  });
});
