/**
 * `aurora-audit enable|disable|status`: start a stream workflow for a cluster (one command per stream workflow of
 * the registry, workflows/registry.ts), follow it, and show a cluster's activity-stream state. The state machines
 * are found from the deployed stack's outputs.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { DescribeDBClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { ConfigError, findCluster, loadConfig } from '../../infra/config/load';
import type { AuroraAuditConfig, ClusterConfig } from '../../infra/config/schema';
import { OUTPUTS, type OutputName } from '../../infra/outputs';
import { nextOccurrence, parseWeeklyWindow, type WindowRequest } from '../../tasks/core/maintenance-window';
import {
  type StreamRequestRules,
  validateStreamRequest,
} from '../../tasks/plan-maintenance-window/stream-request';
import { STREAM_WORKFLOWS, type StreamWorkflowVerb } from '../../workflows/registry';
import { planRequestLimits, STREAM_WORKFLOW_DEFAULTS } from '../../workflows/shared/stream-workflow-defaults';
import { awsClientConfig, explainAwsError } from '../aws-settings';
import type { CliIo, RegisterCommands } from '../io';
import { outputFormat, textRecord } from '../output';
import { type StepSnapshot, streamEstimate } from '../workflow-estimate';

/** A stream workflow's CLI verb (the registry's). */
export type WorkflowAction = StreamWorkflowVerb;

