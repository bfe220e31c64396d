/**
 * Validation of the enable and disable workflows' input, and the normalized request the state machine works
 * with. Every problem names its field; all problems are reported at once. A pure function of the input, the
 * few rules of the configuration it needs ({@link StreamRequestRules}) and the clock: the plan Lambda passes
 * its settings (`streamRequestRules`), anything else (the CLI, a test) passes the configuration's values.
 *
 * Input (docs/workflows.md, "Enablement workflow" and "Disable workflow"):
 * `{"clusterIdentifier": "orders-db", "window": "now" | "next" | {"start": ISO, "end": ISO},
 *   "mode": "async" | "sync", "changeTicket": "CHG-1", "requestedBy": "alice"}`; `mode` is the enablement's
 * only (the disable workflow refuses it).
 */

import { STREAM_WORKFLOW_NAMES, type StreamWorkflowName } from '../../workflows/registry';
import { REQUEST_TEXT } from '../core/identifiers';
import { parseTimestamp, WindowPlanningError, type WindowRequest } from '../core/maintenance-window';
import type { PlannedCluster, PlanSettings } from './settings';

export const INPUT_FIELDS = ['clusterIdentifier', 'window', 'mode', 'changeTicket', 'requestedBy'] as const;
/** The workflows whose input this validates. */
export type StreamWorkflow = StreamWorkflowName;
export const STREAM_WORKFLOWS: readonly StreamWorkflow[] = STREAM_WORKFLOW_NAMES;

/** The fields a workflow's input may have. */
export function inputFields(workflow: StreamWorkflow): readonly string[] {
  const fields =
    workflow === 'enable-activity-stream' ? INPUT_FIELDS : INPUT_FIELDS.filter((f) => f !== 'mode');
  // A change-ticket event's detail arrives as it is, with the action that chose this workflow.
  return [...fields, 'action'];
}
const TEXT_FIELD = REQUEST_TEXT;
/** Longest cluster name shown in an email subject (SNS subjects are at most 100 characters). */
const DISPLAY_NAME_MAX = 40;

/** What of the configuration the validation needs. */
export interface StreamRequestRules {
  /** The configured clusters: a request must name one of them. */
  readonly clusters: readonly PlannedCluster[];
  /** `maintenanceWindow.policy`: `immediate` turns `next` (and no window) into `now`. */
  readonly windowPolicy: PlanSettings['WINDOW_POLICY'];
  /** `maintenanceWindow.allowImmediate`: whether the input may ask for `now`. */
  readonly allowImmediate: boolean;
  /** Minimum minutes left in a given window to start in it. */
  readonly minMinutesLeft: number;
  /** The latest window start accepted, in seconds from now. */
  readonly maxWaitSeconds: number;
  /** How long a lock is valid, in seconds. */
  readonly lockTtlSeconds: number;
}

/** The rules of the plan Lambda's settings. */
export function streamRequestRules(settings: PlanSettings): StreamRequestRules {
  return {
    clusters: settings.CLUSTERS,
    windowPolicy: settings.WINDOW_POLICY,
    allowImmediate: settings.ALLOW_IMMEDIATE,
    minMinutesLeft: settings.MIN_MINUTES_LEFT,
    maxWaitSeconds: settings.MAX_WAIT_SECONDS,
    lockTtlSeconds: settings.LOCK_TTL_SECONDS,
  };
}

/** The request as the state machine uses it: every field present, every value a string. */
export interface StreamRequest {
  /** The workflow the request is for (written into the lock item). */
  readonly workflow: StreamWorkflow;
  readonly clusterIdentifier: string;
  /** The identifier for subjects and messages (at most 40 characters). */
  readonly displayName: string;
  readonly clusterResourceId: string;
  readonly kmsKeyId: string;
  readonly streamArn: string;
  readonly window: WindowRequest;
  readonly mode: 'async' | 'sync';
  readonly changeTicket: string;
  readonly requestedBy: string;
}

export interface ValidationResult {
  readonly valid: boolean;
  /** `field: problem; field: problem`, empty when valid. */
  readonly problem: string;
  /**
   * When invalid, the display fields are still set (to what was given, or `(none)`), so that the failure
   * notification can name the request; the other fields are empty strings.
   */
  readonly request: StreamRequest;
  /** Lock timing, epoch seconds as strings (DynamoDB numbers). */
  readonly lock: { readonly now: string; readonly expiresAt: string };
}

const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

function displayText(v: unknown): string {
  return typeof v === 'string' && TEXT_FIELD.test(v) ? v : '(none)';
}

function displayName(identifier: unknown): string {
  if (typeof identifier !== 'string' || identifier === '') return '(none)';
  const clean = identifier.replace(/[^A-Za-z0-9-]/g, '?');
  return clean.length > DISPLAY_NAME_MAX ? `${clean.slice(0, DISPLAY_NAME_MAX - 1)}…` : clean;
}

