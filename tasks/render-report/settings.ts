/**
 * The report Lambda's settings, from the environment the workflow construct sets
 * (`ReportLambdaEnvironment` in ./contract.ts). Invalid settings fail the cold start with one message
 * naming every bad variable.
 */
import { z } from 'zod';
import { DEFAULT_COVERAGE_CLASSES } from '../../reports/queries';
import { createRedactor, InvalidRedactionPatternError } from '../core/redact';
import { isTimeZone } from '../core/report-period';
import { jsonSetting, parseSettings } from '../shared/settings';

/** An ASCII email address (SES `SendRawEmail` rejects the whole message if one recipient is invalid). */
export const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
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
          identifier: z.string().min(1),
          resourceId: z.string().regex(/^cluster-[A-Z0-9]+$/),
        }),
      )
      .min(1),
  ),
  RECIPIENTS: jsonSetting(
    z.array(z.string().regex(EMAIL, 'must be an email address')).min(1).max(MAX_RECIPIENTS),
  ),
  /** An email address, or a domain (the sender is then `aurora-audit@<domain>`). */
  SENDER: z
    .string()
    .refine((s) => EMAIL.test(s) || DOMAIN.test(s), 'must be an email address or a domain')
    .transform((s) => (s.includes('@') ? s : `aurora-audit@${s}`)),
  SUBJECT_PREFIX: z.string().min(1).max(24),
  TIME_ZONE: z.string().default('UTC').refine(isTimeZone, 'must be an IANA time zone'),
  BUCKET: z.string().min(3),
  WORKGROUP: z.string().min(1),
  MAX_ROWS_PER_SECTION: z.coerce.number().int().min(1).max(1000).default(50),
  REDACTION_PATTERNS: jsonSetting(z.array(z.string())).default([]),
  /** Optional: the raw message budget in bytes (CSV attachments beyond it are linked instead). */
  MAX_EMAIL_BYTES: z.coerce.number().int().min(100_000).max(10_000_000).default(DEFAULT_MAX_EMAIL_BYTES),
  /**
   * The classes the coverage check reconciles (`alerts.coverage.classes`, comma-separated, as the alert
   * Lambda's COVERAGE_CLASSES): the coverage-gaps query's parameter. Empty: the check is off, no gaps listed.
   */
  COVERAGE_CLASSES: z
    .string()
    .default(DEFAULT_COVERAGE_CLASSES.join(','))
    .transform((s) =>
      s
        .split(',')
        .map((c) => c.trim().toUpperCase())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[A-Z][A-Z_]*$/, 'must be class names such as ROLE,DDL'))),
  /** Set by Lambda; used for the S3 console links. */
  AWS_REGION: z.string().min(1).optional(),
});

export type ReportSettings = z.output<typeof reportSettingsSchema>;

export class InvalidReportSettingsError extends Error {
  override readonly name = 'InvalidReportSettingsError';
}

export function readReportSettings(
  env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env,
  baseDir: string = __dirname,
): ReportSettings {
  // CLUSTERS deployed: read once from the bundled file CLUSTERS_FILE names.
  const settings = parseSettings(reportSettingsSchema, env, 'report Lambda', InvalidReportSettingsError, {
    settings: ['CLUSTERS'],
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
