import { type Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { SettingsFile } from '../../infra/constructs/settings-files';
import { nagArnPrefix } from '../../infra/nag';
import { pollSchedule } from '../shared/poll-schedule';
import { StreamWorkflowKit, type StreamWorkflowKitProps, wholeSeconds } from '../shared/stream-workflow-kit';
import { checkSubjectPrefix } from '../shared/validate';
import {
  acknowledgeStreamWorkflowRole,
  anyActivityStreamArn,
  anyClusterArn,
  anyInstanceArn,
  buildWorkflow,
  grantActivityStreamKeys,
  grantMappingActions,
  pinToTaggedClusters,
  streamRunAlarmDescription,
} from '../shared/workflow-construct';
import { buildEnableDefinition } from './definition';

export type {
  EnableWindowPolicy,
  EnableWorkflowCluster,
  EventSourceMappingSource,
} from '../shared/stream-workflow-kit';

/**
 * The enablement workflow's props. With `kit`, the stream-workflow kit shared with the other stream workflows
 * (what the stack does); without it, the kit settings (`clusters`, `streamProcessing`, `minimumMinutesLeft`,
 * `deadline`, `timeout`, `maintenanceWindow`, `lockTable`: see `StreamWorkflowKitProps`) build a kit of its
 * own (the workflow used alone).
 */
export interface EnableActivityStreamWorkflowProps
  extends Partial<Omit<StreamWorkflowKitProps, 'logRetention'>> {
  /**
   * The plan Lambda, lock table and timeouts shared with the other stream workflows.
   * @default a kit of its own, built from the kit settings given here
   */
  readonly kit?: StreamWorkflowKit;
  /** Topic of the success and failure notifications and of the alarms (the stack's alert topic). */
  readonly notificationTopic: sns.ITopic;
  /**
   * Key the topic is encrypted with: the state machine may use it to publish, and CloudWatch alarms too.
   * @default notificationTopic.masterKey
   */
  readonly notificationKey?: kms.IKey;
  /** Retention of the state machine's log group (and of the plan Lambda's, in a kit of its own). */
  readonly logRetention: logs.RetentionDays;
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
   * The value of the `aurora-audit` tag that marks the clusters this workflow may start activity streams on.
   * @default the stack's name
   */
  readonly clusterTagValue?: string;
}

/**
 * The enablement workflow: a standard Step Functions state machine that starts Database Activity Streams on
 * a configured cluster inside its maintenance window, waits through the restarts, connects the stream to the
 * decrypt Lambda and notifies (see `definition.ts` and docs/workflows.md "Enablement workflow"). With the stream-workflow
 * kit's plan Lambda and lock table, and the one workflow set-up (`buildWorkflow`: logs at level ALL, X-Ray
 * tracing, alarms on failed, timed-out and aborted runs).
 */
export class EnableActivityStreamWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly lockTable: dynamodb.ITable;
  readonly planFunction: nodejs.NodejsFunction;
  /** The plan Lambda's cluster file (`CLUSTERS_FILE`), bundled beside its code (the kit's). */
  readonly planSettingsFiles: readonly SettingsFile[];
  readonly logGroup: logs.LogGroup;
  readonly alarms: readonly cloudwatch.Alarm[];
  /** Polling intervals in seconds (they add up to the deadline). */
  readonly pollSchedule: readonly number[];
  /** The run's timeout (the kit's). */
  readonly timeout: Duration;
  /** How long a run waits for the restarts after StartActivityStream (the kit's). */
  readonly deadline: Duration;
  /** The stream-workflow kit the workflow uses: the plan Lambda and the lock table are the kit's. */
  readonly kit: StreamWorkflowKit;

  constructor(scope: Construct, id: string, props: EnableActivityStreamWorkflowProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const kit = props.kit ?? ownKit(this, props);
    const settings = validateProps(props, kit.deadline.toSeconds());
    this.kit = kit;
    this.timeout = kit.timeout;
    this.deadline = kit.deadline;
    this.lockTable = kit.lockTable;
    this.planFunction = kit.planFunction;
    this.planSettingsFiles = kit.planSettingsFiles;
    this.pollSchedule = pollSchedule({
      deadlineSeconds: kit.deadline.toSeconds(),
      initialSeconds: settings.initialPollSeconds,
      maxSeconds: settings.maxPollSeconds,
    });
    const mappingSettings = kit.eventSourceMapping;

    // ---- the state machine
    const start = buildEnableDefinition(this, {
      planFunction: this.planFunction,
      lockTable: this.lockTable,
      topic: props.notificationTopic,
      clusterArns: [anyClusterArn(this)],
      instanceArns: [anyInstanceArn(this)],
      streamArns: [anyActivityStreamArn(this)],
      eventSourceMapping: mappingSettings,
      pollSchedule: this.pollSchedule,
      subjectPrefix: settings.subjectPrefix,
    });

    const workflow = buildWorkflow(this, {
      start,
      comment:
        'aurora-audit: start Database Activity Streams in the maintenance window, wait through the restarts, connect the stream, notify',
      timeout: this.timeout,
      logRetention: props.logRetention,
      notificationTopic: props.notificationTopic,
      notificationKey: props.notificationKey,
      alarmDescription: streamRunAlarmDescription('an activity-stream enablement run'),
      configureRole: (role) => {
        // Only on the clusters tagged for this stack; the stream key only through RDS (sizes independent of the fleet).
        pinToTaggedClusters(this, role, props.clusterTagValue ?? stack.stackName, [
          'rds:StartActivityStream',
        ]);
        for (const pattern of grantActivityStreamKeys(
          role,
          kit.clusters.map((c) => c.activityStreamKmsKeyArn),
        )) {
          Validations.of(role).acknowledge({
            id: `AwsSolutions-IAM5[Resource::${pattern}]`,
            reason:
              'kms:CreateGrant and kms:DescribeKey for StartActivityStream, only through RDS (kms:ViaService), on the keys of the configured accounts: one statement whatever the number of clusters and keys.',
          });
        }
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${nagArnPrefix(this, 'kinesis')}:stream/aws-rds-das-cluster-*]`,
          reason:
            'kinesis:DescribeStreamSummary (read-only) on the streams RDS creates for activity streams (aws-rds-das-cluster-…): the policy must not grow with the fleet.',
        });
        // The event source mapping may only ever invoke the decrypt Lambda.
        grantMappingActions(this, role, mappingSettings.FunctionName, {
          withoutResourceType: ['lambda:CreateEventSourceMapping'],
          onMappings: ['lambda:UpdateEventSourceMapping'],
        });
      },
    });
    this.stateMachine = workflow.stateMachine;
    this.logGroup = workflow.logGroup;
    this.alarms = workflow.alarms;
    acknowledgeStreamWorkflowRole(
      this,
      this.stateMachine.role,
      this.planFunction,
      'CloudWatch Logs delivery and X-Ray (no resource-level permissions), lambda:ListEventSourceMappings (no resource type) and lambda:CreateEventSourceMapping (no resource type; limited to the decrypt Lambda by lambda:FunctionArn).',
      'lambda:UpdateEventSourceMapping',
    );
  }
}

const KIT_SETTINGS = [
  'clusters',
  'streamProcessing',
  'minimumMinutesLeft',
  'deadline',
  'timeout',
  'maintenanceWindow',
  'lockTable',
] as const satisfies readonly (keyof StreamWorkflowKitProps)[];

/** The kit of a workflow used alone, from the kit settings in its props (errors named as the workflow's). */
function ownKit(scope: Construct, props: EnableActivityStreamWorkflowProps): StreamWorkflowKit {
  const { clusters, streamProcessing } = props;
  if (!clusters || !streamProcessing) {
    throw new Error('EnableActivityStreamWorkflow: clusters and streamProcessing are required without a kit');
  }
  return new StreamWorkflowKit(
    scope,
    'Kit',
    { ...props, clusters, streamProcessing },
    'EnableActivityStreamWorkflow',
  );
}

interface ValidatedSettings {
  readonly initialPollSeconds: number;
  readonly maxPollSeconds: number;
  readonly subjectPrefix: string;
}

function validateProps(props: EnableActivityStreamWorkflowProps, deadlineSeconds: number): ValidatedSettings {
  const fail = (message: string): never => {
    throw new Error(`EnableActivityStreamWorkflow: ${message}`);
  };
  if (props.kit) {
    const given = KIT_SETTINGS.filter((k) => props[k] !== undefined);
    if (given.length > 0)
      fail(`give either kit or the kit settings, not both (got kit and ${given.join(', ')})`);
  }
  const initialPollSeconds = wholeSeconds('initialPollInterval', props.initialPollInterval, 60, fail);
  const maxPollSeconds = wholeSeconds('maxPollInterval', props.maxPollInterval, 300, fail);
  if (initialPollSeconds < 10 || initialPollSeconds > deadlineSeconds) {
    fail(
      `initialPollInterval must be from 10 s to the deadline (${deadlineSeconds} s), got ${initialPollSeconds} s`,
    );
  }
  if (maxPollSeconds < initialPollSeconds || maxPollSeconds > 3600) {
    fail(
      `maxPollInterval must be from initialPollInterval (${initialPollSeconds} s) to 1 hour, got ${maxPollSeconds} s`,
    );
  }
  const subjectPrefix = checkSubjectPrefix(props.subjectPrefix, fail);
  return { initialPollSeconds, maxPollSeconds, subjectPrefix };
}
