/**
 * `aurora-audit doctor`: is the account and each configured cluster ready for aurora-audit? One line per check,
 * ✓ (pass), ⚠ (cannot be known exactly from the APIs: said, never counted as a pass) or ✗ with what to do.
 * Read-only: Describe/Get/List calls only, and for a cluster with a canary, its secret's value (GetSecretValue,
 * never printed) and one `SELECT current_user` as the canary user through the Data API. An AWS error on one check (access denied, throttling) is that check's
 * ✗; only a set-up error (no credentials, no region, AWS unreachable) stops the run, said once by cli/main.ts.
 * The rules are in `cli/doctor-rules.ts`.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
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
  type KeyMetadata,
  KMSClient,
  ListResourceTagsCommand,
} from '@aws-sdk/client-kms';
import {
  type DBCluster,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetAccountCommand, GetEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import type { Command } from 'commander';
import { findCluster, loadConfig } from '../../infra/config/load';
import type { AuroraAuditConfig, ClusterConfig } from '../../infra/config/schema';
import { postgresLogGroupName } from '../../tasks/core/cloudwatch-logs';
import { awsClientConfig, explainAwsError } from '../aws-settings';
import {
  type CheckStatus,
  dataApiConnectError,
  dataApiSupports,
  engineSupportsDas,
  instanceClassesSupportDas,
  keyPolicyLetsRdsUseKey,
  pgauditLogClasses,
  type TrailFacts,
  trailVerdict,
  type Verdict,
} from '../doctor-rules';
import type { CommandContext, RegisterCommands } from '../io';
import { outputFormat, textRecord } from '../output';
import { clusterParameters } from '../rds-parameters';
import { guardUsage, UsageError } from './workflows';

export interface DoctorCheck extends Verdict {
  /** `account`, or `cluster <identifier>`. */
  readonly scope: string;
  readonly name: string;
}

export interface DoctorOptions {
  readonly config?: string;
  readonly cluster?: string;
  readonly stack?: string;
  readonly json?: boolean;
  readonly preDeploy?: boolean;
}

interface Clients {
  readonly cfn: CloudFormationClient;
  readonly trail: CloudTrailClient;
  readonly logs: CloudWatchLogsClient;
  readonly kms: KMSClient;
  readonly rds: RDSClient;
  readonly ses: SESv2Client;
  readonly rdsData: RDSDataClient;
  readonly secrets: SecretsManagerClient;
}

const MARK: Record<CheckStatus, string> = { pass: '✓', warn: '⚠', fail: '✗' };

/** The tag the workflows and the decrypt Lambda's key permission require (docs/deploying.md). */
const TAG_KEY = 'aurora-audit';

/**
 * Runs `fn`; an AWS error becomes the check's ✗ naming the error and, for access denied, the permission to grant.
 * Set-up errors (credentials, region, network) are rethrown: every check would fail alike.
 */
async function guarded(permission: string, fn: () => Promise<Verdict>): Promise<Verdict> {
  try {
    return await fn();
  } catch (err) {
    if (explainAwsError(err)) throw err;
    const e = err as Error;
    const denied = /AccessDenied|NotAuthorized|UnauthorizedOperation|AuthorizationError/i.test(
      `${e.name} ${e.message}`,
    );
    return {
      status: 'fail',
      detail: `${e.name}: ${e.message}`,
      fix: denied
        ? `allow ${permission} to the caller (the doctor only reads: see docs/cli.md for its policy)`
        : `retry; AURORA_AUDIT_DEBUG=1 shows more (the check could not run)`,
    };
  }
}

const isNotFound = (err: unknown, ...names: string[]) =>
  err instanceof Error && [...names, 'NotFoundException'].includes(err.name);

