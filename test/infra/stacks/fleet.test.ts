/**
 * Fleet limits: what a configuration with many clusters synthesizes, against CloudFormation's, IAM's, Step
 * Functions' and Lambda's limits. Policies are measured with their tokens replaced by ARNs (the template
 * resolver), without whitespace, as IAM counts them.
 */

import { readFileSync } from 'node:fs';
import { newApp } from '../../../cli/local/cdk-app';
import { buildApp, stackDescription } from '../../../infra/build-app';
import { validateConfig } from '../../../infra/config/load';
import { localSettingsFiles } from '../../../infra/constructs/settings-files';
import { EXACT_CLUSTER_LIMIT } from '../../../infra/constructs/stream-processing';
import { readAlertSettings } from '../../../tasks/alert/settings';
import { readDecryptSettings } from '../../../tasks/decrypt-activity-stream/settings';
import { readPlanSettings } from '../../../tasks/plan-maintenance-window/settings';
import { readReportSettings } from '../../../tasks/render-report/settings';
import { CLUSTERS_PER_SCHEDULE } from '../../../workflows/canary/construct';
import { fleetConfigDocument, fleetFigures, synthFleet } from '../../builders/fleet';
import { FLEET_LIMITS, fleetLimitBroken } from '../../builders/fleet-limits';

