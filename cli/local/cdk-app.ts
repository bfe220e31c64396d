import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/build-app';
import { loadConfig } from '../../infra/config/load';
import type { AuroraAuditConfig } from '../../infra/config/schema';

const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

/**
 * An App with the same feature flags as `cdk.json`, as `cdk synth` would create it; `bundling: false` skips
 * bundling the Lambdas (for tests about the template only).
 */
export function newApp(options: { bundling?: boolean } = {}): App {
  const skip = options.bundling === false ? { 'aws:cdk:bundling-stacks': [] } : {};
  return new App({ context: { ...cdkJson.context, ...skip } });
}

/** Builds the whole app from a configuration (the embedded example by default) and synthesizes it. */
export function synthExample(config: AuroraAuditConfig = loadConfig()) {
  const built = buildApp(config, newApp());
  const assembly = built.app.synth();
  return { ...built, assembly, template: Template.fromStack(built.auditStack) };
}
