import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { synthExample } from '../../../cli/local/cdk-app';
import { ReportQueries } from '../../../infra/constructs/report-queries';

const { template, auditStack } = synthExample();

describe('the Athena workgroup', () => {
  it('enforces engine 3, encrypted results under athena-results/ and the configured scan cutoff', () => {
    const bucketId = auditStack.getLogicalId(auditStack.storage.bucket.node.defaultChild as never);
    const keyId = auditStack.getLogicalId(auditStack.storage.key.node.defaultChild as never);
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'aurora-audit',
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        PublishCloudWatchMetricsEnabled: true,
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }, '/athena-results/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { 'Fn::GetAtt': [keyId, 'Arn'] } },
        },
      }),
    });
  });

  it("names a cutoff below Athena's minimum", () => {
    const stack = new Stack();
    expect(
      () =>
        new ReportQueries(stack, 'Q', {
          bucket: new s3.Bucket(stack, 'B'),
          key: new kms.Key(stack, 'K'),
          bytesScannedCutoffPerQuery: 1000,
          glueDatabaseName: 'aurora_audit',
          glueTableName: 'audit_events',
        }),
    ).toThrow(
      "bytesScannedCutoffPerQuery must be an integer of at least 10,000,000 (Athena's minimum), got 1000",
    );
  });
});
