/**
 * The embedded example configuration with a canary on orders-db: what the canary's scenarios, its benchmark and
 * the tests that need the opt-in canary in the template synthesize.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { EXAMPLE_CONFIG_PATH, validateConfig } from '../../../infra/config/load';
import type { AuroraAuditConfig, CanaryConfig } from '../../../infra/config/schema';

export const CANARY_SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:aurora-audit/orders-db-canary-AbCdEf';
export const CANARY_DATABASE = 'orders';
export const CANARY_USER = 'aurora_audit_canary';

/** The second cluster of the group configuration, with its own canary secret (same database and user). */
export const GROUP_CLUSTER = 'payments-db';
export const GROUP_SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:aurora-audit/payments-db-canary-GhIjKl';

/** The example configuration, its cluster orders-db with `canary` (`overrides` merged into it). */
export function canaryConfig(overrides: Partial<CanaryConfig> = {}): AuroraAuditConfig {
  return exampleWithCanaries(overrides, []);
}

/**
 * The example configuration with a canary on orders-db and on a second cluster, payments-db, on the same (default)
 * schedule: one schedule whose input lists both.
 */
export function canaryGroupConfig(): AuroraAuditConfig {
  return exampleWithCanaries({}, [
    {
      identifier: GROUP_CLUSTER,
      resourceId: 'cluster-PAYMENTSDBABCDEFGHIJKLMNOP',
      activityStreamKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/5678abcd-12ab-34cd-56ef-1234567890ab',
      canary: { secretArn: GROUP_SECRET_ARN, database: CANARY_DATABASE, user: CANARY_USER },
    },
  ]);
}

function exampleWithCanaries(
  overrides: Partial<CanaryConfig>,
  more: readonly Record<string, unknown>[],
): AuroraAuditConfig {
  const raw = parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as { clusters: Record<string, unknown>[] };
  const [first, ...rest] = raw.clusters;
  return validateConfig(
    {
      ...raw,
      clusters: [
        {
          ...first,
          canary: {
            secretArn: CANARY_SECRET_ARN,
            database: CANARY_DATABASE,
            user: CANARY_USER,
            ...overrides,
          },
        },
        ...rest,
        ...more,
      ],
    },
    `embedded example with a canary ${EXAMPLE_CONFIG_PATH}`,
    undefined,
  );
}
