import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  KMSServiceException,
  NotFoundException as KmsNotFound,
  ListResourceTagsCommand,
} from '@aws-sdk/client-kms';
import {
  type DBCluster,
  DBClusterNotFoundFault,
  DescribeDBClusterParametersCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  AccessDeniedException,
  BadRequestException,
  DatabaseErrorException,
  ExecuteStatementCommand,
  HttpEndpointNotEnabledException,
  RDSDataClient,
} from '@aws-sdk/client-rds-data';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  GetAccountCommand,
  GetEmailIdentityCommand,
  SESv2Client,
  NotFoundException as SesNotFound,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { parse, stringify } from 'yaml';
import { dataApiSupports } from '../../cli/doctor-rules';
import { EXAMPLE_CONFIG_PATH } from '../../infra/config/load';
import { runCli } from '../helpers/cli';
import { cliTranscript, documentedTranscript } from '../helpers/transcript';

// The embedded example configuration: stack aurora-audit in eu-west-1, cluster orders-db, its key, sender
// aurora-audit@example.com, coverage classes ROLE and DDL, logs retention 365 days.
const ACCOUNT = '123456789012';
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const CLUSTER_ARN = `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:orders-db`;
const LOG_GROUP = '/aws/rds/cluster/orders-db/postgresql';

const cfn = mockClient(CloudFormationClient);
const trail = mockClient(CloudTrailClient);
const logs = mockClient(CloudWatchLogsClient);
const kms = mockClient(KMSClient);
const rds = mockClient(RDSClient);
const ses = mockClient(SESv2Client);
const rdsData = mockClient(RDSDataClient);
const secrets = mockClient(SecretsManagerClient);

const defaultKeyPolicy = (account = ACCOUNT) =>
  JSON.stringify({
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  });

function cluster(overrides: Partial<DBCluster> = {}) {
  rds.on(DescribeDBClustersCommand).resolves({
    DBClusters: [
      {
        DBClusterIdentifier: 'orders-db',
        DBClusterArn: CLUSTER_ARN,
        DbClusterResourceId: 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
        Status: 'available',
        Engine: 'aurora-postgresql',
        EngineVersion: '15.4',
        EngineMode: 'provisioned',
        ActivityStreamStatus: 'started',
        DBClusterParameterGroup: 'orders-pg',
        EnabledCloudwatchLogsExports: ['postgresql'],
        DBClusterMembers: [
          {
            DBInstanceIdentifier: 'orders-db-1',
            IsClusterWriter: true,
            DBClusterParameterGroupStatus: 'in-sync',
          },
        ],
        TagList: [{ Key: 'aurora-audit', Value: 'aurora-audit' }],
        ...overrides,
      },
    ],
  });
}

function parameters(values: Record<string, string>) {
  rds.on(DescribeDBClusterParametersCommand).resolves({
    Parameters: Object.entries(values).map(([ParameterName, ParameterValue]) => ({
      ParameterName,
      ParameterValue,
    })),
  });
}