/** The stack: deployed (a *_COMPLETE status other than a rolled-back creation) and where. */
async function stackCheck(
  cfn: CloudFormationClient,
  stack: string,
  region: string,
  preDeploy: boolean,
): Promise<{ verdict: Verdict; deployed: boolean }> {
  let deployed = false;
  const verdict = await guarded('cloudformation:DescribeStacks', async () => {
    let status: string | undefined;
    let stackId: string | undefined;
    try {
      const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
      status = Stacks?.[0]?.StackStatus;
      stackId = Stacks?.[0]?.StackId;
    } catch (err) {
      if (!(err instanceof Error) || !/does not exist/.test(err.message)) throw err;
    }
    const deploy = `npx cdk deploy --all -c config=<your configuration> (stack ${stack}, region ${region})`;
    if (!status) {
      return {
        status: preDeploy ? 'warn' : 'fail',
        detail: `stack ${stack} is not deployed in ${region}${preDeploy ? ' (expected before the first deployment)' : ''}`,
        fix: `${deploy}; deployed in another region? run the doctor with --region`,
      };
    }
    const where = stackId?.split(':')[3] ?? region;
    if (/_IN_PROGRESS$/.test(status)) {
      return {
        status: 'warn',
        detail: `stack ${stack} in ${where}: ${status}`,
        fix: 'wait for the deployment to end, then run the doctor again',
      };
    }
    if (status === 'ROLLBACK_COMPLETE' || status === 'DELETE_COMPLETE' || /FAILED$/.test(status)) {
      return {
        status: 'fail',
        detail: `stack ${stack} in ${where}: ${status}`,
        fix: `read the failed events (aws cloudformation describe-stack-events --stack-name ${stack}), fix the cause and ${deploy}${status === 'ROLLBACK_COMPLETE' ? ' after deleting the rolled-back stack' : ''}`,
      };
    }
    deployed = true;
    if (status === 'UPDATE_ROLLBACK_COMPLETE') {
      return {
        status: 'warn',
        detail: `stack ${stack} in ${where}: UPDATE_ROLLBACK_COMPLETE (the previous version is deployed)`,
        fix: `read why the update failed (aws cloudformation describe-stack-events --stack-name ${stack}) and deploy again`,
      };
    }
    return { status: 'pass', detail: `stack ${stack} deployed in ${where} (${status})` };
  });
  return { verdict, deployed };
}

async function sesIdentityCheck(ses: SESv2Client, sender: string, region: string): Promise<Verdict> {
  return guarded('ses:GetEmailIdentity', async () => {
    const candidates = sender.includes('@') ? [sender, sender.split('@')[1] ?? sender] : [sender];
    const create = `aws sesv2 create-email-identity --email-identity ${sender} --region ${region}, then confirm the email or publish the DKIM records`;
    // An address may send when it, or its domain, is verified: the first unverified one found is the one to fix.
    let unverified: { identity: string; status?: string } | undefined;
    for (const identity of candidates) {
      try {
        const found = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: identity }));
        if (found.VerifiedForSendingStatus) {
          return {
            status: 'pass',
            detail: `reports.sender ${sender} may send${identity !== sender ? ` (domain ${identity} verified)` : ''} in ${region}`,
          };
        }
        unverified ??= { identity, status: found.VerificationStatus };
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (unverified) {
      const { identity } = unverified;
      return {
        status: 'fail',
        detail: `SES identity ${identity} is not verified for sending (${unverified.status ?? 'status unknown'})`,
        fix:
          identity === sender && sender.includes('@')
            ? `click the link SES emailed to ${sender} (resend: aws sesv2 delete-email-identity, then ${create})`
            : `publish the DKIM CNAME records SES lists for ${identity} (aws sesv2 get-email-identity --email-identity ${identity})`,
      };
    }
    return {
      status: 'fail',
      detail: `reports.sender ${sender} is not an SES identity in ${region}`,
      fix: create,
    };
  });
}

async function sesAccountCheck(ses: SESv2Client, region: string, recipients: string[]): Promise<Verdict> {
  return guarded('ses:GetAccount', async () => {
    const account = await ses.send(new GetAccountCommand({}));
    if (account.SendingEnabled === false) {
      return {
        status: 'fail',
        detail: `sending is paused for this account in ${region}`,
        fix: 'aws sesv2 put-account-sending-attributes --sending-enabled (if AWS paused it, answer its review case first)',
      };
    }
    if (!account.ProductionAccessEnabled) {
      return {
        status: 'fail',
        detail: `the account is in the SES sandbox in ${region}: reports reach verified addresses only (${recipients.join(', ')} must each be verified)`,
        fix: `request production access: SES console → Account dashboard → Request production access (or aws sesv2 put-account-details --production-access-enabled --mail-type TRANSACTIONAL …) in ${region}`,
      };
    }
    const quota = account.SendQuota?.Max24HourSend;
    return {
      status: 'pass',
      detail: `out of the sandbox in ${region}, sending enabled${quota !== undefined ? ` (${quota} messages per 24 h)` : ''}`,
    };
  });
}

