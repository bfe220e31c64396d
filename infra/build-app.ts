import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { isEmbeddedExample } from './config/load';
import type { AuroraAuditConfig } from './config/schema';
import { ExampleConfigurationGuard } from './constructs/example-guard';
import { AuditStack } from './stacks/audit-stack';

export interface BuiltApp {
  readonly app: App;
  readonly auditStack: AuditStack;
}

/** CloudFormation's limit on a stack description, in bytes. */
export const STACK_DESCRIPTION_MAX_BYTES = 1024;
/** aws-cdk-lib's own check is stricter: at most 512 characters (its message says 1024 bytes). */
export const STACK_DESCRIPTION_MAX_CHARS = 512;

/**
 * The stack description: the clusters it audits, as many names as fit in aws-cdk-lib's 512 characters (and
 * CloudFormation's 1,024 bytes), then
 * how many more (`… and 12 more`). The configuration, not the description, is the list of record.
 */
export function stackDescription(identifiers: readonly string[]): string {
  const head = `aurora-audit: audited Aurora PostgreSQL, ${identifiers.length} cluster${identifiers.length === 1 ? '' : 's'}`;
  const fits = (text: string) =>
    text.length <= STACK_DESCRIPTION_MAX_CHARS &&
    Buffer.byteLength(text, 'utf8') <= STACK_DESCRIPTION_MAX_BYTES;
  for (let shown = identifiers.length; shown >= 0; shown--) {
    const rest = identifiers.length - shown;
    const names = identifiers.slice(0, shown).join(', ');
    const text = `${head}${shown > 0 ? ` (${names}${rest > 0 ? `, and ${rest} more` : ''})` : ''}`;
    if (fits(text)) return text;
  }
  return head;
}

/** Builds the aurora-audit stacks from a validated configuration into `app`, with cdk-nag's AwsSolutions checks. */
export function buildApp(config: AuroraAuditConfig, app: App = new App()): BuiltApp {
  const env =
    config.deployment.account || config.deployment.region
      ? { account: config.deployment.account, region: config.deployment.region }
      : undefined;
  const auditStack = new AuditStack(app, config.name, {
    config,
    env,
    description: stackDescription(config.clusters.map((c) => c.identifier)),
  });
  // The embedded example synthesizes (offline tries, tests) but never deploys.
  if (isEmbeddedExample(config)) new ExampleConfigurationGuard(auditStack, 'ExampleConfigurationGuard');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, auditStack };
}
