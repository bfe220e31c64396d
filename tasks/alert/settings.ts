/**
 * The alert Lambda's settings, declared once: the schema below is what `infra/constructs/alert-processing.ts`
 * fills, checked with `satisfies AlertLambdaEnvironment` at synth, and what the cold start parses.
 */

import * as z from 'zod/mini';
import { RUNTIME_CLUSTER_RESOURCE_ID } from '../core/identifiers';
import { intSetting, jsonSetting, type LambdaEnvironment, parseSettings } from '../shared/settings';

/** Comma-separated names, trimmed, empty ones dropped, through `normalize`. */
const names = (normalize: (s: string) => string) =>
  z.transform((s: string) =>
    s
      .split(',')
      .map((x) => normalize(x.trim()))
      .filter(Boolean),
  );

export const alertSettingsSchema = z.object({
  ALERT_TABLE: z.string().check(z.minLength(1)),
  AUDIT_BUCKET: z.string().check(z.minLength(3)),
  TOPIC_ARN: z.string().check(z.startsWith('arn:')),
  DELIVERY_STREAM_NAME: z.string().check(z.minLength(1)),
  DECRYPT_LOG_GROUP: z.string().check(z.minLength(1)),
  CLUSTERS: jsonSetting(
    z.array(
      z.object({
        identifier: z.string().check(z.minLength(1)),
        resourceId: z.string().check(z.regex(RUNTIME_CLUSTER_RESOURCE_ID)),
        silentInstances: z.array(z.string()),
        /** Both sources are meant to be on: the coverage check reconciles them. */
        coverageCheck: z._default(z.boolean(), false),
        /** The cluster's canary user (tasks/core/canary.ts); absent: no canary. */
        canaryUser: z.optional(z.string().check(z.minLength(1))),
      }),
    ),
  ),
  SUBJECT_PREFIX: z.string().check(z.minLength(1), z.maxLength(24)),
  GLUE_TABLE: z.string().check(z.minLength(3)),
  SERVICE_USERS: z.pipe(
    z._default(z.string(), 'rdsadmin,rdsproxyadmin'),
    names((u) => u.toLowerCase()),
  ),
  REDACTION_PATTERNS: z._default(jsonSetting(z.array(z.string())), []),
  CORRELATION_HOLD_SECONDS: z._default(intSetting(0, 900), 60),
  CORRELATION_WINDOW_SECONDS: z._default(intSetting(1, 300), 10),
  DIGEST_GRACE_SECONDS: z._default(intSetting(0, 900), 60),
  /** The rules compiled at synth, beside the bundle (`rules.json`); a YAML file only in runs from source. */
  RULES_FILE: z._default(z.string(), 'rules.json'),
  /** Classes the coverage check reconciles (comma-separated); empty: no check. */
  COVERAGE_CLASSES: z.pipe(
    z._default(z.string(), ''),
    names((c) => c.toUpperCase()),
  ),
  /**
   * How long a statement recorded by one source waits for the other's report. The construct deploys 1 minute
   * to 24 hours; the Lambda accepts from 1 second so that `aurora-audit demo` (whose deliveries take seconds)
   * can show the check's alert without waiting minutes.
   */
  COVERAGE_GRACE_SECONDS: z._default(intSetting(1, 86_400), 900),
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
