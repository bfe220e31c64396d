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

/** The example configuration, its cluster orders-db with `canary` (`overrides` merged into it). */
export function canaryConfig(overrides: Partial<CanaryConfig> = {}): AuroraAuditConfig {
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
      ],
    },
    `embedded example with a canary ${EXAMPLE_CONFIG_PATH}`,
    undefined,
  );
}
