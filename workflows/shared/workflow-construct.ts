/**
 * What the stream workflows' constructs share: resource ARNs for their policies, the state machine with
 * its log group (level ALL), X-Ray tracing and timeout, publishing to the KMS-encrypted topic, the
 * alarms on failed, timed-out and aborted runs, and the cdk-nag acknowledgements of the `*` resources
 * their SDK integrations need.
 */
import { ArnFormat, Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
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

/** `arn:…:rds:<region>:<account>:cluster:<identifier>` of each cluster. */
export function clusterArns(scope: Construct, identifiers: readonly string[]): string[] {
  const stack = Stack.of(scope);
  return identifiers.map((identifier) =>
    stack.formatArn({
      service: 'rds',
      resource: 'cluster',
      resourceName: identifier,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  );
}

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

export interface WorkflowStateMachineProps {
  readonly start: sfn.IChainable;
  readonly comment: string;
  readonly timeout: Duration;
  readonly logRetention: logs.RetentionDays;
}

/** A standard state machine with logs at level ALL (execution data included), X-Ray and a timeout. */
export function workflowStateMachine(scope: Construct, props: WorkflowStateMachineProps) {
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
  return { stateMachine, logGroup };
}

/** Lets the state machine publish to the KMS-encrypted topic. */
export function grantTopicKey(role: iam.IRole, key: kms.IKey | undefined): void {
  if (!key) return;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }),
  );
}

/** The key-policy statement's sid, added once per key whichever construct asks first. */
const ALARMS_SID = 'AllowCloudWatchAlarmsToPublishToEncryptedTopics';
const keysWithAlarmStatement = new WeakSet<kms.IKey>();

/**
 * Alarms on failed, timed-out and aborted runs, to the topic. `what` names the run in the description, e.g.
 * `an activity-stream enablement run`.
 */
export function runAlarms(
  scope: Construct,
  stateMachine: sfn.StateMachine,
  topic: sns.ITopic,
  key: kms.IKey | undefined,
  what: string,
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
      alarmDescription: `aurora-audit: ${what} ${outcome}. Open the execution in the Step Functions console; a run that ${outcome} may hold its cluster's lock until it expires.`,
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
    `${nagArnPrefix(scope, 'lambda')}:event-source-mapping:*`,
    `${mappingActions} on the decrypt Lambda's mappings only (lambda:FunctionArn condition): their ids are known only once created.`,
  );
  // An imported plan Lambda (tests, or shared from elsewhere) has its ARN as written, not a logical id.
  const planArn = planFunction.node.defaultChild ? nagArn(planFunction) : planFunction.functionArn;
  acknowledge(`${planArn}:*`, 'Invoking the plan Lambda (any version), as LambdaInvoke grants it.');
}
