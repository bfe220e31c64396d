/**
 * The demo's output: one numbered line per phase with a few indented lines of counts, and for the workflows a
 * step list updated in place as the local harness enters states (`✓ Acquire lock  ⟳ Poll cluster ×3`). On a
 * terminal the list is redrawn; elsewhere (a pipe, a test) it is printed once, when the run ends.
 */
import type { ExecutionEvent } from '../local/stepfunctions/runner';

export interface DemoDisplay {
  /** `[n/total] title`. */
  phase(title: string): void;
  /** An indented detail line. */
  detail(text: string): void;
  /** A step list for a workflow run; `start` is the run's simulated start time. */
  workflow(start: string): WorkflowProgress;
}

export interface WorkflowProgress {
  /** For `LocalWorkflow.run`'s `onEvent`. */
  readonly onEvent: (event: ExecutionEvent, simulatedTime: string) => void;
  finish(status: string, summary: string): void;
}

/** State types shown in the step list (Choice and Pass states are the workflow's plumbing). */
const SHOWN = new Set(['Task', 'Wait', 'Map', 'Parallel', 'Succeed', 'Fail']);

interface Step {
  readonly name: string;
  readonly type: string;
  count: number;
  /** Simulated seconds spent in Wait states of this name. */
  waited: number;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function stepLine(step: Step, current: boolean, failed: boolean): string {
  const mark = failed ? '✗' : current ? '⟳' : '✓';
  const times = step.count > 1 ? ` ×${step.count}` : '';
  const waited = step.waited > 0 ? `  (simulated ${duration(step.waited)})` : '';
  return `${mark} ${step.name}${times}${waited}`;
}

export interface TextDisplayOptions {
  /** Redraw the step list in place (a terminal). */
  readonly interactive: boolean;
  readonly totalPhases: number;
}

export function textDisplay(write: (text: string) => void, options: TextDisplayOptions): DemoDisplay {
  let phase = 0;
  const indent = '      ';
  return {
    phase(title) {
      phase += 1;
      write(`[${phase}/${options.totalPhases}] ${title}\n`);
    },
    detail(text) {
      write(`${indent}${text}\n`);
    },
    workflow(start) {
      const steps: Step[] = [];
      let drawn = 0;
      const lines = (finished: boolean, failed: boolean) => {
        const out: string[] = [];
        let row = '';
        steps.forEach((step, i) => {
          const text = stepLine(step, !finished && i === steps.length - 1, failed && i === steps.length - 1);
          // A few steps per row, so that the list stays compact.
          if (row !== '' && row.length + text.length + 2 > 100) {
            out.push(row);
            row = '';
          }
          row = row === '' ? text : `${row}  ${text}`;
        });
        if (row !== '') out.push(row);
        return out;
      };
      const draw = (finished: boolean, failed: boolean) => {
        const now = lines(finished, failed);
        if (drawn > 0) write(`\x1b[${drawn}F\x1b[J`);
        write(now.map((l) => `${indent}${l}\n`).join(''));
        drawn = now.length;
      };
      let lastTime = Date.parse(start);
      return {
        onEvent(event, simulatedTime) {
          // The harness has already moved the clock past a Wait when its event arrives.
          const at = Date.parse(simulatedTime);
          const before = lastTime;
          lastTime = at;
          if (event.type !== 'StateEntered' || !event.state || !SHOWN.has(event.state.type)) return;
          const { name, type } = event.state;
          let step = steps.find((s) => s.name === name);
          if (step) step.count += 1;
          else {
            step = { name, type, count: 1, waited: 0 };
            steps.push(step);
          }
          if (type === 'Wait') step.waited += (at - before) / 1000;
          if (options.interactive) draw(false, false);
        },
        finish(status, summary) {
          if (options.interactive || steps.length > 0) draw(true, status !== 'SUCCEEDED');
          write(`${indent}${summary}\n`);
        },
      };
    },
  };
}
