/**
 * The rules `aurora-audit doctor` judges a set-up by, as pure functions over what the AWS APIs return (no client
 * here): which Aurora PostgreSQL versions support activity streams, what a KMS key policy allows, which classes a
 * `pgaudit.log` value logs, whether a CloudTrail trail records the management events the watch rules match.
 */

/** A check's outcome: `warn` is for what cannot be known exactly from the APIs (never counted as a pass). */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface Verdict {
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do (for `warn` and `fail`). */
  readonly fix?: string;
}

/**
 * The minimum patch of each Aurora PostgreSQL minor version that can start an activity stream, from the Aurora
 * User Guide, "Starting a database activity stream" (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/DBActivityStreams.Enabling.html),
 * read 2026-12-05: "Following are the minimum patch versions to start database activity streams with Aurora
 * PostgreSQL: 3.4.15 (11.9.15), 11.21.10; 12.9.15, …; 16.1.7, 16.2.5, 16.3.4, 16.4.3, 16.6.3". The same guide's
 * "Supported Regions and Aurora DB engines for database activity streams" excludes Aurora Serverless v1 and v2 and
 * Babelfish. The RDS API shows the minor version (`EngineVersion` "15.4") but not the patch (`SELECT
 * aurora_version()` does), so a listed version is a warning naming the patch to check, never a pass.
 */
export const DAS_MINIMUM_PATCHES: Readonly<Record<string, string>> = {
  '11.9': '11.9.15 (Aurora 3.4.15)',
  '11.21': '11.21.10',
  '12.9': '12.9.15',
  '12.15': '12.15.9',
  '12.16': '12.16.10',
  '12.17': '12.17.7',
  '12.18': '12.18.5',
  '12.19': '12.19.4',
  '12.20': '12.20.3',
  '12.22': '12.22.3',
  '13.9': '13.9.12',
  '13.11': '13.11.9',
  '13.12': '13.12.10',
  '13.13': '13.13.7',
  '13.14': '13.14.5',
  '13.15': '13.15.4',
  '13.16': '13.16.3',
  '13.18': '13.18.3',
  '14.6': '14.6.12',
  '14.8': '14.8.9',
  '14.9': '14.9.10',
  '14.10': '14.10.7',
  '14.11': '14.11.5',
  '14.12': '14.12.4',
  '14.13': '14.13.3',
  '14.15': '14.15.3',
  '15.3': '15.3.9',
  '15.4': '15.4.10',
  '15.5': '15.5.7',
  '15.6': '15.6.5',
  '15.7': '15.7.4',
  '15.8': '15.8.3',
  '15.10': '15.10.3',
  '16.1': '16.1.7',
  '16.2': '16.2.5',
  '16.3': '16.3.4',
  '16.4': '16.4.3',
  '16.6': '16.6.3',
};

export const DAS_DOCS =
  'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/DBActivityStreams.Enabling.html';

export interface ClusterEngine {
  readonly engine?: string;
  readonly engineVersion?: string;
  readonly engineMode?: string;
  /** `rds.babelfish_status` of the cluster parameter group. */
  readonly babelfish?: string;
  /** `ActivityStreamStatus`: a started stream proves the version supports it. */
  readonly activityStreamStatus?: string;
}

