import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { reportExecutionName } from '../../cli/commands/report';
import { runCli } from '../helpers/cli';

const cfn = mockClient(CloudFormationClient);
const sfn = mockClient(SFNClient);
const REPORT_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:aurora-audit-report';
const execArn = (name: string) => `${REPORT_ARN.replace(':stateMachine:', ':execution:')}:${name}`;
const NOW = new Date('2026-12-01T08:00:30Z');

beforeEach(() => {
  // Only the clock: the CLI's --wait polling keeps real (zero-delay) timers.
  jest.useFakeTimers({
    now: NOW,
    doNotFake: ['setTimeout', 'setImmediate', 'setInterval', 'nextTick', 'queueMicrotask'],
  });
  process.env.AWS_REGION = 'eu-west-1';
  process.env.AURORA_AUDIT_POLL_MS = '0';
  for (const m of [cfn, sfn]) m.reset();
  cfn.on(DescribeStacksCommand, { StackName: 'aurora-audit' }).resolves({
    Stacks: [
      {
        StackName: 'aurora-audit',
        CreationTime: new Date(),
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: [{ OutputKey: 'ReportWorkflowArn', OutputValue: REPORT_ARN }],
      },
    ],
  });
});

afterEach(() => {
  jest.useRealTimers();
});

describe('aurora-audit report', () => {
  it("starts yesterday's daily report with a deterministic name and prints the console link", async () => {
    sfn.on(StartExecutionCommand).resolves({
      executionArn: execArn('report-daily-20261130-20261130-20261201T0800'),
      startDate: new Date(),
    });
    const run = await runCli('report', '--period', 'daily');
    expect(run.code).toBe(0);
    const call = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(call).toMatchObject({
      stateMachineArn: REPORT_ARN,
      name: 'report-daily-20261130-20261130-20261201T0800',
    });
    expect(JSON.parse(call.input!)).toEqual({ period: 'daily' });
    expect(run.stdout).toContain('started report-daily-20261130-20261130-20261201T0800');
    expect(run.stdout).toContain(
      'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/',
    );
  });

  it('passes an explicit period, time zone, clusters and recipients, and with --wait --json exits 0 on success', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: execArn('r'), startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({
      status: 'SUCCEEDED',
      executionArn: 'x',
      stateMachineArn: REPORT_ARN,
      startDate: new Date(),
    });
    const run = await runCli(
      'report',
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-30',
      '--time-zone',
      'Europe/Berlin',
      '--cluster',
      'orders-db',
      '--recipient',
      'auditor@example.com',
      '--recipient',
      'dpo@example.com',
      '--wait',
      '--json',
    );
    expect(run.code).toBe(0);
    const call = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(JSON.parse(call.input!)).toEqual({
      from: '2026-11-01',
      to: '2026-11-30',
      timeZone: 'Europe/Berlin',
      clusters: ['orders-db'],
      recipients: ['auditor@example.com', 'dpo@example.com'],
    });
    expect(call.name).toBe('report-custom-20261101-20261130-20261201T0800');
    expect(JSON.parse(run.stdout)).toMatchObject({
      action: 'report',
      period: 'custom',
      from: '2026-11-01',
      to: '2026-11-30',
      status: 'SUCCEEDED',
      alreadyStarted: false,
    });
  });

  it('finds the run a retried command started instead of starting a second one', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({
      status: 'FAILED',
      error: 'RenderFailed',
      cause: 'ReportSendError: Email address is not verified',
      executionArn: 'x',
      stateMachineArn: REPORT_ARN,
      startDate: new Date(),
    });
    const run = await runCli('report', '--period', 'weekly');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    expect(run.stdout).toContain('already started report-weekly-20261123-20261129-20261201T0800');
    expect(run.stdout).toContain('FAILED: RenderFailed (ReportSendError: Email address is not verified)');
    expect(run.code).toBe(1);
  });

  it('follows a run with --wait, showing each step, and exits 1 when it fails', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: execArn('r'), startDate: new Date() });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({
        status: 'RUNNING',
        executionArn: 'x',
        stateMachineArn: REPORT_ARN,
        startDate: new Date(),
      })
      .resolves({
        status: 'FAILED',
        error: 'QueriesFailed',
        executionArn: 'x',
        stateMachineArn: REPORT_ARN,
        startDate: new Date(),
      });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          timestamp: new Date(),
          type: 'MapStateEntered',
          id: 4,
          stateEnteredEventDetails: { name: 'Run report queries' },
        },
      ],
    });
    const run = await runCli('report', '--period', 'monthly', '--wait');
    expect(run.stderr).toMatch(/\[00:00\] Run report queries\n/);
    expect(run.stdout).toContain('FAILED: QueriesFailed');
    expect(run.code).toBe(1);
  });

  it.each([
    [['--period', 'daily', '--from', '2026-11-01', '--to', '2026-11-02'], 'give either --period'],
    [[], 'give either --period'],
    [['--period', 'hourly'], 'period: must be one of daily, weekly, monthly (got "hourly")'],
    [['--from', '2026-11-02', '--to', '2026-11-01'], 'to:'],
    [['--period', 'daily', '--cluster', 'billing-db'], 'clusters'],
    [['--period', 'daily', '--recipient', 'not-an-address'], 'recipients'],
    [['--period', 'daily', '--time-zone', 'Mars/Olympus'], 'timeZone'],
  ])('refuses %j before starting anything (exit 2, the problem named)', async (args, problem) => {
    const run = await runCli('report', ...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(problem);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('names runs within the 80 characters Step Functions allows', () => {
    expect(reportExecutionName('monthly', '2026-11-01', '2026-11-30', NOW)).toBe(
      'report-monthly-20261101-20261130-20261201T0800',
    );
  });
});
