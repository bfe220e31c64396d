import { readFileSync } from 'node:fs';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ReportQueries } from '../../../infra/constructs/report-queries';
import { OUTPUTS } from '../../../infra/outputs';
import { readReportSettings } from '../../../tasks/render-report/settings';
import {
  ComplianceReportWorkflow,
  type ComplianceReportWorkflowProps,
} from '../../../workflows/compliance-report/construct';
import { actionsOf, type PolicyStatement, roleOf, statementsOf as roleStatementsOf } from '../../helpers/iam';
import { CLUSTER, RESOURCE_ID, reportDeployment, WORKGROUP } from './fixture';

const d = reportDeployment();
const template = Template.fromJSON(d.resolver.template as never);
const resources = d.resolver.template.Resources;
const stateMachine = resources[d.stateMachineId]!;
const ACCOUNT = '123456789012';
const BUCKET_ARN = `arn:aws:s3:::${d.bucket}`;
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/StorageKeyBAA9457B`;
const WORKGROUP_ARN = `arn:aws:athena:eu-west-1:${ACCOUNT}:workgroup/${WORKGROUP}`;

const statementsOf = (roleId: string) => roleStatementsOf(d.resolver, roleId);
const actions = actionsOf;
const machineStatements = statementsOf(roleOf(stateMachine, 'RoleArn'));
const functionStatements = statementsOf(roleOf(resources[d.reportFunction], 'Role'));
const withAction = (statements: PolicyStatement[], action: string) =>
  statements.filter((s) => actions(s).includes(action));
const schedules = Object.values(resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule');

describe('the compliance-report workflow construct (example configuration)', () => {
  it("deploys no Athena prepared statement and lets no role read or list one: the workflow runs query strings, and the query files are only the sections' reference", () => {
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::Athena::PreparedStatement')).toEqual([]);
    // Every identity policy of the stack, whether a policy resource or inline in a role.
    const granted = Object.values(resources)
      .flatMap((r) =>
        r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy'
          ? [r.Properties!.PolicyDocument]
          : r.Type === 'AWS::IAM::Role'
            ? ((r.Properties!.Policies ?? []) as { PolicyDocument: unknown }[]).map((p) => p.PolicyDocument)
            : [],
      )
      .flatMap((doc) => (doc as { Statement: PolicyStatement[] }).Statement)
      .flatMap(actions);
    // The walk sees the Athena grants (the state machine's, the report Lambda's).
    expect(granted).toEqual(expect.arrayContaining(['athena:StartQueryExecution', 'athena:GetQueryResults']));
    expect(
      granted.filter((a) => /PreparedStatement|^athena:\*$|^athena:Get\*$|^athena:List\*$/.test(a)),
    ).toEqual([]);
    // The state machine's queries are the strings its input and items carry, never a literal EXECUTE.
    expect(JSON.stringify(d.definition)).not.toMatch(/\bEXECUTE\s+[A-Za-z_]/i);
  });

  it('is a standard state machine with logs at level ALL, tracing and a one-hour timeout', () => {
    expect(stateMachine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: expect.anything() } }],
      },
    });
    expect(d.definition.TimeoutSeconds).toBe(3600);
    const logGroups = Object.keys(resources).filter(
      (id) => id.startsWith('ComplianceReport') && resources[id]?.Type === 'AWS::Logs::LogGroup',
    );
    expect(logGroups).toHaveLength(2);
    for (const id of logGroups) expect(resources[id]?.Properties?.RetentionInDays).toBe(365);
  });

  it('lets the state machine run queries in the report workgroup only', () => {
    expect(machineStatements.filter((s) => actions(s).some((a) => a.startsWith('athena:')))).toEqual([
      {
        Effect: 'Allow',
        Action: ['athena:GetQueryExecution', 'athena:StartQueryExecution', 'athena:StopQueryExecution'],
        Resource: WORKGROUP_ARN,
      },
      {
        Effect: 'Allow',
        Action: 'athena:GetDataCatalog',
        Resource: `arn:aws:athena:eu-west-1:${ACCOUNT}:datacatalog/AwsDataCatalog`,
      },
    ]);
  });

  it("lets the state machine read the events table and create, read and drop the runs' summary tables in Glue, nothing else of the catalog", () => {
    expect(machineStatements.filter((s) => actions(s).some((a) => a.startsWith('glue:')))).toEqual([
      {
        Effect: 'Allow',
        Action: ['glue:GetDatabase', 'glue:GetPartitions', 'glue:GetTable'],
        Resource: [
          `arn:aws:glue:eu-west-1:${ACCOUNT}:catalog`,
          `arn:aws:glue:eu-west-1:${ACCOUNT}:database/aurora_audit`,
          `arn:aws:glue:eu-west-1:${ACCOUNT}:table/aurora_audit/audit_events`,
          // The canary's run records (the Control evidence section).
          `arn:aws:glue:eu-west-1:${ACCOUNT}:table/aurora_audit/canary_runs`,
        ],
      },
      {
        Effect: 'Allow',
        Action: [
          'glue:CreateTable',
          'glue:DeleteTable',
          'glue:GetDatabase',
          'glue:GetPartitions',
          'glue:GetTable',
        ],
        Resource: [
          `arn:aws:glue:eu-west-1:${ACCOUNT}:catalog`,
          `arn:aws:glue:eu-west-1:${ACCOUNT}:database/aurora_audit`,
          // Only the summary tables (report_summary_<execution>_<hash>): never the events table.
          `arn:aws:glue:eu-west-1:${ACCOUNT}:table/aurora_audit/report_summary_*`,
        ],
      },
    ]);
  });

  it('lets Athena (as the state machine) read events/ and canary-runs/ and read and write athena-results/ (the summary tables under tables/ too) only', () => {
    expect(machineStatements.filter((s) => actions(s).some((a) => a.startsWith('s3:')))).toEqual([
      {
        Effect: 'Allow',
        Action: ['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
        Resource: BUCKET_ARN,
      },
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: BUCKET_ARN,
        Condition: { StringLike: { 's3:prefix': ['events/*', 'canary-runs/*', 'athena-results/*'] } },
      },
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: [`${BUCKET_ARN}/canary-runs/*`, `${BUCKET_ARN}/events/*`],
      },
      {
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'],
        Resource: `${BUCKET_ARN}/athena-results/*`,
      },
    ]);
    expect(withAction(machineStatements, 'kms:Decrypt')).toEqual([
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: KEY_ARN },
    ]);
    expect(withAction(machineStatements, 'sns:Publish')).toEqual([
      { Effect: 'Allow', Action: 'sns:Publish', Resource: d.topicArn },
    ]);
  });

  it("grants `*` only for log delivery and X-Ray, deletes only the runs' summary tables in Glue, and no S3 object", () => {
    const all = [...machineStatements, ...functionStatements];
    const star = all.filter(
      (s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')),
    );
    expect(star.flatMap(actions).every((a) => /^(logs|xray):/.test(a))).toBe(true);
    const deleting = all.filter((s) =>
      actions(s).some((a) => /delete|\*$/i.test(a) && !/^logs:DeleteLogDelivery$/.test(a)),
    );
    expect(deleting.flatMap(actions).filter((a) => /delete|\*$/i.test(a))).toEqual(['glue:DeleteTable']);
    for (const statement of deleting)
      for (const resource of [statement.Resource].flat())
        expect(String(resource)).toMatch(
          /:(catalog|database\/aurora_audit|table\/aurora_audit\/report_summary_\*)$/,
        );
  });

  it('runs the report Lambda on Node.js 24, arm64, with the environment of the contract', () => {
    const fn = resources[d.reportFunction]!;
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 300,
    });
    const env = d.resolver.functionEnvironment(d.reportFunction);
    expect(env).toMatchObject({
      RECIPIENTS: '["compliance@example.com"]',
      SENDER: 'aurora-audit@example.com',
      SUBJECT_PREFIX: 'aurora-audit',
      TIME_ZONE: 'UTC',
      BUCKET: d.bucket,
      WORKGROUP,
      MAX_ROWS_PER_SECTION: '50',
      REDACTION_PATTERNS: '[]',
      POWERTOOLS_SERVICE_NAME: 'aurora-audit-report',
    });
    // The cluster list is a file bundled beside the code, named by CLUSTERS_FILE (here its synth-time copy).
    const deployed = fn.Properties?.Environment as { Variables: Record<string, unknown> };
    expect(deployed.Variables.CLUSTERS_FILE).toBe('clusters.json');
    expect(deployed.Variables.CLUSTERS).toBeUndefined();
    expect(JSON.parse(readFileSync(env.CLUSTERS_FILE as string, 'utf8'))).toEqual([
      { identifier: CLUSTER, resourceId: RESOURCE_ID },
    ]);
    expect(readReportSettings(env).CLUSTERS).toEqual([{ identifier: CLUSTER, resourceId: RESOURCE_ID }]);
    // The Lambda accepts what it is deployed with.
    expect(() => readReportSettings(env)).not.toThrow();
  });

  it('lets the report Lambda read results, archive under reports/ and send from the SES identity only', () => {
    expect(functionStatements.filter((s) => !actions(s).some((a) => a.startsWith('logs:')))).toEqual([
      {
        Effect: 'Allow',
        Action: ['athena:GetQueryExecution', 'athena:GetQueryResults'],
        Resource: WORKGROUP_ARN,
      },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET_ARN}/athena-results/*` },
      { Effect: 'Allow', Action: 's3:PutObject', Resource: `${BUCKET_ARN}/reports/*` },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: KEY_ARN },
      {
        Effect: 'Allow',
        Action: 'ses:SendRawEmail',
        Resource: [
          `arn:aws:ses:eu-west-1:${ACCOUNT}:identity/aurora-audit@example.com`,
          `arn:aws:ses:eu-west-1:${ACCOUNT}:identity/example.com`,
        ],
        Condition: {
          StringEquals: { 'ses:FromAddress': 'aurora-audit@example.com' },
          'ForAllValues:StringLike': { 'ses:Recipients': ['*@example.com'] },
        },
      },
    ]);
  });

  it('schedules the configured reports in their time zones, with their input, no flexible window, retries and a dead-letter queue', () => {
    const resolved = schedules.map((r) => d.resolver.resolve(r.Properties) as Record<string, unknown>);
    const dlq = `arn:aws:sqs:eu-west-1:${ACCOUNT}:${Object.keys(resources).find((id) => resources[id]?.Type === 'AWS::SQS::Queue')}`;
    expect(resolved.map((p) => [p.ScheduleExpression, p.ScheduleExpressionTimezone])).toEqual([
      ['cron(0 7 * * ? *)', 'Europe/Berlin'],
      ['cron(0 7 ? * MON *)', 'Europe/Berlin'],
    ]);
    for (const [i, p] of resolved.entries()) {
      expect(p).toMatchObject({
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: d.resolver.arn(d.stateMachineId),
          RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: dlq },
        },
      });
      const input = JSON.parse((p.Target as { Input: string }).Input);
      expect(input).toEqual({ period: ['daily', 'weekly'][i], timeZone: 'Europe/Berlin' });
    }
    // The schedules' role may only start this state machine (and dead-letter a failed start).
    const roleId = roleOf(
      { Properties: schedules[0]?.Properties?.Target as Record<string, unknown> },
      'RoleArn',
    );
    expect(statementsOf(roleId)).toEqual([
      { Effect: 'Allow', Action: 'states:StartExecution', Resource: d.resolver.arn(d.stateMachineId) },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: dlq },
    ]);
    expect(resources[roleId]?.Properties?.AssumeRolePolicyDocument).toMatchObject({
      Statement: [
        {
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
    });
  });

  it('alarms on failed, timed-out and aborted runs and on a dead-lettered start, to the notification topic', () => {
    const topicRef = { Ref: d.topicArn.split(':').pop() };
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Namespace: 'AWS/States',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: d.stateMachineId } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [topicRef],
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 1,
      AlarmActions: [topicRef],
    });
  });

  it('outputs the state machine ARN under the name the CLI reads', () => {
    expect(OUTPUTS.reportWorkflow).toBe('ReportWorkflowArn');
    template.hasOutput(OUTPUTS.reportWorkflow, { Value: { Ref: d.stateMachineId } });
  });
});

describe('the compliance-report workflow construct, validation', () => {
  const build = (overrides: Partial<ComplianceReportWorkflowProps>) => {
    const stack = new Stack();
    const bucket = new s3.Bucket(stack, 'B');
    const key = new kms.Key(stack, 'K');
    const queries = new ReportQueries(stack, 'Q', {
      bucket,
      key,
      bytesScannedCutoffPerQuery: 10_000_000,
      glueDatabaseName: 'aurora_audit',
      glueTableName: 'audit_events',
    });
    return () =>
      new ComplianceReportWorkflow(stack, 'W', {
        clusters: [{ identifier: CLUSTER, resourceId: RESOURCE_ID }],
        recipients: ['compliance@example.com'],
        sender: 'example.com',
        schedules: [],
        bucket,
        key,
        queries,
        glueDatabaseName: 'aurora_audit',
        glueTableName: 'audit_events',
        notificationTopic: new sns.Topic(stack, 'T'),
        logRetention: logs.RetentionDays.ONE_YEAR,
        ...overrides,
      });
  };

  it.each([
    [
      { schedules: [{ period: 'daily' as const, expression: 'cron(0 7 * * *)', timeZone: 'UTC' }] },
      'schedules[0].expression must be "cron(<6 fields>)" or "rate(<n> <unit>)", got "cron(0 7 * * *)"',
    ],
    [
      { schedules: [{ period: 'daily' as const, expression: 'rate(1 day)', timeZone: 'Europe/Atlantis' }] },
      'schedules[0].timeZone must be an IANA time zone, got "Europe/Atlantis"',
    ],
    [
      { sender: 'not an identity' },
      'sender must be an email address or a domain (an SES identity), got "not an identity"',
    ],
    [{ recipients: ['compliance'] }, 'recipients[0] must be an email address, got "compliance"'],
    [
      { clusters: [{ identifier: CLUSTER, resourceId: 'cluster-abc' }] },
      'clusters[0].resourceId must be "cluster-" and 26 upper-case letters or digits, got "cluster-abc"',
    ],
    [{ maxConcurrency: 0 }, 'maxConcurrency must be an integer from 1 to 20, got 0'],
    [{ maxRowsPerSection: 5000 }, 'maxRowsPerSection must be an integer from 1 to 1000, got 5000'],
  ])('names the bad value: %j', (overrides, message) => {
    expect(build(overrides)).toThrow(`ComplianceReportWorkflow: ${message}`);
  });

  it('sends as aurora-audit@<domain> when the SES identity is a domain', () => {
    const stack = build({})().node.scope as Stack;
    const workflow = stack.node.findChild('W') as ComplianceReportWorkflow;
    expect(workflow.fromAddress).toBe('aurora-audit@example.com');
    const statements = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    expect(JSON.stringify(statements)).toContain('"ses:FromAddress":"aurora-audit@example.com"');
    expect(JSON.stringify(statements)).toContain(':identity/example.com');
  });
});
