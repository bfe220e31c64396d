import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { newApp, synthExample } from '../../../cli/local/cdk-app';
import { buildApp } from '../../../infra/build-app';
import { loadConfig, validateConfig } from '../../../infra/config/load';
import { AUDIT_EVENT_FIELDS } from '../../../tasks/core/audit-event';
import { configDocument } from '../../builders/config';

const { template, auditStack } = synthExample();
const bucketId = auditStack.getLogicalId(auditStack.storage.bucket.node.defaultChild as s3.CfnBucket);
const keyId = auditStack.getLogicalId(auditStack.storage.key.node.defaultChild as never);

describe('the audit stack (embedded example configuration)', () => {
  it('encrypts the audit bucket with the customer-managed key, with rotation on', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
            },
            BucketKeyEnabled: true,
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('blocks all public access and enables versioning on the audit bucket', () => {
    const bucket = template.toJSON().Resources[bucketId];
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('keeps the audit bucket and the key when the stack is deleted', () => {
    const resources = template.toJSON().Resources;
    expect(resources[bucketId].DeletionPolicy).toBe('Retain');
    expect(resources[bucketId].UpdateReplacePolicy).toBe('Retain');
    expect(resources[keyId].DeletionPolicy).toBe('Retain');
  });

  it('denies every request to the audit bucket that does not use TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('expires events after the configured retention, after Infrequent Access and Glacier', () => {
    const rules = template.toJSON().Resources[bucketId].Properties.LifecycleConfiguration.Rules;
    const events = rules.find((r: { Id: string }) => r.Id === 'events-tiering-and-retention');
    expect(events).toMatchObject({
      Prefix: 'events/',
      ExpirationInDays: 2557,
      Transitions: [
        { StorageClass: 'STANDARD_IA', TransitionInDays: 90 },
        { StorageClass: 'GLACIER', TransitionInDays: 365 },
      ],
    });
    const quarantine = rules.find((r: { Id: string }) => r.Id === 'quarantine-retention');
    expect(quarantine).toMatchObject({ Prefix: 'quarantine/', ExpirationInDays: 400 });
  });

  it('logs server access of the audit bucket to a separate bucket', () => {
    const bucket = template.toJSON().Resources[bucketId];
    expect(bucket.Properties.LoggingConfiguration.LogFilePrefix).toBe('audit-bucket/');
    expect(bucket.Properties.LoggingConfiguration.DestinationBucketName.Ref).not.toBe(bucketId);
  });

  it('projects the Glue table partitions so Athena needs no crawler', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: {
        Name: 'audit_events',
        Parameters: {
          'projection.enabled': 'true',
          'projection.cluster.type': 'enum',
          'projection.cluster.values': 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ,unknown',
          'projection.day.type': 'date',
          'projection.day.format': 'yyyy-MM-dd',
          'projection.day.range': '2024-01-01,NOW',
          'projection.hour.type': 'enum',
          'projection.hour.values': '00,01,02,03,04,05,06,07,08,09,10,11,12,13,14,15,16,17,18,19,20,21,22,23',
          'storage.location.template': {
            'Fn::Join': [
              '',
              // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's location template syntax, literally
              ['s3://', { Ref: bucketId }, '/events/cluster=${cluster}/day=${day}/hour=${hour}/'],
            ],
          },
        },
        PartitionKeys: [
          { Name: 'cluster', Type: 'string' },
          { Name: 'day', Type: 'string' },
          { Name: 'hour', Type: 'string' },
        ].map((k) => Match.objectLike(k)),
        StorageDescriptor: Match.objectLike({
          SerdeInfo: Match.objectLike({ SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' }),
        }),
      },
    });
  });

  it('derives the Glue columns from the audit-event model', () => {
    const table = Object.values(template.findResources('AWS::Glue::Table'))[0] as {
      Properties: { TableInput: { StorageDescriptor: { Columns: { Name: string; Type: string }[] } } };
    };
    const columns = table.Properties.TableInput.StorageDescriptor.Columns.map((c) => [c.Name, c.Type]);
    expect(columns).toEqual(AUDIT_EVENT_FIELDS.map((f) => [f.name.toLowerCase(), f.type]));
  });

  it('creates an encrypted, TLS-only alert topic with the configured email subscriptions', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'dba-team@example.com',
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('lists every configured cluster in the partition projection', () => {
    const cluster = configDocument().clusters[0]!;
    const config = validateConfig(
      configDocument({
        clusters: [
          cluster,
          { ...cluster, identifier: 'billing-db', resourceId: 'cluster-ZYXWVUTSRQPONMLKJIHGFEDCBA' },
        ],
      }),
      'test',
    );
    const { template: t } = synthExample(config);
    t.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Parameters: Match.objectLike({
          'projection.cluster.values':
            'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ,cluster-ZYXWVUTSRQPONMLKJIHGFEDCBA,unknown',
        }),
      }),
    });
  });
});

describe('cdk-nag', () => {
  it('synthesizes the example with no unacknowledged AwsSolutions finding', () => {
    // synthExample() above already synthesized; a finding would have thrown ValidationFailed.
    expect(() => buildApp(loadConfig(), newApp()).app.synth()).not.toThrow();
  });

  it('fails synth on an unacknowledged finding', () => {
    const { app, auditStack: stack } = buildApp(loadConfig(), newApp());
    new s3.Bucket(stack as Stack, 'CarelessBucket', { removalPolicy: RemovalPolicy.DESTROY });
    expect(() => app.synth()).toThrow(
      /AwsSolutions-S10[\s\S]*CarelessBucket|CarelessBucket[\s\S]*AwsSolutions-S10/,
    );
  });
});
