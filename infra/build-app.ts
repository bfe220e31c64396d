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

/** Builds the aurora-audit stacks from a validated configuration into `app`, with cdk-nag's AwsSolutions checks. */
export function buildApp(config: AuroraAuditConfig, app: App = new App()): BuiltApp {
  const env =
    config.deployment.account || config.deployment.region
      ? { account: config.deployment.account, region: config.deployment.region }
      : undefined;
  const auditStack = new AuditStack(app, config.name, {
    config,
    env,
    description: `aurora-audit: audited Aurora PostgreSQL (${config.clusters.map((c) => c.identifier).join(', ')})`,
  });
  // The embedded example synthesizes (offline tries, tests) but never deploys.
  if (isEmbeddedExample(config)) new ExampleConfigurationGuard(auditStack, 'ExampleConfigurationGuard');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, auditStack };
}