/** Whether the cluster's engine and version can run an activity stream, by {@link DAS_MINIMUM_PATCHES}. */
export function engineSupportsDas(c: ClusterEngine): Verdict {
  const what = `${c.engine ?? '?'} ${c.engineVersion ?? '?'}${c.engineMode && c.engineMode !== 'provisioned' ? ` (${c.engineMode})` : ''}`;
  if (c.engine !== 'aurora-postgresql') {
    return {
      status: 'fail',
      detail: `${what}: aurora-audit audits Aurora PostgreSQL only`,
      fix: 'list only aurora-postgresql clusters in clusters[]',
    };
  }
  if (c.engineMode === 'serverless') {
    return {
      status: 'fail',
      detail: `${what}: Aurora Serverless v1 does not support activity streams`,
      fix: 'migrate the cluster to provisioned instances (db.r* classes)',
    };
  }
  if (c.babelfish === 'on' || c.babelfish === 'datatypesonly') {
    return {
      status: 'fail',
      detail: `${what} with Babelfish (rds.babelfish_status = ${c.babelfish}): activity streams are not supported`,
      fix: 'audit a cluster without Babelfish',
    };
  }
  if (c.activityStreamStatus === 'started') {
    return { status: 'pass', detail: `${what}: its activity stream is started` };
  }
  const [major, minor] = (c.engineVersion ?? '').split('.');
  const key = `${major}.${minor}`;
  const listedMinors = Object.keys(DAS_MINIMUM_PATCHES)
    .filter((k) => k.startsWith(`${major}.`))
    .map((k) => Number(k.split('.')[1]));
  const patch = DAS_MINIMUM_PATCHES[key];
  if (Number(major) < 11) {
    return {
      status: 'fail',
      detail: `${what}: versions before 11 cannot start activity streams (${DAS_DOCS})`,
      fix: 'upgrade the cluster to a supported Aurora PostgreSQL version',
    };
  }
  if (patch) {
    return {
      status: 'warn',
      detail: `${what}: activity streams need patch ${patch} or later (${DAS_DOCS}); the RDS API does not show the patch level`,
      fix: `check with SELECT aurora_version(); (at least ${patch.split(' ')[0]}), or apply the pending patch: aws rds describe-pending-maintenance-actions`,
    };
  }
  const newest = listedMinors.length ? Math.max(...listedMinors) : undefined;
  return {
    status: 'warn',
    detail:
      newest !== undefined && Number(minor) > newest
        ? `${what}: newer than the versions the AWS list of minimum patches names (up to ${major}.${newest}, read 2026-12-05); not known here`
        : `${what}: not in the AWS list of minimum patches for activity streams (read 2026-12-05); not known here`,
    fix: `check the list at ${DAS_DOCS} (and the Region table of the Aurora User Guide)`,
  };
}

/** Instance classes that cannot run an activity stream: burstable `db.t*`, and Serverless v2 (`db.serverless`). */
export function instanceClassesSupportDas(
  instances: readonly { id: string; instanceClass: string }[],
): Verdict {
  if (instances.length === 0) {
    return {
      status: 'fail',
      detail: 'the cluster has no DB instances',
      fix: 'add a writer instance of a memory-optimized class (e.g. db.r6g.large)',
    };
  }
  const list = instances.map((i) => `${i.id} ${i.instanceClass}`).join(', ');
  const burstable = instances.filter((i) => /^db\.t\d/.test(i.instanceClass));
  const serverless = instances.filter((i) => i.instanceClass === 'db.serverless');
  if (burstable.length || serverless.length) {
    const bad = [...burstable, ...serverless];
    return {
      status: 'fail',
      detail: `${bad.map((i) => `${i.id} is ${i.instanceClass}`).join(', ')}: ${burstable.length ? 'burstable classes (db.t*)' : ''}${burstable.length && serverless.length ? ' and ' : ''}${serverless.length ? 'Aurora Serverless v2' : ''} cannot run activity streams`,
      fix: `change the class to a memory-optimized one, e.g. aws rds modify-db-instance --db-instance-identifier ${bad[0]?.id} --db-instance-class db.r6g.large --apply-immediately (restarts it)`,
    };
  }
  return { status: 'pass', detail: `no burstable or serverless class: ${list}` };
}

type Statement = {
  Effect?: string;
  Principal?: string | Record<string, string | string[]>;
  Action?: string | string[];
  NotAction?: string | string[];
  Condition?: Record<string, unknown>;
};

const asList = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** Whether an IAM action pattern (`kms:*`, `kms:Create*`, `*`) covers `action`, case-insensitively. */
function covers(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return re.test(action);
}

function statementCovers(s: Statement, action: string): boolean {
  if (s.NotAction !== undefined) return !asList(s.NotAction).some((p) => covers(p, action));
  return asList(s.Action).some((p) => covers(p, action));
}

/** Who a statement names: `*`, AWS principals, services. */
function principalsOf(s: Statement): { any: boolean; aws: string[]; services: string[] } {
  if (s.Principal === '*') return { any: true, aws: [], services: [] };
  const p = (s.Principal ?? {}) as Record<string, string | string[]>;
  const aws = asList(p.AWS);
  return { any: aws.includes('*'), aws, services: asList(p.Service) };
}

