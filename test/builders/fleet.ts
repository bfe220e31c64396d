import type { AuroraAuditConfigInput } from '../../infra/config/schema';
import { configDocument } from './config';

const TEAMS = ['payments', 'orders', 'customers', 'inventory', 'billing', 'ledger', 'identity', 'catalog'];
const PARTS = ['core', 'api', 'reporting', 'events', 'archive'];

/**
 * A fleet of `count` clusters with identifiers as platform teams name them (`payments-core-prod-euw1-001`,
 * 26-33 characters), each with its own activity-stream key (the worst case for key policies), and a silenced
 * reporting replica on every fourth cluster.
 */
export function fleetConfigDocument(
  count: number,
  overrides: Partial<AuroraAuditConfigInput> = {},
): AuroraAuditConfigInput {
  const clusters = Array.from({ length: count }, (_, i) => {
    const n = String(i).padStart(3, '0');
    const identifier = `${TEAMS[i % TEAMS.length]}-${PARTS[Math.floor(i / TEAMS.length) % PARTS.length]}-${i % 3 === 0 ? 'staging' : 'prod'}-euw1-${n}`;
    return {
      identifier,
      resourceId: `cluster-${n}ABCDEFGHIJKLMNOPQRSTUVW`,
      activityStreamKmsKeyArn: `arn:aws:kms:eu-west-1:123456789012:key/${i.toString(16).padStart(8, '0')}-12ab-34cd-56ef-1234567890ab`,
      instances:
        i % 4 === 0
          ? [{ identifier: `${identifier}-r1`, resourceId: `db-${n}ABCDEFGHIJKLMNOPQRSTUVW`, alerts: false }]
          : [],
    };
  });
  return configDocument({ clusters, deployment: { region: 'eu-west-1' }, ...overrides });
}
