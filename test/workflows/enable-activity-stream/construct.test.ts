import { readFileSync } from 'node:fs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  CLUSTER,
  enableDeployment,
  KMS_KEY,
  RESOURCE_ID,
} from '../../../cli/local/scenarios/enable-activity-stream';
import type { EventSourceMappingDefinition } from '../../../infra/constructs/stream-processing';
import { readPlanSettings } from '../../../tasks/plan-maintenance-window/settings';
import {
  EnableActivityStreamWorkflow,
  type EnableActivityStreamWorkflowProps,
} from '../../../workflows/enable-activity-stream/construct';
import { pollSchedule } from '../../../workflows/shared/poll-schedule';
import { roleStatements } from '../shared/stream-expectations';

const d = enableDeployment();
const template = Template.fromJSON(d.resolver.template as never);
const resources = d.resolver.template.Resources;
const { stateMachine, statements, actions, withAction } = roleStatements(d);

describe('the enablement workflow construct (example configuration)', () => {
  it('is a standard state machine with logs at level ALL, tracing and a timeout', () => {
    expect(stateMachine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: expect.anything() } }],
      },
    });
    expect(d.definition.TimeoutSeconds).toBe(691200);
    const logGroupIds = Object.keys(resources).filter(
      (id) => id.startsWith('EnableActivityStream') && resources[id]?.Type === 'AWS::Logs::LogGroup',
    );
    expect(logGroupIds).toHaveLength(2);
    for (const id of logGroupIds) expect(resources[id]?.Properties?.RetentionInDays).toBe(365);
  });

  it('lets the role start activity streams only on clusters tagged for this stack (and describe, read-only)', () => {
    const rds = statements.filter((s) => actions(s).some((a) => a.startsWith('rds:')));
    const anyCluster = 'arn:aws:rds:eu-west-1:123456789012:cluster:*';
    expect(rds).toEqual([
      {
        Effect: 'Allow',
        Action: ['rds:describeDBClusters', 'rds:startActivityStream'],
        Resource: anyCluster,
      },
      {
        Effect: 'Allow',
        Action: 'rds:describeDBInstances',
        Resource: 'arn:aws:rds:eu-west-1:123456789012:db:*',
      },
      // A statement whose size does not depend on the fleet: every cluster without aurora-audit=<stack> is denied.
      {
        Effect: 'Deny',
        Action: 'rds:StartActivityStream',
        Resource: anyCluster,
        Condition: { StringNotEquals: { 'rds:cluster-tag/aurora-audit': 'aurora-audit' } },
      },
    ]);
  });

  it('lets the role describe only the Kinesis streams RDS creates for activity streams', () => {
    expect(withAction('kinesis:describeStreamSummary')).toEqual([
      {
        Effect: 'Allow',
        Action: 'kinesis:describeStreamSummary',
        Resource: 'arn:aws:kinesis:eu-west-1:123456789012:stream/aws-rds-das-cluster-*',
      },
    ]);
    expect(d.streamArn).toMatch(/:stream\/aws-rds-das-cluster-/);
  });

  it('limits event source mapping changes to the decrypt Lambda', () => {
    const condition = {
      StringEquals: {
        'lambda:FunctionArn': `arn:aws:lambda:eu-west-1:123456789012:function:${d.decryptFunction}`,
      },
    };
    expect(withAction('lambda:CreateEventSourceMapping')).toEqual([
      { Effect: 'Allow', Action: 'lambda:CreateEventSourceMapping', Resource: '*', Condition: condition },
    ]);
    expect(withAction('lambda:UpdateEventSourceMapping')).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:UpdateEventSourceMapping',
        Resource: 'arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:*',
        Condition: condition,
      },
    ]);
    expect(statements.flatMap(actions).filter((a) => /Delete.*EventSource|lambda:\*|rds:\*/.test(a))).toEqual(
      [],
    );
  });

  it('lets RDS use the stream key on its behalf, and the role publish to the encrypted topic', () => {
    // Only through RDS, on the keys of the configured key's account and region.
    expect(withAction('kms:CreateGrant')).toEqual([
      {
        Effect: 'Allow',
        Action: ['kms:CreateGrant', 'kms:DescribeKey'],
        Resource: KMS_KEY.replace(/key\/.*$/, 'key/*'),
        Condition: { StringEquals: { 'kms:ViaService': 'rds.eu-west-1.amazonaws.com' } },
      },
    ]);
    expect(withAction('sns:Publish')).toEqual([
      { Effect: 'Allow', Action: 'sns:Publish', Resource: d.topicArn },
    ]);
    expect(withAction('kms:GenerateDataKey')[0]?.Resource).toMatch(/:key\/StorageKey/);
    expect(withAction('dynamodb:PutItem')).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
        Resource: `arn:aws:dynamodb:eu-west-1:123456789012:table/${d.lockTable}`,
      },
    ]);
  });

  it('keeps locks in an on-demand table with TTL and point-in-time recovery', () => {
    expect(resources[d.lockTable]?.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'ClusterIdentifier', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ExpiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('alarms on failed, timed-out and aborted runs, to the notification topic', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Namespace: 'AWS/States',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: d.stateMachineId } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [{ Ref: d.topicArn.split(':').pop() }],
      });
    }
    // CloudWatch may use the topic's key to publish.
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it('runs the plan Lambda on Node.js 24 with the configuration it validates against', () => {
    const fn = resources[d.planFunction]!;
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    // The cluster list is a file bundled beside the code (CLUSTERS_FILE), read by the settings parser; each
    // stream ARN is STREAM_ARN_PREFIX + the resource id.
    const deployed = fn.Properties?.Environment as { Variables: Record<string, unknown> };
    expect(deployed.Variables.CLUSTERS_FILE).toBe('clusters.json');
    expect(deployed.Variables.CLUSTERS).toBeUndefined();
    const env = d.resolver.functionEnvironment(d.planFunction);
    expect(readPlanSettings(env).CLUSTERS).toEqual([
      {
        identifier: CLUSTER,
        resourceId: RESOURCE_ID,
        activityStreamKmsKeyArn: KMS_KEY,
        streamArn: d.streamArn,
      },
    ]);
    expect(env).toMatchObject({
      MIN_MINUTES_LEFT: '30',
      WINDOW_POLICY: 'cluster-window',
      ALLOW_IMMEDIATE: 'true',
      MAX_WAIT_SECONDS: String(8 * 86400 - 45 * 60 - 3600),
      LOCK_TTL_SECONDS: String(8 * 86400 + 3600),
    });
  });

  it('exports the state machine ARN and the lock table name', () => {
    template.hasOutput('EnableWorkflowArn', { Value: { Ref: d.stateMachineId } });
    template.hasOutput('WorkflowLockTableName', { Value: { Ref: d.lockTable } });
  });
});

