/**
 * The alert Lambda's settings, declared once: the schema below is what `infra/constructs/alert-processing.ts`
 * fills, checked with `satisfies AlertLambdaEnvironment` at synth, and what the cold start parses.
 */
import { z } from 'zod';
import { RUNTIME_CLUSTER_RESOURCE_ID } from '../core/identifiers';
import { jsonSetting, type LambdaEnvironment, parseSettings } from '../shared/settings';

export const alertSettingsSchema = z.object({
  ALERT_TABLE: z.string().min(1),
  AUDIT_BUCKET: z.string().min(3),
  TOPIC_ARN: z.string().startsWith('arn:'),
  DELIVERY_STREAM_NAME: z.string().min(1),
  DECRYPT_LOG_GROUP: z.string().min(1),
  CLUSTERS: jsonSetting(
    z.array(
      z.object({
        identifier: z.string().min(1),
        resourceId: z.string().regex(RUNTIME_CLUSTER_RESOURCE_ID),
        silentInstances: z.array(z.string()),
        /** Both sources are meant to be on: the coverage check reconciles them. */
        coverageCheck: z.boolean().default(false),
      }),
    ),
  ),
  SUBJECT_PREFIX: z.string().min(1).max(24),
  GLUE_TABLE: z.string().min(3),
  SERVICE_USERS: z
    .string()
    .default('rdsadmin,rdsproxyadmin')
    .transform((s) =>
      s
        .split(',')
        .map((u) => u.trim().toLowerCase())
        .filter(Boolean),
    ),
  REDACTION_PATTERNS: jsonSetting(z.array(z.string())).default([]),
  CORRELATION_HOLD_SECONDS: z.coerce.number().int().min(0).max(900).default(60),
  CORRELATION_WINDOW_SECONDS: z.coerce.number().int().min(1).max(300).default(10),
  DIGEST_GRACE_SECONDS: z.coerce.number().int().min(0).max(900).default(60),
  /** The rules compiled at synth, beside the bundle (`rules.json`); a YAML file only in runs from source. */
  RULES_FILE: z.string().default('rules.json'),
  /** Classes the coverage check reconciles (comma-separated); empty: no check. */
  COVERAGE_CLASSES: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((c) => c.trim().toUpperCase())
        .filter(Boolean),
    ),
  /**
   * How long a statement recorded by one source waits for the other's report. The construct deploys 1 minute
   * to 24 hours; the Lambda accepts from 1 second so that `aurora-audit demo` (whose deliveries take seconds)
   * can show the check's alert without waiting minutes.
   */
  COVERAGE_GRACE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
});

export type AlertSettings = z.output<typeof alertSettingsSchema>;

/** The settings deployed as a file bundled beside the code (a fleet's list outgrows Lambda's 4 KB of environment). */
export const ALERT_SETTINGS_FILES = ['CLUSTERS'] as const;

/** The environment the construct sets (`CLUSTERS_FILE` naming the bundled file). */
export type AlertLambdaEnvironment = LambdaEnvironment<
  typeof alertSettingsSchema,
  (typeof ALERT_SETTINGS_FILES)[number]
>;

export class InvalidAlertSettingsError extends Error {
  override readonly name = 'InvalidAlertSettingsError';
}

export function readAlertSettings(
  env: NodeJS.ProcessEnv = process.env,
  baseDir: string = __dirname,
): AlertSettings {
  // CLUSTERS deployed: read once from the bundled file CLUSTERS_FILE names.
  return parseSettings(alertSettingsSchema, env, 'alert Lambda', InvalidAlertSettingsError, {
    settings: ALERT_SETTINGS_FILES,
    baseDir,
  });
}
