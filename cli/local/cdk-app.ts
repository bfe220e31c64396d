import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Construct } from 'constructs';
import { buildApp } from '../../infra/build-app';
import { loadConfig } from '../../infra/config/load';
import type { AuroraAuditConfig } from '../../infra/config/schema';
import { localSettingsFiles } from '../../infra/constructs/settings-files';
import type { AuditStack } from '../../infra/stacks/audit-stack';
import type { CanaryGroupInput } from '../../workflows/canary/definition';
import { TemplateResolver } from './stepfunctions/template';

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

/**
 * The app of a configuration as the local simulators run it: synthesized without bundling, its template and a
 * resolver over it (with the settings files the Lambdas would find beside their code), and lookups the demo and
 * the scenarios share.
 */
export interface LocalDeployment {
  readonly auditStack: AuditStack;
  readonly template: ConstructorParameters<typeof TemplateResolver>[0];
  readonly resolver: TemplateResolver;
  /** The logical id of a construct's CloudFormation resource. */
  logicalId(construct: Construct): string;
  /** The input of the (first) canary schedule: the clusters its run starts. */
  canaryScheduleInput(): CanaryGroupInput;
  /** The filter pattern of the log subscription named `name`. */
  subscriptionFilterPattern(name: string): string;
}

export function localDeployment(config: AuroraAuditConfig): LocalDeployment {
  const { app, auditStack } = buildApp(config, newApp({ bundling: false }));
  app.synth();
  const template = Template.fromStack(auditStack).toJSON() as LocalDeployment['template'];
  const resolver = new TemplateResolver(template, { settingsFiles: localSettingsFiles(auditStack) });
  const resources = Object.values(template.Resources);
  return {
    auditStack,
    template,
    resolver,
    logicalId: (construct) => auditStack.getLogicalId(construct.node.defaultChild as never),
    canaryScheduleInput: () => {
      const schedule = resources.find(
        (r) => r.Type === 'AWS::Scheduler::Schedule' && JSON.stringify(r.Properties).includes('canary'),
      );
      if (!schedule) throw new Error('no canary schedule in the template');
      const target = resolver.resolve((schedule.Properties as { Target: unknown }).Target) as {
        Input: string;
      };
      return JSON.parse(target.Input) as CanaryGroupInput;
    },
    subscriptionFilterPattern: (name) => {
      const found = resources
        .filter((r) => r.Type === 'AWS::Logs::SubscriptionFilter')
        .map((r) => resolver.resolve(r.Properties) as { FilterName: string; FilterPattern: string })
        .find((f) => f.FilterName === name);
      if (!found) throw new Error(`no subscription filter ${name} in the template`);
      return found.FilterPattern;
    },
  };
}