/**
 * What a key policy lets the account do with the key, as far as the policy shows: RDS starts the stream with
 * the caller's permissions (`kms:CreateGrant` for the grant RDS keeps, `kms:DescribeKey`) and the decrypt Lambda
 * calls `kms:Decrypt` with its IAM role; both work when the policy lets IAM policies of the account decide (the
 * account root as principal, KMS's default key policy) or names principals of the account. Grants, IAM policies
 * and conditions are not evaluated here.
 */
export function keyPolicyLetsRdsUseKey(policyText: string | undefined, account: string): Verdict {
  const rootStatement = `{"Sid":"Enable IAM policies","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::${account}:root"},"Action":"kms:*","Resource":"*"}`;
  const fix = `add to the key policy the statement that lets IAM policies of account ${account} use the key, as KMS's default policy does: ${rootStatement} (aws kms put-key-policy --policy-name default)`;
  let statements: Statement[];
  try {
    const doc = JSON.parse(policyText ?? '') as { Statement?: Statement | Statement[] };
    statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  } catch {
    return { status: 'fail', detail: 'the key policy is not readable JSON', fix };
  }
  const inAccount = (arn: string) =>
    arn === account || new RegExp(`^arn:aws[a-z-]*:(iam|sts)::${account}:`).test(arn);
  const allowedTo = (action: string) =>
    statements
      .filter((s) => s.Effect === 'Allow' && statementCovers(s, action))
      .flatMap((s) => {
        const p = principalsOf(s);
        return [
          ...(p.any ? ['*'] : []),
          ...p.aws.filter((a) => a !== '*' && inAccount(a)),
          ...p.services.filter((x) => /^rds\./.test(x)),
        ];
      });
  const deniedToAll = (action: string) =>
    statements.some(
      (s) =>
        s.Effect === 'Deny' && statementCovers(s, action) && principalsOf(s).any && s.Condition === undefined,
    );
  const problems: string[] = [];
  for (const action of ['kms:CreateGrant', 'kms:DescribeKey', 'kms:Decrypt']) {
    if (deniedToAll(action)) problems.push(`${action} is denied to every principal without condition`);
    else if (allowedTo(action).length === 0)
      problems.push(`no statement allows ${action} to account ${account}`);
  }
  if (problems.length) return { status: 'fail', detail: problems.join('; '), fix };
  const grantees = [...new Set(allowedTo('kms:CreateGrant'))];
  return {
    status: 'pass',
    detail: `allows kms:CreateGrant, kms:DescribeKey and kms:Decrypt to ${grantees.join(', ')} (conditions, grants and IAM policies not evaluated)`,
  };
}

const ALL_PGAUDIT_CLASSES = ['READ', 'WRITE', 'FUNCTION', 'ROLE', 'DDL', 'MISC', 'MISC_SET'];

/** The classes a `pgaudit.log` value logs (`all`, `none`, `-class` subtracts), upper-case. */
export function pgauditLogClasses(value: string | undefined): Set<string> {
  const classes = new Set<string>();
  for (const raw of (value ?? '').split(',')) {
    const item = raw.trim().toUpperCase();
    if (!item) continue;
    const minus = item.startsWith('-');
    const name = minus ? item.slice(1) : item;
    const names = name === 'ALL' ? ALL_PGAUDIT_CLASSES : name === 'NONE' ? [] : [name];
    for (const n of names) {
      if (minus) classes.delete(n);
      else classes.add(n);
    }
    if (name === 'NONE' && !minus) classes.clear();
  }
  return classes;
}

export interface TrailFacts {
  readonly name: string;
  readonly homeRegion?: string;
  readonly multiRegion?: boolean;
  readonly logging?: boolean;
  readonly eventSelectors?: readonly { ReadWriteType?: string; IncludeManagementEvents?: boolean }[];
  readonly advancedEventSelectors?: readonly {
    FieldSelectors?: readonly { Field?: string; Equals?: string[]; NotEquals?: string[] }[];
  }[];
  /** Why the trail's status or selectors could not be read. */
  readonly unreadable?: string;
}

/** Whether the trail's selectors record management write events (the API calls the watch rules match). */
export function recordsManagementWrites(t: TrailFacts): boolean {
  if (t.advancedEventSelectors?.length) {
    return t.advancedEventSelectors.some((s) => {
      const fields = s.FieldSelectors ?? [];
      const category = fields.find((f) => f.Field === 'eventCategory');
      const readOnly = fields.find((f) => f.Field === 'readOnly');
      return (
        category?.Equals?.includes('Management') === true &&
        !(readOnly?.Equals?.includes('true') ?? false) &&
        !(readOnly?.NotEquals?.includes('false') ?? false)
      );
    });
  }
  // Classic selectors: IncludeManagementEvents defaults to true; ReadWriteType to All.
  return (t.eventSelectors ?? []).some(
    (s) => s.IncludeManagementEvents !== false && (s.ReadWriteType ?? 'All') !== 'ReadOnly',
  );
}

