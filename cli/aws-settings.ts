/**
 * How the CLI talks to AWS, as the AWS CLI does: `--profile` and `--region` (else the standard `AWS_*` variables,
 * the configuration's `deployment.region`, the profile's region), and every AWS error explained once, as what to
 * do. Light on purpose (no SDK import): `cli/main.ts` loads it at every start.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The global options of this run (set by `cli/main.ts` before the command's action). */
export interface AwsSettings {
  readonly profile?: string;
  readonly region?: string;
  /** The command's `--config` file (undefined: the embedded example), whose `deployment.region` is a default. */
  readonly configFile?: string;
  /** Where notes go (stderr). */
  readonly note: (text: string) => void;
  /** Notes meant for a person (the SDK's Node notice) only on a terminal. Default: stderr is a TTY. */
  readonly interactive?: boolean;
}

let settings: AwsSettings = { note: (t) => process.stderr.write(t) };
let resolved: { region?: string; source: string; configRegion?: string } | undefined;

export function configureAws(next: AwsSettings): void {
  settings = next;
  resolved = undefined;
  noticeChecked = false;
}

/** An error the user fixes in their set-up (profile, credentials, region, stack name): exit code 2. */
export class AwsSetupError extends Error {
  override readonly name = 'AwsSetupError';
}

/** AWS could not be reached (DNS, network): exit code 1, the operation failed. */
export class AwsUnreachableError extends Error {
  override readonly name = 'AwsUnreachableError';
}

/** The profile in use: `--profile`, else `AWS_PROFILE`, else none (the SDK's default chain). */
export function activeProfile(): string | undefined {
  return settings.profile ?? (process.env.AWS_PROFILE || undefined);
}

function awsFile(envName: string, name: string): string {
  return process.env[envName] || join(homedir(), '.aws', name);
}

/** The sections of an AWS ini file, by profile name (`[profile x]` in config, `[x]` in credentials). */
function iniProfiles(path: string, config: boolean): Map<string, Map<string, string>> {
  const profiles = new Map<string, Map<string, string>>();
  if (!existsSync(path)) return profiles;
  let current: Map<string, string> | undefined;
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const section = /^\s*\[\s*([^\]]+?)\s*\]\s*$/.exec(line);
    if (section?.[1]) {
      const name = section[1];
      const profile = config ? (name === 'default' ? name : /^profile\s+(.+)$/.exec(name)?.[1]) : name;
      current = profile === undefined ? undefined : (profiles.get(profile) ?? new Map());
      if (profile !== undefined && current) profiles.set(profile, current);
      continue;
    }
    const kv = /^\s*([A-Za-z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (kv?.[1] && current) current.set(kv[1], kv[2] ?? '');
  }
  return profiles;
}

function profileSettings(profile: string): Map<string, string> | undefined {
  const config = iniProfiles(awsFile('AWS_CONFIG_FILE', 'config'), true).get(profile);
  const credentials = iniProfiles(awsFile('AWS_SHARED_CREDENTIALS_FILE', 'credentials'), false).get(profile);
  if (!config && !credentials) return undefined;
  return new Map([...(credentials ?? []), ...(config ?? [])]);
}

/** The configuration's `deployment.region` (undefined when the file is unreadable: the command reports that). */
function configRegion(): string | undefined {
  try {
    const { loadConfig } = require('../infra/config/load') as typeof import('../infra/config/load');
    return loadConfig(settings.configFile).deployment?.region;
  } catch {
    return undefined;
  }
}

/**
 * The client configuration of this run: the profile (checked to exist) and the region by precedence. The first
 * call says once when the region differs from the configuration's, and limits the SDK's Node notice.
 */
