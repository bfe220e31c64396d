/**
 * The one workflow set-up every workflow uses ({@link buildWorkflow}: the state machine with its log group
 * (level ALL), X-Ray tracing and timeout, publishing to the KMS-encrypted topic, the alarms on failed, timed-out
 * and aborted runs), and what the stream workflows' constructs share: resource ARNs for their policies and the
 * cdk-nag acknowledgements of the `*` resources their SDK integrations need.
 */
import { Arn, ArnFormat, Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { nagArn, nagArnPrefix } from '../../infra/nag';

/**
 * DescribeDBInstances filtered by the cluster: the instance names are not configured, so any instance
 * (`db:*`, read-only); the filter keeps the answer to the configured cluster's members.
 */
export function anyInstanceArn(scope: Construct): string {
  return Stack.of(scope).formatArn({
    service: 'rds',
    resource: 'db',
    resourceName: '*',
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * A mapping's id is known only once it is created: any mapping (`event-source-mapping:*`), to be limited to
 * the decrypt Lambda's by a lambda:FunctionArn condition.
 */
export function anyMappingArn(scope: Construct): string {
  return Stack.of(scope).formatArn({
    service: 'lambda',
    resource: 'event-source-mapping',
    resourceName: '*',
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

export interface WorkflowProps {
  /** The definition's first state. */
  readonly start: sfn.IChainable;
  /** The state machine's comment, `aurora-audit: …`. */
  readonly comment: string;
  /** The whole run's timeout. */
  readonly timeout: Duration;
  /** Retention of the state machine's log group. */
  readonly logRetention: logs.RetentionDays;
  /** Topic of the workflow's notifications and of its run alarms (the stack's alert topic). */
  readonly notificationTopic: sns.ITopic;
  /**
   * Key the topic is encrypted with: the state machine may use it to publish, and CloudWatch alarms too.
   * @default notificationTopic.masterKey
   */
  readonly notificationKey?: kms.IKey;
  /**
   * Whether to grant the state machine's role the topic key (false when another grant covers that key).
   * @default true
   */
  readonly grantPublishKey?: boolean;
  /**
   * Adds the workflow's own statements to the state machine's role, before the topic key's (policy order).
   * @default nothing
   */
  readonly configureRole?: (role: iam.IRole, stateMachine: sfn.StateMachine) => void;
  /** The run alarms' description for an outcome (`failed`, `timed out`, `was aborted`). */
  readonly alarmDescription: (outcome: string) => string;
}

/** What {@link buildWorkflow} built. */
export interface Workflow {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  /** Failed, timed-out and aborted runs, to the notification topic. */
  readonly alarms: readonly cloudwatch.Alarm[];
}

/**
 * The one way a workflow is set up (enable, disable, compliance report, and any later one): a standard state
 * machine with its log group (level ALL, execution data included), X-Ray tracing and a timeout; the role's own
 * statements (`configureRole`), publishing to the KMS-encrypted topic; the key-policy statement that lets
 * CloudWatch alarms publish through that key (once per key); and alarms on failed, timed-out and aborted
 * runs. Everything is built in `scope` (the workflow's construct) under the ids `Logs`, `StateMachine`,
 * `FailedAlarm`, `TimedOutAlarm` and `AbortedAlarm`.
 */
export function buildWorkflow(scope: Construct, props: WorkflowProps): Workflow {
  const logGroup = new logs.LogGroup(scope, 'Logs', {
    retention: props.logRetention,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(props.start),
    comment: props.comment,
    timeout: props.timeout,
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
  });
  props.configureRole?.(stateMachine.role, stateMachine);
  const notificationKey = props.notificationKey ?? props.notificationTopic.masterKey;
  if (props.grantPublishKey ?? true) grantTopicKey(stateMachine.role, notificationKey);
  const alarms = runAlarms(
    scope,
    stateMachine,
    props.notificationTopic,
    notificationKey,
    props.alarmDescription,
  );
  return { stateMachine, logGroup, alarms };
}

/** Lets the state machine publish to the KMS-encrypted topic. */
function grantTopicKey(role: iam.IRole, key: kms.IKey | undefined): void {
  if (!key) return;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }),
  );
}

/** The key-policy statement's sid, added once per key whichever workflow asks first. */
const ALARMS_SID = 'AllowCloudWatchAlarmsToPublishToEncryptedTopics';
const keysWithAlarmStatement = new WeakSet<kms.IKey>();

/** Alarms on failed, timed-out and aborted runs, to the topic (and the key statement they need). */
function runAlarms(
  scope: Construct,
  stateMachine: sfn.StateMachine,
  topic: sns.ITopic,
  key: kms.IKey | undefined,
  description: (outcome: string) => string,
): cloudwatch.Alarm[] {
  if (key && !keysWithAlarmStatement.has(key)) {
    keysWithAlarmStatement.add(key);
    // CloudWatch alarms publish to the encrypted topic through its key.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: ALARMS_SID,
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // In a key policy `*` is this key.
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
  }
  const alarm = (alarmId: string, metric: cloudwatch.Metric, outcome: string) => {
    const a = new cloudwatch.Alarm(scope, alarmId, {
      metric: metric.with({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description(outcome),
    });
    a.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    return a;
  };
  return [
    alarm('FailedAlarm', stateMachine.metricFailed(), 'failed'),
    alarm('TimedOutAlarm', stateMachine.metricTimedOut(), 'timed out'),
    alarm('AbortedAlarm', stateMachine.metricAborted(), 'was aborted'),
  ];
}

/**
 * The run alarms' description of a stream workflow: `what` names the run, e.g. `an activity-stream enablement
 * run`.
 */
export function streamRunAlarmDescription(what: string): (outcome: string) => string {
  return (outcome) =>
    `aurora-audit: ${what} ${outcome}. Open the execution in the Step Functions console; a run that ${outcome} may hold its cluster's lock until it expires.`;
}

/**
 * Grants `actions` on the decrypt Lambda's event source mappings only (lambda:FunctionArn), with the resource
 * `*` for actions without a resource type (CreateEventSourceMapping) or any mapping otherwise.
 */
export function grantMappingActions(
  scope: Construct,
  role: iam.IRole,
  functionArn: string,
  actions: { readonly withoutResourceType?: readonly string[]; readonly onMappings?: readonly string[] },
): void {
  const condition = { StringEquals: { 'lambda:FunctionArn': functionArn } };
  if (actions.withoutResourceType?.length) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...actions.withoutResourceType],
        // No resource type: `*`, limited to the decrypt Lambda by condition.
        resources: ['*'],
        conditions: condition,
      }),
    );
  }
  if (actions.onMappings?.length) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...actions.onMappings],
        // Mapping ids are unknown until created: any mapping, limited to the decrypt Lambda's by condition.
        resources: [anyMappingArn(scope)],
        conditions: condition,
      }),
    );
  }
}

