/**
 * What the Lambdas' settings modules share: environment variables holding JSON, and parsing the environment
 * against a schema into one error that names every bad variable (the cold start fails with it).
 */
import { z } from 'zod';

/** A variable holding JSON, validated by `schema` once parsed. */
export const jsonSetting = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

/**
 * `schema` applied to `env`; otherwise an `ErrorClass` saying `invalid <what> settings: VAR: problem; …`.
 */
export function parseSettings<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv | Record<string, string | undefined>,
  what: string,
  ErrorClass: new (message: string) => Error,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ErrorClass(`invalid ${what} settings: ${problems.join('; ')}`);
  }
  return parsed.data;
}
