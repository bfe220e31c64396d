/**
 * The app as the demo runs it: the embedded example configuration (one cluster, orders-db) with a canary on
 * orders-db (`cli/local/scenarios/canary-config.ts`: its secret, database `orders`, user `aurora_audit_canary`),
 * synthesized once (without bundling the Lambdas: the demo runs their TypeScript in-process), and what the
 * local runs need from the template: the enable, report and canary workflows' definitions, the input the
 * canary's schedule sends, the Lambdas' deployed environments, the subscription filters and the recipients. Names are read as the tests' fixtures read them
 * (`cli/local/scenarios/stream.ts`, `test/workflows/compliance-report/fixture.ts`).
 */
import type { Construct } from 'constructs';
import type { AuroraAuditConfig } from '../../infra/config/schema';
import type { CanaryWorkflow } from '../../workflows/canary/construct';
import type { CanaryGroupInput, CanaryInput } from '../../workflows/canary/definition';
import type { ComplianceReportWorkflow } from '../../workflows/compliance-report/construct';
import type { EnableActivityStreamWorkflow } from '../../workflows/enable-activity-stream/construct';
import { localDeployment } from '../local/cdk-app';
import { canaryConfig } from '../local/scenarios/canary-config';
import type { StreamDeployment } from '../local/scenarios/stream';
import type { AslDefinition, TemplateResolver } from '../local/stepfunctions/template';

export interface DemoDeployment {
  readonly config: AuroraAuditConfig;
  readonly resolver: TemplateResolver;
  /** The enablement workflow, in the shape `streamScenario` takes. */
  readonly enable: StreamDeployment;
  readonly report: {
    readonly definition: AslDefinition;
    readonly stateMachineArn: string;
    readonly reportFunction: string;
  };
  /** The alert state table's name (the canary workflow reads its `canary#<nonce>` items). */
  readonly alertTable: string;
  /**
   * The canary workflow and orders-db's input: the run its schedule's dispatch starts for orders-db (the
   * schedule sends `{"clusters": [...]}`, resolved from the template; the demo runs that one cluster's run).
   */
  readonly canary: {
    readonly definition: AslDefinition;
    readonly stateMachineArn: string;
    readonly input: CanaryInput;
  };
  /** Deployed environments of the Lambdas the demo runs, by role. */
  readonly environments: {
    readonly decrypt: Record<string, string>;
    readonly alert: Record<string, string>;
    readonly report: Record<string, string>;
  };
  /** Subscription filter patterns of the alert Lambda, as deployed. */
  readonly filterPatterns: { readonly activityStream: string; readonly pgAudit: string };
}

/** Synthesizes the example app (a few seconds) and reads out what the demo runs. */
export function demoDeployment(): DemoDeployment {
  const config = canaryConfig();
  const local = localDeployment(config);
  const { auditStack, resolver } = local;
  const id = local.logicalId;
  const enable = auditStack.node.findChild('EnableActivityStream') as EnableActivityStreamWorkflow;
  const report = auditStack.node.findChild('ComplianceReport') as ComplianceReportWorkflow;
  const cluster = config.clusters[0];
  if (!cluster) throw new Error('the example configuration has no cluster');
  const enableId = id(enable.stateMachine);
  const reportId = id(report.stateMachine);
  const canaryId = id((auditStack.node.findChild('Canary') as CanaryWorkflow).stateMachine);
  const pattern = local.subscriptionFilterPattern;
  return {
    config,
    resolver,
    enable: {
      resolver,
      definition: resolver.stateMachineDefinition(enableId),
      stateMachineId: enableId,
      planFunction: id(enable.planFunction),
      decryptFunction: id(auditStack.streamProcessing.function),
      lockTable: id(enable.lockTable as unknown as Construct),
      topicArn: resolver.arn(id(auditStack.alerting.topic)),
      streamArn: `arn:aws:kinesis:${resolver.region}:${resolver.account}:stream/aws-rds-das-${cluster.resourceId}`,
      pollSchedule: enable.pollSchedule,
    },
    report: {
      definition: resolver.stateMachineDefinition(reportId),
      stateMachineArn: resolver.arn(reportId),
      reportFunction: id(report.reportFunction),
    },
    alertTable: resolver.ref(id(auditStack.alertProcessing.table)),
    canary: {
      definition: resolver.stateMachineDefinition(canaryId),
      stateMachineArn: resolver.arn(canaryId),
      input: clusterInput(local.canaryScheduleInput(), 'orders-db'),
    },
    environments: {
      decrypt: resolver.functionEnvironment(id(auditStack.streamProcessing.function)),
      alert: resolver.functionEnvironment(id(auditStack.alertProcessing.function)),
      report: resolver.functionEnvironment(id(report.reportFunction)),
    },
    filterPatterns: {
      activityStream: pattern('aurora-audit-alerts'),
      pgAudit: pattern('aurora-audit-pgaudit'),
    },
  };
}

/** One cluster's input out of a schedule's group input (the dispatch starts one run with each). */
function clusterInput(group: CanaryGroupInput, cluster: string): CanaryInput {
  const input = group.clusters.find((c) => c.cluster === cluster);
  if (!input) throw new Error(`the canary schedule's input lists no ${cluster}: ${JSON.stringify(group)}`);
  return input;
}
