/**
 * The aurora-audit configuration: one typed, validated document that the CDK app, the Lambdas (through
 * environment variables the stacks derive from it) and the CLI all read. See docs/configuration.md.
 */
import { z } from 'zod';
import {
  CLUSTER_IDENTIFIER,
  CLUSTER_RESOURCE_ID,
  INSTANCE_RESOURCE_ID,
  SCHEDULE_EXPRESSION,
  WEEKLY_WINDOW,
} from '../../tasks/core/identifiers';

/** Values CloudWatch Logs accepts for a log group's retention, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key\/[0-9a-f-]{36}|alias\/[A-Za-z0-9/_-]+)$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/i;

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return /\//.test(value) || value === 'UTC';
  } catch {
    return false;
  }
}

function isRegExp(value: string): boolean {
  try {
    new RegExp(value, 'giu');
    return true;
  } catch {
    return false;
  }
}

const email = z.string().regex(EMAIL, 'must be an email address');

/** A Secrets Manager secret ARN (with the random suffix Secrets Manager adds to the name). */
export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
/** A PostgreSQL database name the Data API connects to (unquoted identifier). */
export const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/**
 * The canary (docs/workflows.md "Canary workflow"): a scheduled run that writes marked statements through the
 * RDS Data API as a dedicated low-privilege user and waits until they arrive through every audit source.
 * Opt-in per cluster: without it, nothing is created for the cluster.
 */
export const canarySchema = z.strictObject({
  /**
   * The Secrets Manager secret of the canary user (`username`, `password`): a user created for the canary
   * only, owning the table `aurora_audit_canary` and nothing else, with no `pgaudit.log` of its own.
   */
  secretArn: z
    .string()
    .regex(
      SECRET_ARN,
      'must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)',
    ),
  /**
   * The canary user's name (the secret's `username`): the alert Lambda takes only this user's canary
   * statements for canary arrivals, so nobody else can hide a statement behind the marker. Default:
   * `aurora_audit_canary`.
   */
  user: z
    .string()
    .regex(DATABASE_NAME, 'must be a PostgreSQL user name (letters, digits, _ or $, at most 63)')
    .default('aurora_audit_canary'),
  /** The database the canary connects to (where `aurora_audit_canary` is). */
  database: z
    .string()
    .regex(DATABASE_NAME, 'must be a PostgreSQL database name (letters, digits, _ or $, at most 63)'),
  /** When the canary runs. Default: every day at 06:00 UTC. */
  schedule: z
    .strictObject({
      /** EventBridge Scheduler expression, `cron(…)` with six fields or `rate(…)`. */
      expression: z.string().regex(SCHEDULE_EXPRESSION, 'must be "cron(<6 fields>)" or "rate(<n> <unit>)"'),
      /** IANA time zone the expression is evaluated in. Default: UTC. */
      timeZone: z
        .string()
        .refine(isTimeZone, 'must be an IANA time zone such as "Europe/Berlin" or "UTC"')
        .default('UTC'),
    })
    .default({ expression: 'cron(0 6 * * ? *)', timeZone: 'UTC' }),
  /** Minutes the canary waits for its statements to arrive before a path counts as silent. Default: 30. */
  deadlineMinutes: z.number().int().min(5, 'must be at least 5').max(180, 'must be at most 180').default(30),
});

export const instanceOverrideSchema = z.strictObject({
  /** The DB instance identifier within the cluster. */
  identifier: z.string().regex(CLUSTER_IDENTIFIER, 'must be a DB instance identifier'),
  /**
   * The instance's resource id (`db-…`, `DbiResourceId`): activity-stream events name the instance by it.
   * Needed for `alerts: false` to apply to activity-stream events. Default: none.
   */
  resourceId: z
    .string()
    .regex(INSTANCE_RESOURCE_ID, 'must be a DbiResourceId like "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"')
    .optional(),
  /** Send alerts for this instance's events. Default: true. */
  alerts: z.boolean().default(true),
});

