import { Duration, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { pollSchedule } from '../shared/poll-schedule';
import type { StreamWorkflowShared } from '../shared/stream-workflow-kit';
import { checkSubjectPrefix } from '../shared/validate';
import {
  acknowledgeStreamWorkflowRole,
  anyClusterArn,
  anyInstanceArn,
  buildWorkflow,
  grantMappingActions,
  pinToTaggedClusters,
  streamRunAlarmDescription,
} from '../shared/workflow-construct';
import { buildDisableDefinition } from './definition';

export interface DisableActivityStreamWorkflowProps {
  /** Identifiers (names) of the clusters the workflow may stop activity streams on. */
  readonly clusterIdentifiers: readonly string[];
  /**
   * The stream-workflow kit (`StreamWorkflowKit`): its plan Lambda validates the input and plans the window, its
   * lock table keeps one run per cluster across the stream workflows, its timeout is this workflow's.
   */
  readonly kit: StreamWorkflowShared;
  /** ARN of the decrypt Lambda, whose event source mapping of the stream is removed. */
  readonly decryptFunctionArn: string;
  /** Topic of the success and failure notifications and of the alarms (the stack's alert topic). */
  readonly notificationTopic: sns.ITopic;
  /**
   * Key the topic is encrypted with: the state machine may use it to publish, and CloudWatch alarms too.
   * @default notificationTopic.masterKey
   */
  readonly notificationKey?: kms.IKey;
  /** Retention of the state machine's log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * How long to wait for the stream to stop and every instance to be available after StopActivityStream;
   * at most the kit's deadline, the enablement's (the plan Lambda's window limit assumes it).
   * @default the kit's deadline
   */
  readonly deadline?: Duration;
  /**
   * First polling interval; later ones grow by as much up to `maxPollInterval`.
   * @default Duration.seconds(60)
   */
  readonly initialPollInterval?: Duration;
  /** @default Duration.minutes(5) */
  readonly maxPollInterval?: Duration;
  /**
   * Notification subject prefix, `[prefix] …`.
   * @default 'aurora-audit'
   */
  readonly subjectPrefix?: string;
  /**
   * The value of the `aurora-audit` tag that marks the clusters this workflow may stop activity streams on.
   * @default the stack's name
   */
  readonly clusterTagValue?: string;
}

/**
 * The disable workflow: a standard Step Functions state machine that stops Database Activity Streams on a
 * configured cluster inside its maintenance window, waits through the restarts, removes the decrypt Lambda's
 * event source mapping of the stream and notifies (see `definition.ts` and docs/workflows.md "Disable workflow"). Logs
 * at level ALL, X-Ray tracing, alarms on failed, timed-out and aborted runs (`buildWorkflow`), with the
 * stream-workflow kit's plan Lambda and lock table.
 */
export class DisableActivityStreamWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly alarms: readonly cloudwatch.Alarm[];
  /** Polling intervals in seconds (they add up to the deadline). */
  readonly pollSchedule: readonly number[];

  constructor(scope: Construct, id: string, props: DisableActivityStreamWorkflowProps) {
    super(scope, id);
    const fail = (message: string): never => {
      throw new Error(`DisableActivityStreamWorkflow: ${message}`);
    };
    if (props.clusterIdentifiers.length === 0) fail('clusterIdentifiers must list at least one cluster');
    const shared = props.kit;
    const deadline = (props.deadline ?? shared.deadline).toSeconds();
    if (!Number.isInteger(deadline) || deadline < 300 || deadline > shared.deadline.toSeconds()) {
      fail(
        `deadline must be whole seconds from 5 minutes to the enablement's deadline (${shared.deadline.toSeconds()} s), got ${deadline} s`,
      );
    }
    const initial = (props.initialPollInterval ?? Duration.seconds(60)).toSeconds();
    const max = (props.maxPollInterval ?? Duration.minutes(5)).toSeconds();
    if (!Number.isInteger(initial) || initial < 10 || initial > deadline) {
      fail(
        `initialPollInterval must be whole seconds from 10 s to the deadline (${deadline} s), got ${initial} s`,
      );
    }
    if (!Number.isInteger(max) || max < initial || max > 3600) {
      fail(
        `maxPollInterval must be whole seconds from initialPollInterval (${initial} s) to 1 hour, got ${max} s`,
      );
    }
    const subjectPrefix = checkSubjectPrefix(props.subjectPrefix, fail);
    this.pollSchedule = pollSchedule({ deadlineSeconds: deadline, initialSeconds: initial, maxSeconds: max });

    const start = buildDisableDefinition(this, {
      planFunction: shared.planFunction,
      lockTable: shared.lockTable,
      topic: props.notificationTopic,
      clusterArns: [anyClusterArn(this)],
      instanceArns: [anyInstanceArn(this)],
      decryptFunctionArn: props.decryptFunctionArn,
      pollSchedule: this.pollSchedule,
      subjectPrefix,
    });
    const workflow = buildWorkflow(this, {
      start,
      comment:
        'aurora-audit: stop Database Activity Streams in the maintenance window, wait through the restarts, disconnect the stream, notify',
      timeout: shared.timeout,
      logRetention: props.logRetention,
      notificationTopic: props.notificationTopic,
      notificationKey: props.notificationKey,
      alarmDescription: streamRunAlarmDescription('an activity-stream disable run'),
      configureRole: (role) => {
        // Only on the clusters tagged for this stack (a statement independent of the fleet's size).
        pinToTaggedClusters(this, role, props.clusterTagValue ?? Stack.of(this).stackName, [
          'rds:StopActivityStream',
        ]);
        // Disabling and deleting only ever touches the decrypt Lambda's mappings.
        grantMappingActions(this, role, props.decryptFunctionArn, {
          onMappings: ['lambda:UpdateEventSourceMapping', 'lambda:DeleteEventSourceMapping'],
        });
      },
    });
    this.stateMachine = workflow.stateMachine;
    this.logGroup = workflow.logGroup;
    this.alarms = workflow.alarms;
    acknowledgeStreamWorkflowRole(
      this,
      this.stateMachine.role,
      shared.planFunction,
      'CloudWatch Logs delivery and X-Ray (no resource-level permissions) and lambda:ListEventSourceMappings (no resource type).',
      'lambda:UpdateEventSourceMapping and lambda:DeleteEventSourceMapping',
    );
  }
}
