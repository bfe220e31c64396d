/** SNS adapter of the alert notifications: subject, message and the filterable message attributes. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SnsNotification } from '../core/alerts/notification';

export function snsPublisher(
  sns: SNSClient,
  topicArn: string,
): (notification: SnsNotification) => Promise<void> {
  return async (n) => {
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: n.subject,
        Message: n.message,
        MessageAttributes: Object.fromEntries(
          Object.entries(n.attributes).map(([name, value]) => [
            name,
            typeof value === 'string'
              ? { DataType: 'String', StringValue: value }
              : // SNS filter policies match a String.Array attribute when any of its values matches.
                { DataType: 'String.Array', StringValue: JSON.stringify(value) },
          ]),
        ),
      }),
    );
  };
}
