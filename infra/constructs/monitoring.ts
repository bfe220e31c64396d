import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DefaultDashboardFactory, MonitoringFacade, SnsAlarmActionStrategy } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { LOGGED } from '../../tasks/core/log-messages';
import type { ProjectFunctionAlarms } from './project-function';

/** The namespace of the metrics aurora-audit derives from its Lambdas' logs, for the default `name`. */
export const METRIC_NAMESPACE = 'aurora-audit';

export { LOGGED };

/** A project Lambda as `projectFunction` returns it: the function and the standard alarms it declares. */
export interface AlarmedFunction {
  readonly function: lambda.IFunction;
  readonly alarms: ProjectFunctionAlarms;
}

export interface MonitoredFunction extends AlarmedFunction {
  readonly logGroup: logs.ILogGroup;
}

export interface AuditMonitoringProps {
  /** Prefix of the dashboard and alarm names (the configuration's `name`). */
  readonly name: string;
  /**
   * Namespace of the metrics counted from the Lambdas' logs: one per stack, or two stacks' filters would add
   * up in one metric and each stack's alarm would fire on the other's quarantine.
   * @default METRIC_NAMESPACE
   */
  readonly metricNamespace?: string;
  /** Where every alarm goes: the stack's alert topic (the ops topic). */
  readonly topic: sns.ITopic;
  /** The decrypt Lambda (Kinesis event source) and its log group. */
  readonly decrypt: MonitoredFunction;
  /** The alert Lambda and its log group. */
  readonly alert: MonitoredFunction;
  /** Other Lambdas, watched for the alarms they declare (the plan and report Lambdas). */
  readonly otherFunctions: readonly AlarmedFunction[];
  /** The Firehose delivery stream of the audit events. */
  readonly deliveryStreamName: string;
  /** The workflows, by a human name. */
  readonly workflows: readonly { readonly name: string; readonly stateMachine: sfn.IStateMachine }[];
  /**
   * Kinesis iterator age of the decrypt Lambda above which records are at risk (the activity stream keeps
   * them 24 hours).
   * @default Duration.hours(1)
   */
  readonly maxIteratorAge?: Duration;
  /**
   * How old the oldest record in Firehose may get before the stored events count as stale.
   * @default Duration.minutes(15)
   */
  readonly maxDataFreshness?: Duration;
}

/**
 * One CloudWatch dashboard and the alarms of the pipeline, built with cdk-monitoring-constructs and routed to
 * the ops topic (docs/security-and-operations.md "How we know it runs" lists each alarm and what to do):
 * - decrypt Lambda: errors, throttles, Kinesis iterator age;
 * - quarantine writes (activity-stream records and pgAudit entries), counted from the Lambdas' logs;
 * - Firehose: delivery to S3 failing, data freshness;
 * - alert Lambda: errors, throttles, alerts it could not publish (the digest backlog);
 * - plan and report Lambdas: errors;
 * - every workflow: its executions (the alarms on failed, timed-out and aborted runs belong to the workflow
 *   constructs themselves).
 */
export class AuditMonitoring extends Construct {
  readonly facade: MonitoringFacade;
  /** The metric filters' metrics, for tests and other dashboards. */
  readonly metrics: Readonly<
    Record<'activityQuarantined' | 'pgAuditQuarantined' | 'alertPublishFailures', cloudwatch.Metric>
  >;