describe('the enablement workflow construct props', () => {
  const mapping = (resourceId: string): EventSourceMappingDefinition => ({
    FunctionName: 'arn:aws:lambda:eu-west-1:123456789012:function:decrypt',
    EventSourceArn: `arn:aws:kinesis:eu-west-1:123456789012:stream/aws-rds-das-${resourceId}`,
    StartingPosition: 'TRIM_HORIZON',
    BatchSize: 100,
    MaximumBatchingWindowInSeconds: 5,
    ParallelizationFactor: 1,
    BisectBatchOnFunctionError: true,
    MaximumRecordAgeInSeconds: 21600,
    MaximumRetryAttempts: 10,
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    DestinationConfig: { OnFailure: { Destination: 'arn:aws:s3:::audit' } },
    Enabled: true,
  });
  const build = (overrides: Partial<EnableActivityStreamWorkflowProps> = {}) => {
    // No bundling: these tests are about the construct, not the Lambda's code.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
    return new EnableActivityStreamWorkflow(stack, 'Enable', {
      clusters: [{ identifier: CLUSTER, resourceId: RESOURCE_ID, activityStreamKmsKeyArn: KMS_KEY }],
      streamProcessing: { eventSourceMappingDefinition: mapping },
      notificationTopic: new sns.Topic(stack, 'Topic'),
      logRetention: logs.RetentionDays.ONE_YEAR,
      ...overrides,
    });
  };

  it.each<[string, Partial<EnableActivityStreamWorkflowProps>, string]>([
    ['no clusters', { clusters: [] }, 'clusters must list at least one cluster'],
    [
      'a bad identifier',
      { clusters: [{ identifier: 'orders_db', resourceId: RESOURCE_ID, activityStreamKmsKeyArn: KMS_KEY }] },
      'clusters[0].identifier must be a DB cluster identifier, got "orders_db"',
    ],
    [
      'a bad resource id',
      { clusters: [{ identifier: CLUSTER, resourceId: 'cluster-abc', activityStreamKmsKeyArn: KMS_KEY }] },
      'clusters[0].resourceId must be "cluster-" and 26 upper-case letters or digits, got "cluster-abc"',
    ],
    [
      'a bad key',
      { clusters: [{ identifier: CLUSTER, resourceId: RESOURCE_ID, activityStreamKmsKeyArn: 'my-key' }] },
      'clusters[0].activityStreamKmsKeyArn must be a KMS key or alias ARN, got "my-key"',
    ],
    [
      'a negative minimum',
      { minimumMinutesLeft: -5 },
      'minimumMinutesLeft must be an integer from 0 to 1440, got -5',
    ],
    [
      'a tiny deadline',
      { deadline: Duration.minutes(1) },
      'deadline must be from 5 minutes to 12 hours, got 60 s',
    ],
    [
      'a poll interval beyond the deadline',
      { initialPollInterval: Duration.hours(1) },
      'initialPollInterval must be from 10 s to the deadline (2700 s), got 3600 s',
    ],
    [
      'a max poll interval below the first',
      { maxPollInterval: Duration.seconds(30) },
      'maxPollInterval must be from initialPollInterval (60 s) to 1 hour, got 30 s',
    ],
    [
      'a timeout shorter than the deadline',
      { timeout: Duration.hours(1) },
      'timeout must be at least the deadline plus 2 hours (9900 s) and at most 365 days, got 3600 s',
    ],
    [
      'a fixed policy without a window',
      { maintenanceWindow: { policy: 'fixed', allowImmediate: true } },
      'maintenanceWindow.fixedWindow is required with policy "fixed"',
    ],
    [
      'a malformed fixed window',
      { maintenanceWindow: { policy: 'fixed', fixedWindow: 'sunday 3am', allowImmediate: true } },
      'maintenanceWindow.fixedWindow must be "ddd:hh24:mi-ddd:hh24:mi" in UTC, got "sunday 3am"',
    ],
    ['a long subject prefix', { subjectPrefix: 'x'.repeat(25) }, 'subjectPrefix must be 1-24 characters'],
  ])('refuses %s, naming the value', (_case, overrides, message) => {
    expect(() => build(overrides)).toThrow(`EnableActivityStreamWorkflow: ${message}`);
  });

  it('refuses mappings that differ between clusters in more than their stream', () => {
    expect(() =>
      build({
        clusters: [
          { identifier: 'a-db', resourceId: RESOURCE_ID, activityStreamKmsKeyArn: KMS_KEY },
          {
            identifier: 'b-db',
            resourceId: 'cluster-BBBBBBBBBBBBBBBBBBBBBBBBBB',
            activityStreamKmsKeyArn: KMS_KEY,
          },
        ],
        streamProcessing: {
          eventSourceMappingDefinition: (id) => ({
            ...mapping(id),
            BatchSize: id === RESOURCE_ID ? 100 : 50,
          }),
        },
      }),
    ).toThrow('the event source mapping of clusters[1] (b-db) differs');
  });

  it('derives the polling schedule from the deadline and intervals', () => {
    const w = build({
      deadline: Duration.minutes(30),
      initialPollInterval: Duration.seconds(30),
      maxPollInterval: Duration.minutes(2),
    });
    expect(w.pollSchedule).toEqual(
      pollSchedule({ deadlineSeconds: 1800, initialSeconds: 30, maxSeconds: 120 }),
    );
    expect(w.pollSchedule.slice(0, 5)).toEqual([30, 60, 90, 120, 120]);
    expect(w.pollSchedule.reduce((a, b) => a + b, 0)).toBe(1800);
  });

  it('grants a topic key, CloudWatch included, and covers several clusters', () => {
    const w = build({
      clusters: [
        { identifier: 'a-db', resourceId: RESOURCE_ID, activityStreamKmsKeyArn: KMS_KEY },
        {
          identifier: 'b-db',
          resourceId: 'cluster-BBBBBBBBBBBBBBBBBBBBBBBBBB',
          activityStreamKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/das',
        },
      ],
    });
    const t = Template.fromStack(Stack.of(w));
    // The plan Lambda knows both clusters; the role's policy names neither (its size does not grow with them).
    expect(readFileSync(w.planSettingsFiles[0]!.localPath, 'utf8')).toMatch(/a-db.*b-db/);
    const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policies).not.toContain('a-db');
    expect(policies).not.toContain('b-db');
    // The key and the alias: one statement for their account and region, only through RDS.
    const grants = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Condition?: unknown }[],
    );
    expect(grants.filter((g) => JSON.stringify(g.Action).includes('kms:CreateGrant'))).toEqual([
      expect.objectContaining({
        Condition: { StringEquals: { 'kms:ViaService': expect.stringMatching(/^rds\./) } },
      }),
    ]);
  });
});
