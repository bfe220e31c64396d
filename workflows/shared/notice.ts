/**
 * An operator notice: an SNS publish of a subject and a message built from templates with `{}` (States.Format),
 * with the `workflow` and `outcome` message attributes subscribers filter on, the result discarded, and
 * throttling retried. The report and canary workflows send theirs through this.
 */
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { retryThrottling } from './retry';

export interface OperatorNoticeProps {
  readonly comment: string;
  readonly topic: sns.ITopic;
  /** The subject's template: one `{}` per value (at least one). */
  readonly subject: readonly [template: string, ...values: string[]];
  /** The message's lines, joined with newlines: one `{}` per value, in order. */
  readonly lines: readonly string[];
  readonly values: readonly string[];
  /** The `workflow` attribute (e.g. `canary`). */
  readonly workflow: string;
  /** The `outcome` attribute (e.g. `FAILED`). */
  readonly outcome: string;
  /** More message attributes, after `workflow` and `outcome`. */
  readonly attributes?: Readonly<Record<string, string>>;
}

export function operatorNotice(scope: Construct, id: string, props: OperatorNoticeProps): tasks.SnsPublish {
  const [subjectTemplate, ...subjectValues] = props.subject;
  const attributes = Object.entries(props.attributes ?? {}).map(([name, value]) => [name, { value }]);
  const notice = new tasks.SnsPublish(scope, id, {
    comment: props.comment,
    topic: props.topic,
    subject: sfn.JsonPath.format(subjectTemplate, ...subjectValues),
    message: sfn.TaskInput.fromText(sfn.JsonPath.format(props.lines.join('\n'), ...props.values)),
    messageAttributes: {
      workflow: { value: props.workflow },
      outcome: { value: props.outcome },
      ...Object.fromEntries(attributes),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  retryThrottling(notice, 'sns');
  return notice;
}