/** The verdict on the trails that apply to `region`. */
export function trailVerdict(trails: readonly TrailFacts[], region: string): Verdict {
  const fix = `create one (a multi-Region trail is simplest): aws cloudtrail create-trail --name aurora-audit-trail --s3-bucket-name <bucket> --is-multi-region-trail && aws cloudtrail start-logging --name aurora-audit-trail`;
  const here = trails.filter((t) => t.multiRegion || t.homeRegion === region);
  const good = here.find((t) => t.logging && recordsManagementWrites(t));
  if (good) {
    return {
      status: 'pass',
      detail: `trail ${good.name} (${good.multiRegion ? 'multi-Region' : good.homeRegion}) is logging management write events: the watch rules receive their API calls`,
    };
  }
  if (here.length === 0) {
    return {
      status: 'fail',
      detail: `no CloudTrail trail covers ${region}: the watch rules (stream stopped, parameter group, key, bucket, log changes) receive no API call events`,
      fix,
    };
  }
  const reasons = here.map((t) =>
    t.unreadable
      ? `${t.name}: ${t.unreadable}`
      : !t.logging
        ? `${t.name}: not logging`
        : `${t.name}: records no management write events`,
  );
  if (here.some((t) => t.unreadable)) {
    return {
      status: 'warn',
      detail: `no trail here is known to log management write events (${reasons.join('; ')})`,
      fix: 'check the organization trail from its management account (aws cloudtrail get-trail-status, get-event-selectors)',
    };
  }
  const stopped = here.find((t) => !t.logging);
  return {
    status: 'fail',
    detail: `no trail in ${region} logs management write events (${reasons.join('; ')})`,
    fix: stopped
      ? `aws cloudtrail start-logging --name ${stopped.name}, and make sure it records management events (Read/Write: All or WriteOnly)`
      : `record management events (Read/Write: All or WriteOnly) on a trail: aws cloudtrail put-event-selectors --trail-name ${here[0]?.name} --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'`,
  };
}

/**
 * Where and from which engine version the RDS Data API serves Aurora PostgreSQL Serverless v2 and provisioned
 * clusters, from the Aurora User Guide, "Supported Regions and Aurora DB engines for RDS Data API"
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.Data_API.html),
 * read 2026-12-05. Every Region the table lists as available has the same minimum per major version: 13.11,
 * 14.8, 15.3, 16.1, 17.4 ("Version 15.3 and higher"); the page's newest revision adds a column "Aurora
 * PostgreSQL 18: Version 18.3 and higher". Aurora Serverless v1 has a table of its own (not used: the canary is
 * for provisioned and Serverless v2 clusters). Region codes from the names by botocore's endpoints.json.
 */
export const DATA_API_DOCS =
  'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.Data_API.html';
export const DATA_API_READ = '2026-12-05';

/** Minimum Aurora PostgreSQL version per major version ("Version 15.3 and higher"). */
export const DATA_API_MINIMUM_VERSIONS: Readonly<Record<string, string>> = {
  '13': '13.11',
  '14': '14.8',
  '15': '15.3',
  '16': '16.1',
  '17': '17.4',
  '18': '18.3',
};

