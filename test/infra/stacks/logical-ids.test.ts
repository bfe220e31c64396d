/**
 * The logical ids of every resource whose replacement would lose data or break wiring, pinned to the ids the
 * stack had before the architecture step of issue 19 (a synth of the integration branch with the embedded
 * example configuration). A refactoring that moves a construct must keep these ids (same construct id under
 * the same parent, or `Stack.renameLogicalId` with a comment): CloudFormation replaces a resource whose logical
 * id changes. In particular the decrypt function's ARN must not change: the event source mappings the
 * enablement workflow created point at it.
 */
import { newApp, synthExample } from '../../../cli/local/cdk-app';
import { canaryConfig } from '../../../cli/local/scenarios/canary-config';
import { buildApp } from '../../../infra/build-app';

const { template } = synthExample();
const resources = template.toJSON().Resources as Record<string, { Type: string }>;

/** Logical id → resource type, as synthesized before the change (literals, not read from the code). */
const PINNED: ReadonlyArray<readonly [string, string, string]> = [
  // Storage: the evidence, its access log, the key everything is encrypted with, the Athena table.
  ['StorageBucket5CB7C8EA', 'AWS::S3::Bucket', 'audit bucket'],
  ['StorageAccessLogs96FB524C', 'AWS::S3::Bucket', 'access-log bucket'],
  ['StorageKeyBAA9457B', 'AWS::KMS::Key', 'key'],
  ['StorageDatabase89DBCE01', 'AWS::Glue::Database', 'Glue database'],
  ['StorageEventsTable39AAEDB6', 'AWS::Glue::Table', 'Glue table'],
  // State: alert deduplication and rate limits, the per-cluster workflow locks.
  ['AlertProcessingState0726E1B5', 'AWS::DynamoDB::Table', 'alert state table'],
  ['EnableActivityStreamLockTableFA3F2C98', 'AWS::DynamoDB::Table', 'lock table'],
  // The alert topic and its email subscriptions (a new subscription must be confirmed again).
  ['AlertingAlertTopicC513ED25', 'AWS::SNS::Topic', 'alert topic'],
  ['AlertingAlertTopicdbateamexamplecom816A3A8A', 'AWS::SNS::Subscription', 'alert email subscription'],
  // The four Lambda functions and their log groups.
  ['StreamProcessingDecryptFunctionC3B69D39', 'AWS::Lambda::Function', 'decrypt function'],
  ['StreamProcessingDecryptLogs7DD3E92C', 'AWS::Logs::LogGroup', 'decrypt log group'],
  ['AlertProcessingAlertFunction22E96100', 'AWS::Lambda::Function', 'alert function'],
  ['AlertProcessingAlertLogs0909F1B4', 'AWS::Logs::LogGroup', 'alert log group'],
  ['EnableActivityStreamPlanFunctionBBDE84F0', 'AWS::Lambda::Function', 'plan function'],
  ['EnableActivityStreamPlanLogsC154861B', 'AWS::Logs::LogGroup', 'plan log group'],
  ['ComplianceReportReportFunction681318C9', 'AWS::Lambda::Function', 'report function'],
  // The provider of the PostgreSQL log groups' retention (issue 18: one custom resource for every cluster).
  [
    'AlertProcessingPostgresLogRetentionFunction4D100CFB',
    'AWS::Lambda::Function',
    'log-retention provider function',
  ],
  ['ComplianceReportReportLogsB6B9F3E2', 'AWS::Logs::LogGroup', 'report log group'],
  // The subscription filters feeding the alert function (decrypt log group; the cluster's PostgreSQL log).
  ['AlertProcessingActivityStreamAlertsC5039D61', 'AWS::Logs::SubscriptionFilter', 'activity-stream filter'],
  ['AlertProcessingPgAuditAlertsordersdb8DB94349', 'AWS::Logs::SubscriptionFilter', 'pgAudit filter'],
  // The delivery stream the decrypt function writes to.
  ['StreamProcessingDeliveryStreamCDA995F9', 'AWS::KinesisFirehose::DeliveryStream', 'delivery stream'],
  // The state machines (their ARNs are in change tickets, runbooks and schedules) and their log groups.
  ['EnableActivityStreamStateMachine4A4EA2E0', 'AWS::StepFunctions::StateMachine', 'enable state machine'],
  ['EnableActivityStreamLogs53790A7A', 'AWS::Logs::LogGroup', 'enable state machine log group'],
  ['DisableActivityStreamStateMachineF86587AA', 'AWS::StepFunctions::StateMachine', 'disable state machine'],
  ['DisableActivityStreamLogsF28DC8D5', 'AWS::Logs::LogGroup', 'disable state machine log group'],
  ['ComplianceReportStateMachineAC7F21A3', 'AWS::StepFunctions::StateMachine', 'report state machine'],
  ['ComplianceReportLogs2D0D2A3A', 'AWS::Logs::LogGroup', 'report state machine log group'],
  // The Change Manager runbook (templates name it).
  ['ChangeManagementChangeManagerRunbook83A41AA8', 'AWS::SSM::Document', 'change manager runbook'],
];

describe('the logical ids of stateful and wired resources', () => {
  it.each(PINNED)('keeps %s (%s, the %s)', (logicalId, type) => {
    expect(resources[logicalId]?.Type).toBe(type);
  });

  it('builds no project Lambda function or state machine besides the pinned ones', () => {
    const functions = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id]) => id)
      // CDK's own provider (log retention of the PostgreSQL log groups) is not a project Lambda.
      .filter((id) => !id.startsWith('LogRetention'));
    expect(functions.sort()).toEqual(
      PINNED.filter(([, type]) => type === 'AWS::Lambda::Function')
        .map(([id]) => id)
        .sort(),
    );
    const machines = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map(([id]) => id);
    expect(machines.sort()).toEqual(
      PINNED.filter(([, type]) => type === 'AWS::StepFunctions::StateMachine')
        .map(([id]) => id)
        .sort(),
    );
  });
});

/** The opt-in canary (issue 22), as first synthesized: pinned from then on, like the rest. */
const CANARY_PINNED: ReadonlyArray<readonly [string, string, string]> = [
  ['CanaryStateMachineED91C6DC', 'AWS::StepFunctions::StateMachine', 'canary state machine'],
  ['CanaryLogs35071DCA', 'AWS::Logs::LogGroup', 'canary state machine log group'],
  ['CanaryScheduleordersdbA7EF570C', 'AWS::Scheduler::Schedule', "orders-db's canary schedule"],
];

describe('the logical ids of the opt-in canary', () => {
  const { app, auditStack } = buildApp(canaryConfig(), newApp({ bundling: false }));
  const withCanary = app.synth().getStackByName(auditStack.stackName).template.Resources as Record<
    string,
    { Type: string }
  >;

  it.each(CANARY_PINNED)('keeps %s (%s, the %s)', (logicalId, type) => {
    expect(withCanary[logicalId]?.Type).toBe(type);
  });

  it('adds only the canary state machine to the pinned ones, and changes none of theirs', () => {
    for (const [logicalId, type] of PINNED) expect(withCanary[logicalId]?.Type).toBe(type);
    const machines = Object.entries(withCanary)
      .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map(([id]) => id);
    expect(machines.sort()).toEqual(
      [...PINNED, ...CANARY_PINNED]
        .filter(([, type]) => type === 'AWS::StepFunctions::StateMachine')
        .map(([id]) => id)
        .sort(),
    );
  });

  it('creates nothing of the canary without clusters[].canary', () => {
    expect(Object.keys(resources).filter((id) => id.startsWith('Canary'))).toEqual([]);
  });
});
