import { Aws } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** RDS event: the activity stream of a DB cluster was stopped. */
export const ACTIVITY_STREAM_STOPPED_EVENT = 'RDS-EVENT-0180';

/** RDS API calls that change what pgAudit logs or whether the logs reach CloudWatch. */
export const PARAMETER_GROUP_CALLS = [
  'ModifyDBClusterParameterGroup',
  'ResetDBClusterParameterGroup',
  'DeleteDBClusterParameterGroup',
  'ModifyDBParameterGroup',
  'ResetDBParameterGroup',
  'DeleteDBParameterGroup',
] as const;

export interface AuditWatchProps {
  /** Identifiers (names) of the audited clusters. */
  readonly clusterIdentifiers: readonly string[];
  /** The ops topic: the stack's alert topic. */
  readonly topic: sns.ITopic;
  /** The key the topic is encrypted with: EventBridge must be allowed to use it. */
  readonly topicKey?: kms.IKey;
  /**
   * Subject-like prefix of the messages, `[prefix] CRITICAL …`.
   * @default 'aurora-audit'
   */
  readonly prefix?: string;
}

/**
 * Watches the watchers: EventBridge rules that tell the ops topic, marked CRITICAL, when
 * - an audited cluster's activity stream stops (`RDS-EVENT-0180`), whoever stopped it;
 * - a DB or DB cluster parameter group is changed, reset or deleted (pgAudit's settings live there);
 * - an audited cluster is given another parameter group, or its log exports change (the pgAudit lines stop
 *   reaching CloudWatch when `postgresql` is no longer exported).
 * The API-call rules read CloudTrail management events, which EventBridge receives when the account has a
 * CloudTrail trail logging management events (README "Security and operations").
 */
export class AuditWatch extends Construct {
  readonly rules: readonly events.Rule[];

  constructor(scope: Construct, id: string, props: AuditWatchProps) {
    super(scope, id);
    if (props.clusterIdentifiers.length === 0)
      throw new Error('AuditWatch: clusterIdentifiers must list at least one cluster');
    const prefix = (props.prefix ?? 'aurora-audit').replace(/[<>"]/g, '');
    const message = (lines: string[], paths: Record<string, string>) =>
      events.RuleTargetInput.fromText(
        lines.join('\n').replace(/<(\w+)>/g, (_m, name: string) => {
          const path = paths[name];
          if (!path) throw new Error(`AuditWatch: no path for <${name}>`);
          return events.EventField.fromPath(path);
        }),
      );
    const target = (input: events.RuleTargetInput) => new targets.SnsTopic(props.topic, { message: input });

    const streamStopped = new events.Rule(this, 'ActivityStreamStopped', {
      description: 'aurora-audit: CRITICAL, the activity stream of an audited cluster stopped',
      eventPattern: {
        source: ['aws.rds'],
        detailType: ['RDS DB Cluster Event'],
        detail: {
          EventID: [ACTIVITY_STREAM_STOPPED_EVENT],
          SourceIdentifier: [...props.clusterIdentifiers],
        },
      },
      targets: [
        target(
          message(
            [
              `[${prefix}] CRITICAL: Database Activity Streams stopped on cluster <cluster> (<eventId>, <time>).`,
              'RDS says: <message>',
              'If no disable run was approved for this cluster, nothing is auditing it through activity streams now: start the enablement workflow (aurora-audit enable --window now) and find who called StopActivityStream in CloudTrail.',
            ],
            {
              cluster: '$.detail.SourceIdentifier',
              eventId: '$.detail.EventID',
              time: '$.time',
              message: '$.detail.Message',
            },
          ),
        ),
      ],
    });

    const apiCall = (eventName: readonly string[], requestParameters?: Record<string, unknown>) => ({
      source: ['aws.rds'],
      detailType: ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['rds.amazonaws.com'],
        eventName: [...eventName],
        ...(requestParameters ? { requestParameters } : {}),
      },
    });
    const callMessage = (what: string) =>
      message(
        [
          `[${prefix}] CRITICAL: ${what}: <eventName> by <principal> at <time>.`,
          'CloudTrail event id: <eventId> (its requestParameters name the group or cluster and what changed).',
          'If this change was not approved, check the pgAudit settings (aurora-audit pgaudit check) and CloudTrail.',
        ],
        {
          eventName: '$.detail.eventName',
          principal: '$.detail.userIdentity.arn',
          time: '$.detail.eventTime',
          eventId: '$.detail.eventID',
        },
      );
    const parameterGroups = new events.Rule(this, 'ParameterGroupChanged', {
      description: 'aurora-audit: CRITICAL, a DB or DB cluster parameter group was changed, reset or deleted',
      eventPattern: apiCall(PARAMETER_GROUP_CALLS),
      targets: [target(callMessage('a parameter group (where pgAudit is configured) was changed'))],
    });
    const clusters = [...props.clusterIdentifiers];
    const groupSwapped = new events.Rule(this, 'ClusterParameterGroupSwapped', {
      description: 'aurora-audit: CRITICAL, an audited cluster was given another parameter group',
      eventPattern: apiCall(['ModifyDBCluster'], {
        dBClusterIdentifier: clusters,
        dBClusterParameterGroupName: [{ exists: true }],
      }),
      targets: [target(callMessage('an audited cluster was given another parameter group'))],
    });
    const logExports = new events.Rule(this, 'ClusterLogExportsChanged', {
      description: "aurora-audit: CRITICAL, an audited cluster's CloudWatch log exports were changed",
      eventPattern: apiCall(['ModifyDBCluster'], {
        dBClusterIdentifier: clusters,
        cloudwatchLogsExportConfiguration: [{ exists: true }],
      }),
      targets: [target(callMessage("an audited cluster's log exports (the pgAudit lines) were changed"))],
    });
    this.rules = [streamStopped, parameterGroups, groupSwapped, logExports];

    if (props.topicKey) {
      // EventBridge publishes to the encrypted topic through its key.
      props.topicKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowEventBridgeToPublishToEncryptedTopics',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          // In a key policy `*` is this key.
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
        }),
      );
    }
  }
}
