import { type CfnElement, Stack, Token } from 'aws-cdk-lib';
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

/**
 * How cdk-nag spells the start of an ARN the stack formats, `arn:<partition>:<service>:<region>:<account>`:
 * each part literal when the stack knows it (a configured region or account; the partition once the region
 * is known, with `@aws-cdk/core:enablePartitionLiterals`), or the pseudo parameter (`<AWS::Region>`) otherwise.
 */
export function nagArnPrefix(scope: IConstruct, service: string): string {
  const stack = Stack.of(scope);
  const spell = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
  return `arn:${spell(stack.partition, 'Partition')}:${service}:${spell(stack.region, 'Region')}:${spell(stack.account, 'AccountId')}`;
}
