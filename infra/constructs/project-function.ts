/**
 * The one way aurora-audit builds a Lambda function: every project Lambda (decrypt, alert, plan, report and the
 * PostgreSQL log-retention provider) is made by {@link projectFunction}, which owns what they share: the
 * runtime and architecture, the bundling (local esbuild, the settings files and other files copied beside the
 * code), the log group with its retention, the role (its own log group only; the caller adds the rest), tracing,
 * the standard alarms (read by `AuditMonitoring`) and the typed environment (the task's settings declaration,
 * `tasks/<task>/settings.ts`, checked with `satisfies` at the call site and parsed by the same declaration at
 * run time).
 *
 * It is a factory that creates the log group, the role and the function as children of the caller's scope, with
 * the caller's construct ids: the logical ids (and so the function's ARN, which the event source mappings the
 * enablement workflow created point at) are the ones these resources had before there was a shared factory
 * (test/infra/stacks/logical-ids.test.ts).
 */
import * as path from 'node:path';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct, IConstruct } from 'constructs';
import { COMPILED_RULES_FILE } from '../../tasks/core/alerts/rule-set';
import { compiledRulesText } from '../../tasks/core/alerts/rules';
import {
  bundlingWithFiles,
  registerSettingsFiles,
  type SettingsFile,
  settingsFileSources,
  writeBundledFile,
} from './settings-files';

/** The newest Node.js LTS runtime aws-cdk-lib offers; every aurora-audit Lambda uses it. */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** Graviton: cheaper per GB-second than x86 for the same work (the bundles hold no native code). */
export const LAMBDA_ARCHITECTURE = lambda.Architecture.ARM_64;

const ROOT = path.join(__dirname, '..', '..');

/**
 * The `NODE_OPTIONS` of every project Lambda: none. Not `--enable-source-maps`: measured by `npm run bench --
 * cold-start` (docs/security-and-operations.md, "Cold start and source maps"), it slows every cold start and
 * makes the first error's stack cost hundreds of milliseconds, where without it the stack costs under 10 ms.
 */
export const LAMBDA_NODE_OPTIONS = '';

/**
 * The alert rules file compiled at synth for the bundle (`rules.json`, the functions' `RULES_FILE`): validated
 * here (an invalid file fails synth with `InvalidRulesError`, naming the rule and the field) and written into
 * the cloud assembly, so the Lambdas read JSON without the YAML parser or the schema.
 */
function compiledRulesFile(scope: Construct, rulesFile: string): { source: string; name: string } {
  const content = compiledRulesText(rulesFile);
  return {
    source: writeBundledFile(scope, 'rules', COMPILED_RULES_FILE, content),
    name: COMPILED_RULES_FILE,
  };
}

/** How loud an alarm is (cdk-monitoring-constructs' alarm severities). */
export type AlarmSeverity = 'Critical' | 'Warning';

/** The standard alarms of a project Lambda, raised by `AuditMonitoring` on the ops topic. */
export interface ProjectFunctionAlarms {
  /**
   * An invocation failed (fault count above 0).
   * @default no alarm
   */
  readonly errors?: AlarmSeverity;
  /**
   * An invocation was throttled.
   * @default no alarm
   */
  readonly throttles?: AlarmSeverity;
}

/** The construct ids of the resources, in the caller's scope (they decide the logical ids). */
export interface ProjectFunctionIds {
  readonly function: string;
  readonly logGroup: string;
  readonly role: string;
}

