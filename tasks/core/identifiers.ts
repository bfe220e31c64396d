/**
 * Every pattern that more than one part of aurora-audit checks a value against: the configuration schema
 * (`infra/config/schema.ts`), the constructs' prop validation (`workflows/*\/construct.ts`), the Change
 * Manager runbook (`infra/constructs/change-management.ts`), the Lambdas (`tasks/`) and the CLI. Defined
 * here once, each with the reason for its exact form; nothing else writes these patterns out
 * (`test/tasks/core/identifiers.test.ts` searches the tree for copies).
 *
 * Where two forms of one identifier exist, they differ on purpose: the strict form checks what an operator
 * writes (a typo must fail at synth), the lenient one what AWS itself sends at run time (AWS documents no
 * length for it, so a record from AWS is never refused over a length).
 */

/**
 * A DB cluster or DB instance identifier as RDS accepts it: 1-63 letters, digits or hyphens, starting with a
 * letter, no two consecutive hyphens, not ending with a hyphen (RDS `CreateDBCluster`, `DBClusterIdentifier`).
 */
export const CLUSTER_IDENTIFIER = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}(?<!-)$/;

/**
 * The cluster identifier as the Change Manager runbook's `allowedPattern` reads it: SSM's pattern language
 * has no look-arounds, so the double-hyphen and trailing-hyphen rules are left to the workflow's own
 * validation (which uses {@link CLUSTER_IDENTIFIER} through the configured cluster list).
 */
export const RUNBOOK_CLUSTER_IDENTIFIER = /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/;

/** The body shared by both forms of a cluster resource id (`DbClusterResourceId`). */
const CLUSTER_RESOURCE_ID_PREFIX = 'cluster-[A-Z0-9]';

/**
 * A `DbClusterResourceId` as an operator configures it: `cluster-` and 26 upper-case letters or digits, the
 * form RDS gives today. Strict so that a pasted cluster ARN or name fails at synth, not at the first record.
 */
export const CLUSTER_RESOURCE_ID = new RegExp(`^${CLUSTER_RESOURCE_ID_PREFIX}{26}$`);

/**
 * A `DbClusterResourceId` as AWS sends it at run time (a Lambda's settings, a stream name): `cluster-` and
 * upper-case letters or digits of any length. The length is not documented, so run-time parsing does not
 * pin it (see the file comment).
 */
export const RUNTIME_CLUSTER_RESOURCE_ID = new RegExp(`^${CLUSTER_RESOURCE_ID_PREFIX}+$`);

/**
 * The Kinesis stream RDS creates for a cluster's activity stream, `…:stream/aws-rds-das-<cluster resource
 * id>`; group 1 is the cluster resource id (its run-time form).
 */
export const ACTIVITY_STREAM_ARN = new RegExp(
  `^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\\d{12}:stream\\/aws-rds-das-(${CLUSTER_RESOURCE_ID_PREFIX}+)$`,
);

/** A `DbiResourceId` (`db-…`): activity-stream events name the instance by it. */
export const INSTANCE_RESOURCE_ID = /^db-[A-Z0-9]+$/;

/**
 * A weekly maintenance window as RDS writes it (`PreferredMaintenanceWindow`): `ddd:hh24:mi-ddd:hh24:mi` in
 * UTC, lower-case days, e.g. `sun:03:00-sun:04:00`. Groups: start day, hour, minute; end day, hour, minute
 * (the planner reads them).
 */
export const WEEKLY_WINDOW =
  /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * A change ticket or requester in a workflow's input: 1-128 letters, digits (any script), spaces or
 * `._@:/+#()-`. No quote, backslash or control character, so the value travels through JSON, email subjects
 * and the lock item unchanged.
 */
export const REQUEST_TEXT = /^[\p{L}\p{N} ._@:/+#()-]{1,128}$/u;

/**
 * The change ticket as the Change Manager runbook's `allowedPattern` reads it: {@link REQUEST_TEXT} in
 * ASCII only, the subset every regular-expression flavour (SSM's included) reads alike.
 */
export const RUNBOOK_CHANGE_TICKET = /^[A-Za-z0-9 ._@:/+#()-]{1,128}$/;

/**
 * An ASCII email address as SES accepts it in `SendRawEmail` (which rejects the whole message if one
 * recipient is invalid): the report Lambda's recipients and sender, the MIME builder's addresses.
 */
export const SES_EMAIL_ADDRESS =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/**
 * An EventBridge Scheduler expression for the report schedules: `cron(<6 fields>)` or `rate(<n> <unit>)`
 * (the `at(...)` one-time form is not a schedule).
 */
export const SCHEDULE_EXPRESSION =
  /^(cron\((\S+ ){5}\S+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$/;

/** The patterns above by name, for the test that no other file writes one out again. */
export const SHARED_PATTERNS: Readonly<Record<string, RegExp>> = {
  CLUSTER_IDENTIFIER,
  RUNBOOK_CLUSTER_IDENTIFIER,
  CLUSTER_RESOURCE_ID,
  RUNTIME_CLUSTER_RESOURCE_ID,
  ACTIVITY_STREAM_ARN,
  INSTANCE_RESOURCE_ID,
  WEEKLY_WINDOW,
  REQUEST_TEXT,
  RUNBOOK_CHANGE_TICKET,
  SES_EMAIL_ADDRESS,
  SCHEDULE_EXPRESSION,
};
