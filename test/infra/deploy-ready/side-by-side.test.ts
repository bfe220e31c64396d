/**
 * Issue 18 (18b), point 5: two stacks (staging beside prod) in one account and region. No physical name is
 * shared, no rule of one stack matches the other's events, and the default name keeps today's names.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { newApp } from '../../../cli/local/cdk-app';
import { TemplateResolver } from '../../../cli/local/stepfunctions/template';
import { buildApp } from '../../../infra/build-app';
import { validateConfig } from '../../../infra/config/load';
import { physicalNames } from '../../../infra/config/names';
import { AuditStack } from '../../../infra/stacks/audit-stack';
import { configDocument } from '../../builders/config';
import { matches } from '../../helpers/eventbridge';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type TemplateJson = { Resources: Record<string, Resource> };

/** Resolves Refs and ARNs of a stack's own resources to values no other stack can have (as in AWS). */
class StackResolver extends TemplateResolver {
  override ref(logicalId: string): string {
    const value = super.ref(logicalId);
    return this.template.Resources[logicalId] ? `${this.stackName}-${value}` : value;
  }
  override arn(logicalId: string): string {
    return super.arn(logicalId).replace(logicalId, `${this.stackName}-${logicalId}`);
  }
}

const cluster = configDocument().clusters[0]!;
const prodConfig = validateConfig(configDocument(), 'test');
const stagingConfig = validateConfig(
  configDocument({
    name: 'aurora-audit-staging',
    clusters: [
      {
        ...cluster,
        identifier: 'orders-db-staging',
        resourceId: 'cluster-STAGINGABCDEFGHIJKLMNOPQRS',
      },
    ],
  }),
  'test',
);

// Both stacks in one app, as `cdk synth` would build them side by side.
const app = newApp({ bundling: false });
const prod = buildApp(prodConfig, app).auditStack;
const staging = new AuditStack(app, stagingConfig.name, { config: stagingConfig });
const stacks = [prod, staging].map((stack) => {
  const json = Template.fromStack(stack).toJSON() as TemplateJson;
  return { stack, json, resolver: new StackResolver(json as never, { stackName: stack.stackName }) };
});

/** Every name a resource is known by outside its stack, resolved. */
function physicalNamesOf({ json, resolver }: (typeof stacks)[number]): string[] {
  const out: string[] = [];
  for (const r of Object.values(json.Resources)) {
    const p = (r.Properties ?? {}) as Record<string, unknown>;
    const named: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(p)) {
      // Not names of the resource: a label, a policy scoped to its role, the metric an alarm watches.
      if (k === 'DisplayName' || k === 'MetricName' || (r.Type === 'AWS::IAM::Policy' && k === 'PolicyName'))
        continue;
      if (k === 'Name' || /Name$/.test(k) || k === 'WorkGroup') named[k] = resolver.resolve(v);
    }
    const input = (p.DatabaseInput ?? p.TableInput) as { Name?: string } | undefined;
    if (input?.Name) named.InputName = input.Name;
    for (const t of (p.MetricTransformations ?? []) as { MetricNamespace: string; MetricName: string }[]) {
      named[`metric ${t.MetricName}`] = t.MetricNamespace;
    }
    if (Object.keys(named).length > 0) out.push(`${r.Type} ${JSON.stringify(named)}`);
  }
  return out;
}

