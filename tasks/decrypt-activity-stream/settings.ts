/**
 * The decrypt Lambda's settings, declared once: the schema below is what the CDK construct
 * (`infra/constructs/stream-processing.ts`) fills, checked with `satisfies DecryptLambdaEnvironment` at synth,
 * and what the cold start parses. Invalid settings fail the cold start with a clear message.
 */
import { z } from 'zod';
import { RUNTIME_CLUSTER_RESOURCE_ID } from '../core/identifiers';
import { type LambdaEnvironment, parseSettings } from '../shared/settings';

const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== ''),
);

export const decryptSettingsSchema = z.object({
  AUDIT_BUCKET: z.string().min(3),
  DELIVERY_STREAM_NAME: z.string().min(1),
  CLUSTER_RESOURCE_IDS: csv.pipe(z.array(z.string().regex(RUNTIME_CLUSTER_RESOURCE_ID)).min(1)),
  SERVICE_USERS: csv.default(['rdsadmin', 'rdsproxyadmin']),
  REDACTION_PATTERNS: z
    .string()
    .default('[]')
    .transform((s, ctx) => {
      try {
        const v: unknown = JSON.parse(s);
        if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of strings' });
      return z.NEVER;
    }),
  DATA_KEY_CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).default(1000),
  DATA_KEY_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).default(3600),
  /**
   * Classes the alert Lambda's coverage check reconciles: their events get an alert line whether a rule
   * matches them or not. Unset: none (the check is off).
   */
  COVERAGE_CLASSES: csv.default([]),
  /** The rules compiled at synth, beside the bundle (`rules.json`); unset: the built-in rules (tests, local runs). */
  RULES_FILE: z.string().min(1).optional(),
  FIREHOSE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  FIREHOSE_RETRY_BASE_DELAY_MS: z.coerce.number().int().min(0).default(100),
  MAX_DECOMPRESSED_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024),
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
