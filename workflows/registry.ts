/**
 * The workflow registry: every workflow aurora-audit deploys, once. The stack writes each one's output and
 * dashboard row from it, the change-management rules and runbook take their actions from it, the plan Lambda
 * accepts the stream workflows' names from it, the CLI registers a command per stream workflow from it, and a
 * docs test checks that each one is documented. Adding a workflow: workflows/README.md.
 *
 * Pure data (no CDK): the plan Lambda and the CLI bundle it.
 */
import { OUTPUTS, type OutputName } from '../infra/outputs';

/** One workflow. */
export interface WorkflowEntry {
  /**
   * The workflow's name: its folder under `workflows/`, the `workflow` a stream run carries (plan Lambda, lock
   * item) and, with `changeTicket`, the change-ticket `action`.
   */
  readonly name: string;
  /**
   * `stream`: works on one cluster's activity stream with the stream-workflow kit (plan Lambda, per-cluster
   * lock); started per cluster from the CLI and change tickets. `report`: the scheduled compliance report.
   * `canary`: the scheduled audit canary (one schedule per expression and time zone, whose run starts one run
   * per listed cluster).
   */
  readonly kind: 'stream' | 'report' | 'canary';
  /**
   * Built only when the configuration asks for it (the canary: `clusters[].canary`); without it the stack has
   * no state machine, output or dashboard row for the workflow.
   * @default false (always built)
   */
  readonly optIn?: boolean;
  /** The workflow's name on the dashboard. */
  readonly title: string;
  /**
   * The CLI command that starts it and its one-line description (`cli/commands/workflows.ts` registers the stream
   * workflows' commands from here; the report's is `cli/commands/report.ts`, checked against this). Absent: no
   * command (the canary runs on its schedules; a run by hand is started with one cluster's input).
   */
  readonly cli?: { readonly verb: string; readonly description: string };
  /** The stack output holding the state machine's ARN (what the CLI reads). */
  readonly output: OutputName;
  /** Whether an approved change ticket starts it (EventBridge rule and Change Manager runbook action). */
  readonly changeTicket: boolean;
  /** Where its input, steps and errors are documented (a heading of that file). */
  readonly docs: { readonly file: string; readonly heading: string };
}

export const WORKFLOWS = [
  {
    name: 'enable-activity-stream',
    kind: 'stream',
    title: 'Enable activity stream',
    cli: {
      verb: 'enable',
      description:
        'Start the enablement workflow: activity streams on, in the maintenance window, stream connected',
    },
    output: OUTPUTS.enableWorkflow,
    changeTicket: true,
    docs: { file: 'docs/workflows.md', heading: 'Enablement workflow' },
  },
  {
    name: 'disable-activity-stream',
    kind: 'stream',
    title: 'Disable activity stream',
    cli: {
      verb: 'disable',
      description: 'Start the disable workflow: stream disconnected, activity streams off',
    },
    output: OUTPUTS.disableWorkflow,
    changeTicket: true,
    docs: { file: 'docs/workflows.md', heading: 'Disable workflow' },
  },
  {
    name: 'compliance-report',
    kind: 'report',
    title: 'Compliance report',
    cli: {
      verb: 'report',
      description: 'Start the compliance-report workflow for a period: queries, email via SES, archive',
    },
    output: OUTPUTS.reportWorkflow,
    changeTicket: false,
    docs: { file: 'docs/reports.md', heading: 'Report workflow' },
  },
  {
    name: 'canary',
    kind: 'canary',
    optIn: true,
    title: 'Audit canary',
    output: OUTPUTS.canaryWorkflow,
    changeTicket: false,
    docs: { file: 'docs/workflows.md', heading: 'Canary workflow' },
  },
] as const satisfies readonly WorkflowEntry[];

type Registered = (typeof WORKFLOWS)[number];
/** Every workflow's name. */
export type WorkflowName = Registered['name'];
/** The stream workflows' names (what the plan Lambda validates input for). */
export type StreamWorkflowName = Extract<Registered, { kind: 'stream' }>['name'];
/** The workflows built only when configured (their state machine may be absent). */
export type OptInWorkflowName = Extract<Registered, { optIn: true }>['name'];
/** The workflows every stack has. */
export type AlwaysBuiltWorkflowName = Exclude<WorkflowName, OptInWorkflowName>;
/** The workflows a change ticket starts (the ticket's `action`). */
export type ChangeAction = Extract<Registered, { changeTicket: true }>['name'];
/** A stream workflow's CLI verb (`enable`, `disable`). */
export type StreamWorkflowVerb = Extract<Registered, { kind: 'stream' }>['cli']['verb'];

/** The stream workflows, in registry order. */
export const STREAM_WORKFLOWS = WORKFLOWS.filter(
  (w): w is Extract<Registered, { kind: 'stream' }> => w.kind === 'stream',
);
export const STREAM_WORKFLOW_NAMES: readonly StreamWorkflowName[] = STREAM_WORKFLOWS.map((w) => w.name);
export const CHANGE_ACTIONS: readonly ChangeAction[] = WORKFLOWS.filter(
  (w): w is Extract<Registered, { changeTicket: true }> => w.changeTicket,
).map((w) => w.name);
