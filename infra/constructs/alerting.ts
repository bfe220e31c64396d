import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlertingProps {
  /** Key the topic is encrypted with. */
  readonly key: kms.IKey;
  /** Email addresses subscribed to the alert topic (each confirms by email). */
  readonly recipients: readonly string[];
  /**
   * Topic display name, shown as the email sender name.
   * @default 'aurora-audit'
   */
  readonly displayName?: string;
}

/** Sid of the topic-policy statement that lets this account's CloudWatch alarms publish. */
export const ALARMS_PUBLISH_SID = 'AllowThisAccountsAlarmsToPublish';
/** Sid of the key-policy statement that lets CloudWatch alarms use the topic's key (shared with the workflows). */
export const ALARMS_KEY_SID = 'AllowCloudWatchAlarmsToPublishToEncryptedTopics';

/**
 * The SNS alert topic: KMS-encrypted, TLS-only, with the configured email subscriptions.
 *
 * `enforceSSL` gives the topic a topic policy, and a topic policy replaces SNS's default one: only what it
 * allows may publish. CloudWatch alarms publish as `cloudwatch.amazonaws.com`, so the policy allows that
 * service for this account's alarms (`aws:SourceAccount`, `aws:SourceArn`), and the key lets it encrypt
 * (AWS Knowledge Center "cloudwatch-receive-sns-for-alarm-trigger"). EventBridge's statement is added by the
 * rules that publish here (`AuditWatch`), scoped to those rules.
 */
export class Alerting extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    if (props.recipients.length === 0)
      throw new Error('Alerting: recipients must list at least one email address');
    this.topic = new sns.Topic(this, 'AlertTopic', {
      displayName: (props.displayName ?? 'aurora-audit').slice(0, 100),
      masterKey: props.key,
      enforceSSL: true,
    });
    for (const email of props.recipients) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    this.allowAlarms(props.key);
  }

  private allowAlarms(key: kms.IKey): void {
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: ALARMS_PUBLISH_SID,
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
        },
      }),
    );
    // The same statement the workflow constructs add for their alarms: identical statements are merged.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: ALARMS_KEY_SID,
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // In a key policy `*` is this key.
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
  }
}