export function awsClientConfig(): { region?: string; profile?: string } {
  limitNodeVersionNotice();
  const profile = activeProfile();
  if (profile !== undefined && !profileSettings(profile) && !process.env.AWS_ACCESS_KEY_ID) {
    throw new AwsSetupError(
      `profile ${profile} is not in ${awsFile('AWS_CONFIG_FILE', 'config').replace(homedir(), '~')}: ` +
        'check the name (aws configure list-profiles), or run `aws configure sso`',
    );
  }
  if (!resolved) {
    const fromConfig = configRegion();
    if (settings.region) resolved = { region: settings.region, source: '--region', configRegion: fromConfig };
    else if (process.env.AWS_REGION)
      resolved = { region: process.env.AWS_REGION, source: 'AWS_REGION', configRegion: fromConfig };
    else if (fromConfig)
      resolved = { region: fromConfig, source: 'the configuration', configRegion: fromConfig };
    else {
      const fromProfile = profileSettings(profile ?? 'default')?.get('region');
      resolved = { region: fromProfile, source: `profile ${profile ?? 'default'}`, configRegion: fromConfig };
    }
    if (resolved.region && resolved.configRegion && resolved.region !== resolved.configRegion) {
      settings.note(
        `region ${resolved.region} (from ${resolved.source}), not the configuration's ${resolved.configRegion}\n`,
      );
    }
  }
  return {
    ...(resolved.region ? { region: resolved.region } : {}),
    ...(profile !== undefined ? { profile } : {}),
  };
}

/** The region this run uses, when known (for messages). */
export function usedRegion(): string | undefined {
  return resolved?.region;
}

const SDK_NOTICE_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
let silencedHere = false;
let noticeChecked = false;

/** Turns the SDK's own notice off for this process (unless the user set the switch): every command. */
export function silenceSdkNodeNotice(): void {
  if (process.env[SDK_NOTICE_SWITCH] !== undefined) return;
  process.env[SDK_NOTICE_SWITCH] = 'true';
  silencedHere = true;
}

/**
 * The SDK prints an 8-line notice at every start on Node < 22 (`emitWarningIfUnsupportedVersion` in
 * @aws-sdk/core); `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true` is its documented switch. The CLI sets
 * it and says the same in one line on a terminal, once per user and Node major version (remembered in
 * ~/.cache/aurora-audit; scripts never see it). A user who sets the variable themselves decides.
 */
export function limitNodeVersionNotice(): void {
  silenceSdkNodeNotice();
  if (!silencedHere || noticeChecked) return;
  noticeChecked = true;
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22) return;
  const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'aurora-audit');
  const marker = join(dir, `node-${major}-sdk-notice`);
  if (existsSync(marker) || !(settings.interactive ?? process.stderr.isTTY === true)) return;
  settings.note(
    `note: AWS SDK releases from January 2027 need Node.js 22 or later; this is Node.js ${process.versions.node} (shown once)\n`,
  );
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(marker, `${new Date().toISOString()}\n`);
  } catch {
    // Not remembered (read-only home): shown again next time, still one line.
  }
}

/**
 * What to do about an AWS error, once, without a stack trace; undefined for an error that is not about the
 * set-up or the network (the command reports it its own way).
 */
export function explainAwsError(err: unknown): AwsSetupError | AwsUnreachableError | undefined {
  if (err instanceof AwsSetupError || err instanceof AwsUnreachableError) return err;
  if (!(err instanceof Error)) return undefined;
  const e = err as Error & { code?: string; hostname?: string; Code?: string };
  const profile = activeProfile();
  const where = usedRegion();
  if (e.name === 'CredentialsProviderError' || /Could not load credentials/.test(e.message)) {
    return new AwsSetupError(
      `no credentials: run \`aws sso login --profile ${profile ?? '<name>'}\` or set AWS_PROFILE`,
    );
  }
  if (
    /^(ExpiredToken|ExpiredTokenException|TokenRefreshRequired)$/.test(e.name) ||
    /SSO session .*expired/i.test(e.message)
  ) {
    return new AwsSetupError(`credentials expired: run \`aws sso login --profile ${profile ?? '<name>'}\``);
  }
  if (e.message === 'Region is missing' || /^Region is missing/.test(e.message)) {
    return new AwsSetupError(
      'no AWS region: give --region, set AWS_REGION, set deployment.region in the configuration, or a region in the profile',
    );
  }
  const stack = /Stack with id (\S+) does not exist/.exec(e.message);
  if (stack) {
    return new AwsSetupError(
      `stack ${stack[1]} is not in ${where ?? 'this region'}: deployed elsewhere? use --region (or --stack for another name)`,
    );
  }
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || e.code === 'ECONNREFUSED') {
    const host = e.hostname ?? /(?:ENOTFOUND|EAI_AGAIN)\s+(\S+)/.exec(e.message)?.[1] ?? 'the endpoint';
    return new AwsUnreachableError(
      `cannot reach ${host} (${e.code}): check the network, the region${where ? ` (${where})` : ''} and any AWS_ENDPOINT_URL_* variable`,
    );
  }
  return undefined;
}
