/**
 * What the Lambdas' settings modules share: environment variables holding JSON, and parsing the environment
 * against a schema into one error that names every bad variable (the cold start fails with it).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { en } from 'zod/locales';
import * as z from 'zod/mini';

/*
 * zod/mini, not zod: the same schemas and types (zod's core) as functions esbuild tree-shakes, about 25 KB in a
 * Lambda bundle where zod's classic API brought 445 KB to every bundle (measured with `npm run bench --
 * cold-start`). Its messages are zod's English ones (`z.config(en())`, which the classic API sets by itself). Import it
 * as a namespace in each module (`import * as z from 'zod/mini'`): a namespace passed on as a value (re-exported)
 * defeats the tree-shaking.
 */
z.config(en());

/** A variable holding JSON, validated by `schema` once parsed. */
export const jsonSetting = <T extends z.ZodMiniType>(schema: T) =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((s: string, ctx) => {
        try {
          return JSON.parse(s) as unknown;
        } catch {
          ctx.issues.push({ code: 'custom', message: 'must be JSON', input: s });
          return z.NEVER;
        }
      }),
    ),
    schema,
  );

/** A variable holding an integer in [`min`, `max`]. */
export const intSetting = (min: number, max?: number) =>
  z.coerce.number().check(z.int(), z.minimum(min), ...(max === undefined ? [] : [z.maximum(max)]));

/**
 * The environment a Lambda's construct sets, derived from the task's settings schema (one declaration: the
 * construct checks its values with `satisfies` at synth, the settings parser reads them at run time): every
 * variable of the schema, optional where the schema has a default or accepts absence, as a string (the
 * schema's own string type where it has one, e.g. an enum's values); each setting of `FileSettings` replaced
 * by its `<NAME>_FILE` variable (the file bundled beside the code); `AWS_REGION` left out (Lambda sets it).
 */
export type LambdaEnvironment<S extends z.ZodMiniType, FileSettings extends string = never> = {
  readonly [K in keyof Omit<z.input<S>, FileSettings | 'AWS_REGION'>]: EnvironmentValue<z.input<S>[K]>;
} & { readonly [K in FileSettings as `${K}_FILE`]: string };

/** A variable's value: the schema's string type, any string where the schema coerces (numbers, JSON). */
type EnvironmentValue<T> = [Exclude<T, undefined>] extends [string] ? Exclude<T, undefined> : string;

/** Settings that may come from a file bundled beside the handler (`infra/constructs/settings-files.ts`). */
export interface SettingsFiles {
  /** Settings whose value `<NAME>_FILE` may name a file for (`CLUSTERS` from `CLUSTERS_FILE`). */
  readonly settings: readonly string[];
  /** The directory a relative file name is resolved against: the handler's (the bundle's) directory. */
  readonly baseDir: string;
}

/**
 * `schema` applied to `env`; otherwise an `ErrorClass` saying `invalid <what> settings: VAR: problem; …`.
 * With `files`, a setting named there is read from the file its `<NAME>_FILE` variable names, once, when the
 * variable itself is unset (per-cluster data outgrows Lambda's 4 KB of environment).
 */
export function parseSettings<S extends z.ZodMiniType>(
  schema: S,
  env: NodeJS.ProcessEnv | Record<string, string | undefined>,
  what: string,
  ErrorClass: new (message: string) => Error,
  files?: SettingsFiles,
): z.output<S> {
  const values: Record<string, string | undefined> = { ...env };
  for (const setting of files?.settings ?? []) {
    const fileName = values[`${setting}_FILE`];
    if (values[setting] !== undefined || fileName === undefined || !files) continue;
    const file = resolve(files.baseDir, fileName);
    try {
      values[setting] = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new ErrorClass(`invalid ${what} settings: ${setting}_FILE: cannot read ${file} (${code})`);
    }
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ErrorClass(`invalid ${what} settings: ${problems.join('; ')}`);
  }
  return parsed.data;
}