export const clusterSchema = z.strictObject({
  /** The DB cluster identifier (its name), e.g. `orders-db`. */
  identifier: z
    .string()
    .regex(
      CLUSTER_IDENTIFIER,
      'must be a DB cluster identifier: 1-63 letters, digits or hyphens, starting with a letter',
    ),
  /** The cluster's resource id (`DbClusterResourceId`), `cluster-` and 26 upper-case letters or digits. */
  resourceId: z
    .string()
    .regex(CLUSTER_RESOURCE_ID, 'must be a DbClusterResourceId like "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ"'),
  /** Customer-managed KMS key (ARN) the activity stream is encrypted with. */
  activityStreamKmsKeyArn: z.string().regex(KMS_KEY_ARN, 'must be a KMS key or alias ARN'),
  /** Instance-level overrides. Default: none. */
  instances: z.array(instanceOverrideSchema).default([]),
  /**
   * The cluster's PostgreSQL log group `/aws/rds/cluster/<identifier>/postgresql`, which RDS creates (with no
   * expiry) when the cluster exports its PostgreSQL log:
   * `set-retention`: the stack sets the logs retention on it without owning it (one custom resource for all
   * clusters, `infra/constructs/postgres-log-retention.ts`; it creates the group if RDS has not yet; kept when
   * the stack is deleted);
   * `create`: the stack creates it as its own resource (only when it does not exist yet: deploying fails if
   * it does); `existing`: the stack only subscribes to it and leaves its retention alone.
   * Default: set-retention.
   */
  postgresLogGroup: z.enum(['set-retention', 'create', 'existing']).default('set-retention'),
  /**
   * Both audit sources are meant to be on for this cluster: the alert Lambda reconciles them (see
   * `alerts.coverage`). Set false while pgAudit is not set up on the cluster. Default: true.
   */
  coverageCheck: z.boolean().default(true),
  /**
   * The canary for this cluster (docs/workflows.md "Canary workflow"): it waits for the activity stream and,
   * with `coverageCheck`, pgAudit. Default: none (no canary).
   */
  canary: canarySchema.optional(),
});

/** Statement classes both sources name alike, which the coverage check can reconcile. */
export const RECONCILABLE_CLASSES = ['ROLE', 'DDL', 'READ', 'WRITE', 'FUNCTION', 'MISC'] as const;

export const scheduleSchema = z.strictObject({
  /** Report period the schedule produces. */
  period: z.enum(['daily', 'weekly', 'monthly']),
  /** EventBridge Scheduler expression, `cron(…)` with six fields or `rate(…)`. */
  expression: z.string().regex(SCHEDULE_EXPRESSION, 'must be "cron(<6 fields>)" or "rate(<n> <unit>)"'),
  /** IANA time zone the expression is evaluated in. */
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as "Europe/Berlin" or "UTC"'),
});

