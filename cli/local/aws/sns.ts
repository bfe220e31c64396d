/** SNS topics that record what is published (optimized integration `arn:aws:states:::sns:publish`). */
import type { SimClock } from '../stepfunctions/clock';
import { AwsServiceError, requestId } from './errors';

export interface PublishedMessage {
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  /** Message attributes by name (their StringValue). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly at: string;
}

export class SnsSimulator {
  readonly topics = new Set<string>();
  readonly messages: PublishedMessage[] = [];

  constructor(private readonly clock: SimClock) {}

  addTopic(arn: string): void {
    this.topics.add(arn);
  }

  handlers(): Record<string, (params: Record<string, unknown>) => unknown> {
    return {
      'sns:publish': (params) => {
        const topicArn = String(params.TopicArn ?? '');
        if (!this.topics.has(topicArn)) {
          throw new AwsServiceError(
            'SNS.NotFoundException',
            `Topic does not exist (Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: ${requestId()})`,
          );
        }
        if (typeof params.Message !== 'string' || params.Message === '') {
          throw new AwsServiceError('SNS.InvalidParameterException', 'Invalid parameter: Message');
        }
        const subject = params.Subject as string | undefined;
        if (subject !== undefined && (subject.length > 100 || /[\r\n]/.test(subject))) {
          throw new AwsServiceError(
            'SNS.InvalidParameterException',
            'Invalid parameter: Subject (must be at most 100 characters, no line breaks)',
          );
        }
        const attributes: Record<string, string> = {};
        for (const [name, value] of Object.entries(
          (params.MessageAttributes ?? {}) as Record<string, { StringValue?: string }>,
        )) {
          attributes[name] = String(value.StringValue ?? '');
        }
        this.messages.push({ topicArn, subject, message: params.Message, attributes, at: this.clock.iso() });
        return { MessageId: requestId() };
      },
    };
  }
}