/** `<action>-<cluster>-<ticket>`, or `<action>-<cluster>-<UTC minute>`: a retried command finds its run. */
export function executionName(
  action: WorkflowAction,
  cluster: string,
  ticket: string | undefined,
  now: Date,
): string {
  const suffix = ticket ?? now.toISOString().slice(0, 16).replace(/[-:]/g, '');
  return `${action}-${cluster}-${suffix}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
}

/** The workflow input for `--window now|next|START/END`. */
export function workflowWindow(window: string | undefined): 'now' | 'next' | { start: string; end: string } {
  if (window === undefined || window === 'next') return 'next';
  if (window === 'now') return 'now';
  const [start, end, ...rest] = window.split('/');
  if (!start || !end || rest.length > 0 || Number.isNaN(Date.parse(start)) || Number.isNaN(Date.parse(end))) {
    throw new UsageError(
      `--window must be now, next or START/END in ISO-8601, got ${JSON.stringify(window)}`,
    );
  }
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function consoleLink(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

export async function stackOutputs(
  cfn: CloudFormationClient,
  stackName: string,
): Promise<Map<string, string>> {
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = new Map<string, string>();
  for (const o of Stacks?.[0]?.Outputs ?? [])
    if (o.OutputKey && o.OutputValue) outputs.set(o.OutputKey, o.OutputValue);
  return outputs;
}

export function requireOutput(outputs: Map<string, string>, name: OutputName, stack: string): string {
  const value = outputs.get(name);
  if (!value)
    throw new UsageError(`stack ${stack} has no output ${name}: is this aurora-audit version deployed?`);
  return value;
}

interface CommonOptions {
  cluster: string;
  config?: string;
  stack?: string;
  json?: boolean;
}

function resolve(opts: CommonOptions): { config: AuroraAuditConfig; cluster: ClusterConfig; stack: string } {
  const config = loadConfig(opts.config);
  const cluster = findCluster(config, opts.cluster);
  if (!cluster)
    throw new UsageError(
      `cluster ${JSON.stringify(opts.cluster)} is not in the configuration (${config.origin})`,
    );
  return { config, cluster, stack: opts.stack ?? config.name };
}

/**
 * The rules the plan Lambda validates a request with, from the configuration and the stream workflows'
 * defaults (what the stack deploys): the CLI refuses locally what the workflow would refuse, before any AWS call.
 */
export function streamRequestRulesOf(config: AuroraAuditConfig): StreamRequestRules {
  return {
    clusters: config.clusters.map((c) => ({
      identifier: c.identifier,
      resourceId: c.resourceId,
      activityStreamKmsKeyArn: c.activityStreamKmsKeyArn,
      // Only the deployed plan Lambda knows the account and region of the stream: not needed to validate.
      streamArn: '',
    })),
    windowPolicy: config.maintenanceWindow.policy,
    allowImmediate: config.maintenanceWindow.allowImmediate,
    minMinutesLeft: STREAM_WORKFLOW_DEFAULTS.minimumMinutesLeft,
    ...planRequestLimits(STREAM_WORKFLOW_DEFAULTS),
  };
}

/** When the workflow will start the change, as far as can be known here (the plan Lambda decides). */
export async function plannedStart(
  window: WindowRequest,
  config: AuroraAuditConfig,
  cluster: ClusterConfig,
  now: Date,
): Promise<string> {
  if (window.kind === 'now') return 'now (the instances restart)';
  if (window.kind === 'range') return `${window.start} (window until ${window.end})`;
  let weekly = config.maintenanceWindow.policy === 'fixed' ? config.maintenanceWindow.fixedWindow : undefined;
  let source = 'the fixed window';
  if (weekly === undefined) {
    source = "the cluster's preferred maintenance window";
    try {
      const described = await new RDSClient(awsClientConfig()).send(
        new DescribeDBClustersCommand({ DBClusterIdentifier: cluster.identifier }),
      );
      weekly = described?.DBClusters?.[0]?.PreferredMaintenanceWindow;
    } catch (err) {
      // Credentials, region, network: said once by cli/main.ts. Anything else (no permission to describe the
      // cluster): the start is still the workflow's to plan.
      if (explainAwsError(err)) throw err;
    }
  }
  if (!weekly) return "the cluster's next maintenance window (the workflow reads it from RDS)";
  const next = nextOccurrence(parseWeeklyWindow(weekly), now, STREAM_WORKFLOW_DEFAULTS.minimumMinutesLeft);
  return `${new Date(Math.max(next.start.getTime(), now.getTime())).toISOString()} (${source} ${weekly} UTC, until ${next.end.toISOString()})`;
}

/** The instant a planned-start text begins with (`2026-12-06T03:00:00.000Z (…)`), if any. */
function isoAtStart(text: string): Date | undefined {
  const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z/.exec(text)?.[0];
  return iso ? new Date(iso) : undefined;
}

export interface WaitOptions {
  readonly pollMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

export const defaultWait: WaitOptions = {
  // AURORA_AUDIT_POLL_MS: how often --wait polls (default 15 s).
  get pollMs() {
    return Number(process.env.AURORA_AUDIT_POLL_MS ?? 15_000);
  },
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => Date.now(),
};

/** The state the execution entered last: its name, its input (the workflow's document) and when. */
async function currentStep(
  sfn: SFNClient,
  executionArn: string,
): Promise<{ step?: string; document?: unknown; enteredAt?: Date }> {
  const { events } = await sfn.send(
    new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 20 }),
  );
  const entered = events?.find((e) => e.stateEnteredEventDetails?.name);
  let document: unknown;
  try {
    const input = entered?.stateEnteredEventDetails?.input;
    document = input ? JSON.parse(input) : undefined;
  } catch {
    // Truncated input (over 256 KiB): the estimate goes without the workflow's document.
  }
  return { step: entered?.stateEnteredEventDetails?.name, document, enteredAt: entered?.timestamp };
}

/** An estimate of the time left for a step (undefined: none shown). */
export type StepEstimate = (snap: StepSnapshot) => string | undefined;

/** How often an unchanged step with an estimate is shown again (a run waiting hours for its window). */
const REPEAT_ESTIMATE_MS = 10 * 60_000;

function elapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export async function followExecution(
  sfn: SFNClient,
  executionArn: string,
  io: CliIo,
  wait: WaitOptions,
  estimate?: StepEstimate,
): Promise<DescribeExecutionCommandOutput> {
  const started = wait.now();
  let lastStep: string | undefined;
  let lastShown = 0;
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') return execution;
    const { step, document, enteredAt } = await currentStep(sfn, executionArn);
    const now = wait.now();
    const left = step && estimate ? estimate({ step, document, enteredAt, now: new Date(now) }) : undefined;
    if (step !== lastStep || (left && now - lastShown >= REPEAT_ESTIMATE_MS)) {
      io.stderr(`[${elapsed(now - started)}] ${step ?? 'starting'}${left ? ` — ${left}` : ''}\n`);
      lastStep = step;
      lastShown = now;
    }
    await wait.sleep(wait.pollMs);
  }
}

/** What a succeeded run produced, for the text output (lines) and `--json` (fields). */
export type RunResult = (
  execution: DescribeExecutionCommandOutput,
) => { readonly lines: readonly string[]; readonly json: Readonly<Record<string, unknown>> } | undefined;

export interface StartExecutionRequest {
  readonly stateMachineArn: string;
  /** Deterministic, so that a retried command finds its run instead of starting a second one. */
  readonly name: string;
  readonly input: unknown;
  readonly wait?: boolean;
  readonly json?: boolean;
  /** Fields that lead the `--json` output, e.g. `{ action, cluster }`. */
  readonly summary: Readonly<Record<string, unknown>>;
  /**
   * After a run of this name ended without success (FAILED, TIMED_OUT, ABORTED), start a new attempt named
   * `<name>-2`, `<name>-3`, … instead of reporting the old run. Default false.
   */
  readonly retryFailed?: boolean;
  /** A line printed before the run starts (text output), e.g. the planned start. */
  readonly plan?: string;
  /** With `wait`: the estimate of the time left shown beside each step. Default: none. */
  readonly estimate?: StepEstimate;
  /** What a succeeded run produced (from its output), printed after its status. Default: nothing. */
  readonly result?: RunResult;
}

const ENDED_WITHOUT_SUCCESS = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);
const MAX_ATTEMPTS = 20;

/**
 * Starts an execution (or finds the one a previous identical command started), prints the console link,
 * follows it with `wait`, and sets the exit code: without `wait` a started run is a success; with it, only a
 * succeeded run is.
 */
export async function startExecution(
  ctx: Parameters<RegisterCommands>[0],
  waitOptions: WaitOptions,
  request: StartExecutionRequest,
): Promise<void> {
  const { io, setExit } = ctx;
  const { stateMachineArn } = request;
  const sfn = new SFNClient(awsClientConfig());
  let executionArn = '';
  let already = false;
  let name = request.name;
  let attempt = 1;
  const previous: { name: string; status: string }[] = [];
  for (;;) {
    try {
      // Same name and input while running: Step Functions returns the running execution (idempotent).
      ({ executionArn = '' } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(request.input) }),
      ));
      break;
    } catch (err) {
      if (!(err instanceof ExecutionAlreadyExists) && (err as Error).name !== 'ExecutionAlreadyExists')
        throw err;
    }
    // The same command ran before (finished, or with other input).
    executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    if (request.retryFailed && attempt < MAX_ATTEMPTS) {
      const earlier = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (earlier?.status && ENDED_WITHOUT_SUCCESS.has(earlier.status)) {
        previous.push({ name, status: earlier.status });
        attempt++;
        name = `${request.name}-${attempt}`.slice(0, 80);
        continue;
      }
    }
    // Running or succeeded: report that run instead of starting anew.
    already = true;
    break;
  }
  if (!request.json) {
    if (request.plan) io.stdout(`${request.plan}\n`);
    const last = previous[previous.length - 1];
    const retry = last && !already ? ` (attempt ${attempt}: ${last.name} ended ${last.status})` : '';
    io.stdout(`${already ? 'already started' : 'started'} ${name}${retry}\n  ${consoleLink(executionArn)}\n`);
  }
  let execution: DescribeExecutionCommandOutput | undefined;
  if (request.wait || already) {
    execution = request.wait
      ? await followExecution(sfn, executionArn, io, waitOptions, request.estimate)
      : await sfn.send(new DescribeExecutionCommand({ executionArn }));
  }
  const status = execution?.status ?? 'RUNNING';
  const produced = execution && status === 'SUCCEEDED' ? request.result?.(execution) : undefined;
  if (request.json) {
    io.stdout(
      `${JSON.stringify({ ...request.summary, executionName: name, executionArn, alreadyStarted: already, attempt, previousAttempts: previous, status, error: execution?.error ?? null, cause: execution?.cause ?? null, console: consoleLink(executionArn), ...(produced?.json ?? {}) })}\n`,
    );
  } else if (execution) {
    io.stdout(
      `${status}${execution.error ? `: ${execution.error}${execution.cause ? ` (${execution.cause})` : ''}` : ''}\n`,
    );
    for (const line of produced?.lines ?? []) io.stdout(`${line}\n`);
  }
  setExit(request.wait || (already && status !== 'RUNNING') ? (status === 'SUCCEEDED' ? 0 : 1) : 0);
}

/** Runs a command's action, turning usage and configuration errors into a message and exit code 2. */
export function guardUsage(
  io: CliIo,
  setExit: (code: number) => void,
  fn: () => Promise<void>,
): Promise<void> {
  return fn().catch((err: unknown) => {
    if (err instanceof UsageError || err instanceof ConfigError) {
      io.stderr(`${err.message}\n`);
      setExit(2);
      return;
    }
    throw err;
  });
}

export function registerWorkflowCommands(
  ctx: Parameters<RegisterCommands>[0],
  waitOptions: WaitOptions = defaultWait,
): void {
  const { program, io, setExit } = ctx;

  const run = async (
    workflow: (typeof STREAM_WORKFLOWS)[number],
    opts: CommonOptions & { window?: string; ticket?: string; wait?: boolean; requestedBy?: string },
  ) => {
    const action: WorkflowAction = workflow.cli.verb;
    const { config, cluster, stack } = resolve(opts);
    const now = new Date(waitOptions.now());
    const input = {
      clusterIdentifier: cluster.identifier,
      window: workflowWindow(opts.window),
      ...(opts.ticket !== undefined ? { changeTicket: opts.ticket } : {}),
      requestedBy: opts.requestedBy ?? process.env.USER ?? 'aurora-audit-cli',
    };
    // The plan Lambda's own validation, here, before any AWS call: a request it would refuse starts nothing
    // (and emails no FAILED notice to the alert topic).
    const checked = validateStreamRequest(input, streamRequestRulesOf(config), now, workflow.name);
    if (!checked.valid)
      throw new UsageError(`the ${action} workflow would refuse this request: ${checked.problem}`);
    const planned = await plannedStart(checked.request.window, config, cluster, now);
    const plan = `planned start: ${planned}`;
    const plannedAt = planned.startsWith('now') ? now : isoAtStart(planned);
    const outputs = await stackOutputs(new CloudFormationClient(awsClientConfig()), stack);
    const stateMachineArn = requireOutput(outputs, workflow.output, stack);
    const name = executionName(action, cluster.identifier, opts.ticket, now);
    await startExecution(ctx, waitOptions, {
      stateMachineArn,
      name,
      input,
      wait: opts.wait,
      json: opts.json,
      summary: { action, cluster: cluster.identifier, plannedStart: plan.replace('planned start: ', '') },
      retryFailed: true,
      plan,
      estimate: (snap) => streamEstimate(action, { ...snap, plannedStart: plannedAt }),
    });
  };

  const guard = (fn: () => Promise<void>) => guardUsage(io, setExit, fn);

  for (const workflow of STREAM_WORKFLOWS) {
    program
      .command(workflow.cli.verb)
      .description(workflow.cli.description)
      .requiredOption('--cluster <name>', 'cluster identifier (or resource id) from the configuration')
      .option('--window <when>', 'now, next (the next maintenance window) or START/END (ISO-8601)', 'next')
      .option('--ticket <id>', 'change ticket: also makes the execution name, so a retry finds the same run')
      .option('--requested-by <who>', 'who asked (default: $USER)')
      .option('--wait', 'follow the run until it ends; exit 0 only on success')
      .option('--json', 'print the result as JSON')
      .option('-c, --config <file>', 'configuration file (default: the embedded example)')
      .option('--stack <name>', 'deployed stack name (default: the configuration name)')
      .action(
        (opts: CommonOptions & { window?: string; ticket?: string; wait?: boolean; requestedBy?: string }) =>
          guard(() => run(workflow, opts)),
      );
  }

  program
    .command('status')
    .description(
      "Show a cluster's activity-stream status, its stream, the mapping to the decrypt Lambda and the last runs",
    )
    .requiredOption('--cluster <name>', 'cluster identifier (or resource id) from the configuration')
    .option('--json', 'print the status as JSON')
    .option('-c, --config <file>', 'configuration file (default: the embedded example)')
    .option('--stack <name>', 'deployed stack name (default: the configuration name)')
    .action((opts: CommonOptions, cmd: Command) =>
      guard(async () => {
        const { cluster, stack } = resolve(opts);
        const outputs = await stackOutputs(new CloudFormationClient(awsClientConfig()), stack);
        const { DBClusters } = await new RDSClient(awsClientConfig()).send(
          new DescribeDBClustersCommand({ DBClusterIdentifier: cluster.identifier }),
        );
        const db = DBClusters?.[0];
        const streamName = db?.ActivityStreamKinesisStreamName ?? null;
        let mapping: { uuid: string | null; state: string | null } | null = null;
        if (streamName) {
          const fn = requireOutput(outputs, OUTPUTS.decryptFunction, stack);
          const { EventSourceMappings } = await new LambdaClient(awsClientConfig()).send(
            new ListEventSourceMappingsCommand({ FunctionName: fn }),
          );
          const m = EventSourceMappings?.find((e) => e.EventSourceArn?.endsWith(`:stream/${streamName}`));
          mapping = m ? { uuid: m.UUID ?? null, state: m.State ?? null } : null;
        }
        const sfn = new SFNClient(awsClientConfig());
        const runs: { name: string; status: string; startDate: string | null }[] = [];
        for (const workflow of STREAM_WORKFLOWS) {
          const arn = outputs.get(workflow.output);
          if (!arn) continue;
          const { executions } = await sfn.send(
            new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 50 }),
          );
          for (const e of executions ?? []) {
            if (e.name?.includes(`-${cluster.identifier}-`)) {
              runs.push({
                name: e.name,
                status: e.status ?? 'UNKNOWN',
                startDate: e.startDate?.toISOString() ?? null,
              });
            }
          }
        }
        runs.sort((a, b) => (b.startDate ?? '').localeCompare(a.startDate ?? ''));
        const status = {
          cluster: cluster.identifier,
          resourceId: cluster.resourceId,
          clusterStatus: db?.Status ?? null,
          activityStream: {
            status: db?.ActivityStreamStatus ?? 'stopped',
            mode: db?.ActivityStreamMode ?? null,
            streamName,
          },
          mapping,
          lastRuns: runs.slice(0, 5),
        };
        if (opts.json) {
          io.stdout(`${JSON.stringify(status)}\n`);
        } else if (outputFormat(cmd) === 'text') {
          // AWS-CLI-style text: one tab-separated record per line, `None` for what is missing.
          io.stdout(
            [
              textRecord('CLUSTER', status.cluster, status.resourceId, status.clusterStatus),
              textRecord(
                'ACTIVITYSTREAM',
                status.activityStream.status,
                status.activityStream.mode,
                streamName,
              ),
              textRecord('MAPPING', mapping?.state, mapping?.uuid),
              ...status.lastRuns.map((r) => textRecord('RUN', r.startDate, r.status, r.name)),
            ].join(''),
          );
        } else {
          io.stdout(
            [
              `cluster         ${status.cluster} (${status.resourceId}), ${status.clusterStatus ?? 'not found'}`,
              `activity stream ${status.activityStream.status}${status.activityStream.mode ? `, ${status.activityStream.mode}` : ''}${streamName ? `, ${streamName}` : ''}`,
              `mapping         ${mapping ? `${mapping.state} (${mapping.uuid})` : streamName ? 'not connected' : '-'}`,
              'last runs',
              ...(runs.length
                ? status.lastRuns.map((r) => `  ${r.startDate ?? '?'}  ${r.status.padEnd(9)} ${r.name}`)
                : ['  none']),
            ].join('\n') + '\n',
          );
        }
        setExit(0);
      }),
    );
}

export const register: RegisterCommands = (ctx) => registerWorkflowCommands(ctx);