/** Regions where the table lists the Data API for Aurora PostgreSQL Serverless v2 and provisioned clusters. */
export const DATA_API_REGIONS: ReadonlySet<string> = new Set([
  'us-east-1', // US East (N. Virginia)
  'us-east-2', // US East (Ohio)
  'us-west-1', // US West (N. California)
  'us-west-2', // US West (Oregon)
  'af-south-1', // Africa (Cape Town)
  'ap-east-1', // Asia Pacific (Hong Kong)
  'ap-southeast-3', // Asia Pacific (Jakarta)
  'ap-southeast-5', // Asia Pacific (Malaysia)
  'ap-south-1', // Asia Pacific (Mumbai)
  'ap-northeast-3', // Asia Pacific (Osaka)
  'ap-northeast-2', // Asia Pacific (Seoul)
  'ap-southeast-1', // Asia Pacific (Singapore)
  'ap-southeast-2', // Asia Pacific (Sydney)
  'ap-southeast-7', // Asia Pacific (Thailand)
  'ap-northeast-1', // Asia Pacific (Tokyo)
  'ca-central-1', // Canada (Central)
  'eu-central-1', // Europe (Frankfurt)
  'eu-west-1', // Europe (Ireland)
  'eu-west-2', // Europe (London)
  'eu-south-1', // Europe (Milan)
  'eu-west-3', // Europe (Paris)
  'eu-south-2', // Europe (Spain)
  'eu-north-1', // Europe (Stockholm)
  'me-south-1', // Middle East (Bahrain)
  'me-central-1', // Middle East (UAE)
  'sa-east-1', // South America (São Paulo)
]);

/** Regions the table lists as "Not available" for every version. */
export const DATA_API_UNAVAILABLE_REGIONS: ReadonlySet<string> = new Set([
  'ap-south-2', // Asia Pacific (Hyderabad)
  'ap-southeast-4', // Asia Pacific (Melbourne)
  'ap-southeast-6', // Asia Pacific (New Zealand)
  'ap-east-2', // Asia Pacific (Taipei)
  'ca-west-1', // Canada West (Calgary)
  'cn-north-1', // China (Beijing)
  'cn-northwest-1', // China (Ningxia)
  'eu-central-2', // Europe (Zurich)
  'il-central-1', // Israel (Tel Aviv)
  'mx-central-1', // Mexico (Central)
  'us-gov-east-1', // AWS GovCloud (US-East)
  'us-gov-west-1', // AWS GovCloud (US-West)
]);

/** `15.4` → [15, 4]; `16.4-limitless` → [16, 4]; the leading numbers only. */
function versionParts(version: string): number[] {
  return (/^\d+(?:\.\d+)*/.exec(version)?.[0] ?? '').split('.').filter(Boolean).map(Number);
}

function atLeast(version: string, minimum: string): boolean {
  const [a, b] = [versionParts(version), versionParts(minimum)];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const [x, y] = [a[i] ?? 0, b[i] ?? 0];
    if (x !== y) return x > y;
  }
  return true;
}

export interface DataApiCluster {
  readonly engine?: string;
  readonly engineVersion?: string;
  readonly engineMode?: string;
  readonly region: string;
}

/** Whether the Data API serves the cluster's engine, version and Region, by the tables above. */
export function dataApiSupports(c: DataApiCluster): Verdict {
  const version = c.engineVersion ?? '?';
  const what = `${c.engine ?? '?'} ${version}${c.engineMode && c.engineMode !== 'provisioned' ? ` (${c.engineMode})` : ''} in ${c.region}`;
  const upgrade = (to: string) =>
    `upgrade the cluster to ${to} or later (aws rds modify-db-cluster --engine-version …, in a maintenance window), or remove canary from this cluster`;
  if (c.engine !== 'aurora-postgresql') {
    return {
      status: 'fail',
      detail: `${what}: the canary runs on Aurora PostgreSQL only`,
      fix: 'remove canary from this cluster',
    };
  }
  if (c.engineMode === 'serverless') {
    return {
      status: 'fail',
      detail: `${what}: Aurora Serverless v1; the canary needs the Data API of provisioned or Serverless v2 clusters (${DATA_API_DOCS})`,
      fix: 'migrate the cluster to provisioned or Serverless v2 instances, or remove canary from this cluster',
    };
  }
  if (DATA_API_UNAVAILABLE_REGIONS.has(c.region)) {
    return {
      status: 'fail',
      detail: `${what}: the Data API is not available for Aurora PostgreSQL in ${c.region} (${DATA_API_DOCS}, read ${DATA_API_READ})`,
      fix: 'remove canary from this cluster (the canary needs the Data API), or check the table again: AWS adds Regions',
    };
  }
  const major = String(versionParts(version)[0] ?? '?');
  const minimum = DATA_API_MINIMUM_VERSIONS[major];
  const majors = Object.keys(DATA_API_MINIMUM_VERSIONS).map(Number);
  if (!minimum) {
    if (Number(major) > Math.max(...majors)) {
      return {
        status: 'warn',
        detail: `${what}: major version ${major} is newer than the Data API table (up to ${Math.max(...majors)}, read ${DATA_API_READ}); not known here`,
        fix: `check ${DATA_API_DOCS}`,
      };
    }
    return {
      status: 'fail',
      detail: `${what}: the Data API serves Aurora PostgreSQL ${Math.min(...majors)} and later only (${DATA_API_DOCS})`,
      fix: upgrade(DATA_API_MINIMUM_VERSIONS[String(Math.min(...majors))] ?? '13.11'),
    };
  }
  if (!atLeast(version, minimum)) {
    return {
      status: 'fail',
      detail: `${what}: the Data API needs ${minimum} or later for Aurora PostgreSQL ${major} (${DATA_API_DOCS})`,
      fix: upgrade(minimum),
    };
  }
  if (!DATA_API_REGIONS.has(c.region)) {
    return {
      status: 'warn',
      detail: `${what}: ${c.region} is not in the Data API table (read ${DATA_API_READ}); not known here`,
      fix: `check ${DATA_API_DOCS}`,
    };
  }
  return {
    status: 'pass',
    detail: `${what}: the Data API serves Aurora PostgreSQL ${major} from ${minimum} in ${c.region}`,
  };
}

