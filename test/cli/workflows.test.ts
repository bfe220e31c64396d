import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { DescribeDBClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { executionName, workflowWindow } from '../../cli/commands/workflows';
import { runCli } from '../helpers/cli';

const cfn = mockClient(CloudFormationClient);
const sfn = mockClient(SFNClient);
const rds = mockClient(RDSClient);
const lambda = mockClient(LambdaClient);
const ENABLE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:aurora-audit-enable';
const DISABLE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:aurora-audit-disable';

beforeEach(() => {
  process.env.AWS_REGION = 'eu-west-1';
  process.env.AURORA_AUDIT_POLL_MS = '0';
  process.env.USER = 'dba-alice';
  for (const m of [cfn, sfn, rds, lambda]) m.reset();
  cfn.on(DescribeStacksCommand, { StackName: 'aurora-audit' }).resolves({
    Stacks: [
      {
        StackName: 'aurora-audit',
        CreationTime: new Date(),
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: [
          { OutputKey: 'EnableWorkflowArn', OutputValue: ENABLE_ARN },
          { OutputKey: 'DisableWorkflowArn', OutputValue: DISABLE_ARN },
          {
            OutputKey: 'DecryptFunctionArn',
            OutputValue: 'arn:aws:lambda:eu-west-1:123456789012:function:decrypt',
          },
        ],
      },
    ],
  });
});

const execArn = (name: string, sm = ENABLE_ARN) => `${sm.replace(':stateMachine:', ':execution:')}:${name}`;

describe('aurora-audit enable and disable', () => {
  it('starts the workflow with a name from the ticket and the documented input, and prints the console link', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: execArn('enable-orders-db-CHG0042'), startDate: new Date() });
    const run = await runCli('enable', '--cluster', 'orders-db', '--ticket', 'CHG0042', '--window', 'now');
    expect(run.code).toBe(0);
    const input = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ stateMachineArn: ENABLE_ARN, name: 'enable-orders-db-CHG0042' });
    expect(JSON.parse(input.input!)).toEqual({
      clusterIdentifier: 'orders-db',
      window: 'now',
      changeTicket: 'CHG0042',
      requestedBy: 'dba-alice',
    });
    expect(run.stdout).toContain(
      'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:aurora-audit-enable:enable-orders-db-CHG0042',
    );
  });

  it('names a run without a ticket by the UTC minute, so a retried command finds the same run', () => {
    expect(executionName('disable', 'orders-db', undefined, new Date('2026-11-24T10:07:59Z'))).toBe(
      'disable-orders-db-20261124T1007',
    );
    expect(executionName('enable', 'orders-db', 'JIRA/OPS 12', new Date())).toBe(
      'enable-orders-db-JIRA-OPS-12',
    );
  });

  it('reports the earlier run instead of starting a second one when the command is retried', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: execArn('enable-orders-db-CHG1'),
      status: 'SUCCEEDED',
      stateMachineArn: ENABLE_ARN,
      startDate: new Date(),
    });
    const run = await runCli('enable', '--cluster', 'orders-db', '--ticket', 'CHG1');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('already started enable-orders-db-CHG1');
    expect(run.stdout).toContain('SUCCEEDED');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('follows a run with --wait, showing each new step, and exits 1 when it fails', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: execArn('disable-orders-db-CHG2', DISABLE_ARN), startDate: new Date() });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({
        status: 'RUNNING',
        executionArn: 'x',
        stateMachineArn: DISABLE_ARN,
        startDate: new Date(),
      })
      .resolvesOnce({
        status: 'RUNNING',
        executionArn: 'x',
        stateMachineArn: DISABLE_ARN,
        startDate: new Date(),
      })
      .resolves({
        status: 'FAILED',
        error: 'ClusterNotFound',
        cause: 'DbCluster orders-db not found',
        executionArn: 'x',
        stateMachineArn: DISABLE_ARN,
        startDate: new Date(),
      });
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({
        events: [
          {
            timestamp: new Date(),
            type: 'TaskStateEntered',
            id: 3,
            stateEnteredEventDetails: { name: 'TakeLock' },
          },
        ],
      })
      .resolves({
        events: [
          {
            timestamp: new Date(),
            type: 'TaskStateEntered',
            id: 5,
            stateEnteredEventDetails: { name: 'DescribeCluster' },
          },
        ],
      });
    const run = await runCli('disable', '--cluster', 'orders-db', '--ticket', 'CHG2', '--wait');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/\[00:0\d\] TakeLock\n\[00:0\d\] DescribeCluster\n/);
    expect(run.stdout).toContain('FAILED: ClusterNotFound (DbCluster orders-db not found)');
  });

  it('prints JSON with --json and exits 0 after a successful --wait', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: execArn('enable-orders-db-CHG3'), startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({
      status: 'SUCCEEDED',
      executionArn: 'x',
      stateMachineArn: ENABLE_ARN,
      startDate: new Date(),
    });
    const run = await runCli('enable', '--cluster', 'orders-db', '--ticket', 'CHG3', '--wait', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      action: 'enable',
      cluster: 'orders-db',
      status: 'SUCCEEDED',
      alreadyStarted: false,
    });
  });

  it('names a bad window and an unknown cluster with exit 2, starting nothing', async () => {
    const badWindow = await runCli('enable', '--cluster', 'orders-db', '--window', 'tomorrow');
    expect(badWindow).toMatchObject({
      code: 2,
      stderr: '--window must be now, next or START/END in ISO-8601, got "tomorrow"\n',
    });
    const unknown = await runCli('enable', '--cluster', 'billing-db');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('cluster "billing-db" is not in the configuration');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('accepts an explicit window START/END', () => {
    expect(workflowWindow('2026-11-29T03:00:00Z/2026-11-29T04:00:00Z')).toEqual({
      start: '2026-11-29T03:00:00.000Z',
      end: '2026-11-29T04:00:00.000Z',
    });
  });
});

