import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeDBClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { FAILURE_STATES, STREAM_PHASES, streamEstimate } from '../../cli/workflow-estimate';
import type { RenderResult } from '../../tasks/render-report/contract';
import { STATES as DISABLE_STATES } from '../../workflows/disable-activity-stream/definition';
import { STATES as ENABLE_STATES } from '../../workflows/enable-activity-stream/definition';
import { STREAM_WORKFLOW_DEFAULTS } from '../../workflows/shared/stream-workflow-defaults';
import { runCli } from '../helpers/cli';

const cfn = mockClient(CloudFormationClient);
const sfn = mockClient(SFNClient);
const rds = mockClient(RDSClient);
const ENABLE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:aurora-audit-enable';
const DISABLE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:aurora-audit-disable';
const REPORT_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:aurora-audit-report';
const BUCKET = 'aurora-audit-auditbucket-1a2b3c4d5e6f';
const NOW = new Date('2026-12-05T06:00:00Z');
const at = (minutesFromNow: number) => new Date(NOW.getTime() + minutesFromNow * 60_000);

beforeEach(() => {
  // Only the clock: the CLI's --wait polling keeps real (zero-delay) timers.
  jest.useFakeTimers({
    now: NOW,
    doNotFake: ['setTimeout', 'setImmediate', 'setInterval', 'nextTick', 'queueMicrotask'],
  });
  process.env.AWS_REGION = 'eu-west-1';
  process.env.AURORA_AUDIT_POLL_MS = '0';
  for (const m of [cfn, sfn, rds]) m.reset();
  cfn.on(DescribeStacksCommand, { StackName: 'aurora-audit' }).resolves({
    Stacks: [
      {
        StackName: 'aurora-audit',
        CreationTime: new Date(),
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: [
          { OutputKey: 'EnableWorkflowArn', OutputValue: ENABLE_ARN },
          { OutputKey: 'DisableWorkflowArn', OutputValue: DISABLE_ARN },
          { OutputKey: 'ReportWorkflowArn', OutputValue: REPORT_ARN },
          { OutputKey: 'AuditBucketName', OutputValue: BUCKET },
        ],
      },
    ],
  });
  // Sunday 03:00 UTC: the next window after NOW (Saturday 06:00) is 2026-12-06T03:00Z, 21 h away.
  rds.on(DescribeDBClustersCommand).resolves({
    DBClusters: [{ DBClusterIdentifier: 'orders-db', PreferredMaintenanceWindow: 'sun:03:00-sun:04:00' }],
  });
});
afterEach(() => jest.useRealTimers());
afterAll(() => {
  for (const m of [cfn, sfn, rds]) m.restore();
});

const running = (arn: string): DescribeExecutionCommandOutput => ({
  status: 'RUNNING',
  executionArn: 'x',
  stateMachineArn: arn,
  startDate: NOW,
  $metadata: {},
});

/** The latest history event as Step Functions returns it: the state entered and its input (the workflow's document). */
function entered(name: string, document: Record<string, unknown>, id: number): { events: HistoryEvent[] } {
  return {
    events: [
      {
        timestamp: NOW,
        type: 'TaskStateEntered',
        id,
        stateEnteredEventDetails: { name, input: JSON.stringify(document) },
      },
    ],
  };
}