/** The configuration document's fields, before the cross-field checks of {@link configSchema}. */
export const configObjectSchema = z.strictObject({
  /** Prefix of stack and resource names. Default: `aurora-audit`. */
  name: z
    .string()
    .regex(
      /^[a-z][a-z0-9-]{1,30}$/,
      'must be 2-31 lower-case letters, digits or hyphens, starting with a letter',
    )
    .default('aurora-audit'),
  /** Account and region to deploy to. Default: the CLI's (environment-agnostic synth). */
  deployment: z
    .strictObject({
      account: z
        .string()
        .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
        .optional(),
      region: z
        .string()
        .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as "eu-west-1"')
        .optional(),
    })
    .default({}),
  /** The audited Aurora PostgreSQL clusters. */
  clusters: z.array(clusterSchema).min(1, 'must list at least one cluster'),
  /** Database users whose activity is never stored nor alerted on (case-insensitive). */
  serviceUsers: z.array(z.string().min(1)).default(['rdsadmin', 'rdsproxyadmin']),
  alerts: z.strictObject({
    /** Email addresses subscribed to the alert topic. */
    recipients: z.array(email).min(1, 'must list at least one recipient'),
    /** Subject prefix, e.g. `[aurora-audit] HIGH …`. Default: `aurora-audit`. */
    subjectPrefix: z
      .string()
      .min(1)
      .max(24, 'must be at most 24 characters (SNS subjects are 100)')
      .default('aurora-audit'),
    /** Rules file (YAML or JSON), relative to the configuration file. Default: the built-in rules. */
    rulesFile: z.string().min(1).optional(),
    /**
     * The coverage check: a statement of these classes that one source recorded and the other did not within
     * the grace period becomes a `coverage-gap` finding (rule `audit-coverage-gap`), on clusters with
     * `coverageCheck: true`. Default: classes ROLE and DDL, 15 minutes. `classes: []` turns it off.
     */
    coverage: z
      .strictObject({
        classes: z.array(z.enum(RECONCILABLE_CLASSES)).default(['ROLE', 'DDL']),
        graceMinutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(15),
      })
      .default({ classes: ['ROLE', 'DDL'], graceMinutes: 15 }),
    /**
     * The canary alarm goes off when a cluster's canary has failed this many runs in a row (one alarm for the
     * fleet, docs/workflows.md "Canary evidence"). Default: 2.
     */
    canaryAlarmAfterFailedRuns: z.number().int().min(1).max(100).default(2),
  }),
  reports: z.strictObject({
    /** Email addresses that receive the compliance reports. */
    recipients: z.array(email).min(1, 'must list at least one recipient'),
    /** SES identity the reports are sent from: a verified email address or domain. */
    sender: z.string().refine((v) => EMAIL.test(v) || DOMAIN.test(v), 'must be an email address or a domain'),
    /** When reports run. Default: daily at 07:00 UTC. */
    schedules: z
      .array(scheduleSchema)
      .default([{ period: 'daily', expression: 'cron(0 7 * * ? *)', timeZone: 'UTC' }]),
    /** Athena per-query cutoff in bytes scanned. Default: 10 GiB. */
    bytesScannedCutoffPerQuery: z
      .number()
      .int()
      .min(10_000_000)
      .default(10 * 1024 ** 3),
  }),
  retention: z
    .strictObject({
      /** Days audit events are kept in S3. Default: 2557 (7 years). */
      auditEventsDays: z.number().int().min(1).default(2557),
      /** Days quarantined input and on-failure records are kept. Default: 400. */
      quarantineDays: z.number().int().min(1).default(400),
      /** Days archived reports are kept. Default: 2557. */
      reportsDays: z.number().int().min(1).default(2557),
      /** Days Athena query results are kept. Default: 30. */
      athenaResultsDays: z.number().int().min(1).default(30),
      /** CloudWatch Logs retention of the Lambdas' and workflows' log groups. Default: 365. */
      logsDays: z
        .number()
        .int()
        .refine(
          (v) => (LOG_RETENTION_DAYS as readonly number[]).includes(v),
          `must be one of CloudWatch Logs' values: ${LOG_RETENTION_DAYS.join(', ')}`,
        )
        .default(365),
      /** Days after which events move to S3 Infrequent Access, then Glacier. Default: 90, 365. */
      infrequentAccessAfterDays: z.number().int().min(30).default(90),
      glacierAfterDays: z.number().int().min(1).default(365),
    })
    .default({
      auditEventsDays: 2557,
      quarantineDays: 400,
      reportsDays: 2557,
      athenaResultsDays: 30,
      logsDays: 365,
      infrequentAccessAfterDays: 90,
      glacierAfterDays: 365,
    }),
  maintenanceWindow: z
    .strictObject({
      /**
       * `cluster-window`: the cluster's own preferred maintenance window (default); `fixed`: `fixedWindow`;
       * `immediate`: start at once (restarts the instances now).
       */
      policy: z.enum(['cluster-window', 'fixed', 'immediate']).default('cluster-window'),
      /** `ddd:hh:mm-ddd:hh:mm` in UTC, required with policy `fixed`. */
      fixedWindow: z
        .string()
        .regex(WEEKLY_WINDOW, 'must be "ddd:hh:mm-ddd:hh:mm" in UTC, e.g. "sun:03:00-sun:04:00"')
        .optional(),
      /** Whether a workflow input may ask for `now` and bypass the window. Default: true. */
      allowImmediate: z.boolean().default(true),
    })
    .default({ policy: 'cluster-window', allowImmediate: true }),
  security: z
    .strictObject({
      /**
       * S3 Object Lock on the audit bucket: every object version kept unchangeable for `days` (`GOVERNANCE`:
       * only principals with s3:BypassGovernanceRetention may remove it early; `COMPLIANCE`: nobody, not
       * even the account root). Only for a new audit bucket: set it at the first deployment. Default: off.
       */
      objectLock: z
        .strictObject({
          mode: z.enum(['GOVERNANCE', 'COMPLIANCE']),
          days: z.number().int().min(1).max(36500),
        })
        .optional(),
      /**
       * IAM principals (account, role or user ARNs) that may assume the read-only auditor role (Athena
       * queries, the Glue table, `events/` and `reports/`). Default: none, and no auditor role.
       */
      auditorPrincipals: z
        .array(
          z
            .string()
            .regex(
              /^arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/,
              'must be an IAM account (":root"), role or user ARN',
            ),
        )
        .default([]),
    })
    .default({ auditorPrincipals: [] }),
  redaction: z
    .strictObject({
      /** Extra regular expressions (JavaScript syntax) whose matches are replaced by `<REDACTED>`. */
      extraPatterns: z.array(z.string().refine(isRegExp, 'must be a valid regular expression')).default([]),
    })
    .default({ extraPatterns: [] }),
});

