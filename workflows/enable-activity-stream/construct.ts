import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type EventSourceMappingDefinition, LAMBDA_RUNTIME } from '../../infra/constructs/stream-processing';
import { nagArnPrefix } from '../../infra/nag';
import { CLUSTER_IDENTIFIER, CLUSTER_RESOURCE_ID, WEEKLY_WINDOW } from '../../tasks/core/identifiers';
import { createLockTable } from '../shared/lock';
import { pollSchedule } from '../shared/poll-schedule';
import {
  acknowledgeStreamWorkflowRole,
  anyActivityStreamArn,
  anyClusterArn,
  anyInstanceArn,
  grantActivityStreamKeys,
  grantMappingActions,
  grantTopicKey,
  pinToTaggedClusters,
  runAlarms,
  workflowStateMachine,
} from '../shared/workflow-construct';
import { buildEnableDefinition } from './definition';

/** A cluster the workflow may enable activity streams on. */
export interface EnableWorkflowCluster {
  /** DB cluster identifier (name), e.g. `orders-db`. */
  readonly identifier: string;
  /** `DbClusterResourceId` (`cluster-…`): the preflight checks the cluster still has it. */
  readonly resourceId: string;
  /** Customer-managed KMS key (or alias) ARN the activity stream is encrypted with. */
  readonly activityStreamKmsKeyArn: string;
}

/** Where the event source mapping's parameters come from: `StreamProcessing`. */
export interface EventSourceMappingSource {
  eventSourceMappingDefinition(clusterResourceId: string): EventSourceMappingDefinition;
}

/** The configuration's `maintenanceWindow`. */
export interface EnableWindowPolicy {
  /**
   * `cluster-window`: `next` is the cluster's PreferredMaintenanceWindow; `fixed`: `fixedWindow`;
   * `immediate`: `next` means now.
   */
  readonly policy: 'cluster-window' | 'fixed' | 'immediate';
  /** `ddd:hh24:mi-ddd:hh24:mi` in UTC, required with policy `fixed`. */
  readonly fixedWindow?: string;
  /** Whether an input may ask for `now`. */
  readonly allowImmediate: boolean;
}

export interface EnableActivityStreamWorkflowProps {
  /** The clusters the workflow may work on (the configuration's `clusters`). */
  readonly clusters: readonly EnableWorkflowCluster[];
  /** The activity-stream processing: the event source mapping to create once the stream runs. */
  readonly streamProcessing: EventSourceMappingSource;
  /** Topic of the success and failure notifications and of the alarms (the stack's alert topic). */
  readonly notificationTopic: sns.ITopic;
  /**
   * Key the topic is encrypted with: the state machine may use it to publish, and CloudWatch alarms too.
   * @default notificationTopic.masterKey
   */
  readonly notificationKey?: kms.IKey;
  /** Retention of the state machine's and the plan Lambda's log groups. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Minimum minutes left in a maintenance window to start in it; otherwise the following one is used.
   * @default 30
   */
  readonly minimumMinutesLeft?: number;
  /**
   * How long to wait for the stream to start and every instance to be available after StartActivityStream.
   * @default Duration.minutes(45)
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
   * The whole run's timeout: waiting for the window, the restarts and connecting. Also the lock's lifetime
   * (plus one hour). Windows that start later than `timeout - deadline - 1 h` are refused.
   * @default Duration.days(8)
   */
  readonly timeout?: Duration;
  /** @default policy cluster-window, now allowed */
  readonly maintenanceWindow?: EnableWindowPolicy;
  /**
   * Notification subject prefix, `[prefix] …`.
   * @default 'aurora-audit'
   */
  readonly subjectPrefix?: string;
  /**
   * The per-cluster lock table; share one between the enable and disable workflows.
   * @default a new table
   */
  readonly lockTable?: dynamodb.ITable;
  /**
   * The value of the `aurora-audit` tag that marks the clusters this workflow may start activity streams on.
   * @default the stack's name
   */
  readonly clusterTagValue?: string;
}

/**
 * The enablement workflow: a standard Step Functions state machine that starts Database Activity Streams on
 * a configured cluster inside its maintenance window, waits through the restarts, connects the stream to the
 * decrypt Lambda and notifies (see `definition.ts` and README "Enablement workflow"). With its lock table,
 * its plan Lambda, logs at level ALL, X-Ray tracing, and alarms on failed, timed-out and aborted runs.
 */