describe('two stacks with different names, side by side', () => {
  it('share no physical name', () => {
    const [a, b] = stacks.map(physicalNamesOf) as [string[], string[]];
    expect(a.length).toBeGreaterThan(10);
    expect(a.filter((n) => b.includes(n))).toEqual([]);
    // Named things that cannot be told apart by their resource alone.
    for (const names of [a, b]) {
      expect(names.some((n) => n.startsWith('AWS::Glue::Database'))).toBe(true);
      expect(names.some((n) => n.startsWith('AWS::Athena::WorkGroup'))).toBe(true);
    }
  });

  it("point each stack's report queries at its own Glue table and workgroup, deploying no prepared statement", () => {
    for (const { json, stack } of stacks) {
      const db = physicalNames(stack.stackName).glueDatabase;
      expect(
        Object.values(json.Resources).filter((r) => r.Type === 'AWS::Athena::PreparedStatement'),
      ).toEqual([]);
      // The report Lambda builds the period summary over EVENTS_TABLE and runs it in WORKGROUP.
      const report = Object.values(json.Resources).filter(
        (r) =>
          r.Type === 'AWS::Lambda::Function' &&
          (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
            ?.EVENTS_TABLE !== undefined,
      );
      expect(report).toHaveLength(1);
      const env = (report[0]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.EVENTS_TABLE).toBe(`${db}.audit_events`);
      const workGroups = Object.values(json.Resources).filter((r) => r.Type === 'AWS::Athena::WorkGroup');
      expect(workGroups.map((w) => w.Properties!.Name)).toEqual([env.WORKGROUP]);
    }
    expect(physicalNames('aurora-audit-staging').glueDatabase).toBe('aurora_audit_staging');
  });

  /** Events that concern one stack's resources only: its tickets, clusters, bucket, key, log groups, mappings. */
  function eventsOf({ stack, json, resolver }: (typeof stacks)[number]) {
    const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
    const names = physicalNames(stack.stackName);
    const clusterId = stack === prod ? 'orders-db' : 'orders-db-staging';
    const roleOf = (prefix: string) =>
      resolver.arn(
        (
          json.Resources[
            Object.keys(json.Resources).find(
              (k) => k.startsWith(prefix) && json.Resources[k]!.Type === 'AWS::StepFunctions::StateMachine',
            )!
          ]!.Properties!.RoleArn as { 'Fn::GetAtt': [string] }
        )['Fn::GetAtt'][0],
      );
    const api = (service: string, eventName: string, detail: Record<string, unknown>, who?: string) => ({
      source: `aws.${service}`,
      'detail-type': 'AWS API Call via CloudTrail',
      detail: {
        eventSource: `${service}.amazonaws.com`,
        eventName,
        userIdentity: {
          arn: `${who ?? 'arn:aws:iam::123456789012:role/dba'}/s`,
          sessionContext: { sessionIssuer: { arn: who ?? 'arn:aws:iam::123456789012:role/dba' } },
        },
        ...detail,
      },
    });
    const decrypt = resolver.arn(id(stack.streamProcessing.function));
    const mapping = {
      requestParameters: { uUID: 'u-1' },
      responseElements: { uUID: 'u-1', functionArn: decrypt },
    };
    return {
      alerting: [
        {
          source: names.changeEventSource,
          'detail-type': 'Change Approved',
          detail: { action: 'enable-activity-stream', clusterIdentifier: clusterId, changeTicket: 'CHG1' },
        },
        {
          source: 'aws.rds',
          'detail-type': 'RDS DB Cluster Event',
          detail: { EventID: 'RDS-EVENT-0180', SourceIdentifier: clusterId },
        },
        api('rds', 'ModifyDBCluster', {
          requestParameters: { dBClusterIdentifier: clusterId, dBClusterParameterGroupName: 'no-audit' },
        }),
        api('s3', 'PutBucketPolicy', {
          requestParameters: { bucketName: resolver.ref(id(stack.storage.bucket)) },
        }),
        api('kms', 'DisableKey', { resources: [{ ARN: resolver.arn(id(stack.storage.key)) }] }),
        api('logs', 'DeleteSubscriptionFilter', {
          requestParameters: { logGroupName: `/aws/rds/cluster/${clusterId}/postgresql` },
        }),
        api('lambda', 'DeleteEventSourceMapping20150331', mapping),
      ],
      // The stack's own disable run removing its mapping: no alert anywhere.
      quiet: [api('lambda', 'DeleteEventSourceMapping20150331', mapping, roleOf('DisableActivityStream'))],
    };
  }
  const rulesOf = ({ json, resolver }: (typeof stacks)[number]) =>
    Object.values(json.Resources)
      .filter((r) => r.Type === 'AWS::Events::Rule' && r.Properties?.EventPattern)
      .map((r) => resolver.resolve(r.Properties!.EventPattern) as Record<string, unknown>);

  it.each([
    [0, 1],
    [1, 0],
  ])('match none of the other stack’s events (stack %i’s events, stack %i’s rules)', (own, other) => {
    const events = eventsOf(stacks[own]!);
    for (const event of events.alerting) {
      // Each event is one its own stack acts on (so the check below is not vacuous)…
      expect({ event, own: rulesOf(stacks[own]!).filter((p) => matches(p, event)).length }).toEqual({
        event,
        own: 1,
      });
      // …and the other stack ignores.
      expect({ event, other: rulesOf(stacks[other]!).filter((p) => matches(p, event)).length }).toEqual({
        event,
        other: 0,
      });
    }
    for (const event of events.quiet) {
      expect(rulesOf(stacks[other]!).filter((p) => matches(p, event))).toEqual([]);
      expect(rulesOf(stacks[own]!).filter((p) => matches(p, event))).toEqual([]);
    }
  });
});

describe('the default name', () => {
  it('gives exactly the names of earlier releases, so an upgrade renames nothing', () => {
    expect(physicalNames('aurora-audit')).toEqual({
      stack: 'aurora-audit',
      glueDatabase: 'aurora_audit',
      athenaWorkGroup: 'aurora-audit',
      monitoringPrefix: 'aurora-audit',
      metricNamespace: 'aurora-audit',
      activityStreamFilter: 'aurora-audit-alerts',
      pgAuditFilter: 'aurora-audit-pgaudit',
      changeEventSource: 'aurora-audit.change-management',
    });
  });

  it('keeps the logical ids of every resource that holds data, and of the functions', () => {
    const ids = Object.entries(stacks[0]!.json.Resources)
      .filter(([, r]) =>
        [
          'AWS::S3::Bucket',
          'AWS::DynamoDB::Table',
          'AWS::KMS::Key',
          'AWS::SNS::Topic',
          'AWS::Glue::Database',
          'AWS::Glue::Table',
          'AWS::Lambda::Function',
          'AWS::StepFunctions::StateMachine',
          'AWS::KinesisFirehose::DeliveryStream',
        ].includes(r.Type),
      )
      .map(([k]) => k)
      // The PostgreSQL log retention provider Lambda, new with the set-retention default (it holds no data).
      .filter((k) => !k.startsWith('AlertProcessingPostgresLogRetentionFunction'))
      .sort();
    // The ids of the release before issue 18 (synthesized from the same example configuration), and the ones added
    // since: none renamed.
    expect(ids).toEqual([...DATA_BEARING_IDS_BEFORE_ISSUE_18, ...DATA_BEARING_IDS_ADDED_SINCE].sort());
  });
});

/** Added since: the Glue table over the canary's run records (issue 22, always there for the report's query). */
const DATA_BEARING_IDS_ADDED_SINCE = ['StorageCanaryRunsTable382C250C'];

const DATA_BEARING_IDS_BEFORE_ISSUE_18 = [
  'AlertProcessingAlertFunction22E96100',
  'AlertProcessingState0726E1B5',
  'AlertingAlertTopicC513ED25',
  'ComplianceReportReportFunction681318C9',
  'ComplianceReportStateMachineAC7F21A3',
  'DisableActivityStreamStateMachineF86587AA',
  'EnableActivityStreamLockTableFA3F2C98',
  'EnableActivityStreamPlanFunctionBBDE84F0',
  'EnableActivityStreamStateMachine4A4EA2E0',
  'StorageAccessLogs96FB524C',
  'StorageBucket5CB7C8EA',
  'StorageDatabase89DBCE01',
  'StorageEventsTable39AAEDB6',
  'StorageKeyBAA9457B',
  'StreamProcessingDecryptFunctionC3B69D39',
  'StreamProcessingDeliveryStreamCDA995F9',
];
