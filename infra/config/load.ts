/**
 * Reads and validates the configuration. Errors name the field and the bad value, so that a wrong
 * configuration fails `cdk synth` with a message a person can act on.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { type AuroraAuditConfig, configSchema } from './schema';

/** The embedded example configuration (one cluster named `orders-db`), used when no file is given. */
export const EXAMPLE_CONFIG_PATH = resolve(__dirname, 'example.yaml');

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly origin: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid aurora-audit configuration (${origin}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** `clusters[0].resourceId` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(root)';
}

function valueAt(root: unknown, path: readonly PropertyKey[]): { value: unknown } {
  let current: unknown = root;
  for (const part of path) {
    if (current === null || typeof current !== 'object' || !(part in (current as object))) {
      return { value: undefined };
    }
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return { value: current };
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return `${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  }
  const { value } = valueAt(raw, issue.path);
  const message =
    issue.code === 'invalid_type'
      ? `must be ${issue.expected}`
      : issue.message.replace(/^Invalid input: /, '');
  if (value === undefined)
    return issue.code === 'invalid_type' ? `${where}: is required` : `${where}: ${message}`;
  const shown = JSON.stringify(value);
  return `${where}: ${message} (got ${shown === undefined ? String(value) : shown})`;
}

/** Validates an already-parsed document. */
export function validateConfig(raw: unknown, origin: string, baseDir?: string): AuroraAuditConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      origin,
      result.error.issues.map((issue) => describeIssue(issue, raw)),
    );
  }
  const config = result.data;
  let rulesFilePath: string | undefined;
  if (config.alerts.rulesFile !== undefined) {
    rulesFilePath = resolve(baseDir ?? process.cwd(), config.alerts.rulesFile);
    if (!existsSync(rulesFilePath)) {
      throw new ConfigError(origin, [
        `alerts.rulesFile: file not found (got ${JSON.stringify(config.alerts.rulesFile)}, looked at ${rulesFilePath})`,
      ]);
    }
  }
  return { ...config, rulesFilePath, origin };
}

/**
 * Loads the configuration from a YAML or JSON file; without a path, the embedded example.
 * @throws ConfigError when the file is missing, unreadable, not YAML/JSON, or invalid.
 */
export function loadConfig(path?: string): AuroraAuditConfig {
  const file = path ? resolve(path) : EXAMPLE_CONFIG_PATH;
  const origin = path ? file : `embedded example ${EXAMPLE_CONFIG_PATH}`;
  if (!existsSync(file)) throw new ConfigError(origin, [`file not found: ${file}`]);
  const text = readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(origin, [
      `not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    ]);
  }
  return validateConfig(raw, origin, dirname(file));
}

/** Whether a configuration is the embedded example (loaded without a path). */
export function isEmbeddedExample(config: { readonly origin: string }): boolean {
  return config.origin === `embedded example ${EXAMPLE_CONFIG_PATH}`;
}

/** Finds a configured cluster by identifier (name) or resource id. */
export function findCluster(config: AuroraAuditConfig, nameOrResourceId: string) {
  return config.clusters.find((c) => c.identifier === nameOrResourceId || c.resourceId === nameOrResourceId);
}
