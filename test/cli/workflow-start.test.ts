import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeDBClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { runCli } from '../helpers/cli';

const cfn = mockClient(CloudFormationClient);
const sfn = mockClient(SFNClient);
const rds = mockClient(RDSClient);
const ENABLE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:aurora-audit-enable';
const execArn = (name: string) => `${ENABLE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;

beforeEach(() => {
  process.env.AWS_REGION = 'eu-west-1';
  for (const m of [cfn, sfn, rds]) m.reset();
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'aurora-audit',
        CreationTime: new Date(),
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: [{ OutputKey: 'EnableWorkflowArn', OutputValue: ENABLE_ARN }],
      },
    ],
  });
});

const awsCalls = () =>
  cfn.commandCalls(DescribeStacksCommand).length +
  sfn.commandCalls(StartExecutionCommand).length +
  rds.commandCalls(DescribeDBClustersCommand).length;

describe('enable and disable check the request as the workflow does, before any AWS call', () => {
  it('refuses a window that is over, naming the field, exit 2, with no AWS call', async () => {
    const run = await runCli(
      'enable',
      '--cluster',
      'orders-db',
      '--window',
      '2020-01-05T03:00Z/2020-01-05T04:00Z',
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('the enable workflow would refuse this request: window.end: is in the past');
    expect(awsCalls()).toBe(0);
  });

  it('refuses a ticket the workflow would refuse (a ";"), naming the field, with no AWS call', async () => {
    const run = await runCli('disable', '--cluster', 'orders-db', '--ticket', 'CHG1; rm -rf');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('the disable workflow would refuse this request: changeTicket:');
    expect(awsCalls()).toBe(0);
  });
});

describe('enable prints the planned start and the console link', () => {
  it("plans a given window's start", async () => {
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: execArn('enable-orders-db-CHG7'), startDate: new Date() });
    const start = new Date(Date.now() + 3600_000).toISOString();
    const end = new Date(Date.now() + 7200_000).toISOString();
    const run = await runCli(
      'enable',
      '--cluster',
      'orders-db',
      '--ticket',
      'CHG7',
      '--window',
      `${start}/${end}`,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`planned start: ${start} (window until ${end})`);
    expect(run.stdout).toContain(
      `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${execArn('enable-orders-db-CHG7')}`,
    );
  });

  it("plans the cluster's next preferred maintenance window, read from RDS", async () => {
    rds
      .on(DescribeDBClustersCommand)
      .resolves({ DBClusters: [{ PreferredMaintenanceWindow: 'sun:03:00-sun:04:00' }] });
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: execArn('enable-orders-db-CHG8'), startDate: new Date() });
    const run = await runCli('enable', '--cluster', 'orders-db', '--ticket', 'CHG8');
    expect(run.code).toBe(0);
    // The next Sunday 03:00 UTC whose hour still has 30 minutes left, counted here by hand.
    const now = Date.now();
    const day = new Date(now);
    day.setUTCHours(3, 0, 0, 0);
    day.setUTCDate(day.getUTCDate() - day.getUTCDay());
    while (day.getTime() + 3600_000 - Math.max(day.getTime(), now) < 30 * 60_000)
      day.setUTCDate(day.getUTCDate() + 7);
    const line = run.stdout.split('\n').find((l) => l.startsWith('planned start: ')) ?? '';
    expect(line).toContain("(the cluster's preferred maintenance window sun:03:00-sun:04:00 UTC, until ");
    if (day.getTime() > now) expect(line.slice(15, 39)).toBe(day.toISOString());
    else expect(Math.abs(Date.parse(line.slice(15, 39)) - now)).toBeLessThan(60_000);
  });
});

describe('a new attempt after a run that failed', () => {
  it('starts <name>-2 after a FAILED run with the same ticket, and says so', async () => {
    sfn
      .on(StartExecutionCommand, { name: 'enable-orders-db-CHG1' })
      .rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn
      .on(StartExecutionCommand, { name: 'enable-orders-db-CHG1-2' })
      .resolves({ executionArn: execArn('enable-orders-db-CHG1-2'), startDate: new Date() });
    sfn.on(DescribeExecutionCommand, { executionArn: execArn('enable-orders-db-CHG1') }).resolves({
      executionArn: execArn('enable-orders-db-CHG1'),
      stateMachineArn: ENABLE_ARN,
      status: 'FAILED',
      startDate: new Date(),
    });
    const run = await runCli('enable', '--cluster', 'orders-db', '--ticket', 'CHG1', '--window', 'now');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'started enable-orders-db-CHG1-2 (attempt 2: enable-orders-db-CHG1 ended FAILED)',
    );
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toEqual([
      'enable-orders-db-CHG1',
      'enable-orders-db-CHG1-2',
    ]);
    const inputs = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.input);
    expect(inputs[1]).toBe(inputs[0]);
  });

  it('numbers on past earlier failed attempts, and reports a running attempt instead of starting another', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    for (const [name, status] of [
      ['enable-orders-db-CHG2', 'TIMED_OUT'],
      ['enable-orders-db-CHG2-2', 'FAILED'],
      ['enable-orders-db-CHG2-3', 'RUNNING'],
    ] as const) {
      sfn.on(DescribeExecutionCommand, { executionArn: execArn(name) }).resolves({
        executionArn: execArn(name),
        stateMachineArn: ENABLE_ARN,
        status,
        startDate: new Date(),
      });
    }
    const run = await runCli(
      'enable',
      '--cluster',
      'orders-db',
      '--ticket',
      'CHG2',
      '--window',
      'now',
      '--json',
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      executionName: 'enable-orders-db-CHG2-3',
      alreadyStarted: true,
      attempt: 3,
      status: 'RUNNING',
      previousAttempts: [
        { name: 'enable-orders-db-CHG2', status: 'TIMED_OUT' },
        { name: 'enable-orders-db-CHG2-2', status: 'FAILED' },
      ],
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(3);
  });
});