/** Everything in place: every check passes. */
function healthy() {
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'aurora-audit',
        StackId: `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/aurora-audit/0b6f5a10-1111-4222-8333-944455556666`,
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date('2026-11-01T00:00:00Z'),
      },
    ],
  });
  ses.on(GetEmailIdentityCommand).resolves({
    IdentityType: 'EMAIL_ADDRESS',
    VerifiedForSendingStatus: true,
    VerificationStatus: 'SUCCESS',
  });
  ses.on(GetAccountCommand).resolves({
    ProductionAccessEnabled: true,
    SendingEnabled: true,
    SendQuota: { Max24HourSend: 50000, MaxSendRate: 14, SentLast24Hours: 3 },
  });
  trail.on(DescribeTrailsCommand).resolves({
    trailList: [
      {
        Name: 'management-events',
        TrailARN: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/management-events`,
        HomeRegion: 'us-east-1',
        IsMultiRegionTrail: true,
      },
    ],
  });
  trail.on(GetTrailStatusCommand).resolves({ IsLogging: true });
  trail.on(GetEventSelectorsCommand).resolves({
    EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }],
  });
  cluster();
  parameters({ shared_preload_libraries: 'pg_stat_statements,pgaudit', 'pgaudit.log': 'role,ddl' });
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [{ DBInstanceIdentifier: 'orders-db-1', DBInstanceClass: 'db.r6g.large' }],
  });
  kms.on(DescribeKeyCommand).resolves({
    KeyMetadata: {
      KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
      Arn: KEY_ARN,
      KeyState: 'Enabled',
      Enabled: true,
      KeyManager: 'CUSTOMER',
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
    },
  });
  kms.on(GetKeyPolicyCommand).resolves({ Policy: defaultKeyPolicy(), PolicyName: 'default' });
  kms.on(ListResourceTagsCommand).resolves({ Tags: [{ TagKey: 'aurora-audit', TagValue: 'aurora-audit' }] });
  logs.on(DescribeLogGroupsCommand).resolves({
    logGroups: [{ logGroupName: LOG_GROUP, retentionInDays: 365 }],
  });
}

const marks = (stdout: string) => ({
  pass: stdout.split('\n').filter((l) => l.startsWith('  ✓ ')),
  warn: stdout.split('\n').filter((l) => l.startsWith('  ⚠ ')),
  fail: stdout.split('\n').filter((l) => l.startsWith('  ✗ ')),
});

beforeEach(() => {
  process.env.AWS_REGION = 'eu-west-1';
  for (const m of [cfn, trail, logs, kms, rds, ses, rdsData, secrets]) m.reset();
  healthy();
});
afterAll(() => {
  for (const m of [cfn, trail, logs, kms, rds, ses, rdsData, secrets]) m.restore();
});

describe('aurora-audit doctor', () => {
  it('prints one ✓ line per check and exits 0 when everything is ready', async () => {
    const run = await runCli('doctor');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { pass, warn, fail } = marks(run.stdout);
    // 4 account checks, 11 per cluster (the example has one).
    expect([pass.length, warn.length, fail.length]).toEqual([15, 0, 0]);
    expect(run.stdout).toContain('stack: stack aurora-audit deployed in eu-west-1 (UPDATE_COMPLETE)');
    expect(run.stdout).toContain('\ncluster orders-db\n');
    expect(run.stdout).toMatch(/15 passed, 0 warnings .*, 0 failed\n$/);
    // The calls as the SDK typings spell them.
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({
      Filters: [{ Name: 'db-cluster-id', Values: ['orders-db'] }],
      Marker: undefined,
    });
    expect(kms.commandCalls(GetKeyPolicyCommand)[0]?.args[0].input).toEqual({
      KeyId: KEY_ARN,
      PolicyName: 'default',
    });
    expect(logs.commandCalls(DescribeLogGroupsCommand)[0]?.args[0].input).toEqual({
      logGroupNamePrefix: LOG_GROUP,
    });
    expect(trail.commandCalls(DescribeTrailsCommand)[0]?.args[0].input).toEqual({
      includeShadowTrails: true,
    });
  });

  const denied = (name: string) =>
    new KMSServiceException({
      name,
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/dba/alice is not authorized to perform: kms:GetKeyPolicy`,
    });

  // Each case breaks one thing; exactly that check fails, naming what to do.
  const cases: [string, () => void, RegExp, RegExp][] = [
    [
      'the stack is not deployed',
      () =>
        cfn.on(DescribeStacksCommand).rejects(
          new CloudFormationServiceException({
            name: 'ValidationError',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
            message: 'Stack with id aurora-audit does not exist',
          }),
        ),
      /^ {2}✗ stack: stack aurora-audit is not deployed in eu-west-1/,
      /→ npx cdk deploy --all -c config=.*deployed in another region\? run the doctor with --region/,
    ],
    [
      'the sender is not verified',
      () =>
        ses
          .on(GetEmailIdentityCommand)
          .resolves({ VerifiedForSendingStatus: false, VerificationStatus: 'PENDING' }),
      /✗ SES sender identity: SES identity aurora-audit@example.com is not verified for sending \(PENDING\)/,
      /→ click the link SES emailed to aurora-audit@example.com/,
    ],
    [
      'the sender is no SES identity, nor its domain',
      () => ses.on(GetEmailIdentityCommand).rejects(new SesNotFound({ message: 'not found', $metadata: {} })),
      /✗ SES sender identity: reports.sender aurora-audit@example.com is not an SES identity in eu-west-1/,
      /→ aws sesv2 create-email-identity --email-identity aurora-audit@example.com --region eu-west-1/,
    ],
    [
      'the account is in the SES sandbox',
      () => ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: false, SendingEnabled: true }),
      /✗ SES production access: the account is in the SES sandbox in eu-west-1: reports reach verified addresses only \(compliance@example.com/,
      /→ request production access: SES console/,
    ],
    [
      'no CloudTrail trail covers the region',
      () =>
        trail.on(DescribeTrailsCommand).resolves({
          trailList: [{ Name: 'other', HomeRegion: 'us-east-1', IsMultiRegionTrail: false }],
        }),
      /✗ CloudTrail trail for the watch rules: no CloudTrail trail covers eu-west-1/,
      /→ create one .*aws cloudtrail create-trail --name aurora-audit-trail .*--is-multi-region-trail/,
    ],
    [
      'the trail is not logging',
      () => trail.on(GetTrailStatusCommand).resolves({ IsLogging: false }),
      /✗ CloudTrail trail for the watch rules: .*management-events: not logging/,
      /→ aws cloudtrail start-logging --name management-events/,
    ],
    [
      'the trail records read events only (advanced selectors)',
      () =>
        trail.on(GetEventSelectorsCommand).resolves({
          AdvancedEventSelectors: [
            {
              FieldSelectors: [
                { Field: 'eventCategory', Equals: ['Management'] },
                { Field: 'readOnly', Equals: ['true'] },
              ],
            },
          ],
        }),
      /✗ CloudTrail trail for the watch rules: .*management-events: records no management write events/,
      /→ record management events .*put-event-selectors --trail-name management-events/,
    ],
    [
      'the engine is Aurora MySQL',
      () =>
        cluster({
          Engine: 'aurora-mysql',
          EngineVersion: '8.0.mysql_aurora.3.05.2',
          ActivityStreamStatus: 'stopped',
        }),
      /✗ engine and version support activity streams: aurora-mysql .*aurora-audit audits Aurora PostgreSQL only/,
      /→ list only aurora-postgresql clusters/,
    ],
    [
      'an instance is burstable',
      () =>
        rds.on(DescribeDBInstancesCommand).resolves({
          DBInstances: [
            { DBInstanceIdentifier: 'orders-db-1', DBInstanceClass: 'db.r6g.large' },
            { DBInstanceIdentifier: 'orders-db-2', DBInstanceClass: 'db.t4g.medium' },
          ],
        }),
      /✗ instance classes: orders-db-2 is db.t4g.medium: burstable classes \(db.t\*\) cannot run activity streams/,
      /→ .*aws rds modify-db-instance --db-instance-identifier orders-db-2 --db-instance-class db.r6g.large/,
    ],
    [
      'the key is disabled',
      () =>
        kms.on(DescribeKeyCommand).resolves({
          KeyMetadata: {
            KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
            Arn: KEY_ARN,
            KeyState: 'Disabled',
            KeyManager: 'CUSTOMER',
            KeySpec: 'SYMMETRIC_DEFAULT',
            KeyUsage: 'ENCRYPT_DECRYPT',
          },
        }),
      /✗ KMS key: .*its state is Disabled/,
      /→ aws kms enable-key --key-id arn:aws:kms:eu-west-1:123456789012:key\//,
    ],
    [
      'the key does not exist',
      () => kms.on(DescribeKeyCommand).rejects(new KmsNotFound({ message: 'Key not found', $metadata: {} })),
      /✗ KMS key: arn:aws:kms:.* does not exist/,
      /→ create a customer managed symmetric key in eu-west-1/,
    ],
    [
      "the key policy does not let the account's IAM policies use the key",
      () =>
        kms.on(GetKeyPolicyCommand).resolves({
          Policy: defaultKeyPolicy('999999999999'),
        }),
      /✗ KMS key policy lets RDS and the decrypt Lambda use it: no statement allows kms:CreateGrant to account 123456789012/,
      /→ add to the key policy .*"Principal":\{"AWS":"arn:aws:iam::123456789012:root"\}.*put-key-policy/,
    ],
    [
      'the key is not tagged',
      () => kms.on(ListResourceTagsCommand).resolves({ Tags: [] }),
      /✗ KMS key tag: no aurora-audit tag: the decrypt Lambda may decrypt only with keys tagged aurora-audit=aurora-audit/,
      /→ aws kms tag-resource --key-id .* --tags TagKey=aurora-audit,TagValue=aurora-audit/,
    ],
    [
      'the PostgreSQL log is not exported',
      () => cluster({ EnabledCloudwatchLogsExports: [] }),
      /✗ PostgreSQL log exported to CloudWatch Logs: exports no log/,
      /→ aws rds modify-db-cluster --db-cluster-identifier orders-db --cloudwatch-logs-export-configuration '\{"EnableLogTypes":\["postgresql"\]\}'/,
    ],
    [
      'the parameter group does not load pgAudit',
      () => parameters({ shared_preload_libraries: 'pg_stat_statements', 'pgaudit.log': 'role,ddl' }),
      /✗ pgAudit loaded by the cluster parameter group: parameter group orders-pg: shared_preload_libraries = pg_stat_statements/,
      /→ add pgaudit to shared_preload_libraries in orders-pg .*then reboot/,
    ],
    [
      'an instance awaits the reboot that loads pgAudit',
      () =>
        cluster({
          DBClusterMembers: [
            {
              DBInstanceIdentifier: 'orders-db-1',
              IsClusterWriter: true,
              DBClusterParameterGroupStatus: 'pending-reboot',
            },
          ],
        }),
      /✗ pgAudit loaded by the cluster parameter group: .*orders-db-1 await a reboot/,
      /→ reboot those instances/,
    ],
    [
      "the log group's retention differs from the configured one on a deployed stack",
      () =>
        logs
          .on(DescribeLogGroupsCommand)
          .resolves({ logGroups: [{ logGroupName: LOG_GROUP, retentionInDays: 30 }] }),
      /✗ PostgreSQL log group retention: \/aws\/rds\/cluster\/orders-db\/postgresql: retention 30 days, not retention.logsDays 365/,
      /→ deploy the stack again .*aws logs put-retention-policy --log-group-name \/aws\/rds\/cluster\/orders-db\/postgresql --retention-in-days 365/,
    ],
    [
      'the cluster is not tagged',
      () => cluster({ TagList: [] }),
      /✗ cluster tag: no aurora-audit tag: the workflows may start or stop activity streams only on clusters tagged/,
      /→ aws rds add-tags-to-resource --resource-name arn:aws:rds:eu-west-1:123456789012:cluster:orders-db --tags Key=aurora-audit,Value=aurora-audit/,
    ],
    [
      'the cluster is not in the region',
      () =>
        rds
          .on(DescribeDBClustersCommand)
          .rejects(new DBClusterNotFoundFault({ message: 'DBCluster orders-db not found.', $metadata: {} })),
      /✗ cluster: orders-db is not in eu-west-1/,
      /→ check clusters\[\]\.identifier and the region/,
    ],
  ];

  it.each(cases)(
    'fails only the check concerned when %s, naming the fix, and exits 1',
    async (_what, breakIt, line, fix) => {
      breakIt();
      const run = await runCli('doctor');
      expect(run.code).toBe(1);
      const { fail } = marks(run.stdout);
      expect(fail).toHaveLength(1);
      expect(fail[0]).toMatch(line);
      expect(fail[0]).toMatch(fix);
      expect(run.stdout).toMatch(/ 1 failed\n$/);
    },
  );

  it('passes the sender when its domain is verified, though the address itself is pending', async () => {
    ses
      .on(GetEmailIdentityCommand, { EmailIdentity: 'aurora-audit@example.com' })
      .resolves({ VerifiedForSendingStatus: false, VerificationStatus: 'PENDING' })
      .on(GetEmailIdentityCommand, { EmailIdentity: 'example.com' })
      .resolves({ IdentityType: 'DOMAIN', VerifiedForSendingStatus: true, VerificationStatus: 'SUCCESS' });
    const run = await runCli('doctor');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      '✓ SES sender identity: reports.sender aurora-audit@example.com may send (domain example.com verified) in eu-west-1',
    );
  });

  it('reports an access-denied call as that check’s ✗ with the permission to grant, and runs the others', async () => {
    kms.on(GetKeyPolicyCommand).rejects(denied('AccessDeniedException'));
    const run = await runCli('doctor');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    const { pass, fail } = marks(run.stdout);
    expect(fail).toEqual([
      expect.stringMatching(
        /^ {2}✗ KMS key policy lets RDS and the decrypt Lambda use it: AccessDeniedException: User: .* is not authorized to perform: kms:GetKeyPolicy → allow kms:GetKeyPolicy to the caller/,
      ),
    ]);
    expect(pass).toHaveLength(14);
  });

  it('warns, and exits 0, where the API cannot tell: the patch level a version needs, pgaudit.log set per user', async () => {
    cluster({ ActivityStreamStatus: 'stopped' });
    parameters({ shared_preload_libraries: 'pgaudit', 'pgaudit.log': 'none' });
    const run = await runCli('doctor');
    expect(run.code).toBe(0);
    const { warn, fail } = marks(run.stdout);
    expect(fail).toEqual([]);
    expect(warn).toEqual([
      expect.stringMatching(
        /⚠ engine and version support activity streams: aurora-postgresql 15.4: activity streams need patch 15.4.10 or later \(https:\/\/docs.aws.amazon.com\/AmazonRDS\/latest\/AuroraUserGuide\/DBActivityStreams.Enabling.html\); the RDS API does not show the patch level → check with SELECT aurora_version\(\); \(at least 15.4.10\)/,
      ),
      expect.stringMatching(
        /⚠ pgAudit classes: pgaudit.log = 'none' in orders-pg does not log ROLE, DDL cluster-wide.*→ set pgaudit.log = 'role,ddl' in orders-pg, or per audited user; per-user settings .* are not visible to the RDS API/,
      ),
    ]);
    expect(run.stdout).toMatch(/13 passed, 2 warnings/);
  });

  it('warns on a version newer than the AWS list, and fails Serverless v2 instances', async () => {
    cluster({ ActivityStreamStatus: 'stopped', EngineVersion: '16.8' });
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ DBInstanceIdentifier: 'orders-db-1', DBInstanceClass: 'db.serverless' }],
    });
    const run = await runCli('doctor');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /⚠ engine and version support activity streams: aurora-postgresql 16.8: newer than the versions the AWS list of minimum patches names \(up to 16.6/,
    );
    expect(run.stdout).toMatch(
      /✗ instance classes: orders-db-1 is db.serverless: Aurora Serverless v2 cannot run activity streams/,
    );
  });

  it('with --pre-deploy, a stack not yet deployed is a warning and the retention the stack will set is expected', async () => {
    cfn.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Stack with id aurora-audit does not exist',
      }),
    );
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: LOG_GROUP }] });
    const run = await runCli('doctor', '--pre-deploy');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /⚠ stack: stack aurora-audit is not deployed in eu-west-1 \(expected before the first deployment\)/,
    );
    expect(run.stdout).toMatch(
      /✓ PostgreSQL log group retention: .*retention never expires now; the stack sets 365 days \(retention.logsDays\) at deployment/,
    );
  });

  it('prints JSON with --output json, each check with its scope, status and fix', async () => {
    kms.on(ListResourceTagsCommand).resolves({ Tags: [] });
    const run = await runCli('--output', 'json', 'doctor', '--cluster', 'orders-db');
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ stack: 'aurora-audit', region: 'eu-west-1', ok: false });
    expect(result.checks).toHaveLength(15);
    expect(result.checks.filter((c: { status: string }) => c.status === 'fail')).toEqual([
      expect.objectContaining({
        scope: 'cluster orders-db',
        name: 'KMS key tag',
        fix: expect.stringContaining('aws kms tag-resource'),
      }),
    ]);
  });

  it('prints --output text as one tab-separated CHECK record per check and a TOTAL record', async () => {
    kms.on(ListResourceTagsCommand).resolves({ Tags: [] });
    const run = await runCli('doctor', '--output', 'text');
    expect(run.code).toBe(1);
    const records = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'));
    // 4 account checks and 11 for the example's one cluster, then the total; no heading, no marks.
    expect(records).toHaveLength(16);
    expect(records.slice(0, 15).every((r) => r[0] === 'CHECK' && r.length === 6)).toBe(true);
    expect(records[0]?.slice(0, 4)).toEqual(['CHECK', 'account', 'stack', 'pass']);
    expect(records[0]?.[5]).toBe('None');
    const tag = records.find((r) => r[2] === 'KMS key tag');
    expect(tag?.slice(0, 4)).toEqual(['CHECK', 'cluster orders-db', 'KMS key tag', 'fail']);
    expect(tag?.[5]).toContain('aws kms tag-resource');
    expect(records[15]).toEqual(['TOTAL', '14', '0', '1']);
    expect(run.stdout).not.toMatch(/[✓⚠✗]/);
  });

  it('exits 2 for a cluster not in the configuration, before any AWS call', async () => {
    const run = await runCli('doctor', '--cluster', 'nosuch');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cluster "nosuch" is not in the configuration');
    expect(cfn.calls()).toHaveLength(0);
  });

  it('exits 2, said once, when there are no credentials (not one ✗ per check)', async () => {
    const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    cfn.on(DescribeStacksCommand).rejects(noCredentials);
    const run = await runCli('doctor');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'aurora-audit: no credentials: run `aws sso login --profile <name>` or set AWS_PROFILE\n',
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// A cluster with a canary: the example configuration with canary on orders-db, in a file.

const SECRET_ARN = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:aurora-audit/orders-db-canary-AbCdEf`;
const CANARY_USER = 'aurora_audit_canary';
let dir: string;
let configFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aa-doctor-'));
  configFile = join(dir, 'my-config.yaml');
  const example = parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as { clusters: Record<string, unknown>[] };
  const [first, ...rest] = example.clusters;
  writeFileSync(
    configFile,
    stringify({
      ...example,
      clusters: [{ ...first, canary: { secretArn: SECRET_ARN, database: 'orders' } }, ...rest],
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The canary's prerequisites in place, shaped as the botocore models say (DescribeSecret omits KmsKeyId for aws/secretsmanager). */
function canaryReady() {
  cluster({ HttpEndpointEnabled: true });
  secrets.on(DescribeSecretCommand).resolves({
    ARN: SECRET_ARN,
    Name: 'aurora-audit/orders-db-canary',
    LastChangedDate: new Date('2026-11-01T00:00:00Z'),
    Tags: [{ Key: 'aurora-audit', Value: 'aurora-audit' }],
    VersionIdsToStages: { 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111': ['AWSCURRENT'] },
  });
  secrets.on(GetSecretValueCommand).resolves({
    ARN: SECRET_ARN,
    Name: 'aurora-audit/orders-db-canary',
    VersionId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
    SecretString: JSON.stringify({ username: CANARY_USER, password: 'canary-pw-not-printed' }),
    VersionStages: ['AWSCURRENT'],
  });
  rdsData.on(ExecuteStatementCommand).resolves({
    records: [[{ stringValue: CANARY_USER }]],
    numberOfRecordsUpdated: 0,
  });
}

const canaryLines = (stdout: string) => stdout.split('\n').filter((l) => / canary: /.test(l));

describe('aurora-audit doctor, a cluster with a canary', () => {
  beforeEach(canaryReady);

  it('checks the Data API, the version and Region it serves, the secret and a connection as the canary user: 4 more ✓', async () => {
    const run = await runCli('doctor', '-c', configFile);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { pass, warn, fail } = marks(run.stdout);
    expect([pass.length, warn.length, fail.length]).toEqual([19, 0, 0]);
    expect(canaryLines(run.stdout)).toEqual([
      '  ✓ canary: Data API enabled: HttpEndpointEnabled: the Data API serves orders-db',
      '  ✓ canary: engine version and Region served by the Data API: aurora-postgresql 15.4 in eu-west-1: the Data API serves Aurora PostgreSQL 15 from 15.3 in eu-west-1',
      `  ✓ canary: secret readable: ${SECRET_ARN}: readable by you, username aurora_audit_canary and a password, tagged aurora-audit=aurora-audit (the canary workflow's role reads it with its own secretsmanager:GetSecretValue, granted by the stack on secrets with that tag)`,
      '  ✓ canary: user can connect: SELECT current_user through the Data API: aurora_audit_canary in database orders',
    ]);
    expect(run.stdout).not.toContain('canary-pw-not-printed');
    // The calls as the SDK typings spell them.
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: SECRET_ARN });
    expect(rdsData.commandCalls(ExecuteStatementCommand).map((c) => c.args[0].input)).toEqual([
      { resourceArn: CLUSTER_ARN, secretArn: SECRET_ARN, database: 'orders', sql: 'SELECT current_user' },
    ]);
  });

  it('runs no canary check for a cluster without canary (the embedded example)', async () => {
    const run = await runCli('doctor');
    expect(canaryLines(run.stdout)).toEqual([]);
    expect(secrets.calls()).toHaveLength(0);
    expect(rdsData.calls()).toHaveLength(0);
  });

  const dbError = (
    message: string,
    Exception: typeof DatabaseErrorException | typeof BadRequestException = DatabaseErrorException,
  ) => new Exception({ message, $metadata: { httpStatusCode: 400 } });

  // Each case breaks one prerequisite; exactly that canary check fails, naming what to do.
  const cases: [string, () => void, RegExp, RegExp][] = [
    [
      'the HTTP endpoint (Data API) is not enabled',
      () => cluster({ HttpEndpointEnabled: false }),
      /✗ canary: Data API enabled: HttpEndpointEnabled is false/,
      new RegExp(`→ aws rds enable-http-endpoint --resource-arn ${CLUSTER_ARN}`),
    ],
    [
      'the engine version is older than the Data API serves',
      () => cluster({ HttpEndpointEnabled: true, EngineVersion: '15.2' }),
      /✗ canary: engine version and Region served by the Data API: aurora-postgresql 15.2 in eu-west-1: the Data API needs 15.3 or later for Aurora PostgreSQL 15/,
      /→ upgrade the cluster to 15.3 or later/,
    ],
    [
      'the secret does not exist',
      () =>
        secrets.on(DescribeSecretCommand).rejects(
          new ResourceNotFoundException({
            message: "Secrets Manager can't find the specified secret.",
            $metadata: {},
          }),
        ),
      new RegExp(`✗ canary: secret readable: ${SECRET_ARN} does not exist`),
      /→ create it with the canary user's credentials: aws secretsmanager create-secret/,
    ],
    [
      'the secret is scheduled for deletion',
      () =>
        secrets
          .on(DescribeSecretCommand)
          .resolves({ ARN: SECRET_ARN, DeletedDate: new Date('2026-12-10T00:00:00Z') }),
      /✗ canary: secret readable: .* is scheduled for deletion \(2026-12-10T00:00:00.000Z\)/,
      new RegExp(`→ aws secretsmanager restore-secret --secret-id ${SECRET_ARN}`),
    ],
    [
      'the secret lacks the tag the workflow role is granted on',
      () =>
        secrets.on(DescribeSecretCommand).resolves({
          ARN: SECRET_ARN,
          Tags: [{ Key: 'team', Value: 'dba' }],
        }),
      /✗ canary: secret readable: .*: no aurora-audit tag: the canary workflow's role may read only secrets tagged aurora-audit=aurora-audit \(every run would fail CanarySecretUnusable\)/,
      new RegExp(
        `→ aws secretsmanager tag-resource --secret-id ${SECRET_ARN} --tags Key=aurora-audit,Value=aurora-audit`,
      ),
    ],
    [
      "the secret holds another user's credentials",
      () =>
        secrets.on(GetSecretValueCommand).resolves({
          ARN: SECRET_ARN,
          SecretString: JSON.stringify({ username: 'app_user', password: 'x' }),
        }),
      /✗ canary: secret readable: .* holds user app_user, not canary.user aurora_audit_canary/,
      /→ aws secretsmanager put-secret-value .*, or set clusters\[\].canary.user to app_user/,
    ],
    [
      "the secret's password is not the user's",
      () =>
        rdsData
          .on(ExecuteStatementCommand)
          .rejects(dbError('FATAL: password authentication failed for user "aurora_audit_canary"')),
      /✗ canary: user can connect: DatabaseErrorException: FATAL: password authentication failed .*: the secret's password is not aurora_audit_canary's/,
      /→ set the password the secret holds \(ALTER ROLE aurora_audit_canary PASSWORD …\)/,
    ],
    [
      'the database does not exist (the same text, answered as BadRequestException)',
      () =>
        rdsData
          .on(ExecuteStatementCommand)
          .rejects(dbError('FATAL: database "orders" does not exist', BadRequestException)),
      /✗ canary: user can connect: .*database "orders" does not exist: there is no database orders/,
      /→ create it \(CREATE DATABASE orders;\) with the canary's table, or set clusters\[\].canary.database/,
    ],
    [
      'the Data API says the endpoint is off although RDS said on',
      () =>
        rdsData.on(ExecuteStatementCommand).rejects(
          new HttpEndpointNotEnabledException({
            message: `HttpEndpoint is not enabled for resource ${CLUSTER_ARN}`,
            $metadata: { httpStatusCode: 400 },
          }),
        ),
      /✗ canary: user can connect: HttpEndpointNotEnabledException: HttpEndpoint is not enabled/,
      new RegExp(`→ aws rds enable-http-endpoint --resource-arn ${CLUSTER_ARN}`),
    ],
  ];

  it('names the permissions to grant when the caller may not use the Data API, and the cluster check alone fails for a missing cluster', async () => {
    rdsData.on(ExecuteStatementCommand).rejects(
      new AccessDeniedException({
        message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/dba/alice is not authorized to perform: rds-data:ExecuteStatement`,
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const denied = await runCli('doctor', '-c', configFile);
    expect(marks(denied.stdout).fail).toEqual([
      expect.stringMatching(
        /✗ canary: user can connect: AccessDeniedException: .* → allow rds-data:ExecuteStatement and secretsmanager:GetSecretValue to the caller/,
      ),
    ]);
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
    const missing = await runCli('doctor', '-c', configFile);
    expect(marks(missing.stdout).fail.filter((l) => l.includes('canary:'))).toEqual([]);
    expect(canaryLines(missing.stdout).filter((l) => l.startsWith('  ⚠ '))).toHaveLength(3);
  });

  it.each(cases)('fails one check, with its fix, when %s', async (_what, breakIt, detail, fix) => {
    breakIt();
    const run = await runCli('doctor', '-c', configFile);
    expect(run.code).toBe(1);
    const { fail } = marks(run.stdout);
    expect(fail).toHaveLength(1);
    expect(fail[0]).toMatch(detail);
    expect(fail[0]).toMatch(fix);
  });

  it('does not try to connect while a prerequisite fails (a warning says so)', async () => {
    cluster({ HttpEndpointEnabled: false });
    const run = await runCli('doctor', '-c', configFile);
    expect(canaryLines(run.stdout)[3]).toMatch(
      /⚠ canary: user can connect: not tried: the checks above must pass first/,
    );
    expect(rdsData.calls()).toHaveLength(0);
  });

  it("warns when the secret's key is customer managed: the stack grants the workflow's role no kms:Decrypt on it", async () => {
    const key = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/9999abcd-12ab-34cd-56ef-1234567890ab`;
    secrets.on(DescribeSecretCommand).resolves({
      ARN: SECRET_ARN,
      KmsKeyId: key,
      Tags: [{ Key: 'aurora-audit', Value: 'aurora-audit' }],
    });
    kms
      .on(DescribeKeyCommand, { KeyId: key })
      .resolves({ KeyMetadata: { KeyId: key, KeyManager: 'CUSTOMER' } });
    const run = await runCli('doctor', '-c', configFile);
    expect(run.code).toBe(0);
    expect(canaryLines(run.stdout)[2]).toMatch(
      new RegExp(
        `⚠ canary: secret readable: .*encrypted with the customer managed key ${key}.*→ allow the canary workflow's role kms:Decrypt on`,
      ),
    );
    // The key of aws/secretsmanager (a console-made secret names it): a pass.
    kms.on(DescribeKeyCommand, { KeyId: key }).resolves({ KeyMetadata: { KeyId: key, KeyManager: 'AWS' } });
    const again = await runCli('doctor', '-c', configFile);
    expect(canaryLines(again.stdout)[2]).toMatch(/✓ canary: secret readable/);
  });

  it('prints the transcript docs/cli.md shows (from these stubs): SES sandbox, untagged key, a patch to check, a wrong canary password', async () => {
    ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: false, SendingEnabled: true });
    kms.on(ListResourceTagsCommand).resolves({ Tags: [] });
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: 'orders-db',
          DBClusterArn: CLUSTER_ARN,
          DbClusterResourceId: 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
          Status: 'available',
          Engine: 'aurora-postgresql',
          EngineVersion: '15.4',
          EngineMode: 'provisioned',
          HttpEndpointEnabled: true,
          DBClusterParameterGroup: 'orders-pg',
          EnabledCloudwatchLogsExports: ['postgresql'],
          DBClusterMembers: [{ DBInstanceIdentifier: 'orders-db-1', IsClusterWriter: true }],
          TagList: [{ Key: 'aurora-audit', Value: 'aurora-audit' }],
        },
      ],
    });
    rdsData
      .on(ExecuteStatementCommand)
      .rejects(dbError('FATAL: password authentication failed for user "aurora_audit_canary"'));
    const shown = (
      await cliTranscript(['doctor', '-c', configFile], { shown: 'aurora-audit doctor -c my-config.yaml' })
    ).replaceAll(`${dir}/`, '');
    expect(shown).toBe(documentedTranscript('doctor'));
  });
});