async function cloudTrailCheck(client: CloudTrailClient, region: string): Promise<Verdict> {
  return guarded('cloudtrail:DescribeTrails, GetTrailStatus and GetEventSelectors', async () => {
    const { trailList } = await client.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
    const trails: TrailFacts[] = [];
    for (const t of trailList ?? []) {
      const name = t.Name ?? t.TrailARN ?? '?';
      if (!(t.IsMultiRegionTrail || t.HomeRegion === region)) continue;
      const id = t.TrailARN ?? name;
      try {
        const status = await client.send(new GetTrailStatusCommand({ Name: id }));
        const selectors = await client.send(new GetEventSelectorsCommand({ TrailName: id }));
        trails.push({
          name,
          homeRegion: t.HomeRegion,
          multiRegion: t.IsMultiRegionTrail,
          logging: status.IsLogging,
          eventSelectors: selectors.EventSelectors,
          advancedEventSelectors: selectors.AdvancedEventSelectors,
        });
      } catch (err) {
        if (explainAwsError(err)) throw err;
        trails.push({
          name,
          homeRegion: t.HomeRegion,
          multiRegion: t.IsMultiRegionTrail,
          unreadable: `${(err as Error).name}${t.IsOrganizationTrail ? ' (organization trail)' : ''}`,
        });
      }
    }
    return trailVerdict(trails, region);
  });
}

async function clusterInstances(rds: RDSClient, identifier: string) {
  const instances: { id: string; instanceClass: string }[] = [];
  let marker: string | undefined;
  do {
    const page = await rds.send(
      new DescribeDBInstancesCommand({
        Filters: [{ Name: 'db-cluster-id', Values: [identifier] }],
        Marker: marker,
      }),
    );
    for (const i of page.DBInstances ?? [])
      instances.push({ id: i.DBInstanceIdentifier ?? '?', instanceClass: i.DBInstanceClass ?? '?' });
    marker = page.Marker;
  } while (marker);
  return instances;
}

interface ClusterContext {
  readonly config: AuroraAuditConfig;
  readonly cluster: ClusterConfig;
  readonly region: string;
  readonly deployed: boolean;
  readonly clients: Clients;
}

/** The key checks: exists and usable for activity streams, its policy, its tag. */
async function keyChecks(c: ClusterContext): Promise<[string, Verdict][]> {
  const arn = c.cluster.activityStreamKmsKeyArn;
  const account = arn.split(':')[4] ?? '';
  const keyRegion = arn.split(':')[3] ?? '';
  let metadata: KeyMetadata | undefined;
  const key = await guarded('kms:DescribeKey', async () => {
    try {
      metadata = (await c.clients.kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return {
        status: 'fail',
        detail: `${arn} does not exist`,
        fix: `create a customer managed symmetric key in ${c.region} (aws kms create-key) and set clusters[].activityStreamKmsKeyArn`,
      };
    }
    const problems: string[] = [];
    if (keyRegion !== c.region) problems.push(`it is in ${keyRegion}, the cluster in ${c.region}`);
    if (metadata?.KeyState !== 'Enabled') problems.push(`its state is ${metadata?.KeyState ?? 'unknown'}`);
    if (metadata?.KeyManager !== 'CUSTOMER')
      problems.push(
        `it is ${metadata?.KeyManager ?? 'an unknown'}-managed: activity streams need a customer managed key`,
      );
    if (
      (metadata?.KeySpec ?? 'SYMMETRIC_DEFAULT') !== 'SYMMETRIC_DEFAULT' ||
      metadata?.KeyUsage !== 'ENCRYPT_DECRYPT'
    )
      problems.push(`it is ${metadata?.KeySpec}/${metadata?.KeyUsage}, not a symmetric encryption key`);
    if (problems.length) {
      return {
        status: 'fail',
        detail: `${arn}: ${problems.join('; ')}`,
        fix:
          metadata?.KeyState === 'PendingDeletion'
            ? `aws kms cancel-key-deletion --key-id ${arn} && aws kms enable-key --key-id ${arn}`
            : metadata?.KeyState === 'Disabled'
              ? `aws kms enable-key --key-id ${arn}`
              : `use a customer managed symmetric key in ${c.region} (aws kms create-key) as clusters[].activityStreamKmsKeyArn`,
      };
    }
    return {
      status: 'pass',
      detail: `${metadata?.KeyId ?? arn}: enabled, customer managed, symmetric, in ${c.region}`,
    };
  });
  // The policy and tag calls take a key id or key ARN, not an alias: the described ARN.
  const keyId = metadata?.Arn ?? arn;
  const policy = await guarded('kms:GetKeyPolicy', async () => {
    const { Policy } = await c.clients.kms.send(
      new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }),
    );
    return keyPolicyLetsRdsUseKey(Policy, account);
  });
  const tag = await guarded('kms:ListResourceTags', async () => {
    const tags: { TagKey?: string; TagValue?: string }[] = [];
    let marker: string | undefined;
    do {
      const page = await c.clients.kms.send(new ListResourceTagsCommand({ KeyId: keyId, Marker: marker }));
      tags.push(...(page.Tags ?? []));
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    const value = tags.find((t) => t.TagKey === TAG_KEY)?.TagValue;
    if (value === c.config.name) return { status: 'pass', detail: `${TAG_KEY}=${value}` };
    return {
      status: 'fail',
      detail: `${value === undefined ? `no ${TAG_KEY} tag` : `${TAG_KEY}=${value}, not ${c.config.name}`}: the decrypt Lambda may decrypt only with keys tagged ${TAG_KEY}=${c.config.name} (every record would fail access-denied)`,
      fix: `aws kms tag-resource --key-id ${keyId} --tags TagKey=${TAG_KEY},TagValue=${c.config.name}`,
    };
  });
  return [
    ['KMS key', key],
    ['KMS key policy lets RDS and the decrypt Lambda use it', policy],
    ['KMS key tag', tag],
  ];
}

