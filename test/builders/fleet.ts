import { statSync } from 'node:fs';
import { newApp } from '../../cli/local/cdk-app';
import { type TemplateJson, TemplateResolver } from '../../cli/local/stepfunctions/template';
import { buildApp } from '../../infra/build-app';
import { validateConfig } from '../../infra/config/load';
import type { AuroraAuditConfigInput } from '../../infra/config/schema';
import { localSettingsFiles } from '../../infra/constructs/settings-files';
import { configDocument } from './config';

const TEAMS = ['payments', 'orders', 'customers', 'inventory', 'billing', 'ledger', 'identity', 'catalog'];
const PARTS = ['core', 'api', 'reporting', 'events', 'archive'];

/** Each team's canary schedule: its own hour and time zone (eight teams, eight schedule groups). */
const TEAM_ZONES = [
  'Europe/Berlin',
  'Europe/London',
  'America/New_York',
  'America/Chicago',
  'Asia/Tokyo',
  'Asia/Singapore',
  'Australia/Sydney',
  'UTC',
];

export interface FleetOptions {
  /**
   * A canary on every cluster, each with its own secret (the worst case for the canary role's policy):
   * `'team'` runs each team's prod clusters at 06:00 and its staging clusters at 07:00 in the team's time zone
   * (16 schedule groups), `'one'` gives all the same schedule (one group, the largest schedule inputs).
   * @default none
   */
  readonly canary?: 'team' | 'one';
}

/**
 * A fleet of `count` clusters with identifiers as platform teams name them (`payments-core-prod-euw1-001`,
 * 26-33 characters), each with its own activity-stream key (the worst case for key policies), and a silenced
 * reporting replica on every fourth cluster.
 */
export function fleetConfigDocument(
  count: number,
  overrides: Partial<AuroraAuditConfigInput> = {},
  options: FleetOptions = {},
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
      ...(options.canary
        ? {
            canary: {
              secretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:aurora-audit/${identifier}-canary-AbCdEf`,
              database: TEAMS[i % TEAMS.length] as string,
              schedule:
                options.canary === 'team'
                  ? {
                      expression: `cron(0 ${i % 3 === 0 ? 7 : 6} * * ? *)`,
                      timeZone: TEAM_ZONES[i % TEAMS.length],
                    }
                  : { expression: 'cron(0 6 * * ? *)', timeZone: 'UTC' },
            },
          }
        : {}),
    };
  });
  return configDocument({ clusters, deployment: { region: 'eu-west-1' }, ...overrides });
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

/** Synthesizes the stack of a fleet of `count` clusters (no bundling: the template and the settings files). */
export function synthFleet(count: number, options: FleetOptions = {}) {
  const config = validateConfig(fleetConfigDocument(count, {}, options), `fleet of ${count}`);
  const { app, auditStack } = buildApp(config, newApp({ bundling: false }));
  const template = app.synth().getStackByName(auditStack.stackName).template as TemplateJson & {
    Description: string;
  };
  return { template, auditStack, resolver: new TemplateResolver(template, { stackName: config.name }) };
}

/**
 * What a fleet of `count` clusters synthesizes, measured as the limits count: resources; template bytes;
 * description bytes; each role's inline policies in characters without whitespace, tokens replaced by ARNs;
 * each state machine definition in bytes; each Lambda's environment in bytes (names and values); each settings
 * file bundled with a Lambda, in bytes; each schedule's target input, in bytes.
 */
export function fleetFigures(count: number, options: FleetOptions = {}) {
  const { template, resolver, auditStack } = synthFleet(count, options);
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
  const scheduleInputs = resources
    .filter(([, r]) => r.Type === 'AWS::Scheduler::Schedule')
    .map(([id, r]) => {
      const target = resolver.resolve(r.Properties!.Target) as { Input?: string };
      return [id, Buffer.byteLength(target.Input ?? '')] as const;
    });
  const settingsFiles = Object.entries(localSettingsFiles(auditStack)).flatMap(([id, files]) =>
    files.map((f) => [`${id}/${f.fileName}`, statSync(f.localPath).size] as const),
  );
  return {
    count,
    resources: resources.length,
    templateBytes: Buffer.byteLength(JSON.stringify(template)),
    descriptionBytes: Buffer.byteLength(template.Description),
    descriptionChars: template.Description.length,
    rolePolicyChars,
    managedPolicies: resources.filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy').length,
    definitions: Object.fromEntries(definitions),
    environments: Object.fromEntries(environments),
    settingsFiles: Object.fromEntries(settingsFiles),
    /** Each EventBridge Scheduler schedule's target input, in bytes (what StartExecution receives). */
    scheduleInputs: Object.fromEntries(scheduleInputs),
  };
}
