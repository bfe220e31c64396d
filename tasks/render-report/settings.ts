/**
 * The report Lambda's settings, declared once: the schema below is what the workflow construct
 * (`workflows/compliance-report/construct.ts`) fills, checked with `satisfies ReportLambdaEnvironment` at synth,
 * and what the cold start parses. Invalid settings fail the cold start with one message naming every bad
 * variable.
 */

import * as z from 'zod/mini';
import { DEFAULT_COVERAGE_CLASSES } from '../../reports/queries';
import { RUNTIME_CLUSTER_RESOURCE_ID, SES_EMAIL_ADDRESS } from '../core/identifiers';
import { createRedactor, InvalidRedactionPatternError } from '../core/redact';
import { isTimeZone } from '../core/report-period';
import { intSetting, jsonSetting, type LambdaEnvironment, parseSettings } from '../shared/settings';

/** An ASCII email address (SES `SendRawEmail` rejects the whole message if one recipient is invalid). */
export const EMAIL = SES_EMAIL_ADDRESS;
const DOMAIN =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** SES accepts at most 50 recipients per message. */
export const MAX_RECIPIENTS = 50;
/** SES v1 `SendRawEmail` accepts 10 MB; the default budget leaves room for its base64 transport. */
export const DEFAULT_MAX_EMAIL_BYTES = 7_000_000;

export const reportSettingsSchema = z.object({
  CLUSTERS: jsonSetting(
    z
      .array(
        z.object({
          identifier: z.string().check(z.minLength(1)),
          resourceId: z.string().check(z.regex(RUNTIME_CLUSTER_RESOURCE_ID)),
          /** The cluster's canary user (`clusters[].canary.user`): its canary statements are left out. */
          canaryUser: z.optional(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_$]*$/))),
        }),
      )
      .check(z.minLength(1)),
  ),
  /** JSON `["compliance@example.com"]`: the configured report recipients. */
  RECIPIENTS: jsonSetting(
    z
      .array(z.string().check(z.regex(EMAIL, 'must be an email address')))
      .check(z.minLength(1), z.maxLength(MAX_RECIPIENTS)),
  ),
  /** An email address, or a domain (the sender is then `aurora-audit@<domain>`). */
  SENDER: z.pipe(
    z
      .string()
      .check(z.refine((s) => EMAIL.test(s) || DOMAIN.test(s), 'must be an email address or a domain')),
    z.transform((s: string) => (s.includes('@') ? s : `aurora-audit@${s}`)),
  ),
  /** `[prefix] Aurora audit …` */
  SUBJECT_PREFIX: z.string().check(z.minLength(1), z.maxLength(24)),
  /** Default IANA time zone of the period's days. */
  TIME_ZONE: z._default(z.string(), 'UTC').check(z.refine(isTimeZone, 'must be an IANA time zone')),
  /** The audit bucket (reading Athena results is through GetQueryResults; this is for the archive). */
  BUCKET: z.string().check(z.minLength(3)),
  /** The Athena workgroup. */
  WORKGROUP: z.string().check(z.minLength(1)),
  /**
   * The events table, `<database>.<table>` (the Glue names): what the period summary reads; the run's summary
   * table goes into the same database.
   */
  EVENTS_TABLE: z._default(
    z.string().check(z.regex(/^[a-z0-9_]{1,255}\.[a-z0-9_]{1,255}$/, 'must be <database>.<table>')),
    'aurora_audit.audit_events',
  ),
  /** Rows shown per section before "and N more". */
  MAX_ROWS_PER_SECTION: z._default(intSetting(1, 1000), 50),
  /** Extra redaction patterns (JSON array of regular expressions), as the other Lambdas take them. */
  REDACTION_PATTERNS: z._default(jsonSetting(z.array(z.string())), []),
  /** Optional: the raw message budget in bytes (CSV attachments beyond it are linked instead). */
  MAX_EMAIL_BYTES: z._default(intSetting(100_000, 10_000_000), DEFAULT_MAX_EMAIL_BYTES),
  /**
   * The classes the coverage check reconciles (`alerts.coverage.classes`, comma-separated, as the alert
   * Lambda's COVERAGE_CLASSES): the coverage-gaps query's parameter. Empty: the check is off, no gaps listed.
   */
  COVERAGE_CLASSES: z.pipe(
    z.pipe(
      z._default(z.string(), DEFAULT_COVERAGE_CLASSES.join(',')),
      z.transform((s: string) =>
        s
          .split(',')
          .map((c) => c.trim().toUpperCase())
          .filter(Boolean),
      ),
    ),
    z.array(z.string().check(z.regex(/^[A-Z][A-Z_]*$/, 'must be class names such as ROLE,DDL'))),
  ),
  /** Set by Lambda; used for the S3 console links. */
  AWS_REGION: z.optional(z.string().check(z.minLength(1))),
});

export type ReportSettings = z.output<typeof reportSettingsSchema>;

/**
 * The settings deployed as a file bundled beside the code: `CLUSTERS`, JSON
 * `[{"identifier": "orders-db", "resourceId": "cluster-…"}]` (a fleet's list outgrows Lambda's 4 KB of
 * environment).
 */
export const REPORT_SETTINGS_FILES = ['CLUSTERS'] as const;

/** The environment the workflow construct sets (`CLUSTERS_FILE` naming the bundled file); every value a string. */
export type ReportLambdaEnvironment = LambdaEnvironment<
  typeof reportSettingsSchema,
  (typeof REPORT_SETTINGS_FILES)[number]
>;

export class InvalidReportSettingsError extends Error {
  override readonly name = 'InvalidReportSettingsError';
}

export function readReportSettings(
  env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env,
  baseDir: string = __dirname,
): ReportSettings {
  // CLUSTERS deployed: read once from the bundled file CLUSTERS_FILE names.
  const settings = parseSettings(reportSettingsSchema, env, 'report Lambda', InvalidReportSettingsError, {
    settings: REPORT_SETTINGS_FILES,
    baseDir,
  });
  try {
    createRedactor(settings.REDACTION_PATTERNS);
  } catch (err) {
    if (err instanceof InvalidRedactionPatternError)
      throw new InvalidReportSettingsError(
        `invalid report Lambda settings: REDACTION_PATTERNS: ${err.message}`,
      );
    throw err;
  }
  return settings;
}