/** What the Data API's answer to the canary user's `SELECT current_user` means, and what to fix. */
export function dataApiConnectError(
  err: { readonly name: string; readonly message: string },
  c: {
    readonly user: string;
    readonly database: string;
    readonly clusterArn: string;
    readonly secretArn: string;
  },
): Verdict {
  const said = `${err.name}: ${err.message}`;
  // The database's own error text: which exception carries it is not known offline (DatabaseErrorException
  // on provisioned clusters per the model; Serverless v1 answered BadRequestException): the text decides.
  if (/password authentication failed/i.test(err.message)) {
    return {
      status: 'fail',
      detail: `${said}: the secret's password is not ${c.user}'s`,
      fix: `set the password the secret holds (ALTER ROLE ${c.user} PASSWORD …), or put the user's password in the secret (aws secretsmanager put-secret-value --secret-id ${c.secretArn} …)`,
    };
  }
  if (/database "[^"]*" does not exist/i.test(err.message)) {
    return {
      status: 'fail',
      detail: `${said}: there is no database ${c.database}`,
      fix: `create it (CREATE DATABASE ${c.database};) with the canary's table, or set clusters[].canary.database to the database it is in`,
    };
  }
  if (/role "[^"]*" does not exist/i.test(err.message)) {
    return {
      status: 'fail',
      detail: `${said}: the secret's user does not exist`,
      fix: `create the canary user (docs/workflows.md "Canary workflow"): CREATE ROLE ${c.user} LOGIN PASSWORD …`,
    };
  }
  if (/not permitted to log in|permission denied for database/i.test(err.message)) {
    return {
      status: 'fail',
      detail: `${said}: the user may not connect to ${c.database}`,
      fix: `ALTER ROLE ${c.user} LOGIN; GRANT CONNECT ON DATABASE ${c.database} TO ${c.user};`,
    };
  }
  switch (err.name) {
    case 'HttpEndpointNotEnabledException':
      return {
        status: 'fail',
        detail: said,
        fix: `aws rds enable-http-endpoint --resource-arn ${c.clusterArn}`,
      };
    case 'SecretsErrorException':
    case 'InvalidSecretException':
      return {
        status: 'fail',
        detail: `${said}: the Data API could not use the secret`,
        fix: `the secret must exist in the cluster's Region and hold JSON {"username": …, "password": …}; its key must let the caller decrypt (${c.secretArn})`,
      };
    case 'AccessDeniedException':
    case 'ForbiddenException':
      return {
        status: 'fail',
        detail: said,
        fix: `allow rds-data:ExecuteStatement on ${c.clusterArn} and secretsmanager:GetSecretValue on the secret to the caller`,
      };
    case 'DatabaseResumingException':
    case 'DatabaseUnavailableException':
    case 'DatabaseNotFoundException':
      return {
        status: 'fail',
        detail: `${said}: no writer instance answered`,
        fix: 'wait until the cluster has an available writer instance, then run the doctor again',
      };
    default:
      return {
        status: 'fail',
        detail: said,
        fix: `check that ${c.user} can run SELECT current_user in ${c.database} (psql as that user), then run the doctor again`,
      };
  }
}
