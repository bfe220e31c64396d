/**
 * The decrypt Lambda's settings, declared once: the schema below is what the CDK construct
 * (`infra/constructs/stream-processing.ts`) fills, checked with `satisfies DecryptLambdaEnvironment` at synth,
 * and what the cold start parses. Invalid settings fail the cold start with a clear message.
 */

import * as z from 'zod/mini';
import { RUNTIME_CLUSTER_RESOURCE_ID } from '../core/identifiers';
import { intSetting, type LambdaEnvironment, parseSettings } from '../shared/settings';

const csv = z.pipe(
  z.string(),
  z.transform((s: string) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== ''),
  ),
);

export const decryptSettingsSchema = z.object({
  AUDIT_BUCKET: z.string().check(z.minLength(3)),
  DELIVERY_STREAM_NAME: z.string().check(z.minLength(1)),
  CLUSTER_RESOURCE_IDS: z.pipe(
    csv,
    z.array(z.string().check(z.regex(RUNTIME_CLUSTER_RESOURCE_ID))).check(z.minLength(1)),
  ),
  SERVICE_USERS: z._default(csv, ['rdsadmin', 'rdsproxyadmin']),
  REDACTION_PATTERNS: z.pipe(
    z._default(z.string(), '[]'),
    z.transform((s: string, ctx) => {
      try {
        const v: unknown = JSON.parse(s);
        if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
      } catch {
        // reported below
      }
      ctx.issues.push({ code: 'custom', message: 'must be a JSON array of strings', input: s });
      return z.NEVER;
    }),
  ),
  DATA_KEY_CACHE_MAX_ENTRIES: z._default(intSetting(1), 1000),
  DATA_KEY_CACHE_TTL_SECONDS: z._default(intSetting(1), 3600),
  /**
   * Classes the alert Lambda's coverage check reconciles: their events get an alert line whether a rule
   * matches them or not. Unset: none (the check is off).
   */
  COVERAGE_CLASSES: z._default(csv, []),
  /** The rules compiled at synth, beside the bundle (`rules.json`); unset: the built-in rules (tests, local runs). */
  RULES_FILE: z.optional(z.string().check(z.minLength(1))),
  FIREHOSE_MAX_ATTEMPTS: z._default(intSetting(1, 20), 5),
  FIREHOSE_RETRY_BASE_DELAY_MS: z._default(intSetting(0), 100),
  MAX_DECOMPRESSED_BYTES: z._default(intSetting(1024), 16 * 1024 * 1024),
});

export type DecryptSettings = z.output<typeof decryptSettingsSchema>;

/** The settings deployed as a file bundled beside the code (a fleet's list outgrows Lambda's 4 KB of environment). */
export const DECRYPT_SETTINGS_FILES = ['CLUSTER_RESOURCE_IDS'] as const;

/** The environment the construct sets (`CLUSTER_RESOURCE_IDS_FILE` naming the bundled file). */
export type DecryptLambdaEnvironment = LambdaEnvironment<
  typeof decryptSettingsSchema,
  (typeof DECRYPT_SETTINGS_FILES)[number]
>;

export class InvalidSettingsError extends Error {
  override readonly name = 'InvalidSettingsError';
}

export function readDecryptSettings(
  env: NodeJS.ProcessEnv = process.env,
  baseDir: string = __dirname,
): DecryptSettings {
  // CLUSTER_RESOURCE_IDS deployed: read once from the bundled file CLUSTER_RESOURCE_IDS_FILE names.
  return parseSettings(decryptSettingsSchema, env, 'decrypt Lambda', InvalidSettingsError, {
    settings: DECRYPT_SETTINGS_FILES,
    baseDir,
  });
}
