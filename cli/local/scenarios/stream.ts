/**
 * The enable and disable workflows as deployed from the embedded example configuration (one cluster,
 * orders-db), ready to run locally: the synthesized definitions, the simulated AWS account provisioned from
 * the same template, and the plan Lambda's real handler running in-process with its deployed environment and
 * the simulated clock. Shared by the scenarios, the change-ticket tests and `bench/enable-workflow.bench.ts`.
 */

import type { Construct } from 'constructs';
import { localSettingsFiles } from '../../../infra/constructs/settings-files';
import { createPlanHandler } from '../../../tasks/plan-maintenance-window/plan';
import { readPlanSettings } from '../../../tasks/plan-maintenance-window/settings';
import type { DisableActivityStreamWorkflow } from '../../../workflows/disable-activity-stream/construct';
import type { EnableActivityStreamWorkflow } from '../../../workflows/enable-activity-stream/construct';
import type { SimClusterSpec } from '../aws/rds';
import { AwsWorld } from '../aws/world';
import { synthExample } from '../cdk-app';
import { SimClock } from '../stepfunctions/clock';
import { type ExecutionResult, LocalWorkflow } from '../stepfunctions/runner';
import { type AslDefinition, TemplateResolver } from '../stepfunctions/template';

export const CLUSTER = 'orders-db';
export const RESOURCE_ID = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
/** A Tuesday: the example cluster's window (sun:03:00-sun:04:00) is days away. */
export const T0 = '2026-11-24T10:00:00.000Z';

export interface StreamDeployment {
  readonly resolver: TemplateResolver;
  readonly definition: AslDefinition;
  readonly stateMachineId: string;
  readonly planFunction: string;
  readonly decryptFunction: string;
  readonly lockTable: string;
  readonly topicArn: string;
  readonly streamArn: string;
  readonly pollSchedule: readonly number[];
}

interface Deployments {
  readonly enable: StreamDeployment;
  readonly disable: StreamDeployment;
}

let deployments: Deployments | undefined;

/** Synthesizes the app once per process and reads both workflows out of the template. */
export function streamDeployments(): Deployments {
  if (deployments) return deployments;
  const { auditStack, template } = synthExample();
  const resolver = new TemplateResolver(template.toJSON() as never, {
    settingsFiles: localSettingsFiles(auditStack),
  });
  const enable = auditStack.node.findChild('EnableActivityStream') as EnableActivityStreamWorkflow;
  const disable = auditStack.node.findChild('DisableActivityStream') as DisableActivityStreamWorkflow;
  const id = (c: Construct) => auditStack.getLogicalId(c.node.defaultChild as never);
  const common = {
    resolver,
    planFunction: id(enable.planFunction),
    decryptFunction: id(auditStack.streamProcessing.function),
    lockTable: id(enable.lockTable as unknown as Construct),
    topicArn: resolver.arn(id(auditStack.alerting.topic)),
    streamArn: `arn:aws:kinesis:eu-west-1:123456789012:stream/aws-rds-das-${RESOURCE_ID}`,
  };
  const of = (workflow: EnableActivityStreamWorkflow | DisableActivityStreamWorkflow): StreamDeployment => {
    const stateMachineId = id(workflow.stateMachine);
    return {
      ...common,
      stateMachineId,
      definition: resolver.stateMachineDefinition(stateMachineId),
      pollSchedule: workflow.pollSchedule,
    };
  };
  deployments = { enable: of(enable), disable: of(disable) };
  return deployments;
}

export interface StreamScenario {
  readonly world: AwsWorld;
  readonly workflow: LocalWorkflow;
  readonly deployment: StreamDeployment;
  run(input: unknown, name?: string): Promise<ExecutionResult>;
  /** The lock items left in the lock table. */
  locks(): unknown[];
}

export interface ScenarioOptions {
  /** @default T0 */
  readonly start?: string;
  /** The cluster in RDS; `null` for none. @default orders-db, two db.r6g.large instances, stream stopped */
  readonly cluster?: Partial<SimClusterSpec> | null;
}

/** A fresh simulated account with the deployment's resources, the cluster, and the workflow ready to run. */
export function streamScenario(d: StreamDeployment, options: ScenarioOptions = {}): StreamScenario {
  const clock = new SimClock(options.start ?? T0);
  const world = new AwsWorld({ clock });
  world.provision(d.resolver);
  const settings = readPlanSettings(d.resolver.functionEnvironment(d.planFunction));
  world.lambda.addFunction(d.planFunction, createPlanHandler(settings, () => clock.now()) as never);
  if (options.cluster !== null) {
    world.rds.addCluster({ identifier: CLUSTER, resourceId: RESOURCE_ID, ...options.cluster });
  }
  const workflow = new LocalWorkflow(d.definition, {
    clock,
    dispatch: world.dispatch,
    stateMachineArn: d.resolver.arn(d.stateMachineId),
  });
  return {
    world,
    workflow,
    deployment: d,
    run: (input, name) => workflow.run(input, { name }),
    locks: () => world.dynamodb.items(d.lockTable),
  };
}

/** The RDS actions called, consecutive polls of one action collapsed to `action×n`. */
export function rdsActions(world: AwsWorld): string[] {
  const out: string[] = [];
  for (const action of world.actions('rds')) {
    const last = out[out.length - 1];
    const m = last ? /^(.*?)(?:×(\d+))?$/.exec(last) : null;
    if (m && m[1] === action) out[out.length - 1] = `${action}×${Number(m[2] ?? 1) + 1}`;
    else out.push(action);
  }
  return out;
}