  constructor(scope: Construct, id: string, props: AuditMonitoringProps) {
    super(scope, id);
    const namespace = props.metricNamespace ?? METRIC_NAMESPACE;
    const maxIteratorAge = props.maxIteratorAge ?? Duration.hours(1);
    const maxFreshness = props.maxDataFreshness ?? Duration.minutes(15);
    if (maxIteratorAge.toMilliseconds() > Duration.hours(20).toMilliseconds()) {
      throw new Error(
        `AuditMonitoring: maxIteratorAge must leave time before the stream's 24 h retention (at most 20 h), got ${maxIteratorAge.toHumanString()}`,
      );
    }

    this.facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        actionsEnabled: true,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: props.topic }),
        alarmNamePrefix: props.name,
        datapointsToAlarm: 1,
      },
      metricFactoryDefaults: { namespace },
      dashboardFactory: new DefaultDashboardFactory(this, 'Dashboards', {
        dashboardNamePrefix: props.name,
        createDashboard: true,
        createSummaryDashboard: false,
        createAlarmDashboard: false,
      }),
    });

    const counted = (
      logGroup: logs.ILogGroup,
      filterId: string,
      metricName: string,
      pattern: logs.IFilterPattern,
      value = '1',
    ) => {
      new logs.MetricFilter(this, filterId, {
        logGroup,
        metricNamespace: namespace,
        metricName,
        filterPattern: pattern,
        metricValue: value,
        defaultValue: 0,
      });
      return new cloudwatch.Metric({
        namespace,
        metricName,
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      });
    };
    this.metrics = {
      activityQuarantined: counted(
        props.decrypt.logGroup,
        'ActivityQuarantineFilter',
        'QuarantinedActivityRecords',
        logs.FilterPattern.stringValue('$.message', '=', LOGGED.activityRecordQuarantined),
      ),
      pgAuditQuarantined: counted(
        props.alert.logGroup,
        'PgAuditQuarantineFilter',
        'QuarantinedPgAuditEntries',
        logs.FilterPattern.stringValue('$.message', '=', LOGGED.pgAuditEntryQuarantined),
      ),
      alertPublishFailures: counted(
        props.alert.logGroup,
        'AlertPublishFailureFilter',
        'AlertPublishFailures',
        logs.FilterPattern.stringValue('$.message', '=', LOGGED.alertFlush),
        '$.publishFailures',
      ),
    };

    const oneOrMore = {
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    };
    this.facade
      .addLargeHeader(`${props.name}: audit pipeline`)
      .monitorLambdaFunction({
        lambdaFunction: props.decrypt.function,
        humanReadableName: 'Decrypt Lambda (activity streams)',
        alarmFriendlyName: 'Decrypt',
        ...standardAlarms(props.decrypt.alarms),
        addMaxIteratorAgeAlarm: { Critical: { maxAgeInMillis: maxIteratorAge.toMilliseconds() } },
      })
      .monitorCustom({
        alarmFriendlyName: 'Quarantine',
        humanReadableName: 'Quarantine writes',
        metricGroups: [
          {
            title: 'Quarantined input (kept with its bytes and reason under quarantine/)',
            metrics: [
              {
                metric: this.metrics.activityQuarantined,
                alarmFriendlyName: 'QuarantinedActivityRecords',
                addAlarm: {
                  Warning: {
                    ...oneOrMore,
                    additionalDescription: 'Activity-stream records were quarantined.',
                  },
                },
              },
              {
                metric: this.metrics.pgAuditQuarantined,
                alarmFriendlyName: 'QuarantinedPgAuditEntries',
                addAlarm: {
                  Warning: { ...oneOrMore, additionalDescription: 'pgAudit log entries were quarantined.' },
                },
              },
            ],
          },
        ],
      })
      .monitorCustom({
        alarmFriendlyName: 'Delivery',
        humanReadableName: 'Firehose delivery of the audit events',
        metricGroups: [
          {
            title: 'Delivery to S3',
            metrics: [
              {
                metric: this.firehoseMetric(
                  props.deliveryStreamName,
                  'DeliveryToS3.Success',
                  cloudwatch.Stats.MINIMUM,
                ),
                alarmFriendlyName: 'FirehoseDeliveryFailing',
                addAlarm: {
                  Critical: {
                    threshold: 1,
                    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                    additionalDescription:
                      'Firehose is failing to deliver audit events to S3: it retries for up to 24 h, and what it still cannot deliver goes to events-errors/ (if the bucket or its key is the problem, check the bucket policy, the key policy and the Firehose role first).',
                  },
                },
              },
              {
                metric: this.firehoseMetric(
                  props.deliveryStreamName,
                  'DeliveryToS3.DataFreshness',
                  cloudwatch.Stats.MAXIMUM,
                ),
                alarmFriendlyName: 'StoredEventsStale',
                addAlarm: {
                  Critical: {
                    threshold: maxFreshness.toSeconds(),
                    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    additionalDescription: `The oldest record waiting in Firehose is older than ${maxFreshness.toHumanString()}.`,
                  },
                },
              },
            ],
          },
        ],
      })
      .monitorLambdaFunction({
        lambdaFunction: props.alert.function,
        humanReadableName: 'Alert Lambda',
        alarmFriendlyName: 'Alert',
        ...standardAlarms(props.alert.alarms),
      })
      .monitorCustom({
        alarmFriendlyName: 'AlertBacklog',
        humanReadableName: 'Alerts not yet published',
        metricGroups: [
          {
            title: 'Alerts and digests SNS refused (retried at every flush)',
            metrics: [
              {
                metric: this.metrics.alertPublishFailures,
                alarmFriendlyName: 'AlertPublishFailures',
                addAlarm: {
                  Critical: {
                    ...oneOrMore,
                    // Refusals in 2 of the last 3 periods: one transient refusal is retried at the next flush.
                    datapointsToAlarm: 2,
                    evaluationPeriods: 3,
                    additionalDescription:
                      'Alerts are waiting in the state table because SNS keeps refusing them (retried at every flush).',
                  },
                },
              },
            ],
          },
        ],
      });
    for (const fn of props.otherFunctions) {
      this.facade.monitorLambdaFunction({ lambdaFunction: fn.function, ...standardAlarms(fn.alarms) });
    }
    this.facade.addLargeHeader('Workflows');
    for (const w of props.workflows) {
      this.facade.monitorStepFunction({
        stateMachine: w.stateMachine,
        humanReadableName: w.name,
        alarmFriendlyName: w.name.replace(/[^A-Za-z0-9]/g, ''),
        // Graphs only: each workflow construct alarms on its failed, timed-out and aborted runs itself (to the
        // same topic), and a second alarm would send every failure twice.
      });
    }
  }

  private firehoseMetric(
    deliveryStreamName: string,
    metricName: string,
    statistic: string,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Firehose',
      metricName,
      dimensionsMap: { DeliveryStreamName: deliveryStreamName },
      statistic,
      period: Duration.minutes(5),
    });
  }
}

/** A project Lambda's standard alarms (`ProjectFunctionAlarms`) as cdk-monitoring-constructs options. */
function standardAlarms(alarms: ProjectFunctionAlarms) {
  return {
    ...(alarms.errors ? { addFaultCountAlarm: { [alarms.errors]: { maxErrorCount: 0 } } } : {}),
    ...(alarms.throttles ? { addThrottlesCountAlarm: { [alarms.throttles]: { maxErrorCount: 0 } } } : {}),
  };
}