/** Validates the execution input against the configuration's rules and the clock. */
export function validateStreamRequest(
  input: unknown,
  rules: StreamRequestRules,
  now: Date,
  workflow: StreamWorkflow = 'enable-activity-stream',
): ValidationResult {
  const known = inputFields(workflow);
  const problems: string[] = [];
  const lock = {
    now: String(Math.floor(now.getTime() / 1000)),
    expiresAt: String(Math.floor(now.getTime() / 1000) + rules.lockTtlSeconds),
  };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      valid: false,
      problem: `input: must be a JSON object with clusterIdentifier (got ${show(input)})`,
      request: emptyRequest(workflow, undefined, undefined, undefined),
      lock,
    };
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      problems.push(`${key}: is not a known field (known: ${known.join(', ')})`);
    }
  }

  let cluster: PlannedCluster | undefined;
  if (typeof raw.clusterIdentifier !== 'string' || raw.clusterIdentifier === '') {
    problems.push(
      `clusterIdentifier: is required, a DB cluster identifier (got ${show(raw.clusterIdentifier)})`,
    );
  } else {
    cluster = rules.clusters.find((c) => c.identifier === raw.clusterIdentifier);
    if (!cluster) {
      problems.push(
        `clusterIdentifier: ${show(raw.clusterIdentifier)} is not a configured cluster (configured: ${rules.clusters.map((c) => c.identifier).join(', ')})`,
      );
    }
  }

  let window: WindowRequest = { kind: rules.windowPolicy === 'immediate' ? 'now' : 'next' };
  const w = raw.window;
  if (w === 'now') {
    if (!rules.allowImmediate) {
      problems.push(
        'window: "now" is not allowed by the configuration (maintenanceWindow.allowImmediate is false)',
      );
    }
    window = { kind: 'now' };
  } else if (w === 'next') {
    window = { kind: rules.windowPolicy === 'immediate' ? 'now' : 'next' };
  } else if (typeof w === 'object' && w !== null && !Array.isArray(w)) {
    const range = w as Record<string, unknown>;
    for (const key of Object.keys(range)) {
      if (key !== 'start' && key !== 'end')
        problems.push(`window.${key}: is not a known field (known: start, end)`);
    }
    const before = problems.length;
    let start: Date | undefined;
    let end: Date | undefined;
    for (const [field, value] of [
      ['window.start', range.start],
      ['window.end', range.end],
    ] as const) {
      try {
        const parsed = parseTimestamp(value, field);
        if (field === 'window.start') start = parsed;
        else end = parsed;
      } catch (err) {
        if (err instanceof WindowPlanningError) problems.push(err.message);
        else throw err;
      }
    }
    if (start && end) {
      const minMs = rules.minMinutesLeft * 60_000;
      if (start.getTime() >= end.getTime()) {
        problems.push(
          `window.end: must be after window.start (got ${String(range.start)} to ${String(range.end)})`,
        );
      } else if (end.getTime() - Math.max(start.getTime(), now.getTime()) < minMs) {
        problems.push(
          end.getTime() <= now.getTime()
            ? `window.end: is in the past (${String(range.end)}; now ${now.toISOString()})`
            : `window.end: leaves less than the ${rules.minMinutesLeft} min required in the window`,
        );
      } else if ((start.getTime() - now.getTime()) / 1000 > rules.maxWaitSeconds) {
        problems.push(
          `window.start: is more than ${Math.floor(rules.maxWaitSeconds / 3600)} h ahead, beyond the workflow's limit`,
        );
      }
    }
    if (problems.length === before)
      window = { kind: 'range', start: range.start as string, end: range.end as string };
  } else if (w !== undefined) {
    problems.push(`window: must be "now", "next" or {"start": ISO, "end": ISO} (got ${show(w)})`);
  }

  if (raw.action !== undefined && raw.action !== workflow) {
    problems.push(`action: must be ${JSON.stringify(workflow)} for this workflow (got ${show(raw.action)})`);
  }

  let mode: 'async' | 'sync' = 'async';
  if (!known.includes('mode')) {
    // Reported above as an unknown field.
  } else if (raw.mode === 'sync' || raw.mode === 'async') mode = raw.mode;
  else if (raw.mode !== undefined) problems.push(`mode: must be "async" or "sync" (got ${show(raw.mode)})`);

  for (const field of ['changeTicket', 'requestedBy'] as const) {
    const v = raw[field];
    if (v !== undefined && (typeof v !== 'string' || !TEXT_FIELD.test(v))) {
      problems.push(`${field}: must be 1-128 letters, digits, spaces or ._@:/+#()- (got ${show(v)})`);
    }
  }

  if (problems.length > 0 || !cluster) {
    return {
      valid: false,
      problem: problems.join('; '),
      request: emptyRequest(workflow, raw.clusterIdentifier, raw.changeTicket, raw.requestedBy),
      lock,
    };
  }
  return {
    valid: true,
    problem: '',
    request: {
      workflow,
      clusterIdentifier: cluster.identifier,
      displayName: displayName(cluster.identifier),
      clusterResourceId: cluster.resourceId,
      kmsKeyId: cluster.activityStreamKmsKeyArn,
      streamArn: cluster.streamArn,
      window,
      mode,
      changeTicket: typeof raw.changeTicket === 'string' ? raw.changeTicket : '(none)',
      requestedBy: typeof raw.requestedBy === 'string' ? raw.requestedBy : '(none)',
    },
    lock,
  };
}

function emptyRequest(
  workflow: StreamWorkflow,
  identifier: unknown,
  ticket: unknown,
  requester: unknown,
): StreamRequest {
  return {
    workflow,
    clusterIdentifier: '',
    displayName: displayName(identifier),
    clusterResourceId: '',
    kmsKeyId: '',
    streamArn: '',
    window: { kind: 'now' },
    mode: 'async',
    changeTicket: displayText(ticket),
    requestedBy: displayText(requester),
  };
}