export class EnableActivityStreamWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly lockTable: dynamodb.ITable;
  readonly planFunction: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly alarms: readonly cloudwatch.Alarm[];
  /** Polling intervals in seconds (they add up to the deadline). */
  readonly pollSchedule: readonly number[];
  /** The run's timeout; the disable workflow, which shares the plan Lambda, uses the same. */
  readonly timeout: Duration;
  /** How long a run waits for the restarts after StartActivityStream. */
  readonly deadline: Duration;

  constructor(scope: Construct, id: string, props: EnableActivityStreamWorkflowProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const settings = validateProps(props);
    this.timeout = Duration.seconds(settings.timeoutSeconds);
    this.deadline = Duration.seconds(settings.deadlineSeconds);
    this.pollSchedule = pollSchedule({
      deadlineSeconds: settings.deadlineSeconds,
      initialSeconds: settings.initialPollSeconds,
      maxSeconds: settings.maxPollSeconds,
    });

    // The mapping's parameters are the same for every cluster but the stream.
    const definitions = props.clusters.map((c) =>
      props.streamProcessing.eventSourceMappingDefinition(c.resourceId),
    );
    const [firstDefinition] = definitions;
    if (!firstDefinition)
      throw new Error('EnableActivityStreamWorkflow: clusters must list at least one cluster');
    const { EventSourceArn: _arn, ...mappingSettings } = firstDefinition;
    for (const [i, d] of definitions.entries()) {
      const { EventSourceArn: _other, ...rest } = d;
      if (JSON.stringify(rest) !== JSON.stringify(mappingSettings)) {
        throw new Error(
          `EnableActivityStreamWorkflow: the event source mapping of clusters[${i}] (${props.clusters[i]?.identifier}) differs from clusters[0]'s in more than its stream`,
        );
      }
    }

    this.lockTable = props.lockTable ?? createLockTable(this, 'LockTable');

    // ---- the plan Lambda (computation only: validation and window planning)
    const planLogGroup = new logs.LogGroup(this, 'PlanLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const planRole = new iam.Role(this, 'PlanRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'aurora-audit plan Lambda: writes its own logs, nothing else',
    });
    planRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [planLogGroup.logGroupArn],
      }),
    );
    this.planFunction = new nodejs.NodejsFunction(this, 'PlanFunction', {
      entry: path.join(__dirname, '..', '..', 'tasks', 'plan-maintenance-window', 'handler.ts'),
      handler: 'handler',
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(10),
      role: planRole,
      logGroup: planLogGroup,
      description: 'aurora-audit: validate the enablement input and plan the maintenance window',
      depsLockFilePath: path.join(__dirname, '..', '..', 'package-lock.json'),
      bundling: { minify: true, sourceMap: true, target: 'node24', externalModules: [] },
      environment: {
        CLUSTERS: stack.toJsonString(
          props.clusters.map((c, i) => ({
            identifier: c.identifier,
            resourceId: c.resourceId,
            activityStreamKmsKeyArn: c.activityStreamKmsKeyArn,
            streamArn: definitions[i]?.EventSourceArn,
          })),
        ),
        MIN_MINUTES_LEFT: String(settings.minimumMinutesLeft),
        WINDOW_POLICY: settings.window.policy,
        ...(settings.window.fixedWindow ? { FIXED_WINDOW: settings.window.fixedWindow } : {}),
        ALLOW_IMMEDIATE: String(settings.window.allowImmediate),
        MAX_WAIT_SECONDS: String(settings.timeoutSeconds - settings.deadlineSeconds - 3600),
        LOCK_TTL_SECONDS: String(settings.timeoutSeconds + 3600),
        POWERTOOLS_SERVICE_NAME: 'aurora-audit-plan-window',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
    });

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

    const machine = workflowStateMachine(this, {
      start,
      comment:
        'aurora-audit: start Database Activity Streams in the maintenance window, wait through the restarts, connect the stream, notify',
      timeout: this.timeout,
      logRetention: props.logRetention,
    });
    this.stateMachine = machine.stateMachine;
    this.logGroup = machine.logGroup;
    const role = this.stateMachine.role;

    // Only on the clusters tagged for this stack; the stream key only through RDS (sizes independent of the fleet).
    pinToTaggedClusters(this, role, props.clusterTagValue ?? stack.stackName, ['rds:StartActivityStream']);
    for (const pattern of grantActivityStreamKeys(
      role,
      props.clusters.map((c) => c.activityStreamKmsKeyArn),
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
    const notificationKey = props.notificationKey ?? props.notificationTopic.masterKey;
    grantTopicKey(role, notificationKey);
    acknowledgeStreamWorkflowRole(
      this,
      role,
      this.planFunction,
      'CloudWatch Logs delivery and X-Ray (no resource-level permissions), lambda:ListEventSourceMappings (no resource type) and lambda:CreateEventSourceMapping (no resource type; limited to the decrypt Lambda by lambda:FunctionArn).',
      'lambda:UpdateEventSourceMapping',
    );

    // ---- alarms: failed, timed-out and aborted runs, to the notification topic
    this.alarms = runAlarms(
      this,
      this.stateMachine,
      props.notificationTopic,
      notificationKey,
      'an activity-stream enablement run',
    );
  }
}

interface ValidatedSettings {
  readonly minimumMinutesLeft: number;
  readonly deadlineSeconds: number;
  readonly initialPollSeconds: number;
  readonly maxPollSeconds: number;
  readonly timeoutSeconds: number;
  readonly window: EnableWindowPolicy;
  readonly subjectPrefix: string;
}

function validateProps(props: EnableActivityStreamWorkflowProps): ValidatedSettings {
  const fail = (message: string): never => {
    throw new Error(`EnableActivityStreamWorkflow: ${message}`);
  };
  if (props.clusters.length === 0) fail('clusters must list at least one cluster');
  const seen = new Set<string>();
  props.clusters.forEach((c, i) => {
    if (!CLUSTER_IDENTIFIER.test(c.identifier)) {
      fail(`clusters[${i}].identifier must be a DB cluster identifier, got ${JSON.stringify(c.identifier)}`);
    }
    if (seen.has(c.identifier))
      fail(`clusters[${i}].identifier ${JSON.stringify(c.identifier)} is listed twice`);
    seen.add(c.identifier);
    if (!CLUSTER_RESOURCE_ID.test(c.resourceId)) {
      fail(
        `clusters[${i}].resourceId must be "cluster-" and 26 upper-case letters or digits, got ${JSON.stringify(c.resourceId)}`,
      );
    }
    if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+$/.test(c.activityStreamKmsKeyArn)) {
      fail(
        `clusters[${i}].activityStreamKmsKeyArn must be a KMS key or alias ARN, got ${JSON.stringify(c.activityStreamKmsKeyArn)}`,
      );
    }
  });
  const minimumMinutesLeft = props.minimumMinutesLeft ?? 30;
  if (!Number.isInteger(minimumMinutesLeft) || minimumMinutesLeft < 0 || minimumMinutesLeft > 1440) {
    fail(`minimumMinutesLeft must be an integer from 0 to 1440, got ${minimumMinutesLeft}`);
  }
  const seconds = (name: string, d: Duration | undefined, fallback: number) => {
    const s = d === undefined ? fallback : d.toSeconds();
    if (!Number.isInteger(s)) fail(`${name} must be whole seconds, got ${s} s`);
    return s;
  };
  const deadlineSeconds = seconds('deadline', props.deadline, 45 * 60);
  if (deadlineSeconds < 300 || deadlineSeconds > 12 * 3600) {
    fail(`deadline must be from 5 minutes to 12 hours, got ${deadlineSeconds} s`);
  }
  const initialPollSeconds = seconds('initialPollInterval', props.initialPollInterval, 60);
  const maxPollSeconds = seconds('maxPollInterval', props.maxPollInterval, 300);
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
  const timeoutSeconds = seconds('timeout', props.timeout, 8 * 24 * 3600);
  if (timeoutSeconds < deadlineSeconds + 2 * 3600 || timeoutSeconds > 365 * 24 * 3600) {
    fail(
      `timeout must be at least the deadline plus 2 hours (${deadlineSeconds + 7200} s) and at most 365 days, got ${timeoutSeconds} s`,
    );
  }
  const window = props.maintenanceWindow ?? { policy: 'cluster-window', allowImmediate: true };
  if (!['cluster-window', 'fixed', 'immediate'].includes(window.policy)) {
    fail(
      `maintenanceWindow.policy must be cluster-window, fixed or immediate, got ${JSON.stringify(window.policy)}`,
    );
  }
  if (window.policy === 'fixed' && !window.fixedWindow)
    fail('maintenanceWindow.fixedWindow is required with policy "fixed"');
  if (window.fixedWindow !== undefined && !WEEKLY_WINDOW.test(window.fixedWindow)) {
    fail(
      `maintenanceWindow.fixedWindow must be "ddd:hh24:mi-ddd:hh24:mi" in UTC, got ${JSON.stringify(window.fixedWindow)}`,
    );
  }
  const subjectPrefix = props.subjectPrefix ?? 'aurora-audit';
  if (subjectPrefix.length < 1 || subjectPrefix.length > 24) {
    fail(`subjectPrefix must be 1-24 characters, got ${JSON.stringify(subjectPrefix)}`);
  }
  return {
    minimumMinutesLeft,
    deadlineSeconds,
    initialPollSeconds,
    maxPollSeconds,
    timeoutSeconds,
    window,
    subjectPrefix,
  };
}