/** The largest fleet every limit holds for (docs/deploying.md "Fleet ceiling"): the stack's 500 resources. */
const CEILING = 393;
const LIMITS = FLEET_LIMITS;
const figures = fleetFigures;

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

  it('keeps the decrypt role the same size from just above the exact-list limit to 200 clusters', () => {
    const above = figures(EXACT_CLUSTER_LIMIT + 1).rolePolicyChars;
    const fleet = figures(200).rolePolicyChars;
    expect(roleOf(fleet, 'StreamProcessingDecryptRole')).toBe(roleOf(above, 'StreamProcessingDecryptRole'));
    expect(roleOf(fleet, 'StreamProcessingDecryptRole')).toBeLessThanOrEqual(LIMITS.rolePolicyChars);
  });

  it('holds every limit at 200 clusters with realistic identifiers, one resource per cluster', () => {
    const f = figures(200);
    expect(f.resources).toBeLessThanOrEqual(LIMITS.resources);
    expect(f.templateBytes).toBeLessThanOrEqual(LIMITS.templateBytes);
    expect(f.descriptionBytes).toBeLessThanOrEqual(LIMITS.descriptionBytes);
    expect(f.descriptionChars).toBeLessThanOrEqual(LIMITS.descriptionChars);
    expect(f.managedPolicies).toBe(0);
    for (const chars of Object.values(f.rolePolicyChars))
      expect(chars).toBeLessThanOrEqual(LIMITS.rolePolicyChars);
    for (const bytes of Object.values(f.definitions))
      expect(bytes).toBeLessThanOrEqual(LIMITS.stateMachineDefinitionBytes);
    for (const bytes of Object.values(f.environments))
      expect(bytes).toBeLessThanOrEqual(LIMITS.lambdaEnvironmentBytes);
    // The decrypt, alert, plan and report Lambdas each carry their cluster list in a bundled file.
    expect(Object.keys(f.settingsFiles)).toHaveLength(4);
    for (const bytes of Object.values(f.settingsFiles))
      expect(bytes).toBeLessThanOrEqual(LIMITS.settingsFileBytes);
    expect(fleetLimitBroken(f)).toBeUndefined();
    // Per cluster, only its pgAudit subscription filter: 199 more resources than one cluster.
    expect(f.resources - figures(1).resources).toBe(199);
  });

  it('gives each Lambda all 200 clusters through its bundled file, as its settings parser reads it', () => {
    const { auditStack, resolver } = synthFleet(200);
    const files = localSettingsFiles(auditStack);
    const env = (fn: { node: { defaultChild?: unknown } }) => {
      const id = auditStack.getLogicalId(fn.node.defaultChild as never);
      const deployed = resolver.functionEnvironment(id);
      // As deployed: the variable names the file in the bundle; here, its synth-time copy.
      for (const file of files[id] ?? []) deployed[`${file.setting}_FILE`] = file.localPath;
      return deployed;
    };
    const ids = fleetConfigDocument(200).clusters.map((c) => c.resourceId);
    const enable = auditStack.node.findChild('EnableActivityStream') as never as {
      planFunction: { node: { defaultChild?: unknown } };
    };
    const report = auditStack.node.findChild('ComplianceReport') as never as {
      reportFunction: { node: { defaultChild?: unknown } };
    };
    expect(
      readDecryptSettings(env(auditStack.streamProcessing.function) as NodeJS.ProcessEnv)
        .CLUSTER_RESOURCE_IDS,
    ).toEqual(ids);
    expect(
      readAlertSettings(env(auditStack.alertProcessing.function) as NodeJS.ProcessEnv).CLUSTERS.map(
        (c) => c.resourceId,
      ),
    ).toEqual(ids);
    const plan = readPlanSettings(env(enable.planFunction));
    expect(plan.CLUSTERS.map((c) => c.resourceId)).toEqual(ids);
    expect(plan.CLUSTERS[199]!.streamArn).toBe(
      `arn:aws:kinesis:eu-west-1:123456789012:stream/aws-rds-das-${ids[199]}`,
    );
    expect(readReportSettings(env(report.reportFunction)).CLUSTERS.map((c) => c.resourceId)).toEqual(ids);
    expect(
      JSON.parse(
        readFileSync(
          files[auditStack.getLogicalId(auditStack.alertProcessing.function.node.defaultChild as never)]![0]!
            .localPath,
          'utf8',
        ),
      ),
    ).toHaveLength(200);
  });

  it('holds every limit at 200 clusters with a canary on every cluster, one schedule per time zone and hour, and one role policy of one size', () => {
    const plain = figures(200);
    const f = figures(200, { canary: 'team' });
    expect(fleetLimitBroken(f)).toBeUndefined();
    expect(f.resources).toBeLessThanOrEqual(LIMITS.resources);
    expect(f.templateBytes).toBeLessThanOrEqual(LIMITS.templateBytes);
    expect(f.managedPolicies).toBe(0);
    for (const chars of Object.values(f.rolePolicyChars))
      expect(chars).toBeLessThanOrEqual(LIMITS.rolePolicyChars);
    for (const bytes of Object.values(f.definitions))
      expect(bytes).toBeLessThanOrEqual(LIMITS.stateMachineDefinitionBytes);
    for (const bytes of Object.values(f.scheduleInputs))
      expect(bytes).toBeLessThanOrEqual(LIMITS.scheduleInputBytes);
    // 16 schedule groups (8 teams' time zones x prod 06:00 / staging 07:00) of 8-17 clusters: one schedule each.
    const canarySchedules = Object.keys(f.scheduleInputs).filter((id) => id.startsWith('Canary'));
    expect(canarySchedules).toHaveLength(16);
    // The canary adds a fixed set (state machine, role, policies, log group, alarms, queue, schedule role) and
    // one schedule per group: nothing per cluster.
    const one = figures(1, { canary: 'team' });
    expect(f.resources - plain.resources - (one.resources - figures(1).resources)).toBe(16 - 1);
    // The canary role does not grow with the number of clusters or secrets.
    expect(roleOf(f.rolePolicyChars, 'CanaryStateMachineRole')).toBe(
      roleOf(one.rolePolicyChars, 'CanaryStateMachineRole'),
    );
  });

  it(`splits one schedule group of 200 clusters into schedules of ${CLUSTERS_PER_SCHEDULE}, each input far below StartExecution's limit`, () => {
    const f = figures(200, { canary: 'one' });
    expect(fleetLimitBroken(f)).toBeUndefined();
    const canary = Object.entries(f.scheduleInputs).filter(([id]) => id.startsWith('Canary'));
    expect(canary).toHaveLength(200 / CLUSTERS_PER_SCHEDULE);
    for (const [, bytes] of canary) expect(bytes).toBeLessThanOrEqual(LIMITS.scheduleInputBytes / 8);
  });

  it(`holds every limit at the documented ceiling of ${CEILING} clusters, and the stack's 500 resources break one cluster above`, () => {
    expect(fleetLimitBroken(figures(CEILING))).toBeUndefined();
    // aws-cdk-lib refuses to synthesize it, naming the count.
    expect(() => figures(CEILING + 1)).toThrow(
      /Number of resources in stack 'aurora-audit': 501 is greater than allowed maximum of 500/,
    );
  });
});
