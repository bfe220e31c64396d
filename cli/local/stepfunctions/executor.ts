/**
 * `aws-local-stepfunctions` 3.0, with one correction of how it matches errors.
 *
 * The executor lets `States.ALL` (and `States.TaskFailed`) catch and retry every error but `States.Runtime`.
 * In AWS, `States.DataLimitExceeded` (a connector's or a state's output, or a state's input after
 * Parameters, larger than the payload quota) is a terminal error that `States.ALL` does not catch either
 * (Step Functions Developer Guide, "Handling errors in Step Functions workflows": "States.ALL … can't catch
 * the States.DataLimitExceeded terminal error"); a Catch or Retry that names it does. Here a Catch or
 * Retry matches such an error only when its `ErrorEquals` names it, so a run reaches the same states as in
 * AWS: an iteration failing with it is not caught by the iteration's `States.ALL` Catch, the Map fails with
 * it as a whole, and only a Catch of the Map that names it handles it.
 *
 * The package does not export its state executor: its CommonJS build is evaluated here with the class added
 * to its exports (in this realm, with this module's `require` for its dependencies), and the class's
 * `catchError` and `shouldRetry` are wrapped. A new version of the package that no longer has the class
 * fails loudly here rather than silently matching the old way.
 */
import { readFileSync } from 'node:fs';

/** Errors that only a Catch or Retry naming them matches (never `States.ALL`, never `States.TaskFailed`). */
export const TERMINAL_ERRORS: ReadonlySet<string> = new Set(['States.DataLimitExceeded']);

type Package = typeof import('aws-local-stepfunctions', { with: { 'resolution-mode': 'import' }});
export type LocalStepFunctions = Package;

interface Handler {
  readonly ErrorEquals: readonly string[];
}
interface StateExecutorLike {
  readonly stateDefinition: Record<string, unknown>;
}
type Matcher = (this: StateExecutorLike, error: unknown, ...rest: unknown[]) => unknown;

const CLASS = 'var StateExecutor = class';

function load(): LocalStepFunctions {
  const file = require.resolve('aws-local-stepfunctions');
  const source = readFileSync(file, 'utf8');
  if (!source.includes(CLASS)) {
    throw new Error(
      `${file}: no "${CLASS}" to patch (was aws-local-stepfunctions upgraded? see cli/local/stepfunctions/executor.ts)`,
    );
  }
  const mod = { exports: {} as Record<string, unknown> };
  // The build is esbuild's CommonJS output (it starts with "use strict"): run it as Node would, once.
  new Function(
    'module',
    'exports',
    'require',
    '__filename',
    `${source}\n;module.exports.__StateExecutor = StateExecutor;`,
  )(mod, mod.exports, require, file);
  const executor = mod.exports.__StateExecutor as { prototype: Record<string, Matcher> } | undefined;
  if (!executor?.prototype.catchError || !executor.prototype.shouldRetry) {
    throw new Error(`${file}: StateExecutor has no catchError/shouldRetry to patch`);
  }
  for (const [method, field] of [
    ['catchError', 'Catch'],
    ['shouldRetry', 'Retry'],
  ] as const) {
    const original = executor.prototype[method] as Matcher;
    executor.prototype[method] = function (this: StateExecutorLike, error: unknown, ...rest: unknown[]) {
      const name = (error as { name?: unknown } | null)?.name;
      const handlers = this.stateDefinition[field] as readonly Handler[] | undefined;
      if (typeof name !== 'string' || !TERMINAL_ERRORS.has(name) || !handlers) {
        return original.call(this, error, ...rest);
      }
      // The same executor (its retry counters, its name) seeing only the handlers that name the error; the
      // others keep their place (empty ErrorEquals), so the index the executor reports is the real one.
      const view = Object.create(this, {
        stateDefinition: {
          value: {
            ...this.stateDefinition,
            [field]: handlers.map((h) => (h.ErrorEquals.includes(name) ? h : { ...h, ErrorEquals: [] })),
          },
        },
      }) as StateExecutorLike;
      return original.call(view, error, ...rest);
    };
  }
  return mod.exports as unknown as LocalStepFunctions;
}

let loaded: LocalStepFunctions | undefined;

/** The package's exports, its error matching corrected (loaded once per process). */
export function localStepFunctions(): LocalStepFunctions {
  loaded ??= load();
  return loaded;
}
