import type { AuroraAuditConfigInput } from '../../infra/config/schema';

/** A minimal valid configuration document, with overrides merged at the top level. */
export function configDocument(overrides: Partial<AuroraAuditConfigInput> = {}): AuroraAuditConfigInput {
  return {
    clusters: [
      {
        identifier: 'orders-db',
        resourceId: 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
        activityStreamKmsKeyArn:
          'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      },
    ],
    alerts: { recipients: ['dba@example.com'] },
    reports: { recipients: ['audit@example.com'], sender: 'aurora-audit@example.com' },
    ...overrides,
  };
}
