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

/** The SNS alert topic: KMS-encrypted, TLS-only, with the configured email subscriptions. */
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
  }
}
