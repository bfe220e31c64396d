import { CfnOutput, Duration, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { activityStreamPattern, pgAuditPattern } from '../../tasks/core/alerts/filter-patterns';
import { DEFAULT_RULES_PATH, loadRules } from '../../tasks/core/alerts/rules';
import { postgresLogGroupName } from '../../tasks/core/cloudwatch-logs';
import { CANARY_RUNS_PREFIX, EVENTS_PREFIX, REPORTS_PREFIX } from '../../tasks/core/storage-layout';
import { CanaryWorkflow } from '../../workflows/canary/construct';
import { ComplianceReportWorkflow } from '../../workflows/compliance-report/construct';
import { DisableActivityStreamWorkflow } from '../../workflows/disable-activity-stream/construct';
import { EnableActivityStreamWorkflow } from '../../workflows/enable-activity-stream/construct';
import {
  type AlwaysBuiltWorkflowName,
  CHANGE_ACTIONS,
  type OptInWorkflowName,
  WORKFLOWS,
} from '../../workflows/registry';
import { StreamWorkflowKit } from '../../workflows/shared/stream-workflow-kit';
import { physicalNames } from '../config/names';
import type { AuroraAuditConfig } from '../config/schema';
import { AlertProcessing } from '../constructs/alert-processing';
import { Alerting } from '../constructs/alerting';
import { AuditStorage } from '../constructs/audit-storage';
import { AuditWatch } from '../constructs/audit-watch';
import { AuditorAccess } from '../constructs/auditor-access';
import { ChangeManagement } from '../constructs/change-management';
import { AuditMonitoring } from '../constructs/monitoring';
import { ReportQueries } from '../constructs/report-queries';
import { StreamProcessing } from '../constructs/stream-processing';
import { OUTPUTS } from '../outputs';

export interface AuditStackProps extends StackProps {
  /** The validated configuration. */
  readonly config: AuroraAuditConfig;
}

/**
 * The aurora-audit stack, built from the configuration: storage (KMS key, audit bucket, Glue table), the
 * alert topic, the activity-stream processing (decrypt Lambda, Firehose), the alert processing (alert Lambda,
 * DynamoDB state, subscriptions), the Athena workgroup of the report queries, the enable and disable
 * workflows and the change-ticket triggers.
 */
export class AuditStack extends Stack {
  readonly storage: AuditStorage;
  readonly alerting: Alerting;
  readonly streamProcessing: StreamProcessing;
  readonly alertProcessing: AlertProcessing;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, props);
    const { config } = props;
    Tags.of(this).add('application', 'aurora-audit');
    const rulesFile = config.rulesFilePath ?? DEFAULT_RULES_PATH;
    // Loading the rules here makes an invalid rules file fail synth, naming the rule and the field.
    const rules = loadRules(rulesFile);
    // Every physical name derives from `name` (the default gives the names of earlier releases).
    const names = physicalNames(config.name);

    this.storage = new AuditStorage(this, 'Storage', {
      clusterResourceIds: config.clusters.map((c) => c.resourceId),
      ...config.retention,
      objectLock: config.security.objectLock,
      databaseName: names.glueDatabase,
    });
    this.alerting = new Alerting(this, 'Alerting', {
      key: this.storage.key,
      recipients: config.alerts.recipients,
      displayName: config.alerts.subjectPrefix,
    });

    this.streamProcessing = new StreamProcessing(this, 'StreamProcessing', {
      clusters: config.clusters,
      bucket: this.storage.bucket,
      key: this.storage.key,
      logRetention: config.retention.logsDays as logs.RetentionDays,
      serviceUsers: config.serviceUsers,
      redactionPatterns: config.redaction.extraPatterns,
      rulesFile,
      coverageClasses: coverageClasses(config),
    });

    // Alerts (issue 6): both audit sources, one rule set, deduplicated, rate-limited, pgAudit archived.
    this.alertProcessing = new AlertProcessing(this, 'AlertProcessing', {
      clusters: config.clusters.map((c) => ({
        identifier: c.identifier,
        resourceId: c.resourceId,
        // pgAudit names an instance by its identifier (log stream), activity streams by its resource id.
        silentInstances: c.instances
          .filter((i) => !i.alerts)
          .flatMap((i) => (i.resourceId ? [i.identifier, i.resourceId] : [i.identifier])),
        postgresLogGroup: c.postgresLogGroup,
        coverageCheck: c.coverageCheck,
        canaryUser: c.canary?.user,
      })),
      topic: this.alerting.topic,
      key: this.storage.key,
      bucket: this.storage.bucket,
      decryptLogGroup: this.streamProcessing.logGroup,
      deliveryStreamName: this.streamProcessing.deliveryStream.ref,
      deliveryStreamArn: this.streamProcessing.deliveryStreamArn,
      // Generated from the rules (supersets of what they match); the Lambda applies the rules exactly.
      filterPatterns: {
        activityStream: activityStreamPattern(rules.rules, coverageClasses(config)),
        pgAudit: pgAuditPattern(),
      },
      coverage: {
        classes: coverageClasses(config),
        grace: Duration.minutes(config.alerts.coverage.graceMinutes),
      },
      rulesFile,
      subjectPrefix: config.alerts.subjectPrefix,
      glueTable: `${this.storage.databaseName}.${this.storage.tableName}`,
      serviceUsers: config.serviceUsers,
      redactionPatterns: config.redaction.extraPatterns,
      logRetention: config.retention.logsDays as logs.RetentionDays,
      filterNames: { activityStream: names.activityStreamFilter, pgAudit: names.pgAuditFilter },
    });

    // Compliance report queries (issue 9): the Athena workgroup with enforced settings.
    const reportQueries = new ReportQueries(this, 'ReportQueries', {
      bucket: this.storage.bucket,
      key: this.storage.key,
      bytesScannedCutoffPerQuery: config.reports.bytesScannedCutoffPerQuery,
      workGroupName: names.athenaWorkGroup,
      glueDatabaseName: this.storage.databaseName,
      glueTableName: this.storage.tableName,
    });
    new CfnOutput(this, OUTPUTS.athenaWorkGroup, { value: reportQueries.workGroupName });

    new CfnOutput(this, OUTPUTS.auditBucket, { value: this.storage.bucket.bucketName });
    new CfnOutput(this, OUTPUTS.glueTable, {
      value: `${this.storage.databaseName}.${this.storage.tableName}`,
    });
    new CfnOutput(this, OUTPUTS.alertTopic, { value: this.alerting.topic.topicArn });
    new CfnOutput(this, OUTPUTS.decryptFunction, { value: this.streamProcessing.function.functionArn });
    new CfnOutput(this, OUTPUTS.deliveryStream, { value: this.streamProcessing.deliveryStream.ref });

    // The stream-workflow kit (issue 19): the plan Lambda, the lock table and the timeouts that the enable and
    // disable workflows share, owned by neither.
    const streamKit = new StreamWorkflowKit(this, 'StreamWorkflowKit', {
      clusters: config.clusters,
      streamProcessing: this.streamProcessing,
      logRetention: config.retention.logsDays as logs.RetentionDays,
      maintenanceWindow: config.maintenanceWindow,
    });
    // These resources were built inside the enablement workflow's construct before issue 19: they keep the
    // logical ids they had there, so that nothing is replaced (the lock table holds running workflows' locks,
    // the state machines invoke the plan Lambda). test/infra/stacks/logical-ids.test.ts holds them too.
    streamKit.keepLogicalIds({
      lockTable: 'EnableActivityStreamLockTableFA3F2C98',
      planLogs: 'EnableActivityStreamPlanLogsC154861B',
      planRole: 'EnableActivityStreamPlanRole59A9B13C',
      planRolePolicy: 'EnableActivityStreamPlanRoleDefaultPolicy49FD739F',
      planFunction: 'EnableActivityStreamPlanFunctionBBDE84F0',
    });
    new CfnOutput(this, OUTPUTS.workflowLockTable, { value: streamKit.lockTable.tableName });

    // Enablement workflow (issue 7): start activity streams in the maintenance window and connect them.
    const enableWorkflow = new EnableActivityStreamWorkflow(this, 'EnableActivityStream', {
      kit: streamKit,
      notificationTopic: this.alerting.topic,
      notificationKey: this.storage.key,
      logRetention: config.retention.logsDays as logs.RetentionDays,
      subjectPrefix: config.alerts.subjectPrefix,
    });

    // Disable workflow (issue 8): the rollback, with the same kit (plan Lambda, per-cluster lock).
    const disableWorkflow = new DisableActivityStreamWorkflow(this, 'DisableActivityStream', {
      clusterIdentifiers: config.clusters.map((c) => c.identifier),
      kit: streamKit,
      decryptFunctionArn: this.streamProcessing.function.functionArn,
      notificationTopic: this.alerting.topic,
      notificationKey: this.storage.key,
      logRetention: config.retention.logsDays as logs.RetentionDays,
      subjectPrefix: config.alerts.subjectPrefix,
    });

    // ---------------------------------------------------------------- Compliance report workflow (issue 10)
    // Scheduled reports: a state machine runs the period summary and the sections' queries in the Athena
    // workgroup (ReportQueries); the report Lambda renders, sends (SES) and archives them under reports/.
    const reportWorkflow = new ComplianceReportWorkflow(this, 'ComplianceReport', {
      clusters: config.clusters,
      recipients: config.reports.recipients,
      sender: config.reports.sender,
      schedules: config.reports.schedules,
      bucket: this.storage.bucket,
      key: this.storage.key,
      queries: reportQueries,
      glueDatabaseName: this.storage.databaseName,
      glueTableName: this.storage.tableName,
      notificationTopic: this.alerting.topic,
      notificationKey: this.storage.key,
      logRetention: config.retention.logsDays as logs.RetentionDays,
      subjectPrefix: config.alerts.subjectPrefix,
      redactionPatterns: config.redaction.extraPatterns,
      coverageClasses: coverageClasses(config),
    });

    // ---------------------------------------------------------------- Audit canary (issue 22), opt-in
    // One state machine for the clusters with `canary`, one schedule each; nothing without any.
    const canaryClusters = config.clusters.flatMap((c) =>
      c.canary
        ? [
            {
              identifier: c.identifier,
              secretArn: c.canary.secretArn,
              database: c.canary.database,
              schedule: c.canary.schedule,
              deadlineMinutes: c.canary.deadlineMinutes,
              pgAudit: c.coverageCheck,
            },
          ]
        : [],
    );
    const canaryWorkflow =
      canaryClusters.length > 0
        ? new CanaryWorkflow(this, 'Canary', {
            clusters: canaryClusters,
            alertTable: this.alertProcessing.table,
            evidenceBucket: this.storage.bucket,
            evidenceKey: this.storage.key,
            metricNamespace: `${names.metricNamespace}/Canary`,
            alarmAfterFailedRuns: config.alerts.canaryAlarmAfterFailedRuns,
            notificationTopic: this.alerting.topic,
            notificationKey: this.storage.key,
            logRetention: config.retention.logsDays as logs.RetentionDays,
            subjectPrefix: config.alerts.subjectPrefix,
          })
        : undefined;

    // Every registered workflow (workflows/registry.ts): its output for the CLI; the type makes a new entry
    // without its state machine here a compile error (an opt-in one may be absent: no output, no row).
    const stateMachines: Record<AlwaysBuiltWorkflowName, sfn.StateMachine> &
      Record<OptInWorkflowName, sfn.StateMachine | undefined> = {
      'enable-activity-stream': enableWorkflow.stateMachine,
      'disable-activity-stream': disableWorkflow.stateMachine,
      'compliance-report': reportWorkflow.stateMachine,
      canary: canaryWorkflow?.stateMachine,
    };
    const builtWorkflows = WORKFLOWS.flatMap((w) => {
      const stateMachine = stateMachines[w.name];
      return stateMachine ? [{ workflow: w, stateMachine }] : [];
    });
    for (const { workflow, stateMachine } of builtWorkflows) {
      new CfnOutput(this, workflow.output, { value: stateMachine.stateMachineArn });
    }

    // Change tickets (issue 8): EventBridge rules and a Change Manager runbook start the registry's workflows
    // with `changeTicket`.
    const changeManagement = new ChangeManagement(this, 'ChangeManagement', {
      workflows: Object.fromEntries(CHANGE_ACTIONS.map((action) => [action, stateMachines[action]])),
      eventSource: names.changeEventSource,
    });
    new CfnOutput(this, OUTPUTS.changeManagerRunbook, { value: changeManagement.automationDocument.ref });
    new CfnOutput(this, OUTPUTS.changeManagerAutomationRole, {
      value: changeManagement.automationRole.roleArn,
    });

    // ---------------------------------------------------------------- Watching the watchers (issue 11)
    // Alerts when an activity stream stops or pgAudit's configuration changes; one dashboard and the pipeline's
    // alarms; and, when configured, a read-only role for auditors.
    // Evidence has one writer each: nobody else may put (or overwrite) objects there.
    this.storage.restrictWriters(EVENTS_PREFIX, [this.streamProcessing.firehoseRole.roleArn]);
    this.storage.restrictWriters(REPORTS_PREFIX, [reportWorkflow.report.role.roleArn]);
    if (canaryWorkflow)
      this.storage.restrictWriters(CANARY_RUNS_PREFIX, [canaryWorkflow.stateMachine.role.roleArn]);
    new AuditWatch(this, 'AuditWatch', {
      clusterIdentifiers: config.clusters.map((c) => c.identifier),
      bucketName: this.storage.bucket.bucketName,
      keyArn: this.storage.key.keyArn,
      logGroupNames: [
        ...config.clusters.map((c) => postgresLogGroupName(c.identifier)),
        this.streamProcessing.logGroup.logGroupName,
      ],
      mappingRoleArns: [enableWorkflow.stateMachine.role.roleArn, disableWorkflow.stateMachine.role.roleArn],
      decryptFunctionArn: this.streamProcessing.function.functionArn,
      topic: this.alerting.topic,
      topicKey: this.storage.key,
      prefix: config.alerts.subjectPrefix,
    });
    new AuditMonitoring(this, 'Monitoring', {
      name: names.monitoringPrefix,
      metricNamespace: names.metricNamespace,
      topic: this.alerting.topic,
      decrypt: this.streamProcessing.decrypt,
      alert: this.alertProcessing.alert,
      otherFunctions: [streamKit.plan, reportWorkflow.report],
      deliveryStreamName: this.streamProcessing.deliveryStream.ref,
      workflows: builtWorkflows.map(({ workflow, stateMachine }) => ({ name: workflow.title, stateMachine })),
    });
    if (config.security.auditorPrincipals.length > 0) {
      const auditor = new AuditorAccess(this, 'Auditor', {
        principals: config.security.auditorPrincipals,
        bucket: this.storage.bucket,
        key: this.storage.key,
        queries: reportQueries,
      });
      new CfnOutput(this, OUTPUTS.auditorRole, { value: auditor.role.roleArn });
    }
  }
}

/** The classes the coverage check reconciles: none when no cluster has the check on. */
function coverageClasses(config: AuroraAuditConfig): readonly string[] {
  return config.clusters.some((c) => c.coverageCheck) ? config.alerts.coverage.classes : [];
}
