/**
 * An AWS SDK integration Task (`arn:aws:states:::aws-sdk:<service>:<action>`) that adds no IAM statement of
 * its own. `CallAwsService` always grants `service:action` on its `iamResources` without conditions; for
 * actions that need a condition to be least-privilege (e.g. `lambda:CreateEventSourceMapping`, which has no
 * resource type, limited by `lambda:FunctionArn`), use this and grant the action yourself.
 */
import { Aws } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

export interface SdkTaskProps {
  readonly service: string;
  /** camelCase, as Step Functions spells it (`createEventSourceMapping`). */
  readonly action: string;
  /** Parameters, with `sfn.JsonPath` tokens for dynamic values (rendered to `Key.$`). */
  readonly parameters: Record<string, unknown>;
  readonly resultSelector?: Record<string, unknown>;
  readonly resultPath?: string;
  readonly comment?: string;
}

export function sdkTask(scope: Construct, id: string, props: SdkTaskProps): sfn.CustomState {
  return new sfn.CustomState(scope, id, {
    stateJson: {
      Type: 'Task',
      ...(props.comment ? { Comment: props.comment } : {}),
      Resource: `arn:${Aws.PARTITION}:states:::aws-sdk:${props.service}:${props.action}`,
      Parameters: sfn.FieldUtils.renderObject(props.parameters),
      ...(props.resultSelector ? { ResultSelector: sfn.FieldUtils.renderObject(props.resultSelector) } : {}),
      ...(props.resultPath !== undefined ? { ResultPath: props.resultPath } : {}),
    },
  });
}
