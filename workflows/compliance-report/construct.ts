import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Aws, Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type ProjectFunction, projectFunction } from '../../infra/constructs/project-function';
import type { ReportQueries } from '../../infra/constructs/report-queries';
import {
  type SettingsFile,
  settingsFileEnvironment,
  writeSettingsFile,
} from '../../infra/constructs/settings-files';
import { nagArn, nagArnPrefix } from '../../infra/nag';
import { DEFAULT_COVERAGE_CLASSES, reportSqlCopyCommands, SUMMARY_TABLE_PREFIX } from '../../reports/queries';
import { SCHEDULE_EXPRESSION } from '../../tasks/core/identifiers';
import { isTimeZone } from '../../tasks/core/report-period';
import {
  ATHENA_RESULTS_PREFIX,
  CANARY_RUNS_PREFIX,
  EVENTS_PREFIX,
  REPORTS_PREFIX,
} from '../../tasks/core/storage-layout';
import { reportAssetCopyCommands } from '../../tasks/render-report/assets';
import { type ReportInput, recipientDomains } from '../../tasks/render-report/contract';
import type { REPORT_SETTINGS_FILES, ReportLambdaEnvironment } from '../../tasks/render-report/settings';
import { checkClusterList, checkSubjectPrefix } from '../shared/validate';
import { buildWorkflow } from '../shared/workflow-construct';
import { buildReportDefinition } from './definition';