/** The PostgreSQL log group and its retention, by `postgresLogGroup` and whether the stack is deployed. */
async function logGroupCheck(c: ClusterContext): Promise<Verdict> {
  return guarded('logs:DescribeLogGroups', async () => {
    const name = postgresLogGroupName(c.cluster.identifier);
    const { logGroups } = await c.clients.logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: name }),
    );
    const group = logGroups?.find((g) => g.logGroupName === name);
    const want = c.config.retention.logsDays;
    const mode = c.cluster.postgresLogGroup;
    const days = (d: number | undefined) => (d === undefined ? 'never expires' : `${d} days`);
    if (mode === 'existing') {
      if (!group) {
        return {
          status: 'fail',
          detail: `${name} does not exist (postgresLogGroup: existing): the stack subscribes to it`,
          fix: 'turn the postgresql log export on (RDS creates the group), or set postgresLogGroup: set-retention',
        };
      }
      return {
        status: 'pass',
        detail: `${name}: retention ${days(group.retentionInDays)} (left as it is: postgresLogGroup existing)`,
      };
    }
    if (mode === 'create' && group && !c.deployed) {
      return {
        status: 'fail',
        detail: `${name} exists already (retention ${days(group.retentionInDays)}): with postgresLogGroup: create, deploying fails`,
        fix: 'set postgresLogGroup: set-retention for this cluster (the stack then sets the retention without owning the group)',
      };
    }
    if (!group) {
      return c.deployed
        ? {
            status: 'fail',
            detail: `${name} does not exist although the stack is deployed (deleted?)`,
            fix: 'deploy the stack again: it creates the group with the configured retention',
          }
        : {
            status: 'pass',
            detail: `${name}: the stack creates it with retention ${want} days at deployment`,
          };
    }
    if (group.retentionInDays === want) return { status: 'pass', detail: `${name}: retention ${want} days` };
    if (!c.deployed) {
      return {
        status: 'pass',
        detail: `${name}: retention ${days(group.retentionInDays)} now; the stack sets ${want} days (retention.logsDays) at deployment`,
      };
    }
    return {
      status: 'fail',
      detail: `${name}: retention ${days(group.retentionInDays)}, not retention.logsDays ${want}`,
      fix: `deploy the stack again (it sets ${want} days), or aws logs put-retention-policy --log-group-name ${name} --retention-in-days ${want}`,
    };
  });
}

/** pgAudit loaded by the cluster parameter group (and no reboot pending), then its classes. */
function pgauditChecks(
  c: ClusterContext,
  db: DBCluster,
  params: Map<string, string | undefined>,
): [string, Verdict][] {
  const group = db.DBClusterParameterGroup ?? '?';
  const preload = (params.get('shared_preload_libraries') ?? '').split(',').map((x) => x.trim());
  const pending = (db.DBClusterMembers ?? []).filter(
    (m) => m.DBClusterParameterGroupStatus === 'pending-reboot',
  );
  const loaded: Verdict = !preload.includes('pgaudit')
    ? {
        status: 'fail',
        detail: `parameter group ${group}: shared_preload_libraries = ${params.get('shared_preload_libraries') || '(default)'}`,
        fix: `add pgaudit to shared_preload_libraries in ${group} (or use the PgAuditParameterGroup construct), then reboot the instances`,
      }
    : pending.length
      ? {
          status: 'fail',
          detail: `parameter group ${group} loads pgaudit, but ${pending.map((m) => m.DBInstanceIdentifier).join(', ')} await a reboot (pending-reboot)`,
          fix: 'reboot those instances in a maintenance window so the parameters take effect',
        }
      : {
          status: 'pass',
          detail: `parameter group ${group}: shared_preload_libraries = ${preload.join(',')}`,
        };
  const value = params.get('pgaudit.log');
  const logged = pgauditLogClasses(value);
  const wanted = c.cluster.coverageCheck ? [...c.config.alerts.coverage.classes] : [];
  const missing = wanted.filter((x) => !logged.has(x));
  const perUser =
    "per-user settings (ALTER ROLE … SET pgaudit.log, as `aurora-audit pgaudit setup-sql` writes) are not visible to the RDS API: check them with SELECT rolname, rolconfig FROM pg_roles WHERE rolconfig::text LIKE '%pgaudit.log%'";
  let classes: Verdict;
  if (wanted.length === 0) {
    classes =
      logged.size > 0
        ? {
            status: 'pass',
            detail: `pgaudit.log = '${value}' (no coverage classes configured for this cluster)`,
          }
        : {
            status: 'warn',
            detail: `pgaudit.log = '${value ?? ''}' in ${group} logs no class cluster-wide`,
            fix: `set pgaudit.log in ${group}, or per user; ${perUser}`,
          };
  } else if (missing.length === 0) {
    classes = {
      status: 'pass',
      detail: `pgaudit.log = '${value}' logs the coverage classes ${wanted.join(', ')} (alerts.coverage.classes)`,
    };
  } else {
    classes = {
      status: 'warn',
      detail: `pgaudit.log = '${value ?? ''}' in ${group} does not log ${missing.join(', ')} cluster-wide; the coverage check (alerts.coverage.classes ${wanted.join(', ')}) expects pgAudit to`,
      fix: `set pgaudit.log = '${wanted.join(',').toLowerCase()}' in ${group}, or per audited user; ${perUser}`,
    };
  }
  return [
    ['pgAudit loaded by the cluster parameter group', loaded],
    ['pgAudit classes', classes],
  ];
}

