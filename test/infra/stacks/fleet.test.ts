/**
 * Fleet limits: what a configuration with many clusters synthesizes, against CloudFormation's, IAM's, Step
 * Functions' and Lambda's limits. Policies are measured with their tokens replaced by ARNs (the template
 * resolver), without whitespace, as IAM counts them.
 */

import { newApp } from '../../../cli/local/cdk-app';
import { type TemplateJson, TemplateResolver } from '../../../cli/local/stepfunctions/template';
import { buildApp, stackDescription } from '../../../infra/build-app';
import { validateConfig } from '../../../infra/config/load';
import { fleetConfigDocument } from '../../builders/fleet';

/** The limits (AWS documentation; see FACTS.md "CloudFormation and IAM limits"). */
const LIMITS = {
  resources: 500,
  templateBytes: 1_000_000,
  descriptionBytes: 1024,
  stateMachineDefinitionBytes: 1_000_000,
  rolePolicyChars: 10_240,
  lambdaEnvironmentBytes: 4096,
};
/** The largest fleet every limit holds for today (README "Before you deploy"): the plan Lambda's environment. */
const CEILING = 12;

type Resource = { Type: string; Properties?: Record<string, unknown> };

function synthFleet(count: number) {
  const config = validateConfig(fleetConfigDocument(count), `fleet of ${count}`);
  const { app, auditStack } = buildApp(config, newApp({ bundling: false }));
  const template = app.synth().getStackByName(auditStack.stackName).template as TemplateJson & {
    Description: string;
  };
  return { template, resolver: new TemplateResolver(template, { stackName: config.name }) };
}

function figures(count: number) {
  const { template, resolver } = synthFleet(count);
  const resources = Object.entries(template.Resources as Record<string, Resource>);
  const size = (v: unknown) => JSON.stringify(resolver.resolve(v)).replace(/\s/g, '').length;
  const rolePolicyChars: Record<string, number> = {};
  for (const [, r] of resources.filter(([, r]) => r.Type === 'AWS::IAM::Policy')) {
    for (const role of r.Properties!.Roles as { Ref: string }[])
      rolePolicyChars[role.Ref] = (rolePolicyChars[role.Ref] ?? 0) + size(r.Properties!.PolicyDocument);
  }
  const definitions = resources
    .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
    .map(
      ([id, r]) => [id, Buffer.byteLength(String(resolver.resolve(r.Properties!.DefinitionString)))] as const,
    );
  const environments = resources
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([id, r]) => {
      const vars = resolver.resolve((r.Properties!.Environment as { Variables?: unknown })?.Variables ?? {});
      const bytes = Object.entries(vars as Record<string, string>).reduce(
        (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(String(v)),
        0,
      );
      return [id, bytes] as const;
    });
  return {
    resources: resources.length,
    templateBytes: Buffer.byteLength(JSON.stringify(template)),
    descriptionBytes: Buffer.byteLength(template.Description),
    rolePolicyChars,
    managedPolicies: resources.filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy').length,
    definitions: Object.fromEntries(definitions),
    environments: Object.fromEntries(environments),
  };
}

const roleOf = (chars: Record<string, number>, prefix: string) =>
  Object.entries(chars).find(([role]) => role.startsWith(prefix))?.[1];

describe('a fleet of clusters', () => {
  it('keeps the stack description of 200 clusters within 1,024 bytes, naming the first and counting the rest', () => {
    const ids = fleetConfigDocument(200).clusters.map((c) => c.identifier);
    const description = stackDescription(ids);
    expect(Buffer.byteLength(description)).toBeLessThanOrEqual(LIMITS.descriptionBytes);
    expect(description.length).toBeLessThanOrEqual(512);
    expect(description).toMatch(
      /^aurora-audit: audited Aurora PostgreSQL, 200 clusters \(payments-core-staging-euw1-000, /,
    );
    const shown = ids.filter((id) => description.includes(`${id},`)).length;
    expect(shown).toBeGreaterThan(10);
    expect(description).toMatch(new RegExp(`, and ${200 - shown} more\\)$`));
    // 200 clusters build (today's description would be 6,341 bytes, and CDK refuses more than 512 characters).
    expect(() =>
      buildApp(validateConfig(fleetConfigDocument(200), 'fleet'), newApp({ bundling: false })),
    ).not.toThrow();
  });

  it('keeps the enable and disable workflow roles the same size whatever the number of clusters and keys', () => {
    const one = figures(1).rolePolicyChars;
    const many = figures(25).rolePolicyChars;
    for (const role of ['EnableActivityStreamStateMachineRole', 'DisableActivityStreamStateMachineRole']) {
      expect(roleOf(many, role)).toBe(roleOf(one, role));
      expect(roleOf(many, role)).toBeLessThanOrEqual(LIMITS.rolePolicyChars);
    }
  });

  it(`holds every limit at the documented ceiling of ${CEILING} clusters`, () => {
    const f = figures(CEILING);
    expect(f.resources).toBeLessThanOrEqual(LIMITS.resources);
    expect(f.templateBytes).toBeLessThanOrEqual(LIMITS.templateBytes);
    expect(f.descriptionBytes).toBeLessThanOrEqual(LIMITS.descriptionBytes);
    expect(f.managedPolicies).toBe(0);
    for (const chars of Object.values(f.rolePolicyChars))
      expect(chars).toBeLessThanOrEqual(LIMITS.rolePolicyChars);
    for (const bytes of Object.values(f.definitions))
      expect(bytes).toBeLessThanOrEqual(LIMITS.stateMachineDefinitionBytes);
    for (const bytes of Object.values(f.environments))
      expect(bytes).toBeLessThanOrEqual(LIMITS.lambdaEnvironmentBytes);
    // One more cluster and the plan Lambda's environment (the cluster catalogue) passes Lambda's 4 KB.
    const over = figures(CEILING + 1).environments;
    expect(Math.max(...Object.values(over))).toBeGreaterThan(LIMITS.lambdaEnvironmentBytes);
  });
});
