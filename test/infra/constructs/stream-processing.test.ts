import { readFileSync } from 'node:fs';
import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { synthExample } from '../../../cli/local/cdk-app';
import { validateConfig } from '../../../infra/config/load';
import { configDocument } from '../../builders/config';

const { template, auditStack } = synthExample();
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const decryptRoleId = auditStack.getLogicalId(auditStack.streamProcessing.role.node.defaultChild as never);

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
function statementsOf(roleLogicalId: string): Statement[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) => JSON.stringify(r.Properties.Roles).includes(roleLogicalId))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('the activity-stream processing', () => {
  it('runs the decrypt Lambda on Node.js 24 (the newest LTS aws-cdk-lib offers), arm64, with its own log group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      LoggingConfig: { LogGroup: Match.anyValue() },
      Environment: {
        Variables: Match.objectLike({
          CLUSTER_RESOURCE_IDS_FILE: 'cluster-resource-ids.txt',
          SERVICE_USERS: 'rdsadmin,rdsproxyadmin',
        }),
      },
    });
    // The cluster list is a file bundled beside the code (Lambda's environment is 4 KB in all).
    const [file] = auditStack.streamProcessing.settingsFiles;
    expect(file).toMatchObject({ setting: 'CLUSTER_RESOURCE_IDS', fileName: 'cluster-resource-ids.txt' });
    expect(readFileSync(file!.localPath, 'utf8')).toBe('cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  it('deaggregates JSON records, newline-terminates each event and partitions it by cluster, UTC day and UTC hour into events/, GZIP, with an error prefix', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK' },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix:
          'events/cluster=!{partitionKeyFromQuery:cluster}/day=!{partitionKeyFromQuery:day}/hour=!{partitionKeyFromQuery:hour}/',
        ErrorOutputPrefix:
          'events-errors/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/',
        CompressionFormat: 'GZIP',
        DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 300 } },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: 'RecordDeAggregation',
              Parameters: [{ ParameterName: 'SubRecordType', ParameterValue: 'JSON' }],
            },
            { Type: 'AppendDelimiterToRecord' },
            {
              Type: 'MetadataExtraction',
              Parameters: Match.arrayWith([
                {
                  ParameterName: 'MetadataExtractionQuery',
                  ParameterValue:
                    '{cluster: (.clusterId // "unknown"), day: .time[0:10], hour: .time[11:13]}',
                },
              ]),
            },
          ],
        },
      }),
    });
  });

  it("lets the decrypt Lambda use kms:Decrypt only on keys tagged for the stack and only with the clusters' encryption context", () => {
    const decrypt = statementsOf(decryptRoleId).filter((s) => actionsOf(s).includes('kms:Decrypt'));
    expect(decrypt).toEqual([
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        // The keys of the configured key's account and region, pinned by the tag aurora-audit=<stack name>.
        Resource: 'arn:aws:kms:eu-west-1:123456789012:key/*',
        Condition: {
          StringEquals: {
            'aws:ResourceTag/aurora-audit': auditStack.stackName,
            'kms:EncryptionContext:aws:rds:dbc-id': ['cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ'],
          },
        },
      },
    ]);
  });

  it('lets the decrypt Lambda put objects only under quarantine/ and the on-failure prefix, and delete nothing', () => {
    const statements = statementsOf(decryptRoleId);
    const puts = statements.filter((s) => actionsOf(s).includes('s3:PutObject'));
    expect(puts).toHaveLength(1);
    const suffixes = (puts[0]!.Resource as { 'Fn::Join': [string, unknown[]] }[])
      .map((r) => r['Fn::Join'][1][1])
      .sort();
    expect(suffixes).toEqual(['/aws/lambda/*', '/quarantine/*']);
    expect(statements.flatMap(actionsOf).filter((a) => /Delete|\*$/.test(a))).toEqual([]);
  });

  it("lets the decrypt Lambda read only the configured clusters' activity streams", () => {
    const reads = statementsOf(decryptRoleId).filter((s) => actionsOf(s).includes('kinesis:GetRecords'));
    expect(reads).toHaveLength(1);
    expect(JSON.stringify(reads[0]?.Resource)).toContain(
      ':stream/aws-rds-das-cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    );
  });

  it('defines the event source mapping with safe defaults and an S3 on-failure destination', () => {
    const definition = Stack.of(auditStack).resolve(
      auditStack.streamProcessing.eventSourceMappingDefinition('cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
    );
    expect(definition).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      MaximumRecordAgeInSeconds: 21600,
      MaximumRetryAttempts: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: {
          Destination: {
            'Fn::GetAtt': [
              auditStack.getLogicalId(auditStack.storage.bucket.node.defaultChild as never),
              'Arn',
            ],
          },
        },
      },
    });
    expect(JSON.stringify(definition.EventSourceArn)).toContain(
      'stream/aws-rds-das-cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    );
  });

  it('pins a key configured by alias by the same tag, the keys of each configured account and region in one statement', () => {
    const cluster = configDocument().clusters[0]!;
    const config = validateConfig(
      configDocument({
        clusters: [
          { ...cluster, activityStreamKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/das-orders' },
          {
            ...cluster,
            identifier: 'billing-db',
            resourceId: 'cluster-BBBBBBBBBBBBBBBBBBBBBBBBBB',
            activityStreamKmsKeyArn:
              'arn:aws:kms:eu-west-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          },
        ],
      }),
      'test',
    );
    const built = synthExample(config);
    const roleId = built.auditStack.getLogicalId(
      built.auditStack.streamProcessing.role.node.defaultChild as never,
    );
    const all = built.template.toJSON().Resources as typeof resources;
    const statements = Object.values(all)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(roleId))
      .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .filter((s) => actionsOf(s).includes('kms:Decrypt'));
    const condition = {
      StringEquals: {
        'aws:ResourceTag/aurora-audit': built.auditStack.stackName,
        'kms:EncryptionContext:aws:rds:dbc-id': [
          'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
          'cluster-BBBBBBBBBBBBBBBBBBBBBBBBBB',
        ],
      },
    };
    // One pattern per account and region of the configured keys (CDK merges them into one statement).
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: ['123456789012', '210987654321'].map((account) => `arn:aws:kms:eu-west-1:${account}:key/*`),
        Condition: condition,
      },
    ]);
  });
});