describe('aurora-audit status', () => {
  it('prints the stream, the mapping and the last runs of the cluster', async () => {
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: 'orders-db',
          Status: 'available',
          ActivityStreamStatus: 'started',
          ActivityStreamMode: 'async',
          ActivityStreamKinesisStreamName: 'aws-rds-das-cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
        },
      ],
    });
    lambda.on(ListEventSourceMappingsCommand).resolves({
      EventSourceMappings: [
        {
          UUID: 'esm-1',
          State: 'Enabled',
          EventSourceArn:
            'arn:aws:kinesis:eu-west-1:123456789012:stream/aws-rds-das-cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
        },
      ],
    });
    sfn.on(ListExecutionsCommand, { stateMachineArn: ENABLE_ARN }).resolves({
      executions: [
        {
          name: 'enable-orders-db-CHG9',
          status: 'SUCCEEDED',
          startDate: new Date('2026-11-20T03:00:00Z'),
          executionArn: 'a',
          stateMachineArn: ENABLE_ARN,
        },
        {
          name: 'enable-billing-db-CHG8',
          status: 'FAILED',
          startDate: new Date('2026-11-21T03:00:00Z'),
          executionArn: 'b',
          stateMachineArn: ENABLE_ARN,
        },
      ],
    });
    sfn.on(ListExecutionsCommand, { stateMachineArn: DISABLE_ARN }).resolves({ executions: [] });
    const run = await runCli('status', '--cluster', 'orders-db', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      cluster: 'orders-db',
      resourceId: 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
      clusterStatus: 'available',
      activityStream: {
        status: 'started',
        mode: 'async',
        streamName: 'aws-rds-das-cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
      },
      mapping: { uuid: 'esm-1', state: 'Enabled' },
      lastRuns: [
        { name: 'enable-orders-db-CHG9', status: 'SUCCEEDED', startDate: '2026-11-20T03:00:00.000Z' },
      ],
    });
    const text = await runCli('status', '--cluster', 'orders-db');
    expect(text.stdout).toContain('mapping         Enabled (esm-1)');
  });

  it('prints --output text as tab-separated records, one a line, and the table by default', async () => {
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        { DBClusterIdentifier: 'orders-db', Status: 'available', ActivityStreamStatus: 'stopped' },
      ],
    });
    sfn.on(ListExecutionsCommand, { stateMachineArn: ENABLE_ARN }).resolves({
      executions: [
        {
          name: 'enable-orders-db-CHG7',
          status: 'FAILED',
          startDate: new Date('2026-11-19T03:00:00Z'),
          executionArn: 'a',
          stateMachineArn: ENABLE_ARN,
        },
      ],
    });
    sfn.on(ListExecutionsCommand, { stateMachineArn: DISABLE_ARN }).resolves({
      executions: [
        {
          name: 'disable-orders-db-CHG8',
          status: 'SUCCEEDED',
          startDate: new Date('2026-11-20T03:00:00Z'),
          executionArn: 'b',
          stateMachineArn: DISABLE_ARN,
        },
      ],
    });
    const text = await runCli('status', '--cluster', 'orders-db', '--output', 'text');
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      [
        'CLUSTER\torders-db\tcluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ\tavailable',
        'ACTIVITYSTREAM\tstopped\tNone\tNone',
        'MAPPING\tNone\tNone',
        'RUN\t2026-11-20T03:00:00.000Z\tSUCCEEDED\tdisable-orders-db-CHG8',
        'RUN\t2026-11-19T03:00:00.000Z\tFAILED\tenable-orders-db-CHG7',
        '',
      ].join('\n'),
    );
    // No stream: the mapping is not looked up.
    expect(lambda.calls()).toHaveLength(0);
    const table = await runCli('status', '--cluster', 'orders-db', '--output', 'table');
    expect(table.stdout).toContain('activity stream stopped\n');
    expect(table.stdout).toContain('  2026-11-19T03:00:00.000Z  FAILED    enable-orders-db-CHG7\n');
  });
});
