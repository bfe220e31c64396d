import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CfnResource, Stack, Stage, Token } from 'aws-cdk-lib';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct, IConstruct } from 'constructs';
import { LAMBDA_BUNDLE, rebuildCommand } from './lambda-bundle';

/**
 * Per-cluster settings a Lambda reads from a file bundled beside its code instead of an environment variable
 * (Lambda allows 4 KB of environment in all; a fleet's cluster list outgrows it). The variable `<NAME>_FILE`
 * names the file (a scalar); the settings parser reads the file once at cold start as the value of `<NAME>`
 * (`tasks/shared/settings.ts`).
 */
export interface SettingsFile<Setting extends string = string> {
  /**
   * The setting the file holds (`CLUSTERS`, one of the task's declared file settings); the environment names the
   * file in `<setting>_FILE`.
   */
  readonly setting: Setting;
  /** The file name in the bundle (`clusters.json`). */
  readonly fileName: string;
  /** Where the file was written at synth (in the cloud assembly): bundling copies it, local runs read it. */
  readonly localPath: string;
}

/**
 * Writes `content` (no CDK tokens: the file is not part of the template) into the cloud assembly at synth,
 * content-addressed, for `bundlingWithFiles` to copy beside the bundled handler.
 */
export function writeSettingsFile<Setting extends string>(
  scope: Construct,
  setting: Setting,
  fileName: string,
  content: string,
): SettingsFile<Setting> {
  return { setting, fileName, localPath: writeBundledFile(scope, setting, fileName, content) };
}

/**
 * Writes `content` (`what` names it in errors) into the cloud assembly at synth, content-addressed, and returns
 * its path there, for `bundlingWithFiles` to copy beside a bundled handler as `fileName`.
 */
export function writeBundledFile(scope: Construct, what: string, fileName: string, content: string): string {
  if (Token.isUnresolved(content))
    throw new Error(`writeSettingsFile: ${what} holds CDK tokens, which a bundled file cannot resolve`);
  const outdir = Stage.of(scope)?.outdir;
  if (!outdir) throw new Error(`writeSettingsFile: ${what} needs a Stage (App) to write into`);
  const dir = path.join(outdir, 'aurora-audit-settings');
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 16);
  const localPath = path.join(dir, `${hash}-${fileName}`);
  writeFileSync(localPath, content);
  return localPath;
}

/** The environment variables naming the files (`CLUSTERS_FILE: clusters.json`). */
export function settingsFileEnvironment<Setting extends string>(
  files: readonly SettingsFile<Setting>[],
): Record<`${Setting}_FILE`, string> {
  return Object.fromEntries(files.map((f) => [`${f.setting}_FILE`, f.fileName])) as Record<
    `${Setting}_FILE`,
    string
  >;
}

export { LAMBDA_BUNDLE } from './lambda-bundle';

/**
 * How aurora-audit bundles a Lambda (local esbuild, no Docker): {@link LAMBDA_BUNDLE}, the AWS SDK bundled too
 * (the versions tested are the versions deployed), the bundle rebuilt with esbuild's API and its plugin
 * (`rebuildCommand`, infra/constructs/lambda-bundle.ts: CDK runs the esbuild command line, which takes no
 * plugins), and `files` (source path → name in the bundle) copied beside the code.
 */
export function bundlingWithFiles(
  entry: string,
  files: readonly { source: string; name: string }[],
): nodejs.BundlingOptions {
  return {
    minify: LAMBDA_BUNDLE.minify,
    sourceMap: true,
    sourcesContent: LAMBDA_BUNDLE.sourcesContent,
    target: LAMBDA_BUNDLE.target,
    ...(LAMBDA_BUNDLE.mainFields ? { mainFields: [...LAMBDA_BUNDLE.mainFields] } : {}),
    define: { ...LAMBDA_BUNDLE.define },
    externalModules: [],
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_input: string, outputDir: string) => [
        rebuildCommand(entry, outputDir),
        ...files.map((f) => `cp "${f.source}" "${path.join(outputDir, f.name)}"`),
      ],
    },
  };
}

/** `bundlingWithFiles` for settings files. */
export const settingsFileSources = (files: readonly SettingsFile[]) =>
  files.map((f) => ({ source: f.localPath, name: f.fileName }));

const registered = new WeakMap<IConstruct, readonly SettingsFile[]>();

/** Records which settings files a function is bundled with (for `localSettingsFiles`). */
export function registerSettingsFiles(fn: IConstruct, files: readonly SettingsFile[]): void {
  registered.set(fn, files);
}

/**
 * The settings files of every function in `stack`, by the function's logical id: the harness, the demo and
 * tests run the handlers with the deployed environment, the file variables pointed at these synth-time copies
 * (as they point RULES_FILE at the source rules).
 */
export function localSettingsFiles(stack: Stack): Record<string, readonly SettingsFile[]> {
  const out: Record<string, readonly SettingsFile[]> = {};
  for (const c of stack.node.findAll()) {
    const files = registered.get(c);
    const resource = c.node.defaultChild;
    if (files && resource instanceof CfnResource) out[Stack.of(c).getLogicalId(resource)] = files;
  }
  return out;
}