describe('enable/disable --wait: the step and an estimate of the time left', () => {
  it('classifies every state of both stream workflows into one phase (the names the CLI spells match the definitions)', () => {
    for (const [action, states] of [
      ['enable', ENABLE_STATES],
      ['disable', DISABLE_STATES],
    ] as const) {
      const phases = STREAM_PHASES[action];
      for (const name of Object.values(states)) {
        const where = [
          ...Object.entries(phases)
            .filter(([, names]) => names.includes(name))
            .map(([p]) => p),
          ...(FAILURE_STATES.includes(name) ? ['failing'] : []),
        ];
        expect([action, name, where.length]).toEqual([action, name, 1]);
      }
      const all = [...Object.values(phases).flat(), ...FAILURE_STATES];
      expect(all.filter((n) => !(Object.values(states) as string[]).includes(n))).toEqual([]);
    }
  });

  it("shows each step with the time left: until the workflow's planned start, then within the deadline, then connecting", async () => {
    const request = { request: { clusterIdentifier: 'orders-db' } };
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ENABLE_ARN}:x`, startDate: NOW });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce(running(ENABLE_ARN))
      .resolvesOnce(running(ENABLE_ARN))
      .resolvesOnce(running(ENABLE_ARN))
      .resolvesOnce(running(ENABLE_ARN))
      .resolves({ ...running(ENABLE_ARN), status: 'SUCCEEDED' });
    sfn
      .on(GetExecutionHistoryCommand)
      // Before the plan: the CLI's planned start (the cluster's window, 21 h away).
      .resolvesOnce(entered('Acquire lock', request, 3))
      // The workflow planned the start 2 h 13 min from now.
      .resolvesOnce(
        entered(
          'Wait for maintenance window',
          { ...request, plan: { valid: true, immediate: false, startAt: at(133).toISOString() } },
          9,
        ),
      )
      // Polling began 10 minutes ago: 35 of the 45 minutes are left.
      .resolvesOnce(
        entered('Wait for restarts', { ...request, poll: { index: 2, since: at(-10).toISOString() } }, 30),
      )
      .resolves(entered('Describe Kinesis stream', request, 60));
    const run = await runCli('enable', '--cluster', 'orders-db', '--ticket', 'CHG9', '--wait');
    expect(run.code).toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toEqual([
      "[00:00] Acquire lock — about 21 h 0 min until the window opens at 2026-12-06T03:00:00.000Z (the planned start), then at most 45 min for the restart and polling (the workflow's deadline), then connecting the stream (at most 10 min: Kinesis and mapping checks, 30 s apart)",
      "[00:00] Wait for maintenance window — about 2 h 13 min until the window opens at 2026-12-05T08:13:00.000Z (the workflow's plan), then at most 45 min for the restart and polling (the workflow's deadline), then connecting the stream (at most 10 min: Kinesis and mapping checks, 30 s apart)",
      '[00:00] Wait for restarts — at most 35 min left of the 45 min deadline for the restart (polling since 2026-12-05T05:50:00.000Z), then connecting the stream (at most 10 min: Kinesis and mapping checks, 30 s apart)',
      '[00:00] Describe Kinesis stream — restart done; connecting the stream: at most 10 min (Kinesis and mapping checks, 30 s apart)',
    ]);
    expect(STREAM_WORKFLOW_DEFAULTS.deadlineSeconds).toBe(45 * 60);
  });

  it('estimates a disable run started now, and shows no estimate for a state the workflow does not have', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${DISABLE_ARN}:x`, startDate: NOW });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce(running(DISABLE_ARN))
      .resolvesOnce(running(DISABLE_ARN))
      .resolvesOnce(running(DISABLE_ARN))
      .resolves({ ...running(DISABLE_ARN), status: 'SUCCEEDED' });
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce(entered('Check plan', { plan: { valid: true, immediate: true } }, 5))
      .resolvesOnce(entered('Some future state', {}, 6))
      .resolves(entered('Delete event source mapping', {}, 20));
    const run = await runCli('disable', '--cluster', 'orders-db', '--window', 'now', '--wait');
    expect(run.code).toBe(0);
    expect(run.stderr.trim().split('\n')).toEqual([
      "[00:00] Check plan — starting now, then at most 45 min for the restart and polling (the workflow's deadline), then disconnecting the mapping (seconds)",
      '[00:00] Some future state',
      '[00:00] Delete event source mapping — restart done; disconnecting the mapping: seconds',
    ]);
  });

  it('says when the deadline has passed, and that a failing run is ending', () => {
    expect(
      streamEstimate('enable', {
        step: 'Poll cluster',
        document: { poll: { since: at(-50).toISOString() } },
        now: NOW,
      }),
    ).toBe('the 45 min deadline for the restart has passed: the run is about to end');
    expect(streamEstimate('disable', { step: 'Notify failure', now: NOW })).toBe(
      'the run is failing: recording the cause and notifying',
    );
  });
});

