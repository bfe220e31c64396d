import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CLUSTER, disableDeployment } from '../../../cli/local/scenarios/disable-activity-stream';
import { enableDeployment } from '../../../cli/local/scenarios/enable-activity-stream';
import {
  DisableActivityStreamWorkflow,
  type DisableActivityStreamWorkflowProps,
} from '../../../workflows/disable-activity-stream/construct';
import { roleStatements } from '../shared/stream-expectations';

const d = disableDeployment();
const template = Template.fromJSON(d.resolver.template as never);
const { stateMachine, statements, actions, withAction } = roleStatements(d);

describe('the disable workflow construct (example configuration)', () => {
  it('is a standard state machine with logs at level ALL, tracing and the enablement timeout', () => {
    expect(stateMachine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
    expect(d.definition.TimeoutSeconds).toBe(enableDeployment().definition.TimeoutSeconds);
  });

  it('lets the role stop activity streams only on clusters tagged for this stack, and never start one', () => {
    const rds = statements.filter((s) => actions(s).some((a) => a.startsWith('rds:')));
    const anyCluster = 'arn:aws:rds:eu-west-1:123456789012:cluster:*';
    expect(rds).toEqual([
      { Effect: 'Allow', Action: ['rds:describeDBClusters', 'rds:stopActivityStream'], Resource: anyCluster },
      {
        Effect: 'Allow',
        Action: 'rds:describeDBInstances',
        Resource: 'arn:aws:rds:eu-west-1:123456789012:db:*',
      },
      {
        Effect: 'Deny',
        Action: 'rds:StopActivityStream',
        Resource: anyCluster,
        Condition: { StringNotEquals: { 'rds:cluster-tag/aurora-audit': 'aurora-audit' } },
      },
    ]);
    // And the enablement role cannot stop one.
    expect(roleStatements(enableDeployment()).withAction('rds:stopActivityStream')).toEqual([]);
  });

  it("limits mapping changes to the decrypt Lambda's mappings, and creates none", () => {
    const condition = {
      StringEquals: {
        'lambda:FunctionArn': `arn:aws:lambda:eu-west-1:123456789012:function:${d.decryptFunction}`,
      },
    };
    expect(withAction('lambda:DeleteEventSourceMapping')).toEqual([
      {
        Effect: 'Allow',
        Action: ['lambda:DeleteEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
        Resource: 'arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:*',
        Condition: condition,
      },
    ]);
    expect(withAction('lambda:CreateEventSourceMapping')).toEqual([]);
    expect(
      statements.flatMap(actions).filter((a) => /lambda:\*|rds:\*|kinesis:|kms:CreateGrant/.test(a)),
    ).toEqual([]);
  });

  it("shares the enablement's plan Lambda and lock table (one run per cluster across both)", () => {
    expect(withAction('dynamodb:PutItem')).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
        Resource: `arn:aws:dynamodb:eu-west-1:123456789012:table/${d.lockTable}`,
      },
    ]);
    const invoke = JSON.stringify(withAction('lambda:InvokeFunction'));
    expect(invoke).toContain(`function:${d.planFunction}`);
    expect(
      Object.values(d.resolver.template.Resources).filter((r) => r.Type === 'AWS::DynamoDB::Table'),
    ).toHaveLength(
      // The lock table, the alert state table.
      2,
    );
  });

  it('alarms on failed, timed-out and aborted runs, to the notification topic', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: d.stateMachineId } }],
        AlarmActions: [{ Ref: d.topicArn.split(':').pop() }],
      });
    }
  });

  it('exports the state machine ARN for the CLI', () => {
    template.hasOutput('DisableWorkflowArn', { Value: { Ref: d.stateMachineId } });
  });
});

describe('the disable workflow construct props', () => {
  const build = (overrides: Partial<DisableActivityStreamWorkflowProps> = {}) => {
    const app = new App();
    const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
    const planFunction = lambda.Function.fromFunctionArn(
      stack,
      'Plan',
      'arn:aws:lambda:eu-west-1:123456789012:function:plan',
    );
    const lockTable = dynamodb.Table.fromTableName(stack, 'Locks', 'locks');
    return new DisableActivityStreamWorkflow(stack, 'Disable', {
      clusterIdentifiers: [CLUSTER],
      kit: { planFunction, lockTable, timeout: Duration.days(8), deadline: Duration.minutes(45) },
      decryptFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:decrypt',
      notificationTopic: new sns.Topic(stack, 'Topic'),
      logRetention: logs.RetentionDays.ONE_YEAR,
      ...overrides,
    });
  };

  it('builds with the defaults', () => {
    expect(build().pollSchedule.reduce((a, b) => a + b, 0)).toBe(2700);
  });

  it.each<[string, Partial<DisableActivityStreamWorkflowProps>, string]>([
    ['no clusters', { clusterIdentifiers: [] }, 'clusterIdentifiers must list at least one cluster'],
    [
      'a deadline beyond the enablement deadline',
      { deadline: Duration.hours(2) },
      "deadline must be whole seconds from 5 minutes to the enablement's deadline (2700 s), got 7200 s",
    ],
    [
      'a too short first poll',
      { initialPollInterval: Duration.seconds(5) },
      'initialPollInterval must be whole seconds from 10 s to the deadline (2700 s), got 5 s',
    ],
    [
      'a max poll below the first',
      { initialPollInterval: Duration.seconds(120), maxPollInterval: Duration.seconds(60) },
      'maxPollInterval must be whole seconds from initialPollInterval (120 s) to 1 hour, got 60 s',
    ],
    ['an empty subject prefix', { subjectPrefix: '' }, 'subjectPrefix must be 1-24 characters, got ""'],
  ])('refuses %s, naming the value', (_what, overrides, message) => {
    expect(() => build(overrides)).toThrow(`DisableActivityStreamWorkflow: ${message}`);
  });
});
