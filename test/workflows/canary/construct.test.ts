import { readFileSync } from 'node:fs';
import { Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { canaryDeployment } from '../../../cli/local/scenarios/canary';
import { CANARY_SECRET_ARN } from '../../../cli/local/scenarios/canary-config';
import { readAlertSettings } from '../../../tasks/alert/settings';
import { type CanaryCluster, CanaryWorkflow } from '../../../workflows/canary/construct';
import { actionsOf, roleOf, statementsOf } from '../../helpers/iam';

const d = canaryDeployment();
const resources = d.resolver.template.Resources;
const stateMachine = resources[d.stateMachineId]!;
const machineStatements = statementsOf(d.resolver, roleOf(stateMachine, 'RoleArn'));
const withAction = (action: string) => machineStatements.filter((s) => actionsOf(s).includes(action));

describe('the canary workflow construct (example configuration with a canary on orders-db)', () => {
  it('is a standard state machine with logs at level ALL and tracing', () => {
    expect(stateMachine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
  });

  it("may run statements through the Data API on the stack's tagged clusters only, with the stack's tagged secrets only", () => {
    const execute = withAction('rds-data:ExecuteStatement');
    expect(execute).toHaveLength(1);
    expect(execute[0]).toMatchObject({
      Effect: 'Allow',
      Resource: 'arn:aws:rds:eu-west-1:123456789012:cluster:*',
      Condition: { StringEquals: { 'aws:ResourceTag/aurora-audit': 'aurora-audit' } },
    });
    // One statement whatever the number of canary secrets: the secrets carry the tag the clusters carry.
    const secrets = withAction('secretsmanager:GetSecretValue');
    expect(secrets).toHaveLength(1);
    expect(secrets[0]).toMatchObject({
      Effect: 'Allow',
      Resource: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:*',
      Condition: { StringEquals: { 'aws:ResourceTag/aurora-audit': 'aurora-audit' } },
    });
    expect(actionsOf(secrets[0]!)).toEqual(['secretsmanager:GetSecretValue']);
    const getItem = withAction('dynamodb:GetItem');
    expect(getItem).toHaveLength(1);
    expect(JSON.stringify(getItem[0]?.Resource)).toContain(d.alertTable);
    // It reads the arrivals and updates its failed-run streak item, nothing else of the table.
    expect(machineStatements.flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:'))).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
  });

  it("starts the canary from one schedule per expression and time zone, whose input lists each cluster's input", () => {
    const schedules = Object.values(resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule');
    const canary = schedules.filter((r) => JSON.stringify(r.Properties).includes('canary'));
    expect(canary).toHaveLength(1);
    expect(canary[0]?.Properties).toMatchObject({
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    expect(d.groupInput.clusters).toEqual([d.input]);
    expect(d.input.secretArn).toBe(CANARY_SECRET_ARN);
  });

  it('may start runs of its own state machine only, from a policy the state machine does not depend on', () => {
    const start = withAction('states:StartExecution');
    expect(start).toHaveLength(1);
    expect(start[0]?.Resource).toBe(d.resolver.arn(d.stateMachineId));
    expect(actionsOf(start[0]!)).toEqual(['states:StartExecution']);
    const roleId = roleOf(stateMachine, 'RoleArn');
    const dispatch = Object.entries(resources).find(
      ([, r]) =>
        r.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(r.Properties?.Roles).includes(roleId) &&
        JSON.stringify(r.Properties?.PolicyDocument).includes('states:StartExecution'),
    );
    expect(dispatch).toBeDefined();
    // No cycle: the state machine waits for its role's default policy, not for this one.
    expect((stateMachine as { DependsOn?: string[] }).DependsOn ?? []).not.toContain(dispatch?.[0]);
  });

  it("tells the alert Lambda the cluster's canary user", () => {
    const settings = readAlertSettings(d.alertEnvironment);
    expect(settings.CLUSTERS).toEqual([
      expect.objectContaining({ identifier: 'orders-db', canaryUser: 'aurora_audit_canary' }),
    ]);
    // The deployed file itself, not only the parsed settings.
    expect(readFileSync(d.alertEnvironment.CLUSTERS_FILE as string, 'utf8')).toContain('"canaryUser"');
  });
});

describe('the canary evidence (construct)', () => {
  it('may put metrics in the canary namespace only, and run records under canary-runs/ only', () => {
    const put = withAction('cloudwatch:PutMetricData');
    expect(put).toHaveLength(1);
    expect(put[0]).toMatchObject({
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': 'aurora-audit/Canary' } },
    });
    const s3Put = withAction('s3:PutObject');
    expect(s3Put).toHaveLength(1);
    expect(JSON.stringify(s3Put[0]?.Resource)).toContain('/canary-runs/*');
  });

  it('has one alarm for the fleet on 2 consecutive failed runs, keeping its state between runs', () => {
    const alarms = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::CloudWatch::Alarm' &&
        (r.Properties as { MetricName?: string }).MetricName === 'ConsecutiveFailedRuns',
    );
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.Properties).toMatchObject({
      Namespace: 'aurora-audit/Canary',
      Statistic: 'Maximum',
      Threshold: 2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'ignore',
    });
    expect(alarms[0]?.Properties).not.toHaveProperty('Dimensions');
  });
});

describe('the canary workflow construct refuses bad props, naming the value', () => {
  const cluster: CanaryCluster = {
    identifier: 'orders-db',
    secretArn: CANARY_SECRET_ARN,
    database: 'orders',
    schedule: { expression: 'cron(0 6 * * ? *)', timeZone: 'UTC' },
    deadlineMinutes: 30,
    pgAudit: true,
  };
  const build = (clusters: CanaryCluster[]) => {
    const stack = new Stack(undefined, 'S', { env: { region: 'eu-west-1', account: '123456789012' } });
    new CanaryWorkflow(stack, 'Canary', {
      clusters,
      alertTable: dynamodb.Table.fromTableName(stack, 'T', 'alerts'),
      evidenceBucket: s3.Bucket.fromBucketName(stack, 'B', 'audit'),
      evidenceKey: kms.Key.fromKeyArn(stack, 'K', 'arn:aws:kms:eu-west-1:123456789012:key/k'),
      notificationTopic: sns.Topic.fromTopicArn(stack, 'Topic', 'arn:aws:sns:eu-west-1:123456789012:t'),
      logRetention: logs.RetentionDays.ONE_YEAR,
    });
  };

  it.each<[string, CanaryCluster[], string]>([
    ['no cluster', [], 'CanaryWorkflow: clusters must list at least one cluster with a canary'],
    [
      'a secret name',
      [{ ...cluster, secretArn: 'canary' }],
      'CanaryWorkflow: clusters[0].secretArn must be a Secrets Manager secret ARN, got "canary"',
    ],
    [
      'a deadline of 2 minutes',
      [{ ...cluster, deadlineMinutes: 2 }],
      'CanaryWorkflow: clusters[0].deadlineMinutes must be an integer from 5 to 180, got 2',
    ],
    [
      'an unknown time zone',
      [{ ...cluster, schedule: { expression: 'rate(1 hour)', timeZone: 'Mars/Olympus' } }],
      'CanaryWorkflow: clusters[0].schedule.timeZone must be an IANA time zone, got "Mars/Olympus"',
    ],
    [
      'the same cluster twice',
      [cluster, cluster],
      'CanaryWorkflow: clusters[1].identifier "orders-db" is listed twice',
    ],
  ])('%s', (_label, clusters, message) => {
    expect(() => build(clusters)).toThrow(message);
  });
});