export const configSchema = configObjectSchema.superRefine((config, ctx) => {
  const seen = new Map<string, number>();
  config.clusters.forEach((cluster, i) => {
    for (const key of [cluster.identifier, cluster.resourceId]) {
      const first = seen.get(key);
      if (first !== undefined && first !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['clusters', i, key === cluster.identifier ? 'identifier' : 'resourceId'],
          message: `duplicates clusters[${first}]`,
        });
      }
      seen.set(key, i);
    }
  });
  config.clusters.forEach((cluster, i) => {
    const secretRegion = cluster.canary?.secretArn.split(':')[3];
    const region = config.deployment.region;
    if (secretRegion && region && secretRegion !== region) {
      ctx.addIssue({
        code: 'custom',
        path: ['clusters', i, 'canary', 'secretArn'],
        message: `must be a secret in the deployment region ${region} (the Data API reads it there), not ${secretRegion}`,
      });
    }
  });
  if (config.maintenanceWindow.policy === 'fixed' && !config.maintenanceWindow.fixedWindow) {
    ctx.addIssue({
      code: 'custom',
      path: ['maintenanceWindow', 'fixedWindow'],
      message: 'is required when policy is "fixed"',
    });
  }
  if (config.retention.glacierAfterDays <= config.retention.infrequentAccessAfterDays) {
    ctx.addIssue({
      code: 'custom',
      path: ['retention', 'glacierAfterDays'],
      message: 'must be greater than retention.infrequentAccessAfterDays',
    });
  }
  const lock = config.security.objectLock;
  if (lock && lock.days > config.retention.auditEventsDays) {
    ctx.addIssue({
      code: 'custom',
      path: ['security', 'objectLock', 'days'],
      message: `must be at most retention.auditEventsDays (${config.retention.auditEventsDays}): events cannot expire while locked`,
    });
  }
  if (config.retention.auditEventsDays <= config.retention.glacierAfterDays) {
    ctx.addIssue({
      code: 'custom',
      path: ['retention', 'auditEventsDays'],
      message: 'must be greater than retention.glacierAfterDays (events expire after they reach Glacier)',
    });
  }
});

/** The configuration as written (defaults optional). */
export type AuroraAuditConfigInput = z.input<typeof configSchema>;
/** The validated configuration, defaults applied. */
export type AuroraAuditConfig = z.output<typeof configSchema> & {
  /** Absolute path of the rules file, resolved against the configuration file; undefined for built-in rules. */
  readonly rulesFilePath?: string;
  /** Where the configuration came from (a path, or `embedded example`). */
  readonly origin: string;
};
export type ClusterConfig = AuroraAuditConfig['clusters'][number];
export type CanaryConfig = NonNullable<ClusterConfig['canary']>;
