import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeDBClusterParametersCommand,
  DescribeDBClustersCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { auditEntry, failedLogin, prefix } from '../../cli/local/records/pgaudit-log';
import { parseAuditEvent } from '../../tasks/core/audit-event';
import { runCli, runCliWith } from '../helpers/cli';
import { cliTranscript, documentedTranscript } from '../helpers/transcript';

describe('aurora-audit pgaudit parse', () => {
  it('prints the events of a log file as JSON lines of the event model, with the cluster from the configuration', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'aa-pg-')), 'postgresql.log');
    writeFileSync(
      file,
      [
        `${prefix()}connection authorized: user=app_user`,
        auditEntry({ command: 'GRANT', statement: 'GRANT SELECT ON a, b TO c' }),
        auditEntry({
          class: 'ROLE',
          command: 'ALTER ROLE',
          statement: "ALTER ROLE c PASSWORD 'never-printed'",
        }),
        failedLogin('mallory'),
        auditEntry({}, { user: 'rdsadmin' }),
      ].join('\n'),
    );
    const run = await runCli('pgaudit', 'parse', file, '--cluster', 'orders-db', '--instance', 'orders-db-1');
    expect(run.code).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((l) => parseAuditEvent(JSON.parse(l)));
    expect(events.map((e) => [e.command, e.clusterId, e.instanceId])).toEqual([
      ['GRANT', 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'orders-db-1'],
      ['ALTER ROLE', 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'orders-db-1'],
      ['AUTH FAILURE', 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'orders-db-1'],
    ]);
    expect(run.stdout).not.toContain('never-printed');
  });

  it('reads standard input, leaves clusterId null without a cluster, and exits 1 on an unreadable entry', async () => {
    const input = [auditEntry(), `${prefix()}AUDIT: SESSION,1,1,ROLE,"broken`].join('\n');
    const run = await runCliWith({ stdin: input }, 'pgaudit', 'parse');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout.trim()).clusterId).toBeNull();
    expect(run.stderr).toMatch(/^unreadable entry: InvalidAuditEntryError: AUDIT CSV: /);
  });
});

describe('aurora-audit pgaudit setup-sql', () => {
  it('prints the set-up SQL for the audited users and classes', async () => {
    const run = await runCli(
      'pgaudit',
      'setup-sql',
      '--audited-user',
      'app_user',
      'etl',
      '--classes',
      'role,ddl',
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("ALTER ROLE app_user SET pgaudit.log = 'role,ddl';");
    expect(run.stdout).toContain("ALTER ROLE etl SET pgaudit.log = 'role,ddl';");
  });

  it('prints the setup-sql transcript docs/cli.md shows', async () => {
    const shown = await cliTranscript([
      'pgaudit',
      'setup-sql',
      '--audited-user',
      'app_user',
      '--classes',
      'role,ddl',
    ]);
    expect(shown).toContain("ALTER ROLE app_user SET pgaudit.log = 'role,ddl';");
    expect(shown).toBe(documentedTranscript('pgaudit-setup-sql'));
  });

  it('exits 2 naming a bad class', async () => {
    const run = await runCli('pgaudit', 'setup-sql', '--audited-user', 'app_user', '--classes', 'rol');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown pgAudit class "rol"');
  });
});

describe('aurora-audit pgaudit check', () => {
  const rds = mockClient(RDSClient);
  beforeEach(() => {
    rds.reset();
    process.env.AWS_REGION = 'eu-west-1';
  });
  afterAll(() => rds.restore());

  function cluster(overrides: Record<string, unknown> = {}) {
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: 'orders-db',
          DBClusterParameterGroup: 'orders-pg',
          EnabledCloudwatchLogsExports: ['postgresql'],
          DBClusterMembers: [
            {
              DBInstanceIdentifier: 'orders-db-1',
              DBClusterParameterGroupStatus: 'in-sync',
              IsClusterWriter: true,
            },
          ],
          ...overrides,
        },
      ],
    });
  }
  function parameters(values: Record<string, string>) {
    rds
      .on(DescribeDBClusterParametersCommand)
      .resolvesOnce({
        Parameters: [
          { ParameterName: 'shared_preload_libraries', ParameterValue: values.shared_preload_libraries },
        ],
        Marker: 'm2',
      })
      .resolves({
        Parameters: Object.entries(values)
          .filter(([k]) => k !== 'shared_preload_libraries')
          .map(([ParameterName, ParameterValue]) => ({ ParameterName, ParameterValue })),
      });
  }

  it('exits 0 when everything is in place, reading every page of parameters', async () => {
    cluster();
    parameters({
      shared_preload_libraries: 'pg_stat_statements,pgaudit',
      'pgaudit.role': 'rds_pgaudit',
      'pgaudit.log': 'role,ddl',
    });
    const run = await runCli('pgaudit', 'check', '--cluster', 'orders-db');
    expect(run.code).toBe(0);
    expect(run.stdout.match(/✓/g)).toHaveLength(5);
    expect(rds.commandCalls(DescribeDBClusterParametersCommand)[1]?.args[0].input).toMatchObject({
      DBClusterParameterGroupName: 'orders-pg',
      Marker: 'm2',
    });
  });

  it('names each missing piece and what to do, and exits 1', async () => {
    cluster({
      EnabledCloudwatchLogsExports: [],
      DBClusterMembers: [
        {
          DBInstanceIdentifier: 'orders-db-1',
          DBClusterParameterGroupStatus: 'pending-reboot',
          IsClusterWriter: true,
        },
      ],
    });
    parameters({ shared_preload_libraries: 'pg_stat_statements', 'pgaudit.log': 'none' });
    const run = await runCli('pgaudit', 'check', '--cluster', 'orders-db', '--json');
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result.ok).toBe(false);
    expect(result.checks.map((c: { ok: boolean }) => c.ok)).toEqual([false, false, false, false, false]);
    expect(result.checks[4].detail).toBe('pending-reboot on orders-db-1');
  });

  it('prints the transcript docs/cli.md shows (from these stubs) for a cluster waiting for its reboot', async () => {
    cluster({
      DBClusterMembers: [
        {
          DBInstanceIdentifier: 'orders-db-1',
          DBClusterParameterGroupStatus: 'in-sync',
          IsClusterWriter: true,
        },
        {
          DBInstanceIdentifier: 'orders-db-2',
          DBClusterParameterGroupStatus: 'pending-reboot',
          IsClusterWriter: false,
        },
      ],
    });
    parameters({
      shared_preload_libraries: 'pg_stat_statements,pgaudit',
      'pgaudit.role': 'rds_pgaudit',
      'pgaudit.log': 'none',
    });
    const shown = await cliTranscript(['pgaudit', 'check', '--cluster', 'orders-db']);
    expect(shown).toContain('pending-reboot on orders-db-2');
    expect(shown).toBe(documentedTranscript('pgaudit-check'));
  });

  it('says when the cluster does not exist', async () => {
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
    const run = await runCli('pgaudit', 'check', '--cluster', 'nope');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✗ cluster: nope not found');
  });
});