describe('the Data API table (cli/doctor-rules.ts)', () => {
  const supports = (engineVersion: string, region: string, engineMode = 'provisioned') =>
    dataApiSupports({ engine: 'aurora-postgresql', engineVersion, engineMode, region }).status;

  it('passes each major from its minimum version in a listed Region, fails the version before', () => {
    for (const [below, minimum, later] of [
      ['13.10', '13.11', '13.20'],
      ['14.7', '14.8', '14.15'],
      ['15.2', '15.3', '15.10'],
      ['16.0', '16.1', '16.6'],
      ['17.3', '17.4', '17.5'],
    ]) {
      expect([
        supports(below as string, 'us-east-1'),
        supports(minimum as string, 'eu-west-1'),
        supports(later as string, 'ap-southeast-7'),
      ]).toEqual(['fail', 'pass', 'pass']);
    }
    expect(supports('12.22', 'eu-west-1')).toBe('fail');
    expect(supports('16.4-limitless', 'eu-west-1')).toBe('pass');
  });

  it('fails the Regions the table lists as not available, warns on a Region or major it does not list', () => {
    for (const region of [
      'ap-south-2',
      'eu-central-2',
      'il-central-1',
      'mx-central-1',
      'ca-west-1',
      'us-gov-west-1',
    ])
      expect(supports('16.6', region)).toBe('fail');
    expect(supports('16.6', 'xx-future-1')).toBe('warn');
    expect(supports('19.1', 'eu-west-1')).toBe('warn');
    expect(supports('16.6', 'eu-west-1', 'serverless')).toBe('fail');
    expect(
      dataApiSupports({ engine: 'aurora-mysql', engineVersion: '8.0', region: 'eu-west-1' }).status,
    ).toBe('fail');
  });
});
