import { Arn, ArnFormat, Aws, Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { nagArnPrefix } from '../../infra/nag';
import { CANARY_METRICS } from '../../tasks/core/canary';
import { SCHEDULE_EXPRESSION } from '../../tasks/core/identifiers';
import { isTimeZone } from '../../tasks/core/report-period';
import { CANARY_RUNS_PREFIX } from '../../tasks/core/storage-layout';
import { pollSchedule } from '../shared/poll-schedule';
import { checkClusterList, checkSubjectPrefix } from '../shared/validate';
import { anyClusterArn, buildWorkflow, CLUSTER_TAG_KEY } from '../shared/workflow-construct';
import { buildCanaryDefinition, type CanaryGroupInput, type CanaryInput } from './definition';

/**
 * At most this many clusters per schedule: a group of more is split over several schedules (each input stays
 * near 25 KB, far below StartExecution's 262,144 bytes, and one failed start misses at most this many runs).
 */
export const CLUSTERS_PER_SCHEDULE = 50;

/** One cluster's canary (the configuration's `clusters[].canary`, with what the stack knows of the cluster). */
export interface CanaryCluster {
  /** DB cluster identifier (name). */
  readonly identifier: string;
  /** The canary user's Secrets Manager secret (ARN). */
  readonly secretArn: string;
  /** The database the Data API connects to. */
  readonly database: string;
  /** EventBridge Scheduler expression and the IANA time zone it runs in. */
  readonly schedule: { readonly expression: string; readonly timeZone: string };
  /** Minutes the run waits for the arrivals. */
  readonly deadlineMinutes: number;
  /** Whether pgAudit is meant to be on for the cluster (`coverageCheck`): then the canary waits for it too. */
  readonly pgAudit: boolean;
}

export interface CanaryWorkflowProps {
  /** The clusters with a canary: at least one (without any, the stack builds no canary). */
  readonly clusters: readonly CanaryCluster[];
  /** The alert state table, where the alert Lambda records arrivals (`canary#<nonce>`). */
  readonly alertTable: dynamodb.ITable;
  /**
   * The key the alert state table is encrypted with (kms:Decrypt for GetItem).
   * @default the table's own encryptionKey
   */
  readonly alertTableKey?: kms.IKey;
  /** The audit bucket: each run's record goes under `canary-runs/` (the report's "Control evidence"). */
  readonly evidenceBucket: s3.IBucket;
  /** The audit bucket's key (kms:GenerateDataKey to write the records). */
  readonly evidenceKey: kms.IKey;
  /**
   * The CloudWatch namespace of the canary's metrics (`Success`, `ArrivalLatency`, `ConsecutiveFailedRuns`).
   * @default 'aurora-audit/Canary'
   */
  readonly metricNamespace?: string;
  /**
   * The one alarm of the fleet goes off when a cluster's canary has failed this many runs in a row.
   * @default 2
   */
  readonly alarmAfterFailedRuns?: number;
  /** Topic of the failure notification and of the alarms (the stack's alert topic). */
  readonly notificationTopic: sns.ITopic;
  /** @default notificationTopic.masterKey */
  readonly notificationKey?: kms.IKey;
  /** Retention of the state machine's log group. */
  readonly logRetention: logs.RetentionDays;
  /** @default 'aurora-audit' */
  readonly subjectPrefix?: string;
  /**
   * First wait for the arrivals; later ones grow by as much up to `maxPollInterval`.
   * @default Duration.seconds(15)
   */
  readonly initialPollInterval?: Duration;
  /** @default Duration.minutes(5) */
  readonly maxPollInterval?: Duration;
  /**
   * The value of the `aurora-audit` tag that marks the clusters of this stack (docs/deploying.md "Before you
   * deploy"): the role may run Data API statements on those clusters only.
   * @default the stack's name
   */
  readonly clusterTagValue?: string;
}

/** One schedule: an expression and time zone, and the clusters (at most {@link CLUSTERS_PER_SCHEDULE}) it starts. */
export interface CanarySchedule {
  readonly expression: string;
  readonly timeZone: string;
  /** The cluster identifiers, in configuration order. */
  readonly clusters: readonly string[];
  /** What the schedule sends. */
  readonly input: CanaryGroupInput;
}

/**
 * The canary workflow (docs/workflows.md "Canary workflow"): one state machine for every cluster with a
 * canary, started by one EventBridge Scheduler schedule per distinct (expression, time zone) — split every
 * {@link CLUSTERS_PER_SCHEDULE} clusters — whose input lists those clusters' inputs ({@link canaryInput}); the
 * run it starts starts one run of the same state machine per listed cluster, so each cluster's run, failure
 * and notification stay its own, and the resources and policies do not grow with the fleet. A run writes
 * marked statements through the RDS Data API and waits for the alert Lambda to record their arrival through
 * each enabled audit source; a silent path fails the run with a CRITICAL notification. Logs at level ALL,
 * X-Ray, alarms on failed, timed-out and aborted runs (`buildWorkflow`).
 */
export class CanaryWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly alarms: readonly cloudwatch.Alarm[];
  /** The alarm on a cluster's consecutive failed runs (one for the fleet). */
  readonly failedRunsAlarm: cloudwatch.Alarm;
  readonly metricNamespace: string;
  readonly schedules: readonly scheduler.Schedule[];
  /** What each schedule starts (same order as `schedules`). */
  readonly groups: readonly CanarySchedule[];
  readonly scheduleDeadLetterQueue: sqs.Queue;
  /** Each cluster's input, as its schedule lists it (and as a run started by hand takes it). */
  readonly inputs: ReadonlyMap<string, CanaryInput>;

  constructor(scope: Construct, id: string, props: CanaryWorkflowProps) {
    super(scope, id);
    const settings = validateProps(props);
    this.inputs = new Map(
      props.clusters.map((c) => [
        c.identifier,
        canaryInput(this, c, { initialSeconds: settings.initialSeconds, maxSeconds: settings.maxSeconds }),
      ]),
    );
    const longest = Math.max(...props.clusters.map((c) => c.deadlineMinutes));

    this.metricNamespace = settings.metricNamespace;
    const start = buildCanaryDefinition(this, {
      alertTable: props.alertTable,
      evidenceBucket: props.evidenceBucket,
      metricNamespace: settings.metricNamespace,
      topic: props.notificationTopic,
      subjectPrefix: settings.subjectPrefix,
    });
    const workflow = buildWorkflow(this, {
      start,
      comment:
        'aurora-audit: audit canary: write marked statements through the RDS Data API and wait for them to arrive through every audit source',
      // The longest deadline, the statements' retries and the notification.
      timeout: Duration.minutes(longest + 30),
      logRetention: props.logRetention,
      notificationTopic: props.notificationTopic,
      notificationKey: props.notificationKey,
      alarmDescription: (outcome) =>
        `aurora-audit: an audit canary run ${outcome}. A FAILED run has already sent its own notification naming the silent path; for a timed-out or aborted run, open the execution in the Step Functions console.`,
      configureRole: (role) => this.grantCanary(role, props),
    });
    this.stateMachine = workflow.stateMachine;
    this.logGroup = workflow.logGroup;
    // The dispatch starts runs of this state machine only. Not in the role's default policy: the state machine
    // depends on that one (it must exist before the first run), and naming the state machine there is a cycle.
    new iam.Policy(this, 'DispatchPolicy', {
      roles: [this.stateMachine.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['states:StartExecution'],
          resources: [this.stateMachine.stateMachineArn],
        }),
      ],
    });
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'CloudWatch Logs delivery and X-Ray (no resource-level permissions), as the StateMachine construct grants them.',
    });

    // ---- one schedule per (expression, time zone), split every CLUSTERS_PER_SCHEDULE; failed starts go to a
    // queue that alarms
    this.scheduleDeadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.scheduleDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is the canary schedules' dead-letter queue (a failed StartExecution lands here and alarms); cdk-nag cannot see a Scheduler DLQ.",
    });
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'aurora-audit canary schedules: start the canary state machine, nothing else',
    });
    this.groups = scheduleGroups(props.clusters, this.inputs);
    this.schedules = this.groups.map(
      (g) =>
        new scheduler.Schedule(this, scheduleId(g), {
          description: truncate(
            `aurora-audit canary of ${g.clusters.length} cluster(s), ${g.expression} in ${g.timeZone}: ${g.clusters.join(', ')}`,
            512,
          ),
          schedule: scheduler.ScheduleExpression.expression(g.expression, TimeZone.of(g.timeZone)),
          timeWindow: scheduler.TimeWindow.off(),
          target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
            role: scheduleRole,
            input: scheduler.ScheduleTargetInput.fromObject(g.input),
            deadLetterQueue: this.scheduleDeadLetterQueue,
            retryAttempts: 10,
            maxEventAge: Duration.hours(1),
          }),
        }),
    );
    const deadLetters = new cloudwatch.Alarm(this, 'ScheduleDeadLettersAlarm', {
      metric: this.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        'aurora-audit: EventBridge Scheduler could not start a canary run (see the message in the canary schedule dead-letter queue: its error says why). The audit paths went unchecked for that run.',
    });
    deadLetters.addAlarmAction(new cloudwatchActions.SnsAction(props.notificationTopic));
    this.failedRunsAlarm = this.buildFailedRunsAlarm(props, settings);
    this.alarms = [...workflow.alarms, deadLetters, this.failedRunsAlarm];
  }

  /**
   * One alarm for the whole fleet: the Maximum of `ConsecutiveFailedRuns` (published without dimensions at the
   * end of every run, the cluster's failed runs in a row) reaching the threshold. Counting in the workflow (one
   * UpdateItem per run) makes "N runs in a row" exact whatever each cluster's schedule, and keeps one alarm
   * whatever the fleet's size (per-cluster alarms would cost 200 resources of the stack's 500). The trade-off:
   * the alarm says that some cluster crossed the threshold; which one is in the failure notifications and in
   * the metric's `Cluster` dimension. Missing data (no run ended in the period: between daily runs) keeps the
   * alarm's state (`ignore`): it stays in ALARM until that cluster's next run succeeds and publishes 0, and does
   * not flap back to OK between runs. A run that never starts is the schedule dead-letter alarm's; one that
   * times out or is aborted, the workflow's alarms.
   */
  private buildFailedRunsAlarm(props: CanaryWorkflowProps, settings: ValidatedSettings): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, 'ConsecutiveFailedRunsAlarm', {
      metric: new cloudwatch.Metric({
        namespace: settings.metricNamespace,
        metricName: CANARY_METRICS.consecutiveFailedRuns,
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(5),
      }),
      threshold: settings.alarmAfterFailedRuns,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      alarmDescription: `aurora-audit: an audit canary has failed ${settings.alarmAfterFailedRuns} or more runs in a row: the control is not operating on that cluster. Its failure notifications name the cluster and the silent path; the metric ${settings.metricNamespace} ${CANARY_METRICS.consecutiveFailedRuns} by Cluster shows which.`,
    });
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.notificationTopic));
    alarm.addOkAction(new cloudwatchActions.SnsAction(props.notificationTopic));
    return alarm;
  }

  /**
   * What a run needs, none of it growing with the fleet (IAM allows 10,240 characters per role):
   * - rds-data:ExecuteStatement on the clusters tagged `aurora-audit=<stack>`;
   * - secretsmanager:GetSecretValue on the secrets tagged `aurora-audit=<stack>` (the Data API reads the secret
   *   with the caller's credentials; without a secret the Data API runs nothing);
   * - states:StartExecution on this state machine only (the dispatch of a schedule's group), in a policy of its
   *   own: the role's default policy cannot name the state machine, which depends on it;
   * - kms:Decrypt of the alert table's key (GetItem on the table comes with its task).
   */
  private grantCanary(role: iam.IRole, props: CanaryWorkflowProps): void {
    const tagValue = props.clusterTagValue ?? Stack.of(this).stackName;
    const tagged = { StringEquals: { [`aws:ResourceTag/${CLUSTER_TAG_KEY}`]: tagValue } };
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds-data:ExecuteStatement'],
        // `cluster:*`: any cluster of the account and region, limited by its tag (rds-data supports
        // aws:ResourceTag on the cluster resource).
        resources: [anyClusterArn(this)],
        conditions: tagged,
      }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArnPrefix(this, 'rds')}:cluster:*]`,
      reason: `rds-data:ExecuteStatement on the clusters tagged ${CLUSTER_TAG_KEY}=<stack name> only (aws:ResourceTag condition): the policy must not grow with the fleet.`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        // `secret:*`: any secret of the account and region, limited by its tag (Service Authorization
        // Reference: the secret resource type takes aws:ResourceTag/${TagKey} for GetSecretValue). A tag, not a
        // name prefix: the configuration names each secret by ARN, so a prefix would force renaming secrets,
        // and the tag is the one the clusters and keys already carry for this stack.
        resources: [anyCanarySecretArn(this)],
        conditions: tagged,
      }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArnPrefix(this, 'secretsmanager')}:secret:*]`,
      reason: `secretsmanager:GetSecretValue on the secrets tagged ${CLUSTER_TAG_KEY}=<stack name> only (aws:ResourceTag condition): one statement whatever the number of canary secrets.`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        // PutMetricData has no resource type; the namespace condition keeps the role to the canary's metrics.
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': this.metricNamespace } },
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `cloudwatch:PutMetricData has no resource type: limited by the cloudwatch:namespace condition to ${this.metricNamespace}.`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [props.evidenceBucket.arnForObjects(`${CANARY_RUNS_PREFIX}*`)],
      }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(props.evidenceBucket.node.defaultChild as never)}.Arn>/${CANARY_RUNS_PREFIX}*]`,
      reason: 'One object per run under canary-runs/ (the run records), named after the execution.',
    });
    const tableKey = props.alertTableKey ?? props.alertTable.encryptionKey;
    // Writing the run record (SSE-KMS) and the streak item (UpdateItem on the encrypted table).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Encrypt'],
        resources: [...new Set([props.evidenceKey.keyArn, ...(tableKey ? [tableKey.keyArn] : [])])],
      }),
    );
    const topicKey = props.notificationKey ?? props.notificationTopic.masterKey;
    // The topic's key is granted by buildWorkflow already (kms:Decrypt with it).
    if (tableKey && tableKey !== topicKey) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [tableKey.keyArn] }),
      );
    }
  }
}

/** What the schedule of `cluster` sends: its ARN, secret, database, the sources to wait for and the waits. */
export function canaryInput(
  scope: Construct,
  cluster: CanaryCluster,
  poll: { readonly initialSeconds: number; readonly maxSeconds: number },
): CanaryInput {
  const deadlineSeconds = cluster.deadlineMinutes * 60;
  return {
    cluster: cluster.identifier,
    resourceArn: Stack.of(scope).formatArn({
      service: 'rds',
      resource: 'cluster',
      resourceName: cluster.identifier,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
    secretArn: cluster.secretArn,
    database: cluster.database,
    sources: { activityStream: true, pgAudit: cluster.pgAudit },
    pollSeconds: pollSchedule({ deadlineSeconds, ...poll }),
    deadlineSeconds,
  };
}

/** Any Secrets Manager secret of the account and region (`secret:*`), to be limited by a condition. */
function anyCanarySecretArn(scope: Construct): string {
  return Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: '*',
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * The schedules: the clusters grouped by (expression, time zone) in configuration order, each group split into
 * runs of at most {@link CLUSTERS_PER_SCHEDULE}.
 */
export function scheduleGroups(
  clusters: readonly CanaryCluster[],
  inputs: ReadonlyMap<string, CanaryInput>,
): CanarySchedule[] {
  const byKey = new Map<string, CanaryCluster[]>();
  for (const c of clusters) {
    const key = JSON.stringify([c.schedule.expression, c.schedule.timeZone]);
    byKey.set(key, [...(byKey.get(key) ?? []), c]);
  }
  return [...byKey.values()].flatMap((members) => {
    const chunks: CanaryCluster[][] = [];
    for (let i = 0; i < members.length; i += CLUSTERS_PER_SCHEDULE)
      chunks.push(members.slice(i, i + CLUSTERS_PER_SCHEDULE));
    // Every group has a first member: it was created with one.
    const { expression, timeZone } = (members[0] as CanaryCluster).schedule;
    return chunks.map((chunk) => ({
      expression,
      timeZone,
      clusters: chunk.map((c) => c.identifier),
      input: { clusters: chunk.map((c) => inputs.get(c.identifier) as CanaryInput) },
    }));
  });
}

/**
 * A schedule's construct id: its first cluster (a cluster is in one schedule only). A group of one keeps the
 * logical id its cluster's schedule had when there was one schedule per cluster.
 */
function scheduleId(g: CanarySchedule): string {
  return `Schedule-${g.clusters[0]}`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

interface ValidatedSettings {
  readonly subjectPrefix: string;
  readonly metricNamespace: string;
  readonly alarmAfterFailedRuns: number;
  readonly initialSeconds: number;
  readonly maxSeconds: number;
}

function validateProps(props: CanaryWorkflowProps): ValidatedSettings {
  const fail = (message: string): never => {
    throw new Error(`CanaryWorkflow: ${message}`);
  };
  checkClusterList(props.clusters, fail, 'clusters must list at least one cluster with a canary');
  props.clusters.forEach((c, i) => {
    if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(c.secretArn))
      fail(
        `clusters[${i}].secretArn must be a Secrets Manager secret ARN, got ${JSON.stringify(c.secretArn)}`,
      );
    if (Arn.split(c.secretArn, ArnFormat.COLON_RESOURCE_NAME).resourceName === undefined)
      fail(`clusters[${i}].secretArn names no secret, got ${JSON.stringify(c.secretArn)}`);
    if (!/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(c.database))
      fail(`clusters[${i}].database must be a PostgreSQL database name, got ${JSON.stringify(c.database)}`);
    if (!SCHEDULE_EXPRESSION.test(c.schedule.expression))
      fail(
        `clusters[${i}].schedule.expression must be "cron(<6 fields>)" or "rate(<n> <unit>)", got ${JSON.stringify(c.schedule.expression)}`,
      );
    if (!isTimeZone(c.schedule.timeZone))
      fail(
        `clusters[${i}].schedule.timeZone must be an IANA time zone, got ${JSON.stringify(c.schedule.timeZone)}`,
      );
    if (!Number.isInteger(c.deadlineMinutes) || c.deadlineMinutes < 5 || c.deadlineMinutes > 180)
      fail(`clusters[${i}].deadlineMinutes must be an integer from 5 to 180, got ${c.deadlineMinutes}`);
  });
  const subjectPrefix = checkSubjectPrefix(props.subjectPrefix, fail);
  const seconds = (name: string, d: Duration | undefined, fallback: number) => {
    const s = d === undefined ? fallback : d.toSeconds();
    if (!Number.isInteger(s) || s < 1) fail(`${name} must be whole seconds, at least 1, got ${s} s`);
    return s;
  };
  const initialSeconds = seconds('initialPollInterval', props.initialPollInterval, 15);
  const maxSeconds = seconds('maxPollInterval', props.maxPollInterval, 300);
  if (maxSeconds < initialSeconds)
    fail(`maxPollInterval (${maxSeconds} s) must be at least initialPollInterval (${initialSeconds} s)`);
  const metricNamespace = props.metricNamespace ?? `aurora-audit${CANARY_METRICS.namespaceSuffix}`;
  if (!/^[A-Za-z0-9._/#:-]{1,255}$/.test(metricNamespace) || metricNamespace.startsWith('AWS/'))
    fail(
      `metricNamespace must be a CloudWatch namespace not starting with AWS/, got ${JSON.stringify(metricNamespace)}`,
    );
  const alarmAfterFailedRuns = props.alarmAfterFailedRuns ?? 2;
  if (!Number.isInteger(alarmAfterFailedRuns) || alarmAfterFailedRuns < 1 || alarmAfterFailedRuns > 100)
    fail(`alarmAfterFailedRuns must be an integer from 1 to 100, got ${alarmAfterFailedRuns}`);
  return { subjectPrefix, initialSeconds, maxSeconds, metricNamespace, alarmAfterFailedRuns };
}