async function clusterChecks(c: ClusterContext): Promise<[string, Verdict][]> {
  const { rds } = c.clients;
  const id = c.cluster.identifier;
  let db: DBCluster | undefined;
  const described = await guarded('rds:DescribeDBClusters', async () => {
    try {
      db = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0];
    } catch (err) {
      if (!isNotFound(err, 'DBClusterNotFoundFault')) throw err;
    }
    return db
      ? { status: 'pass', detail: `${id} (${db.DbClusterResourceId ?? '?'}), ${db.Status ?? '?'}` }
      : {
          status: 'fail',
          detail: `${id} is not in ${c.region}`,
          fix: 'check clusters[].identifier and the region (--region, deployment.region)',
        };
  });
  const checks: [string, Verdict][] = [['cluster', described]];
  if (db?.DbClusterResourceId && db.DbClusterResourceId !== c.cluster.resourceId) {
    checks.push([
      'cluster resource id',
      {
        status: 'fail',
        detail: `the configuration says ${c.cluster.resourceId}, RDS says ${db.DbClusterResourceId}: activity-stream events would not match the cluster`,
        fix: `set clusters[].resourceId to ${db.DbClusterResourceId}`,
      },
    ]);
  }
  if (db) {
    const cluster = db;
    let params: Map<string, string | undefined> | undefined;
    const paramsRead = await guarded('rds:DescribeDBClusterParameters', async () => {
      params = await clusterParameters(rds, cluster.DBClusterParameterGroup ?? '');
      return { status: 'pass', detail: '' };
    });
    checks.push([
      'engine and version support activity streams',
      engineSupportsDas({
        engine: cluster.Engine,
        engineVersion: cluster.EngineVersion,
        engineMode: cluster.EngineMode,
        babelfish: params?.get('rds.babelfish_status'),
        activityStreamStatus: cluster.ActivityStreamStatus,
      }),
    ]);
    checks.push([
      'instance classes',
      await guarded('rds:DescribeDBInstances', async () =>
        instanceClassesSupportDas(await clusterInstances(rds, id)),
      ),
    ]);
    const exports = cluster.EnabledCloudwatchLogsExports ?? [];
    checks.push([
      'PostgreSQL log exported to CloudWatch Logs',
      exports.includes('postgresql')
        ? { status: 'pass', detail: `exports ${exports.join(', ')}` }
        : {
            status: 'fail',
            detail: exports.length ? `exports ${exports.join(', ')} only` : 'exports no log',
            fix: `aws rds modify-db-cluster --db-cluster-identifier ${id} --cloudwatch-logs-export-configuration '{"EnableLogTypes":["postgresql"]}'`,
          },
    ]);
    if (params) checks.push(...pgauditChecks(c, cluster, params));
    else {
      checks.push(['pgAudit loaded by the cluster parameter group', paramsRead]);
      checks.push(['pgAudit classes', paramsRead]);
    }
    const tag = cluster.TagList?.find((t) => t.Key === TAG_KEY)?.Value;
    checks.push([
      'cluster tag',
      tag === c.config.name
        ? { status: 'pass', detail: `${TAG_KEY}=${tag}` }
        : {
            status: 'fail',
            detail: `${tag === undefined ? `no ${TAG_KEY} tag` : `${TAG_KEY}=${tag}, not ${c.config.name}`}: the workflows may start or stop activity streams only on clusters tagged ${TAG_KEY}=${c.config.name}`,
            fix: `aws rds add-tags-to-resource --resource-name ${cluster.DBClusterArn ?? id} --tags Key=${TAG_KEY},Value=${c.config.name}`,
          },
    ]);
  }
  checks.push(...(await keyChecks(c)));
  checks.push(['PostgreSQL log group retention', await logGroupCheck(c)]);
  if (c.cluster.canary) checks.push(...(await canaryChecks(c, c.cluster.canary, db)));
  return checks;
}