/** The cdk-nag acknowledgements of a stream workflow role's `*` resources, each with its reason. */
export function acknowledgeStreamWorkflowRole(
  scope: Construct,
  role: iam.IRole,
  planFunction: lambda.IFunction,
  starReason: string,
  mappingActions: string,
): void {
  const acknowledge = (resource: string, reason: string) =>
    Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
  acknowledge('*', starReason);
  acknowledge(
    `${nagArnPrefix(scope, 'rds')}:db:*`,
    'rds:DescribeDBInstances (read-only) filtered by the configured cluster: the instance names are not configured.',
  );
  acknowledge(
    `${nagArnPrefix(scope, 'rds')}:cluster:*`,
    `rds:DescribeDBClusters (read-only) on any cluster, and the activity-stream action on the clusters tagged ${CLUSTER_TAG_KEY}=<stack name> only (an explicit Deny on every other cluster): the policy must not grow with the fleet.`,
  );
  acknowledge(
    `${nagArnPrefix(scope, 'lambda')}:event-source-mapping:*`,
    `${mappingActions} on the decrypt Lambda's mappings only (lambda:FunctionArn condition): their ids are known only once created.`,
  );
  // An imported plan Lambda (tests, or shared from elsewhere) has its ARN as written, not a logical id.
  const planArn = planFunction.node.defaultChild ? nagArn(planFunction) : planFunction.functionArn;
  acknowledge(`${planArn}:*`, 'Invoking the plan Lambda (any version), as LambdaInvoke grants it.');
}

/**
 * The tag that marks a cluster this stack may start or stop activity streams on: key `aurora-audit`, value the
 * stack's `name`. Tag each configured cluster with it (docs/deploying.md "Before you deploy").
 */
export const CLUSTER_TAG_KEY = 'aurora-audit';

/**
 * Any cluster of the account and region (`cluster:*`): the policies must not grow with the fleet (IAM allows
 * 10,240 characters per role). Read-only actions stay so; the mutating ones are pinned by {@link pinToTaggedClusters}.
 */
export function anyClusterArn(scope: Construct): string {
  return Stack.of(scope).formatArn({
    service: 'rds',
    resource: 'cluster',
    resourceName: '*',
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** The Kinesis streams RDS creates for activity streams, `aws-rds-das-cluster-…` (read-only describe). */
export function anyActivityStreamArn(scope: Construct): string {
  return Stack.of(scope).formatArn({
    service: 'kinesis',
    resource: 'stream',
    resourceName: 'aws-rds-das-cluster-*',
  });
}

/**
 * Denies `actions` on every cluster that does not carry the tag `aurora-audit=<tagValue>` (RDS's
 * `rds:cluster-tag/<key>` condition key; a cluster without the tag is denied too, as `StringNotEquals` matches
 * a missing key). With the allow on `cluster:*`, the role starts or stops activity streams on the tagged
 * clusters only, in a statement whose size does not depend on how many there are; the plan Lambda, for its
 * part, refuses any cluster that is not in the configuration.
 */
export function pinToTaggedClusters(
  scope: Construct,
  role: iam.IRole,
  tagValue: string,
  actions: readonly string[],
): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      actions: [...actions],
      resources: [anyClusterArn(scope)],
      conditions: { StringNotEquals: { [`rds:cluster-tag/${CLUSTER_TAG_KEY}`]: tagValue } },
    }),
  );
}

/**
 * kms:CreateGrant and kms:DescribeKey, which StartActivityStream needs on the stream key, only through RDS
 * (`kms:ViaService`): one statement per account and region of the configured keys, not one per key, so the
 * policy does not grow with the fleet. The role's only RDS actions that take a key are StartActivityStream on
 * the tagged clusters, and the key comes from the configuration (the plan Lambda).
 */
export function grantActivityStreamKeys(role: iam.IRole, keyArns: readonly string[]): string[] {
  const patterns = new Map<string, { region: string; arn: string }>();
  for (const keyArn of keyArns) {
    const parsed = Arn.split(keyArn, ArnFormat.SLASH_RESOURCE_NAME);
    const arn = `arn:${parsed.partition}:kms:${parsed.region}:${parsed.account}:key/*`;
    patterns.set(arn, { region: parsed.region ?? '', arn });
  }
  for (const { region, arn } of patterns.values()) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant', 'kms:DescribeKey'],
        resources: [arn],
        conditions: { StringEquals: { 'kms:ViaService': `rds.${region}.amazonaws.com` } },
      }),
    );
  }
  return [...patterns.keys()];
}
