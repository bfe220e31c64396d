/**
 * The stack outputs the CLI reads to find the deployed resources. The stack writes them with these ids;
 * the CLI looks them up by the same names.
 */
export const OUTPUTS = {
  auditBucket: 'AuditBucketName',
  glueTable: 'GlueTable',
  alertTopic: 'AlertTopicArn',
  decryptFunction: 'DecryptFunctionArn',
  deliveryStream: 'DeliveryStreamName',
  enableWorkflow: 'EnableWorkflowArn',
  disableWorkflow: 'DisableWorkflowArn',
  reportWorkflow: 'ReportWorkflowArn',
} as const;

export type OutputName = (typeof OUTPUTS)[keyof typeof OUTPUTS];
