/**
 * The stack's outputs: the stack (`infra/stacks/audit-stack.ts`) writes every `CfnOutput` with one of these
 * ids, and the CLI looks the deployed resources up by the same names. An output's id is its name in
 * `aws cloudformation describe-stacks`, so these are part of the product's interface: renaming one breaks
 * the CLI and the operators' scripts of a deployed version (test/infra/stacks/outputs.test.ts holds the
 * list to what the synthesized stack has).
 */
export const OUTPUTS = {
  /** The Athena workgroup of the report queries. */
  athenaWorkGroup: 'AthenaWorkGroup',
  auditBucket: 'AuditBucketName',
  /** `<database>.<table>` of the audit events. */
  glueTable: 'GlueTable',
  alertTopic: 'AlertTopicArn',
  decryptFunction: 'DecryptFunctionArn',
  deliveryStream: 'DeliveryStreamName',
  enableWorkflow: 'EnableWorkflowArn',
  /** The per-cluster lock table the enable and disable workflows share. */
  workflowLockTable: 'WorkflowLockTableName',
  disableWorkflow: 'DisableWorkflowArn',
  changeManagerRunbook: 'ChangeManagerRunbookName',
  changeManagerAutomationRole: 'ChangeManagerAutomationRoleArn',
  reportWorkflow: 'ReportWorkflowArn',
  /** Only when a cluster has `canary`. */
  canaryWorkflow: 'CanaryWorkflowArn',
  /** Only when `security.auditorPrincipals` is set. */
  auditorRole: 'AuditorRoleArn',
} as const;

export type OutputName = (typeof OUTPUTS)[keyof typeof OUTPUTS];
