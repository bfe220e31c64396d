/**
 * Which configuration `cdk synth`/`cdk deploy` use, from the CDK context (`-c config=path`). A missing
 * `config` means the embedded example (so that `npm run synth` works offline), which the app says on stderr
 * and which no deployment accepts (see `ExampleConfigurationGuard`); a context key that looks like a misspelt
 * `config` is an error, because it would otherwise silently select the example.
 */
import { ConfigError } from './load';

/** The context key naming the configuration file. */
export const CONFIG_CONTEXT_KEY = 'config';

export interface ConfigSelection {
  /** The configuration file, or undefined for the embedded example. */
  readonly path?: string;
  /** What to print on stderr (the embedded example is in use), if anything. */
  readonly notice?: string;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * Whether a context key looks like an attempt at `config` (`confg`, `Config`, `configuration`, `config-file`,
 * `cfg`, …). Feature flags and CDK's own keys (`@aws-cdk/…:…`, `aws:cdk:…`) all hold a colon and are never
 * taken for one.
 */
export function looksLikeConfigKey(key: string): boolean {
  if (key === CONFIG_CONTEXT_KEY || key.includes(':')) return false;
  const k = key.toLowerCase().replace(/[^a-z]/g, '');
  return (
    k === 'config' ||
    k.startsWith('conf') ||
    k.includes('config') ||
    k === 'cfg' ||
    (k.length >= 3 && distance(k, CONFIG_CONTEXT_KEY) <= 2)
  );
}

/**
 * The configuration the context selects.
 * @throws ConfigError when `config` is not a non-empty string, or another key looks like a misspelt `config`.
 */
export function selectConfig(context: Readonly<Record<string, unknown>>): ConfigSelection {
  const problems = Object.keys(context)
    .filter(looksLikeConfigKey)
    .map(
      (key) =>
        `context key ${JSON.stringify(key)} is not one aurora-audit reads: did you mean -c ${CONFIG_CONTEXT_KEY}=${String(context[key])}?`,
    );
  const value = context[CONFIG_CONTEXT_KEY];
  if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
    problems.push(
      `context key "${CONFIG_CONTEXT_KEY}" must name a configuration file (got ${JSON.stringify(value)})`,
    );
  }
  if (problems.length > 0) throw new ConfigError('CDK context (-c)', problems);
  if (typeof value === 'string') return { path: value };
  return {
    notice: [
      'aurora-audit: no -c config=<file> given, so this is the EMBEDDED EXAMPLE configuration',
      '(cluster orders-db, a placeholder KMS key, example.com recipients).',
      'Fine for trying `cdk synth`; `cdk deploy` of this template is refused by CloudFormation.',
      'To deploy: npx cdk deploy --all -c config=path/to/your.yaml',
    ].join('\n'),
  };
}
