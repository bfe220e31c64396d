/**
 * The plan Lambda's settings, declared once: the schema below is what the stream-workflow kit
 * (`workflows/shared/stream-workflow-kit.ts`) fills, checked with `satisfies PlanLambdaEnvironment` at synth,
 * and what the cold start parses. Invalid settings fail the cold start with a clear message.
 */

import * as z from 'zod/mini';
import { RUNTIME_CLUSTER_RESOURCE_ID, WEEKLY_WINDOW } from '../core/identifiers';
import { intSetting, jsonSetting, type LambdaEnvironment, parseSettings } from '../shared/settings';

export const plannedClusterSchema = z.object({
  /** DB cluster identifier (name). */
  identifier: z.string().check(z.minLength(1)),
  /** `DbClusterResourceId`. */
  resourceId: z.string().check(z.regex(RUNTIME_CLUSTER_RESOURCE_ID)),
  /** KMS key (or alias) ARN the activity stream is encrypted with. */
  activityStreamKmsKeyArn: z.string().check(z.minLength(1)),
  /**
   * ARN of the Kinesis stream RDS creates for the cluster (`…:stream/aws-rds-das-<resourceId>`); unset, it is
   * `STREAM_ARN_PREFIX` + the resource id (the bundled cluster file holds no deploy-time ARNs).
   */
  streamArn: z.optional(z.string().check(z.minLength(1))),
});
export type PlannedCluster = z.output<typeof plannedClusterSchema> & { readonly streamArn: string };

const jsonArray = <T extends z.ZodMiniType>(item: T) => jsonSetting(z.array(item).check(z.minLength(1)));

const bool = z.pipe(
  z.enum(['true', 'false']),
  z.transform((v: 'true' | 'false') => v === 'true'),
);

const planSettingsObject = z
  .object({
    /** The configured clusters, JSON (deployed: read from the bundled file `CLUSTERS_FILE` names). */
    CLUSTERS: jsonArray(plannedClusterSchema),
    /** `arn:<partition>:kinesis:<region>:<account>:stream/aws-rds-das-`: a cluster's stream ARN is this + its id. */
    STREAM_ARN_PREFIX: z.optional(z.string().check(z.startsWith('arn:'))),
    /** Minimum minutes left in a window to start in it. */
    MIN_MINUTES_LEFT: z._default(intSetting(0, 1440), 30),
    /** `cluster-window` | `fixed` | `immediate` (configuration `maintenanceWindow.policy`). */
    WINDOW_POLICY: z._default(z.enum(['cluster-window', 'fixed', 'immediate']), 'cluster-window'),
    /** The weekly window used with policy `fixed`. */
    FIXED_WINDOW: z.optional(z.string().check(z.regex(WEEKLY_WINDOW))),
    /** Whether the input may ask for `now`. */
    ALLOW_IMMEDIATE: z._default(bool, true),
    /** The latest window start accepted, in seconds from now. */
    MAX_WAIT_SECONDS: intSetting(0),
    /** How long a lock is valid, in seconds: the workflow's timeout and a margin. */
    LOCK_TTL_SECONDS: intSetting(60),
  })
  .check(
    z.superRefine((s, ctx) => {
      const missing = s.CLUSTERS.find((c) => !c.streamArn);
      if (missing && !s.STREAM_ARN_PREFIX) {
        ctx.addIssue({
          code: 'custom',
          path: ['STREAM_ARN_PREFIX'],
          message: `is required when a cluster has no streamArn (${missing.identifier})`,
        });
      }
      if (s.WINDOW_POLICY === 'fixed' && !s.FIXED_WINDOW) {
        ctx.addIssue({
          code: 'custom',
          path: ['FIXED_WINDOW'],
          message: 'is required with WINDOW_POLICY=fixed',
        });
      }
    }),
  );

export const planSettingsSchema = z.pipe(
  planSettingsObject,
  z.transform((s: z.output<typeof planSettingsObject>) => ({
    ...s,
    CLUSTERS: s.CLUSTERS.map(
      (c): PlannedCluster => ({ ...c, streamArn: c.streamArn ?? `${s.STREAM_ARN_PREFIX}${c.resourceId}` }),
    ),
  })),
);

export type PlanSettings = z.output<typeof planSettingsSchema>;

/** The settings deployed as a file bundled beside the code (a fleet's list outgrows Lambda's 4 KB of environment). */
export const PLAN_SETTINGS_FILES = ['CLUSTERS'] as const;

/** The environment the kit sets (`CLUSTERS_FILE` naming the bundled file). */
export type PlanLambdaEnvironment = LambdaEnvironment<
  typeof planSettingsSchema,
  (typeof PLAN_SETTINGS_FILES)[number]
>;

export class InvalidSettingsError extends Error {
  override readonly name = 'InvalidSettingsError';
}

export function readPlanSettings(
  env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env,
  baseDir: string = __dirname,
): PlanSettings {
  return parseSettings(planSettingsSchema, env, 'plan Lambda', InvalidSettingsError, {
    settings: PLAN_SETTINGS_FILES,
    baseDir,
  });
}
