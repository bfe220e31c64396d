/**
 * Static checks on a rendered definition, shared by the workflows' definition tests: every Task retries
 * throttling and catches every error into a path that reaches the failure notification.
 */
import type { AslDefinition, AslState } from './template';

export function successors(state: AslState): string[] {
  return [
    ...(state.Next ? [state.Next] : []),
    ...(state.Default ? [state.Default] : []),
    ...(state.Choices ?? []).map((c) => c.Next),
    ...(state.Catch ?? []).map((c) => c.Next),
  ];
}

/** The states reachable from `start` through Next, Default, Choices and Catch. */
export function reachableFrom(definition: AslDefinition, start: string): Set<string> {
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const state = definition.States[name];
    if (state) queue.push(...successors(state));
  }
  return seen;
}

export interface TaskCheckOptions {
  /** Error names that count as throttling (e.g. `ALL_THROTTLING_ERRORS`). */
  readonly throttlingErrors: readonly string[];
  /** The failure notification state every Catch must lead to. */
  readonly notifyFailure: string;
  /** Where the notification's own Catch must lead (the final Fail state). */
  readonly failed: string;
}

/**
 * What is wrong with the Task states: each must retry at least one throttling error, catch `States.ALL`, and
 * every Catch must reach the failure notification (the notification's own Catch must reach `failed`).
 */
export function taskProblems(definition: AslDefinition, options: TaskCheckOptions): string[] {
  const problems: string[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
    if (!retried.some((e) => options.throttlingErrors.includes(e)))
      problems.push(`${name}: no Retry for throttling`);
    const catchers = state.Catch ?? [];
    if (!catchers.some((c) => c.ErrorEquals.includes('States.ALL')))
      problems.push(`${name}: no Catch of States.ALL`);
    const target = name === options.notifyFailure ? options.failed : options.notifyFailure;
    for (const c of catchers) {
      if (!reachableFrom(definition, c.Next).has(target)) {
        problems.push(`${name}: Catch ${c.ErrorEquals.join(',')} → ${c.Next} never reaches ${target}`);
      }
    }
  }
  return problems;
}
