import { type CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * How cdk-nag spells a resource's ARN in an IAM5 finding id: `<LogicalId.Arn>`. Used to acknowledge a
 * finding on exactly one resource, e.g. `AwsSolutions-IAM5[Resource::<AuditBucket1234.Arn>/quarantine/*]`.
 */
export function nagArn(resource: IConstruct): string {
  const cfn = resource.node.defaultChild as CfnElement | undefined;
  if (!cfn) throw new Error(`nagArn: ${resource.node.path} has no CloudFormation resource`);
  return `<${Stack.of(resource).getLogicalId(cfn)}.Arn>`;
}
