import { readFileSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { synthExample } from '../../../cli/local/cdk-app';
import { validateConfig } from '../../../infra/config/load';
import { configDocument } from '../../builders/config';

const { template, auditStack } = synthExample();
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const alertRoleId = auditStack.getLogicalId(
  auditStack.alertProcessing.function.role!.node.defaultChild as never,
);

type Statement = { Action: string | string[]; Resource: unknown };
const statements = Object.values(resources)
  .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(alertRoleId))
  .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

describe('the alert processing', () => {
  it('keeps its state in an encrypted DynamoDB table with TTL, point-in-time recovery and the due index', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'due',
          KeySchema: [
            { AttributeName: 'dueKey', KeyType: 'HASH' },
            { AttributeName: 'dueAt', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
  });

  it("creates the cluster's PostgreSQL log group with a retention when asked (create) and subscribes both log groups", () => {
    const cluster = configDocument().clusters[0]!;
    const { template: created } = synthExample(
      validateConfig(configDocument({ clusters: [{ ...cluster, postgresLogGroup: 'create' }] }), 'test'),
    );
    created.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/rds/cluster/orders-db/postgresql',
      RetentionInDays: 365,
    });
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      FilterPattern: '?"AUDIT: " ?"password authentication failed"',
    });
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      FilterPattern: '{ $.auditEvent.id = "*" }',
    });
  });

  it('subscribes to an existing PostgreSQL log group without creating it', () => {
    const cluster = configDocument().clusters[0]!;
    const { template: t } = synthExample(
      validateConfig(configDocument({ clusters: [{ ...cluster, postgresLogGroup: 'existing' }] }), 'test'),
    );
    expect(
      Object.values(t.findResources('AWS::Logs::LogGroup')).map((r) => r.Properties?.LogGroupName),
    ).not.toContain('/aws/rds/cluster/orders-db/postgresql');
    t.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: '/aws/rds/cluster/orders-db/postgresql',
    });
  });

  it('flushes due alerts and closed digests on a schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(2 minutes)',
      Targets: [Match.objectLike({ Input: '{"flush":true}' })],
    });
  });

  it('keeps failed asynchronous invocations in the audit bucket', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('lets the alert Lambda put objects only under quarantine/pgaudit/ and the failure prefix', () => {
    const puts = statements.filter((s) =>
      (Array.isArray(s.Action) ? s.Action : [s.Action]).includes('s3:PutObject'),
    );
    const suffixes = puts
      .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
      .map((r) => (r as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1]);
    expect(suffixes.sort()).toEqual(['/aws/lambda/*', '/quarantine/pgaudit/*']);
  });

  it('gives the alert Lambda only what it uses, and no delete', () => {
    expect([...new Set(actions)].sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'firehose:PutRecordBatch',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:ListBucket',
      's3:PutObject',
      'sns:Publish',
    ]);
  });
});

describe('silent instances', () => {
  it('are named to the alert Lambda by identifier and, when configured, by resource id', () => {
    const cluster = configDocument().clusters[0]!;
    const config = validateConfig(
      configDocument({
        clusters: [
          {
            ...cluster,
            instances: [
              {
                identifier: 'orders-db-reporting-1',
                resourceId: 'db-ABCDEFGHIJKLMNOPQRSTUVWXY1',
                alerts: false,
              },
              { identifier: 'orders-db-2', alerts: true },
            ],
          },
        ],
      }),
      'test',
    );
    const { template: t, auditStack: stack } = synthExample(config);
    const fn = Object.values(t.findResources('AWS::Lambda::Function')).find((r) =>
      JSON.stringify(r.Properties?.Environment ?? {}).includes('ALERT_TABLE'),
    ) as { Properties: { Environment: { Variables: Record<string, string> } } };
    // The cluster list is a file bundled beside the code (Lambda's environment is 4 KB in all).
    expect(fn.Properties.Environment.Variables.CLUSTERS_FILE).toBe('clusters.json');
    expect(fn.Properties.Environment.Variables.CLUSTERS).toBeUndefined();
    const [file] = stack.alertProcessing.settingsFiles;
    expect(file).toMatchObject({ setting: 'CLUSTERS', fileName: 'clusters.json' });
    expect(JSON.parse(readFileSync(file!.localPath, 'utf8'))).toEqual([
      {
        identifier: 'orders-db',
        resourceId: cluster.resourceId,
        silentInstances: ['orders-db-reporting-1', 'db-ABCDEFGHIJKLMNOPQRSTUVWXY1'],
        coverageCheck: true,
      },
    ]);
  });
});

describe('the coverage check', () => {
  const variablesOf = (t: ReturnType<typeof synthExample>['template'], marker: string) =>
    (
      Object.values(t.findResources('AWS::Lambda::Function')).find((r) =>
        JSON.stringify(r.Properties?.Environment ?? {}).includes(marker),
      ) as { Properties: { Environment: { Variables: Record<string, string> } } }
    ).Properties.Environment.Variables;

  it('gives both Lambdas the reconciled classes and the alert Lambda the grace period, by default', () => {
    expect(variablesOf(template, 'ALERT_TABLE')).toMatchObject({
      COVERAGE_CLASSES: 'ROLE,DDL',
      COVERAGE_GRACE_SECONDS: '900',
    });
    expect(variablesOf(template, 'CLUSTER_RESOURCE_IDS')).toMatchObject({ COVERAGE_CLASSES: 'ROLE,DDL' });
  });

  it('is off when no cluster has both sources', () => {
    const cluster = configDocument().clusters[0]!;
    const config = validateConfig(
      configDocument({
        clusters: [{ ...cluster, coverageCheck: false }],
        alerts: { ...configDocument().alerts, coverage: { classes: ['ROLE'], graceMinutes: 30 } },
      }),
      'test',
    );
    const { template: t } = synthExample(config);
    expect(variablesOf(t, 'ALERT_TABLE')).toMatchObject({
      COVERAGE_CLASSES: '',
      COVERAGE_GRACE_SECONDS: '1800',
    });
    expect(variablesOf(t, 'CLUSTER_RESOURCE_IDS').COVERAGE_CLASSES).toBeUndefined();
  });
});