/**
 * The canary's prerequisites (docs/workflows.md "Canary workflow"): the Data API enabled, an engine version and
 * Region it serves, the secret readable, and the user able to connect. Run as the caller: what they prove is
 * that the cluster, secret, user, password and database work; not that the canary workflow's role may use
 * them (the stack grants it rds-data:ExecuteStatement on clusters tagged aurora-audit=<name>, see "cluster
 * tag", and secretsmanager:GetSecretValue on the secret, but no kms:Decrypt for a secret under a customer
 * managed key: that is said).
 */
async function canaryChecks(
  c: ClusterContext,
  canary: NonNullable<ClusterConfig['canary']>,
  db: DBCluster | undefined,
): Promise<[string, Verdict][]> {
  // Not known without the cluster (its own check already fails): not a second failure.
  const notDescribed: Verdict = {
    status: 'warn',
    detail: `not checked: ${c.cluster.identifier} could not be described (see "cluster")`,
    fix: 'fix the cluster check first',
  };
  const clusterArn = db?.DBClusterArn ?? c.cluster.identifier;
  const endpoint: Verdict = !db
    ? notDescribed
    : db.HttpEndpointEnabled === true
      ? { status: 'pass', detail: `HttpEndpointEnabled: the Data API serves ${c.cluster.identifier}` }
      : {
          status: 'fail',
          detail: `HttpEndpointEnabled is ${db.HttpEndpointEnabled === false ? 'false' : 'not set'}: the canary's statements would fail DataApiNotEnabled`,
          fix: `aws rds enable-http-endpoint --resource-arn ${clusterArn} (no restart; provisioned and Serverless v2 clusters)`,
        };
  const supported: Verdict = !db
    ? notDescribed
    : dataApiSupports({
        engine: db.Engine,
        engineVersion: db.EngineVersion,
        engineMode: db.EngineMode,
        region: db.DBClusterArn?.split(':')[3] ?? c.region,
      });
  const secret = await canarySecretCheck(c, canary);
  let connect: Verdict;
  if (!db || endpoint.status !== 'pass' || supported.status === 'fail' || secret.status === 'fail') {
    connect = {
      status: 'warn',
      detail: 'not tried: the checks above must pass first',
      fix: 'fix the canary checks above, then run the doctor again',
    };
  } else {
    connect = await guarded('rds-data:ExecuteStatement and secretsmanager:GetSecretValue', async () => {
      try {
        const result = await c.clients.rdsData.send(
          new ExecuteStatementCommand({
            resourceArn: clusterArn,
            secretArn: canary.secretArn,
            database: canary.database,
            // Read-only, allowed to any user that can log in; audited by the activity stream as a READ.
            sql: 'SELECT current_user',
          }),
        );
        const user = result.records?.[0]?.[0]?.stringValue;
        if (user !== undefined && user.toLowerCase() !== canary.user.toLowerCase()) {
          return {
            status: 'fail',
            detail: `connected to ${canary.database} as ${user}, not canary.user ${canary.user}: the alert Lambda would not take its statements for the canary's`,
            fix: `put ${canary.user}'s credentials in the secret, or set clusters[].canary.user to ${user}`,
          };
        }
        return {
          status: 'pass',
          detail: `SELECT current_user through the Data API: ${user ?? '(no value)'} in database ${canary.database}`,
        };
      } catch (err) {
        if (explainAwsError(err) || !(err instanceof Error)) throw err;
        if (/AccessDenied|NotAuthorized/i.test(err.name)) throw err;
        return dataApiConnectError(err, {
          user: canary.user,
          database: canary.database,
          clusterArn,
          secretArn: canary.secretArn,
        });
      }
    });
  }
  return [
    ['canary: Data API enabled', endpoint],
    ['canary: engine version and Region served by the Data API', supported],
    ['canary: secret readable', secret],
    ['canary: user can connect', connect],
  ];
}

