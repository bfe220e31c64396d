/**
 * The enablement workflow as deployed from the embedded example configuration (one cluster, orders-db),
 * ready to run locally: the synthesized definition, the simulated AWS account provisioned from the same
 * template, and the plan Lambda's real handler running in-process with its deployed environment and the
 * simulated clock. Shared by the scenarios and `bench/enable-workflow.bench.ts`.
 */
import { createPlanHandler } from '../../../tasks/plan-maintenance-window/plan';
import { readPlanSettings } from '../../../tasks/plan-maintenance-window/settings';
import type { EnableActivityStreamWorkflow } from '../../../workflows/enable-activity-stream/construct';
import { synthExample } from '../../helpers/cdk-app';
import type { SimClusterSpec } from '../../local/simulators/rds';
import { AwsWorld } from '../../local/simulators/world';
import { SimClock } from '../../local/stepfunctions/clock';
import { type ExecutionResult, LocalWorkflow } from '../../local/stepfunctions/runner';
import { type AslDefinition, TemplateResolver } from '../../local/stepfunctions/template';

export const CLUSTER = 'orders-db';
export const RESOURCE_ID = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
/** A Tuesday: the example cluster's window (sun:03:00-sun:04:00) is days away. */
export const T0 = '2026-11-24T10:00:00.000Z';

export interface EnableDeployment {
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

let deployment: EnableDeployment | undefined;

/** Synthesizes the app once per process and reads the workflow out of the template. */
export function enableDeployment(): EnableDeployment {
  if (deployment) return deployment;
  const { auditStack, template } = synthExample();
  const resolver = new TemplateResolver(template.toJSON() as never);
  const workflow = auditStack.node.findChild('EnableActivityStream') as EnableActivityStreamWorkflow;
  const id = (c: { node: { defaultChild?: unknown } }) =>
    auditStack.getLogicalId(c.node.defaultChild as never);
  const stateMachineId = id(workflow.stateMachine);
  deployment = {
    resolver,
    definition: resolver.stateMachineDefinition(stateMachineId),
    stateMachineId,
    planFunction: id(workflow.planFunction),
    decryptFunction: id(auditStack.streamProcessing.function),
    lockTable: id(workflow.lockTable as never),
    topicArn: resolver.arn(id(auditStack.alerting.topic)),
    streamArn: `arn:aws:kinesis:eu-west-1:123456789012:stream/aws-rds-das-${RESOURCE_ID}`,
    pollSchedule: workflow.pollSchedule,
  };
  return deployment;
}

export interface EnableScenario {
  readonly world: AwsWorld;
  readonly workflow: LocalWorkflow;
  readonly deployment: EnableDeployment;
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

export function enableScenario(options: ScenarioOptions = {}): EnableScenario {
  const d = enableDeployment();
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