const EMAIL = /^[^@\s"'\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const DOMAIN = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
/** The local part the report Lambda sends from when the SES identity is a domain. */
const DOMAIN_SENDER_LOCAL_PART = 'aurora-audit';

/** A cluster the report covers. */
export interface ReportCluster {
  /** DB cluster identifier (name), e.g. `orders-db`: what the input's `clusters` name. */
  readonly identifier: string;
  /** `DbClusterResourceId` (`cluster-…`): the `cluster` partition of the stored events. */
  readonly resourceId: string;
  /** The cluster's canary (`clusters[].canary`): its user's canary statements are left out of the report. */
  readonly canary?: { readonly user: string };
}

/** When a report runs (the configuration's `reports.schedules[]`). */
export interface ReportSchedule {
  readonly period: NonNullable<ReportInput['period']>;
  /** EventBridge Scheduler expression, `cron(<6 fields>)` or `rate(<n> <unit>)`. */
  readonly expression: string;
  /** IANA time zone the expression is evaluated in, and the report's days. */
  readonly timeZone: string;
}

export interface ComplianceReportWorkflowProps {
  /** The clusters the report covers (the configuration's `clusters`). */
  readonly clusters: readonly ReportCluster[];
  /** Who receives the report. */
  readonly recipients: readonly string[];
  /** SES identity the report is sent from: a verified email address, or a domain (then `aurora-audit@<domain>`). */
  readonly sender: string;
  /** Schedules; none for a workflow started by hand only. */
  readonly schedules: readonly ReportSchedule[];
  /** The audit bucket: events under `events/`, Athena results under `athena-results/`, reports under `reports/`. */
  readonly bucket: s3.IBucket;
  /** The bucket's key (events, results and reports are encrypted with it). */
  readonly key: kms.IKey;
  /** The Athena workgroup the report's queries run in. */
  readonly queries: ReportQueries;
  /** Glue database and table of the events (what the queries read). */
  readonly glueDatabaseName: string;
  readonly glueTableName: string;
  /** Topic of the failure and incomplete-report notifications and of the alarms (the stack's alert topic). */
  readonly notificationTopic: sns.ITopic;
  /**
   * Key the topic is encrypted with: the state machine may use it to publish, and CloudWatch alarms too.
   * @default notificationTopic.masterKey
   */
  readonly notificationKey?: kms.IKey;
  /** Retention of the state machine's and the report Lambda's log groups. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Notification and report subject prefix, `[prefix] …`.
   * @default 'aurora-audit'
   */
  readonly subjectPrefix?: string;
  /**
   * IANA time zone of an input without `timeZone` (a run started by hand).
   * @default 'UTC'
   */
  readonly defaultTimeZone?: string;
  /**
   * Rows a section shows before "and N more" (the CSV evidence has them all).
   * @default 50
   */
  readonly maxRowsPerSection?: number;
  /**
   * Extra redaction patterns (regular expressions), as the other Lambdas take them.
   * @default none
   */
  readonly redactionPatterns?: readonly string[];
  /**
   * The classes the coverage check reconciles (`alerts.coverage.classes`, as the alert Lambda gets them): the
   * "Audit coverage gaps" section lists statements of these classes. Empty: the check is off.
   * @default ROLE and DDL
   */
  readonly coverageClasses?: readonly string[];
  /**
   * Athena queries running at once (Athena's account quota of concurrent DML queries is shared).
   * @default 5
   */
  readonly maxConcurrency?: number;
  /**
   * How long one query may take, queued time included, before its section is FAILED.
   * @default Duration.minutes(30)
   */
  readonly queryTimeout?: Duration;
  /**
   * The whole run's timeout.
   * @default Duration.hours(1)
   */
  readonly timeout?: Duration;
}

/**
 * The compliance-report workflow: a standard Step Functions state machine that prepares the run with the
 * report Lambda, builds the run's period summary in Athena (one CTAS reading the events), runs every report
 * section over it (`.sync`, a few at a time, a failed query becoming a FAILED section), has the Lambda render,
 * send (SES) and archive the report, and drops the summary table on every path (see `definition.ts`). With
 * the report Lambda, logs at level ALL, X-Ray tracing, alarms on failed, timed-out and aborted runs, and EventBridge Scheduler schedules (time zones honoured) whose failed starts land in a
 * dead-letter queue that alarms.
 */
export class ComplianceReportWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** The report Lambda (`projectFunction`): its function, log group, role and standard alarms. */
  readonly report: ProjectFunction;
  readonly reportFunction: nodejs.NodejsFunction;
  /** The report Lambda's cluster file (`CLUSTERS_FILE`), bundled beside its code. */
  readonly reportSettingsFiles: readonly SettingsFile<(typeof REPORT_SETTINGS_FILES)[number]>[];
  readonly logGroup: logs.LogGroup;
  readonly schedules: readonly scheduler.Schedule[];
  readonly scheduleDeadLetterQueue: sqs.Queue;
  readonly alarms: readonly cloudwatch.Alarm[];
  /** The address the report is sent from (`ses:FromAddress`). */
  readonly fromAddress: string;
  /** ARN of the SES identity the report is sent from. */
  /** The SES identities the sender may be verified as: the address and its domain, or the domain. */
  readonly senderIdentityArns: readonly string[];

  constructor(scope: Construct, id: string, props: ComplianceReportWorkflowProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const settings = validateProps(props);
    const { bucket, key } = props;
    const workGroupArn = props.queries.workGroupArn;

    this.fromAddress = EMAIL.test(props.sender)
      ? props.sender
      : `${DOMAIN_SENDER_LOCAL_PART}@${props.sender}`;
    // SES authorizes sending against the address's identity or, when only the domain is verified, the
    // domain's: grant both (the ses:FromAddress condition keeps it to the one address).
    const senderDomain = props.sender.slice(props.sender.lastIndexOf('@') + 1);
    this.senderIdentityArns = [...new Set([props.sender, senderDomain])].map((identity) =>
      stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }),
    );

    // ---- the report Lambda (prepare; render, send and archive)
    const entry = 'tasks/render-report/handler.ts';
    if (!existsSync(path.join(__dirname, '..', '..', entry)))
      throw new Error(`ComplianceReportWorkflow: the report Lambda's entry ${entry} is missing`);
    // The cluster list outgrows Lambda's 4 KB of environment with a fleet: a file bundled beside the code.
    this.reportSettingsFiles = [
      writeSettingsFile(
        this,
        'CLUSTERS',
        'clusters.json',
        JSON.stringify(
          props.clusters.map((c) => ({
            identifier: c.identifier,
            resourceId: c.resourceId,
            ...(c.canary ? { canaryUser: c.canary.user } : {}),
          })),
        ),
      ),
    ];
    this.report = projectFunction(this, {
      ids: { function: 'ReportFunction', logGroup: 'ReportLogs', role: 'ReportRole' },
      entry,
      description: 'aurora-audit: prepare the compliance report; render, send and archive it',
      roleDescription:
        'aurora-audit report Lambda: reads Athena results, archives under reports/, sends with the SES identity',
      memorySize: 1024,
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      serviceName: 'aurora-audit-report',
      settingsFiles: this.reportSettingsFiles,
      // The WASM renderer and the font are files the bundle reads at run time: copied beside it.
      // The period summary's and the sections' SQL are read at run time too (reports/queries, BUNDLED_SQL_DIR).
      copyCommands: (outputDir) => [
        ...reportAssetCopyCommands(outputDir),
        ...reportSqlCopyCommands(outputDir),
      ],
      alarms: { errors: 'Warning' },
      environment: {
        ...settingsFileEnvironment(this.reportSettingsFiles),
        RECIPIENTS: JSON.stringify(props.recipients),
        SENDER: props.sender,
        SUBJECT_PREFIX: settings.subjectPrefix,
        TIME_ZONE: settings.defaultTimeZone,
        BUCKET: bucket.bucketName,
        WORKGROUP: props.queries.workGroupName,
        EVENTS_TABLE: `${props.glueDatabaseName}.${props.glueTableName}`,
        MAX_ROWS_PER_SECTION: String(settings.maxRowsPerSection),
        REDACTION_PATTERNS: JSON.stringify(props.redactionPatterns ?? []),
        COVERAGE_CLASSES: (props.coverageClasses ?? DEFAULT_COVERAGE_CLASSES).join(','),
      } satisfies ReportLambdaEnvironment,
    });
    this.reportFunction = this.report.function;
    const reportRole = this.report.role;
    reportRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['athena:GetQueryExecution', 'athena:GetQueryResults'],
        resources: [workGroupArn],
      }),
    );
    // GetQueryResults reads the result files in S3 with the caller's credentials.
    reportRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [bucket.arnForObjects(`${ATHENA_RESULTS_PREFIX}*`)],
      }),
    );
    reportRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${REPORTS_PREFIX}*`)],
      }),
    );
    // Results are SSE-KMS (read: Decrypt); archived reports too (write: GenerateDataKey).
    reportRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [key.keyArn],
      }),
    );
    reportRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendRawEmail'],
        resources: [...this.senderIdentityArns],
        conditions: {
          StringEquals: { 'ses:FromAddress': this.fromAddress },
          // Only to the configured recipients' domains (prepare refuses other overrides too).
          'ForAllValues:StringLike': {
            'ses:Recipients': recipientDomains(props.recipients).map((domain) => `*@${domain}`),
          },
        },
      }),
    );
    Validations.of(reportRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(bucket)}/${ATHENA_RESULTS_PREFIX}*]`,
      reason:
        'GetQueryResults reads the result files of the report queries (s3:GetObject) under athena-results/, whose names Athena chooses.',
    });
    Validations.of(reportRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(bucket)}/${REPORTS_PREFIX}*]`,
      reason:
        'The report archive (s3:PutObject only) under reports/<period>/<from>_<to>/<execution>/: the keys are known at run time.',
    });

    // ---- the state machine
    const start = buildReportDefinition(this, {
      reportFunction: this.reportFunction,
      workGroupName: props.queries.workGroupName,
      topic: props.notificationTopic,
      subjectPrefix: settings.subjectPrefix,
      maxConcurrency: settings.maxConcurrency,
      queryTimeout: Duration.seconds(settings.queryTimeoutSeconds),
    });
    const notificationKey = props.notificationKey ?? props.notificationTopic.masterKey;
    const workflow = buildWorkflow(this, {
      start,
      comment:
        'aurora-audit: run the compliance report queries in Athena, render, send (SES) and archive the report',
      timeout: Duration.seconds(settings.timeoutSeconds),
      logRetention: props.logRetention,
      notificationTopic: props.notificationTopic,
      notificationKey,
      // The bucket's key is granted with the queries already; another topic key needs its own grant.
      grantPublishKey: notificationKey !== key,
      alarmDescription: (outcome) =>
        `aurora-audit: a compliance-report run ${outcome}, so a report was not sent. Open the execution in the Step Functions console and start a new execution with the same input.`,
      configureRole: (role, stateMachine) => {
        // The definition names the workgroup (no Ref): created after it, so that no run finds it missing.
        stateMachine.node.addDependency(props.queries.workGroup);
        // Queries in the report workgroup, waiting for them (.sync: GetQueryExecution, and StopQueryExecution
        // when the Task times out or the run stops), with what Athena needs of the caller.
        props.queries.grantQueries(role);
        grantSummaryTables(role, stack, props);
      },
    });
    this.stateMachine = workflow.stateMachine;
    this.logGroup = workflow.logGroup;
    const role = this.stateMachine.role;

    const acknowledge = (resource: string, reason: string) =>
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
    acknowledge(
      '*',
      'CloudWatch Logs delivery and X-Ray (no resource-level permissions), as the StateMachine construct grants them.',
    );
    acknowledge(
      `${nagArn(bucket)}/${EVENTS_PREFIX}*`,
      'Athena reads the stored events (s3:GetObject only) under events/cluster=…/day=…/, objects named by Firehose.',
    );
    acknowledge(
      `${nagArn(bucket)}/${CANARY_RUNS_PREFIX}*`,
      'Athena reads the canary run records (s3:GetObject only) under canary-runs/day=…/, one object per run named by the canary workflow.',
    );
    acknowledge(
      `${nagArn(bucket)}/${ATHENA_RESULTS_PREFIX}*`,
      'Athena writes and reads the query results under athena-results/ with the caller credentials; Athena names the objects.',
    );
    acknowledge(
      `${nagArnPrefix(this, 'glue')}:table/${props.glueDatabaseName}/${SUMMARY_TABLE_PREFIX}*`,
      "The runs' period summary tables (CTAS, read, DROP): one per execution, named report_summary_<execution>_<hash> in this stack's database; nothing else of the catalog.",
    );
    acknowledge(
      `${nagArn(this.reportFunction)}:*`,
      'Invoking the report Lambda (any version), as LambdaInvoke grants it.',
    );

    const alarm = (alarmId: string, metric: cloudwatch.IMetric, description: string) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(new cloudwatchActions.SnsAction(props.notificationTopic));
      return a;
    };

    // ---- schedules: EventBridge Scheduler starts the state machine; failed starts go to a queue that alarms
    this.scheduleDeadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.scheduleDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is the EventBridge Scheduler schedules' dead-letter queue (a failed StartExecution lands here and alarms); cdk-nag cannot see a Scheduler DLQ.",
    });
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'aurora-audit report schedules: start the compliance-report state machine, nothing else',
    });
    this.schedules = props.schedules.map(
      (s, i) =>
        new scheduler.Schedule(this, `Schedule${i}-${s.period}`, {
          description: `aurora-audit ${s.period} compliance report: ${s.expression} in ${s.timeZone}`,
          schedule: scheduler.ScheduleExpression.expression(s.expression, TimeZone.of(s.timeZone)),
          timeWindow: scheduler.TimeWindow.off(),
          target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
            role: scheduleRole,
            input: scheduler.ScheduleTargetInput.fromObject({
              period: s.period,
              timeZone: s.timeZone,
            } satisfies ReportInput),
            deadLetterQueue: this.scheduleDeadLetterQueue,
            retryAttempts: 10,
            maxEventAge: Duration.hours(1),
          }),
        }),
    );

    this.alarms = [
      ...workflow.alarms,
      alarm(
        'ScheduleDeadLettersAlarm',
        this.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        'aurora-audit: EventBridge Scheduler could not start a scheduled compliance report (see the message in the schedule dead-letter queue: its error says why). Start the execution by hand with the schedule input, then delete the message.',
      ),
    ];
  }
}

/**
 * What the period summary's CTAS and DROP need beyond running queries (`ReportQueries.grantQueries`), with
 * the caller's credentials as Athena uses them: the Glue table of each run's summary (create, read, delete)
 * in this stack's database only (`report_summary_*`). Its Parquet files go under the workgroup's
 * `athena-results/tables/<query id>/`, which the results grant already lets Athena write and read. No S3
 * delete: Athena deletes no data in the account (neither a DROP of a CTAS table nor a failed CTAS removes its
 * files), no role of the stack may delete objects of the audit bucket, and the `athena-results-retention`
 * lifecycle rule of the bucket expires those files.
 */
function grantSummaryTables(role: iam.IRole, stack: Stack, props: ComplianceReportWorkflowProps): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [
        'glue:GetDatabase',
        'glue:CreateTable',
        'glue:GetTable',
        'glue:DeleteTable',
        'glue:GetPartitions',
      ],
      resources: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.glueDatabaseName }),
        // Every run's own table, `report_summary_<execution name>_<hash>`: the names are known only at run time.
        stack.formatArn({
          service: 'glue',
          resource: 'table',
          resourceName: `${props.glueDatabaseName}/${SUMMARY_TABLE_PREFIX}*`,
        }),
      ],
    }),
  );
}

interface ValidatedSettings {
  readonly subjectPrefix: string;
  readonly defaultTimeZone: string;
  readonly maxRowsPerSection: number;
  readonly maxConcurrency: number;
  readonly queryTimeoutSeconds: number;
  readonly timeoutSeconds: number;
}

function validateProps(props: ComplianceReportWorkflowProps): ValidatedSettings {
  const fail = (message: string): never => {
    throw new Error(`ComplianceReportWorkflow: ${message}`);
  };
  checkClusterList(props.clusters, fail);
  (props.coverageClasses ?? []).forEach((c, i) => {
    if (!/^[A-Z][A-Z_]*$/.test(c))
      fail(`coverageClasses[${i}] must be an upper-case class name such as ROLE, got ${JSON.stringify(c)}`);
  });
  if (props.recipients.length === 0) fail('recipients must list at least one email address');
  props.recipients.forEach((r, i) => {
    if (!EMAIL.test(r)) fail(`recipients[${i}] must be an email address, got ${JSON.stringify(r)}`);
  });
  if (!EMAIL.test(props.sender) && !DOMAIN.test(props.sender))
    fail(
      `sender must be an email address or a domain (an SES identity), got ${JSON.stringify(props.sender)}`,
    );
  props.schedules.forEach((s, i) => {
    if (!['daily', 'weekly', 'monthly'].includes(s.period))
      fail(`schedules[${i}].period must be daily, weekly or monthly, got ${JSON.stringify(s.period)}`);
    if (!SCHEDULE_EXPRESSION.test(s.expression))
      fail(
        `schedules[${i}].expression must be "cron(<6 fields>)" or "rate(<n> <unit>)", got ${JSON.stringify(s.expression)}`,
      );
    if (!isTimeZone(s.timeZone))
      fail(`schedules[${i}].timeZone must be an IANA time zone, got ${JSON.stringify(s.timeZone)}`);
  });
  const subjectPrefix = checkSubjectPrefix(props.subjectPrefix, fail);
  const defaultTimeZone = props.defaultTimeZone ?? 'UTC';
  if (!isTimeZone(defaultTimeZone))
    fail(`defaultTimeZone must be an IANA time zone, got ${JSON.stringify(defaultTimeZone)}`);
  const maxRowsPerSection = props.maxRowsPerSection ?? 50;
  if (!Number.isInteger(maxRowsPerSection) || maxRowsPerSection < 1 || maxRowsPerSection > 1000)
    fail(`maxRowsPerSection must be an integer from 1 to 1000, got ${maxRowsPerSection}`);
  const maxConcurrency = props.maxConcurrency ?? 5;
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 20)
    fail(`maxConcurrency must be an integer from 1 to 20, got ${maxConcurrency}`);
  const seconds = (name: string, d: Duration | undefined, fallback: number) => {
    const s = d === undefined ? fallback : d.toSeconds();
    if (!Number.isInteger(s)) fail(`${name} must be whole seconds, got ${s} s`);
    return s;
  };
  const queryTimeoutSeconds = seconds('queryTimeout', props.queryTimeout, 30 * 60);
  if (queryTimeoutSeconds < 60 || queryTimeoutSeconds > 6 * 3600)
    fail(`queryTimeout must be from 1 minute to 6 hours, got ${queryTimeoutSeconds} s`);
  const timeoutSeconds = seconds('timeout', props.timeout, 3600);
  // The render step may take its Lambda's 5 minutes (and retries): leave room after the slowest query.
  if (timeoutSeconds < queryTimeoutSeconds + 15 * 60 || timeoutSeconds > 24 * 3600)
    fail(
      `timeout must be at least queryTimeout plus 15 minutes (${queryTimeoutSeconds + 900} s) and at most 24 hours, got ${timeoutSeconds} s`,
    );
  return {
    subjectPrefix,
    defaultTimeZone,
    maxRowsPerSection,
    maxConcurrency,
    queryTimeoutSeconds,
    timeoutSeconds,
  };
}