/** The canary's secret: exists, not being deleted, JSON with the canary user's name and a password. */
async function canarySecretCheck(
  c: ClusterContext,
  canary: NonNullable<ClusterConfig['canary']>,
): Promise<Verdict> {
  const id = canary.secretArn;
  return guarded('secretsmanager:DescribeSecret and secretsmanager:GetSecretValue', async () => {
    let described:
      | { DeletedDate?: Date; KmsKeyId?: string; Tags?: { Key?: string; Value?: string }[] }
      | undefined;
    let value: string | undefined;
    try {
      described = await c.clients.secrets.send(new DescribeSecretCommand({ SecretId: id }));
      if (described.DeletedDate) {
        return {
          status: 'fail',
          detail: `${id} is scheduled for deletion (${described.DeletedDate.toISOString()})`,
          fix: `aws secretsmanager restore-secret --secret-id ${id}`,
        };
      }
      value = (await c.clients.secrets.send(new GetSecretValueCommand({ SecretId: id }))).SecretString;
    } catch (err) {
      if (!isNotFound(err, 'ResourceNotFoundException')) {
        if (err instanceof Error && err.name === 'DecryptionFailure') {
          return {
            status: 'fail',
            detail: `${id}: DecryptionFailure: ${err.message}`,
            fix: `allow kms:Decrypt on the secret's key (${described?.KmsKeyId ?? 'see aws secretsmanager describe-secret'}) to the caller and to the canary workflow's role`,
          };
        }
        throw err;
      }
      return {
        status: 'fail',
        detail: `${id} does not exist`,
        fix: `create it with the canary user's credentials: aws secretsmanager create-secret --name <name> --secret-string '{"username":"${canary.user}","password":"…"}', and set clusters[].canary.secretArn to its ARN`,
      };
    }
    let parsed: { username?: unknown; password?: unknown } = {};
    try {
      parsed = JSON.parse(value ?? '') as typeof parsed;
    } catch {
      // not JSON: said below
    }
    const put = `aws secretsmanager put-secret-value --secret-id ${id} --secret-string '{"username":"${canary.user}","password":"…"}'`;
    if (typeof parsed.username !== 'string' || typeof parsed.password !== 'string' || !parsed.password) {
      return {
        status: 'fail',
        detail: `${id} is not JSON with "username" and "password" (the Data API reads those)`,
        fix: put,
      };
    }
    if (parsed.username.toLowerCase() !== canary.user.toLowerCase()) {
      return {
        status: 'fail',
        detail: `${id} holds user ${parsed.username}, not canary.user ${canary.user}: the alert Lambda takes only ${canary.user}'s statements for the canary's`,
        fix: `${put}, or set clusters[].canary.user to ${parsed.username}`,
      };
    }
    // The stack grants the workflow's role GetSecretValue on the secrets tagged aurora-audit=<name> only
    // (workflows/canary/construct.ts): an untagged secret fails every run CanarySecretUnusable.
    const tag = described?.Tags?.find((t) => t.Key === TAG_KEY)?.Value;
    if (tag !== c.config.name) {
      return {
        status: 'fail',
        detail: `${id}: ${tag === undefined ? `no ${TAG_KEY} tag` : `${TAG_KEY}=${tag}, not ${c.config.name}`}: the canary workflow's role may read only secrets tagged ${TAG_KEY}=${c.config.name} (every run would fail CanarySecretUnusable)`,
        fix: `aws secretsmanager tag-resource --secret-id ${id} --tags Key=${TAG_KEY},Value=${c.config.name}`,
      };
    }
    const readable = `${id}: readable by you, username ${parsed.username} and a password, tagged ${TAG_KEY}=${tag} (the canary workflow's role reads it with its own secretsmanager:GetSecretValue, granted by the stack on secrets with that tag)`;
    const keyId = described?.KmsKeyId;
    if (keyId) {
      // Omitted for aws/secretsmanager; a console-made secret names that key too: is it customer managed?
      let manager: string | undefined;
      try {
        manager = (await c.clients.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata
          ?.KeyManager;
      } catch (err) {
        if (explainAwsError(err)) throw err;
      }
      if (manager !== 'AWS') {
        return {
          status: 'warn',
          detail: `${readable}; it is encrypted with ${manager === 'CUSTOMER' ? 'the customer managed key' : 'the key (could not tell whose)'} ${keyId}, and the stack grants the workflow's role no kms:Decrypt on it`,
          fix: `allow the canary workflow's role kms:Decrypt on ${keyId} in that key's policy, or encrypt the secret with aws/secretsmanager`,
        };
      }
    }
    return { status: 'pass', detail: readable };
  });
}

/** All checks of the configuration (or one cluster), in output order. */
export async function runDoctor(
  config: AuroraAuditConfig,
  clusters: readonly ClusterConfig[],
  opts: { stack: string; region: string; preDeploy: boolean },
  clients: Clients,
  onCheck: (check: DoctorCheck) => void = () => {},
): Promise<DoctorCheck[]> {
  const all: DoctorCheck[] = [];
  const emit = (scope: string, name: string, v: Verdict) => {
    const check = { scope, name, ...v };
    all.push(check);
    onCheck(check);
  };
  const stack = await stackCheck(clients.cfn, opts.stack, opts.region, opts.preDeploy);
  emit('account', 'stack', stack.verdict);
  const [identity, account, trail] = await Promise.all([
    sesIdentityCheck(clients.ses, config.reports.sender, opts.region),
    sesAccountCheck(clients.ses, opts.region, config.reports.recipients),
    cloudTrailCheck(clients.trail, opts.region),
  ]);
  emit('account', 'SES sender identity', identity);
  emit('account', 'SES production access', account);
  emit('account', 'CloudTrail trail for the watch rules', trail);
  for (const cluster of clusters) {
    const checks = await clusterChecks({
      config,
      cluster,
      region: opts.region,
      deployed: stack.deployed,
      clients,
    });
    for (const [name, v] of checks) emit(`cluster ${cluster.identifier}`, name, v);
  }
  return all;
}

function line(c: DoctorCheck): string {
  return `  ${MARK[c.status]} ${c.name}: ${c.detail}${c.status !== 'pass' && c.fix ? ` → ${c.fix}` : ''}\n`;
}

export function registerDoctor({ program, io, setExit }: CommandContext): void {
  program
    .command('doctor')
    .description(
      'Check that the account and each configured cluster are ready: engine and version, instance classes, KMS key, log export, pgAudit, log retention, SES, CloudTrail, the stack, and the canary prerequisites (Data API, secret, connection) where configured',
    )
    .option('-c, --config <file>', 'configuration file (default: the embedded example)')
    .option('--cluster <name>', 'check this configured cluster only (identifier or resource id)')
    .option('--stack <name>', 'deployed stack name (default: the configuration name)')
    .option(
      '--pre-deploy',
      'before the first deployment: a stack not yet deployed is a warning, not a failure',
    )
    .option('--json', 'print the checks as JSON')
    .action((opts: DoctorOptions, cmd: Command) =>
      guardUsage(io, setExit, async () => {
        // --output text: one tab-separated record per check, `CHECK scope name status detail fix`, and a total.
        const text = !opts.json && outputFormat(cmd) === 'text';
        const config = loadConfig(opts.config);
        let clusters: readonly ClusterConfig[] = config.clusters;
        if (opts.cluster !== undefined) {
          const one = findCluster(config, opts.cluster);
          if (!one)
            throw new UsageError(
              `cluster ${JSON.stringify(opts.cluster)} is not in the configuration (${config.origin})`,
            );
          clusters = [one];
        }
        const aws = awsClientConfig();
        const region = aws.region ?? '';
        const stack = opts.stack ?? config.name;
        const clients: Clients = {
          cfn: new CloudFormationClient(aws),
          trail: new CloudTrailClient(aws),
          logs: new CloudWatchLogsClient(aws),
          kms: new KMSClient(aws),
          rds: new RDSClient(aws),
          ses: new SESv2Client(aws),
          rdsData: new RDSDataClient(aws),
          secrets: new SecretsManagerClient(aws),
        };
        if (!opts.json && !text)
          io.stdout(`aurora-audit doctor: ${config.origin}, stack ${stack}, region ${region || '(none)'}\n`);
        let scope = '';
        const checks = await runDoctor(
          config,
          clusters,
          { stack, region, preDeploy: opts.preDeploy === true },
          clients,
          (c) => {
            if (opts.json) return;
            if (text) return io.stdout(textRecord('CHECK', c.scope, c.name, c.status, c.detail, c.fix));
            if (c.scope !== scope) io.stdout(`${c.scope}\n`);
            scope = c.scope;
            io.stdout(line(c));
          },
        );
        const count = (s: CheckStatus) => checks.filter((c) => c.status === s).length;
        const failed = count('fail');
        if (opts.json) {
          io.stdout(`${JSON.stringify({ stack, region, ok: failed === 0, checks })}\n`);
        } else if (text) {
          io.stdout(textRecord('TOTAL', count('pass'), count('warn'), failed));
        } else {
          io.stdout(
            `${count('pass')} passed, ${count('warn')} warning${count('warn') === 1 ? '' : 's'} (not known exactly: see each line), ${failed} failed\n`,
          );
        }
        setExit(failed > 0 ? 1 : 0);
      }),
    );
}

export const register: RegisterCommands = (ctx) => registerDoctor(ctx);
