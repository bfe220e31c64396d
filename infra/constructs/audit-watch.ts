import { Annotations, Aws } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
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

/** S3 calls that weaken the audit bucket's protection. */
export const BUCKET_CALLS = [
  'PutBucketPolicy',
  'DeleteBucketPolicy',
  'PutBucketLifecycle',
  'DeleteBucketLifecycle',
  'PutBucketVersioning',
  'PutObjectLockConfiguration',
  'PutBucketLogging',
] as const;

/** KMS calls that would make the audit records unreadable or their key less protected. */
export const KEY_CALLS = ['DisableKey', 'ScheduleKeyDeletion', 'PutKeyPolicy', 'DisableKeyRotation'] as const;

/** CloudWatch Logs calls that cut an audit log off from the alert Lambda. */
export const LOG_CALLS = ['DeleteSubscriptionFilter', 'PutSubscriptionFilter', 'DeleteLogGroup'] as const;

export interface AuditWatchProps {
  /** Identifiers (names) of the audited clusters. */
  readonly clusterIdentifiers: readonly string[];
  /** The audit bucket, the stack key and the audit log groups (the clusters' PostgreSQL logs, the decrypt log). */
  readonly bucketName: string;
  readonly keyArn: string;
  readonly logGroupNames: readonly string[];
  /**
   * Roles allowed to change event source mappings without an alert (the enable and disable workflows'): a
   * mapping disabled or deleted by anyone else alerts, because the stream's records go unread.
   */
  readonly mappingRoleArns: readonly string[];
  /**
   * The decrypt Lambda's ARN: only its event source mappings are watched (another stack's mappings are that
   * stack's business).
   */
  readonly decryptFunctionArn: string;
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
 *   reaching CloudWatch when `postgresql` is no longer exported), or an instance another parameter group;
 * - the audit bucket's policy, lifecycle, versioning, Object Lock or access logging is changed;
 * - the stack key is disabled, scheduled for deletion, loses its rotation or gets another key policy;
 * - a subscription filter of an audit log group is deleted or replaced, or the log group deleted;
 * - an event source mapping is changed or deleted by anyone but the workflows (the decrypt Lambda's mapping is
 *   what reads the activity stream; its id is unknown until created, so any mapping of the account).
 * Cluster identifiers match case-insensitively (RDS stores them in lower case; callers may not). Changes made
 * by a deployment (CloudFormation calls with the deployer's identity) alert too: approve them as changes.
 * The API-call rules read CloudTrail management events, which EventBridge receives when the account has a
 * CloudTrail trail logging management events (docs/security-and-operations.md "Watching the watchers").
 */
export class AuditWatch extends Construct {
  readonly rules: readonly events.Rule[];

  constructor(scope: Construct, id: string, props: AuditWatchProps) {
    super(scope, id);
    if (props.clusterIdentifiers.length === 0)
      throw new Error('AuditWatch: clusterIdentifiers must list at least one cluster');
    const prefix = (props.prefix ?? 'aurora-audit').replace(/[<>"]/g, '');
    const anyCluster = props.clusterIdentifiers.map((c) => ({ 'equals-ignore-case': c }));
    const message = (lines: string[], paths: Record<string, string>) =>
      events.RuleTargetInput.fromText(
        lines.join('\n').replace(/<(\w+)>/g, (_m, name: string) => {
          const path = paths[name];
          if (!path) throw new Error(`AuditWatch: no path for <${name}>`);
          return events.EventField.fromPath(path);
        }),
      );
    // The targets publish to a reference of the topic: the SnsTopic target would otherwise grant
    // `events.amazonaws.com` on the topic and its key without any condition. The scoped statements are added
    // below, once the rules (their ARNs) exist.
    const publishTo = sns.Topic.fromTopicArn(this, 'PublishTarget', props.topic.topicArn);
    const target = (input: events.RuleTargetInput) => new targets.SnsTopic(publishTo, { message: input });

    const streamStopped = new events.Rule(this, 'ActivityStreamStopped', {
      description: 'aurora-audit: CRITICAL, the activity stream of an audited cluster stopped',
      eventPattern: {
        source: ['aws.rds'],
        detailType: ['RDS DB Cluster Event'],
        detail: {
          EventID: [ACTIVITY_STREAM_STOPPED_EVENT],
          SourceIdentifier: anyCluster,
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

    const apiCall = (
      eventName: readonly string[],
      match?: Record<string, unknown>,
      service: 'rds' | 's3' | 'kms' | 'logs' | 'lambda' = 'rds',
    ) => ({
      source: [`aws.${service}`],
      detailType: ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: [`${service}.amazonaws.com`],
        eventName: [...eventName],
        ...(match ?? {}),
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
      // Any parameter group of the account: the stack does not know which ones the clusters use.
      targets: [target(callMessage('a parameter group (where pgAudit is configured) was changed'))],
    });
    const groupSwapped = new events.Rule(this, 'ClusterParameterGroupSwapped', {
      description: 'aurora-audit: CRITICAL, an audited cluster was given another parameter group',
      eventPattern: apiCall(['ModifyDBCluster'], {
        requestParameters: {
          dBClusterIdentifier: anyCluster,
          dBClusterParameterGroupName: [{ exists: true }],
        },
      }),
      targets: [target(callMessage('an audited cluster was given another parameter group'))],
    });
    const logExports = new events.Rule(this, 'ClusterLogExportsChanged', {
      description: "aurora-audit: CRITICAL, an audited cluster's CloudWatch log exports were changed",
      // `exists` works on leaves only: the configuration is an object, its lists are the leaves.
      eventPattern: apiCall(['ModifyDBCluster'], {
        requestParameters: {
          dBClusterIdentifier: anyCluster,
          cloudwatchLogsExportConfiguration: { disableLogTypes: [{ exists: true }] },
        },
      }),
      targets: [target(callMessage("an audited cluster's log exports (the pgAudit lines) were changed"))],
    });
    const instanceGroup = new events.Rule(this, 'InstanceParameterGroupSwapped', {
      description: 'aurora-audit: CRITICAL, a DB instance was given another parameter group',
      eventPattern: apiCall(['ModifyDBInstance'], {
        requestParameters: { dBParameterGroupName: [{ exists: true }] },
      }),
      targets: [target(callMessage('a DB instance was given another parameter group'))],
    });
    const bucket = new events.Rule(this, 'AuditBucketChanged', {
      description: "aurora-audit: CRITICAL, the audit bucket's protection was changed",
      eventPattern: apiCall(BUCKET_CALLS, { requestParameters: { bucketName: [props.bucketName] } }, 's3'),
      targets: [
        target(
          callMessage("the audit bucket's policy, lifecycle, versioning, Object Lock or logging changed"),
        ),
      ],
    });
    const key = new events.Rule(this, 'AuditKeyChanged', {
      description:
        'aurora-audit: CRITICAL, the key of the audit records was disabled, scheduled for deletion or changed',
      eventPattern: apiCall(KEY_CALLS, { resources: { ARN: [props.keyArn] } }, 'kms'),
      targets: [
        target(callMessage('the key of the audit records was disabled, scheduled for deletion or changed')),
      ],
    });
    const logsChanged = new events.Rule(this, 'AuditLogsChanged', {
      description: 'aurora-audit: CRITICAL, an audit log group lost or changed its subscription filter',
      eventPattern: apiCall(
        LOG_CALLS,
        { requestParameters: { logGroupName: [...props.logGroupNames] } },
        'logs',
      ),
      targets: [
        target(callMessage('an audit log group lost or changed its subscription filter (alerts stop)')),
      ],
    });
    // Lambda's CloudTrail names carry the API version (`UpdateEventSourceMapping20150331`): match the prefix.
    const mappings = new events.Rule(this, 'EventSourceMappingChanged', {
      description:
        'aurora-audit: CRITICAL, an event source mapping was changed or deleted outside the workflows',
      eventPattern: apiCall(
        [],
        {
          eventName: [{ prefix: 'UpdateEventSourceMapping' }, { prefix: 'DeleteEventSourceMapping' }],
          // `anything-but` matches only a field that exists: IAM users and root have no session issuer, so the
          // absent issuer is a second, explicit branch.
          userIdentity: {
            sessionContext: {
              sessionIssuer: { arn: [{ 'anything-but': [...props.mappingRoleArns] }, { exists: false }] },
            },
          },
          // This stack's decrypt Lambda's mappings only. CloudTrail's response names the function; where it
          // names none (a failed call, or a record without responseElements), the event still alerts, as it
          // does when the call repoints a mapping to another function (`functionName` in the request).
          $or: [
            {
              responseElements: {
                functionArn: [props.decryptFunctionArn, { prefix: `${props.decryptFunctionArn}:` }],
              },
            },
            { responseElements: { functionArn: [{ exists: false }] } },
            { requestParameters: { functionName: [{ exists: true }] } },
          ],
        },
        'lambda',
      ),
      targets: [
        target(
          callMessage(
            "an event source mapping was changed or deleted outside the workflows (if it is the decrypt Lambda's, the stream is no longer read)",
          ),
        ),
      ],
    });
    this.rules = [
      streamStopped,
      parameterGroups,
      groupSwapped,
      logExports,
      instanceGroup,
      bucket,
      key,
      logsChanged,
      mappings,
    ];

    for (const rule of this.rules) {
      Annotations.of(rule).acknowledgeWarning(
        '@aws-cdk/aws-events:ruleUnresolvedEnvironment',
        "The target is this stack's own topic, referenced by ARN so that CDK adds no unscoped grant.",
      );
    }
    this.allowRulesToPublish(props.topic, props.topicKey);
  }

  /**
   * EventBridge may publish to the topic only for these rules (`aws:SourceArn`) of this account
   * (`aws:SourceAccount`); and use the topic's key within this account.
   */
  private allowRulesToPublish(topic: sns.ITopic, key: kms.IKey | undefined): void {
    const eventBridge = new iam.ServicePrincipal('events.amazonaws.com');
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowTheWatchRulesToPublish',
        principals: [eventBridge],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnEquals: { 'aws:SourceArn': this.rules.map((r) => r.ruleArn) },
        },
      }),
    );
    if (key) {
      // SNS calls KMS on EventBridge's behalf. Scoped to this account; not to the rule ARNs, because whether
      // `aws:SourceArn` reaches the key's request context on this path is not documented (not relied on).
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowEventBridgeToPublishToEncryptedTopics',
          principals: [eventBridge],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          // In a key policy `*` is this key.
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
        }),
      );
    }
  }
}