it('shows an unchanged step again every 10 minutes only, with the time left then', async () => {
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${ENABLE_ARN}:x`, startDate: NOW });
  let polls = 0;
  sfn.on(DescribeExecutionCommand).callsFake(() => {
    // Each poll 4 minutes after the last: 0, 4, 8, 12, 16, 20 min.
    jest.setSystemTime(at(4 * polls));
    polls++;
    return polls <= 6 ? running(ENABLE_ARN) : { ...running(ENABLE_ARN), status: 'SUCCEEDED' };
  });
  sfn
    .on(GetExecutionHistoryCommand)
    .resolves(
      entered('Wait for maintenance window', { plan: { valid: true, startAt: at(120).toISOString() } }, 9),
    );
  const run = await runCli('enable', '--cluster', 'orders-db', '--ticket', 'CHG10', '--wait');
  expect(run.code).toBe(0);
  expect(run.stderr.match(/^\[\d\d:\d\d\] Wait for maintenance window — about [^,]*/gm)).toEqual([
    "[00:00] Wait for maintenance window — about 2 h 0 min until the window opens at 2026-12-05T08:00:00.000Z (the workflow's plan)",
    "[12:00] Wait for maintenance window — about 1 h 48 min until the window opens at 2026-12-05T08:00:00.000Z (the workflow's plan)",
  ]);
});

describe('report --wait: what the run produced', () => {
  const rendered: RenderResult = {
    subject: '[aurora-audit] Aurora audit orders-db 2026-12-04: 8 privilege changes, 2 tampering statements',
    messageId: '0102019387e5b6a4-5a1c7c6b-1f1e-4a9e-9a3e-1c2d3e4f5a6b-000000',
    archived: [
      'reports/daily/2026-12-04_2026-12-04/report-daily-20261204-20261204-20261205T0600/privilege-changes.csv',
      'reports/daily/2026-12-04_2026-12-04/report-daily-20261204-20261204-20261205T0600/report.html',
      'reports/daily/2026-12-04_2026-12-04/report-daily-20261204-20261204-20261205T0600/report.txt',
      'reports/daily/2026-12-04_2026-12-04/report-daily-20261204-20261204-20261205T0600/report.eml',
    ],
    failedSections: 0,
    counts: { 'privilege changes': 8, 'tampering statements': 2 },
  };

  function succeedsWith(output: string) {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${REPORT_ARN}:r`, startDate: NOW });
    sfn.on(DescribeExecutionCommand).resolves({ ...running(REPORT_ARN), status: 'SUCCEEDED', output });
  }

  it('prints the subject, the SES message id and the archive path from the execution output', async () => {
    // The workflow's Succeed state outputs $.rendered, the report Lambda's RenderResult.
    succeedsWith(JSON.stringify(rendered));
    const run = await runCli('report', '--period', 'daily', '--wait');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      [
        'SUCCEEDED',
        `subject: ${rendered.subject}`,
        `SES message id: ${rendered.messageId}`,
        `archive: s3://${BUCKET}/reports/daily/2026-12-04_2026-12-04/report-daily-20261204-20261204-20261205T0600/ (4 files: privilege-changes.csv, report.html, report.txt, report.eml)`,
        '',
      ].join('\n'),
    );
  });

  it('puts the same in --json, and says when sections failed', async () => {
    succeedsWith(JSON.stringify({ ...rendered, failedSections: 2 }));
    const run = await runCli('report', '--period', 'daily', '--wait', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).report).toEqual({
      subject: rendered.subject,
      messageId: rendered.messageId,
      archive: `s3://${BUCKET}/reports/daily/2026-12-04_2026-12-04/report-daily-20261204-20261204-20261205T0600/`,
      archived: rendered.archived,
      failedSections: 2,
      counts: rendered.counts,
    });
    const text = await runCli('report', '--period', 'daily', '--wait');
    expect(text.stdout).toContain('2 section(s) FAILED: the report names them\n');
  });

  it('prints nothing made up when the output is not a rendered report', async () => {
    succeedsWith('{"unexpected":true}');
    const run = await runCli('report', '--period', 'daily', '--wait');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('subject:');
    expect(run.stdout).toMatch(/SUCCEEDED\n$/);
  });
});