export interface ProjectFunctionProps<E extends Readonly<Record<string, string>>> {
  readonly ids: ProjectFunctionIds;
  /** The handler source, relative to the repository root (`tasks/alert/handler.ts`); its export `handler`. */
  readonly entry: string;
  readonly description: string;
  /** The role's description: what the function may do. */
  readonly roleDescription: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** Retention of the function's log group (kept when the stack is deleted). */
  readonly logRetention: logs.RetentionDays;
  /** The Powertools service name (`POWERTOOLS_SERVICE_NAME`), e.g. `aurora-audit-alert`. */
  readonly serviceName: string;
  /**
   * The task's settings, as its settings module declares them (`tasks/<task>/settings.ts`): write it
   * `{ … } satisfies <Task>LambdaEnvironment`. Powertools' variables (and `NODE_OPTIONS` when {@link LAMBDA_NODE_OPTIONS} sets any) are added here.
   */
  readonly environment: E;
  /**
   * Per-cluster settings bundled beside the code (their `<NAME>_FILE` variables belong in `environment`).
   * @default none
   */
  readonly settingsFiles?: readonly SettingsFile[];
  /**
   * The alert rules file (YAML), compiled at synth and bundled as `rules.json` (`RULES_FILE` in `environment`).
   * @default none
   */
  readonly rulesFile?: string;
  /**
   * Shell commands that copy more files beside the bundle (given the bundle's directory), run before the
   * settings files are copied.
   * @default none
   */
  readonly copyCommands?: (outputDir: string) => readonly string[];
  readonly alarms: ProjectFunctionAlarms;
  /**
   * Retries of a failed asynchronous invocation.
   * @default Lambda's default (2)
   */
  readonly retryAttempts?: number;
  /**
   * Where a failed asynchronous invocation goes.
   * @default none
   */
  readonly onFailure?: lambda.IDestination;
}

/** A project Lambda: the function, its log group and role, and its standard alarms. */
export interface ProjectFunction {
  readonly function: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;
  readonly alarms: ProjectFunctionAlarms;
  readonly settingsFiles: readonly SettingsFile[];
}

/**
 * Creates a project Lambda in `scope`: its log group (retained), its role (allowed to write that log group
 * only: add the function's own permissions to `role`), and the function (runtime {@link LAMBDA_RUNTIME}, arm64,
 * bundled with its settings files, no active X-Ray tracing: the state machines that invoke the plan and report
 * Lambdas trace the runs, and the stream Lambdas' invocations come from Kinesis and CloudWatch Logs).
 */
export function projectFunction<E extends Readonly<Record<string, string>>>(
  scope: Construct,
  props: ProjectFunctionProps<E>,
): ProjectFunction {
  const settingsFiles = props.settingsFiles ?? [];
  const logGroup = new logs.LogGroup(scope, props.ids.logGroup, {
    retention: props.logRetention,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const role = new iam.Role(scope, props.ids.role, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  const fn = new nodejs.NodejsFunction(scope, props.ids.function, {
    entry: path.join(ROOT, props.entry),
    handler: 'handler',
    runtime: LAMBDA_RUNTIME,
    architecture: LAMBDA_ARCHITECTURE,
    memorySize: props.memorySize,
    timeout: props.timeout,
    role,
    logGroup,
    // No active tracing (`tracing` left unset: Lambda's PassThrough): see the function comment.
    description: props.description,
    depsLockFilePath: path.join(ROOT, 'package-lock.json'),
    // Only when given: CDK records the props passed in the template's metadata, so an unset one stays unset.
    ...(props.retryAttempts !== undefined ? { retryAttempts: props.retryAttempts } : {}),
    ...(props.onFailure ? { onFailure: props.onFailure } : {}),
    bundling: bundling(scope, props, settingsFiles),
    environment: {
      ...props.environment,
      POWERTOOLS_SERVICE_NAME: props.serviceName,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...(LAMBDA_NODE_OPTIONS ? { NODE_OPTIONS: LAMBDA_NODE_OPTIONS } : {}),
    },
  });
  registerSettingsFiles(fn, settingsFiles);
  built.add(fn);
  return { function: fn, logGroup, role, alarms: props.alarms, settingsFiles };
}

const built = new WeakSet<IConstruct>();

/**
 * Whether `construct` is a function {@link projectFunction} built (test/architecture.test.ts: every Lambda
 * function in the template is one, or a provider CDK itself adds for a custom resource).
 */
export function isProjectFunction(construct: IConstruct): boolean {
  return built.has(construct);
}

function bundling<E extends Readonly<Record<string, string>>>(
  scope: Construct,
  props: ProjectFunctionProps<E>,
  settingsFiles: readonly SettingsFile[],
): nodejs.BundlingOptions {
  const files = [
    ...(props.rulesFile ? [compiledRulesFile(scope, props.rulesFile)] : []),
    ...settingsFileSources(settingsFiles),
  ];
  const base = bundlingWithFiles(props.entry, files);
  const copyCommands = props.copyCommands;
  if (!copyCommands) return base;
  return {
    ...base,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir: string, outputDir: string) => [
        ...copyCommands(outputDir),
        ...(base.commandHooks?.afterBundling(inputDir, outputDir) ?? []),
      ],
    },
  };
}
