/**
 * The stream-workflow kit: what the activity-stream workflows (enable, disable, and any later one that works
 * on a cluster's activity stream) share, owned by none of them. The plan Lambda validates every stream
 * workflow's input and plans its maintenance window with one configuration; the lock table keeps one run per
 * cluster across all of them; the timeout and deadline match the windows the plan Lambda accepts.
 */
import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type ProjectFunction, projectFunction } from '../../infra/constructs/project-function';
import {
  type SettingsFile,
  settingsFileEnvironment,
  writeSettingsFile,
} from '../../infra/constructs/settings-files';
import type { EventSourceMappingDefinition } from '../../infra/constructs/stream-processing';
import { WEEKLY_WINDOW } from '../../tasks/core/identifiers';
import type {
  PLAN_SETTINGS_FILES,
  PlanLambdaEnvironment,
} from '../../tasks/plan-maintenance-window/settings';
import { createLockTable } from './lock';
import { planRequestLimits, STREAM_WORKFLOW_DEFAULTS } from './stream-workflow-defaults';
import { checkClusterList } from './validate';

/** A cluster the stream workflows may work on. */
export interface EnableWorkflowCluster {
  /** DB cluster identifier (name), e.g. `orders-db`. */
  readonly identifier: string;
  /** `DbClusterResourceId` (`cluster-…`): the preflight checks the cluster still has it. */
  readonly resourceId: string;
  /** Customer-managed KMS key (or alias) ARN the activity stream is encrypted with. */
  readonly activityStreamKmsKeyArn: string;
}

/** Where the event source mapping's parameters come from: `StreamProcessing`. */
export interface EventSourceMappingSource {
  eventSourceMappingDefinition(clusterResourceId: string): EventSourceMappingDefinition;
}

/** The configuration's `maintenanceWindow`. */
export interface EnableWindowPolicy {
  /**
   * `cluster-window`: `next` is the cluster's PreferredMaintenanceWindow; `fixed`: `fixedWindow`;
   * `immediate`: `next` means now.
   */
  readonly policy: 'cluster-window' | 'fixed' | 'immediate';
  /** `ddd:hh24:mi-ddd:hh24:mi` in UTC, required with policy `fixed`. */
  readonly fixedWindow?: string;
  /** Whether an input may ask for `now`. */
  readonly allowImmediate: boolean;
}

/** The settings the kit is built from (the configuration's clusters, window policy and timeouts). */
export interface StreamWorkflowKitProps {
  /** The clusters the workflows may work on (the configuration's `clusters`). */
  readonly clusters: readonly EnableWorkflowCluster[];
  /** The activity-stream processing: the event source mapping to create once the stream runs. */
  readonly streamProcessing: EventSourceMappingSource;
  /** Retention of the plan Lambda's log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Minimum minutes left in a maintenance window to start in it; otherwise the following one is used.
   * @default 30
   */
  readonly minimumMinutesLeft?: number;
  /**
   * How long a run waits for the stream to start (or stop) and every instance to be available; a workflow may
   * wait less, never more (the plan Lambda's window limit assumes it).
   * @default Duration.minutes(45)
   */
  readonly deadline?: Duration;
  /**
   * A run's timeout: waiting for the window, the restarts and connecting. Also the lock's lifetime (plus one
   * hour). Windows that start later than `timeout - deadline - 1 h` are refused.
   * @default Duration.days(8)
   */
  readonly timeout?: Duration;
  /** @default policy cluster-window, now allowed */
  readonly maintenanceWindow?: EnableWindowPolicy;
  /**
   * The per-cluster lock table.
   * @default a new table
   */
  readonly lockTable?: dynamodb.ITable;
}

/** What a stream workflow uses of the kit (an interface, so that tests may hand in imported resources). */
export interface StreamWorkflowShared {
  readonly planFunction: lambda.IFunction;
  readonly lockTable: dynamodb.ITable;
  readonly timeout: Duration;
  readonly deadline: Duration;
}

/** The logical ids the kit's resources keep (see {@link StreamWorkflowKit.keepLogicalIds}). */
export interface StreamWorkflowKitLogicalIds {
  readonly lockTable: string;
  readonly planLogs: string;
  readonly planRole: string;
  readonly planRolePolicy: string;
  readonly planFunction: string;
}

/**
 * The plan Lambda, the lock table, the timeout and the deadline, validated once. `label` names the kit in
 * validation errors (the enablement workflow builds one itself when used alone, and names it so).
 */
export class StreamWorkflowKit extends Construct implements StreamWorkflowShared {
  /** The plan Lambda (`projectFunction`): its function, log group, role and standard alarms. */
  readonly plan: ProjectFunction;
  readonly planFunction: nodejs.NodejsFunction;
  /** The plan Lambda's cluster file (`CLUSTERS_FILE`), bundled beside its code. */
  readonly planSettingsFiles: readonly SettingsFile<(typeof PLAN_SETTINGS_FILES)[number]>[];
  readonly lockTable: dynamodb.ITable;
  readonly timeout: Duration;
  readonly deadline: Duration;
  readonly clusters: readonly EnableWorkflowCluster[];
  /** The event source mapping's parameters but its stream (the same for every cluster). */
  readonly eventSourceMapping: Omit<EventSourceMappingDefinition, 'EventSourceArn'>;

  constructor(scope: Construct, id: string, props: StreamWorkflowKitProps, label = 'StreamWorkflowKit') {
    super(scope, id);
    const settings = validateKitProps(props, label);
    this.clusters = props.clusters;
    this.timeout = Duration.seconds(settings.timeoutSeconds);
    this.deadline = Duration.seconds(settings.deadlineSeconds);

    // The mapping's parameters are the same for every cluster but the stream.
    const definitions = props.clusters.map((c) =>
      props.streamProcessing.eventSourceMappingDefinition(c.resourceId),
    );
    const [firstDefinition] = definitions;
    if (!firstDefinition) throw new Error(`${label}: clusters must list at least one cluster`);
    const { EventSourceArn: firstStreamArn, ...mappingSettings } = firstDefinition;
    // Every stream ARN is one prefix + the cluster's resource id: the plan Lambda derives them from it.
    const firstResourceId = props.clusters[0]?.resourceId ?? '';
    const streamArnPrefix = firstStreamArn.slice(0, firstStreamArn.length - firstResourceId.length);
    for (const [i, d] of definitions.entries()) {
      const { EventSourceArn: streamArn, ...rest } = d;
      if (streamArn !== `${streamArnPrefix}${props.clusters[i]?.resourceId}`) {
        throw new Error(
          `${label}: the stream ARN of clusters[${i}] is not the shared prefix + its resource id`,
        );
      }
      if (JSON.stringify(rest) !== JSON.stringify(mappingSettings)) {
        throw new Error(
          `${label}: the event source mapping of clusters[${i}] (${props.clusters[i]?.identifier}) differs from clusters[0]'s in more than its stream`,
        );
      }
    }
    this.eventSourceMapping = mappingSettings;

    this.lockTable = props.lockTable ?? createLockTable(this, 'LockTable');

    // ---- the plan Lambda (computation only: validation and window planning)
    // The cluster list outgrows Lambda's 4 KB of environment with a fleet: a file bundled beside the code.
    this.planSettingsFiles = [
      writeSettingsFile(
        this,
        'CLUSTERS',
        'clusters.json',
        JSON.stringify(
          props.clusters.map((c) => ({
            identifier: c.identifier,
            resourceId: c.resourceId,
            activityStreamKmsKeyArn: c.activityStreamKmsKeyArn,
          })),
        ),
      ),
    ];
    this.plan = projectFunction(this, {
      ids: { function: 'PlanFunction', logGroup: 'PlanLogs', role: 'PlanRole' },
      entry: 'tasks/plan-maintenance-window/handler.ts',
      description: 'aurora-audit: validate the enablement input and plan the maintenance window',
      roleDescription: 'aurora-audit plan Lambda: writes its own logs, nothing else',
      memorySize: 256,
      timeout: Duration.seconds(10),
      logRetention: props.logRetention,
      serviceName: 'aurora-audit-plan-window',
      settingsFiles: this.planSettingsFiles,
      alarms: { errors: 'Warning' },
      environment: {
        ...settingsFileEnvironment(this.planSettingsFiles),
        STREAM_ARN_PREFIX: streamArnPrefix,
        MIN_MINUTES_LEFT: String(settings.minimumMinutesLeft),
        WINDOW_POLICY: settings.window.policy,
        ...(settings.window.fixedWindow ? { FIXED_WINDOW: settings.window.fixedWindow } : {}),
        ALLOW_IMMEDIATE: `${settings.window.allowImmediate}`,
        MAX_WAIT_SECONDS: String(planRequestLimits(settings).maxWaitSeconds),
        LOCK_TTL_SECONDS: String(planRequestLimits(settings).lockTtlSeconds),
      } satisfies PlanLambdaEnvironment,
    });
    this.planFunction = this.plan.function;
  }

  /**
   * Keeps the logical ids the kit's resources had where they were built before (CloudFormation replaces a
   * resource whose logical id changes: a new lock table would drop the locks of running workflows, a new plan
   * Lambda the function the state machines invoke). Call it before anything reads the ids.
   */
  keepLogicalIds(ids: StreamWorkflowKitLogicalIds): void {
    const stack = Stack.of(this);
    const keep = (construct: Construct | undefined, logicalId: string) => {
      const cfn = construct?.node.defaultChild as CfnElement | undefined;
      if (!cfn) throw new Error(`StreamWorkflowKit: no CloudFormation resource to keep ${logicalId} for`);
      stack.renameLogicalId(stack.getLogicalId(cfn), logicalId);
    };
    const role = this.planFunction.role as iam.Role;
    keep(this.lockTable as unknown as Construct, ids.lockTable);
    keep(this.node.findChild('PlanLogs') as Construct, ids.planLogs);
    keep(role, ids.planRole);
    keep(role.node.findChild('DefaultPolicy') as Construct, ids.planRolePolicy);
    keep(this.planFunction, ids.planFunction);
  }
}

interface ValidatedKitSettings {
  readonly minimumMinutesLeft: number;
  readonly deadlineSeconds: number;
  readonly timeoutSeconds: number;
  readonly window: EnableWindowPolicy;
}

function validateKitProps(props: StreamWorkflowKitProps, label: string): ValidatedKitSettings {
  const fail = (message: string): never => {
    throw new Error(`${label}: ${message}`);
  };
  checkClusterList(props.clusters, fail);
  props.clusters.forEach((c, i) => {
    if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+$/.test(c.activityStreamKmsKeyArn)) {
      fail(
        `clusters[${i}].activityStreamKmsKeyArn must be a KMS key or alias ARN, got ${JSON.stringify(c.activityStreamKmsKeyArn)}`,
      );
    }
  });
  const minimumMinutesLeft = props.minimumMinutesLeft ?? STREAM_WORKFLOW_DEFAULTS.minimumMinutesLeft;
  if (!Number.isInteger(minimumMinutesLeft) || minimumMinutesLeft < 0 || minimumMinutesLeft > 1440) {
    fail(`minimumMinutesLeft must be an integer from 0 to 1440, got ${minimumMinutesLeft}`);
  }
  const deadlineSeconds = wholeSeconds(
    'deadline',
    props.deadline,
    STREAM_WORKFLOW_DEFAULTS.deadlineSeconds,
    fail,
  );
  if (deadlineSeconds < 300 || deadlineSeconds > 12 * 3600) {
    fail(`deadline must be from 5 minutes to 12 hours, got ${deadlineSeconds} s`);
  }
  const timeoutSeconds = wholeSeconds(
    'timeout',
    props.timeout,
    STREAM_WORKFLOW_DEFAULTS.timeoutSeconds,
    fail,
  );
  if (timeoutSeconds < deadlineSeconds + 2 * 3600 || timeoutSeconds > 365 * 24 * 3600) {
    fail(
      `timeout must be at least the deadline plus 2 hours (${deadlineSeconds + 7200} s) and at most 365 days, got ${timeoutSeconds} s`,
    );
  }
  const window = props.maintenanceWindow ?? { policy: 'cluster-window', allowImmediate: true };
  if (!['cluster-window', 'fixed', 'immediate'].includes(window.policy)) {
    fail(
      `maintenanceWindow.policy must be cluster-window, fixed or immediate, got ${JSON.stringify(window.policy)}`,
    );
  }
  if (window.policy === 'fixed' && !window.fixedWindow)
    fail('maintenanceWindow.fixedWindow is required with policy "fixed"');
  if (window.fixedWindow !== undefined && !WEEKLY_WINDOW.test(window.fixedWindow)) {
    fail(
      `maintenanceWindow.fixedWindow must be "ddd:hh24:mi-ddd:hh24:mi" in UTC, got ${JSON.stringify(window.fixedWindow)}`,
    );
  }
  return { minimumMinutesLeft, deadlineSeconds, timeoutSeconds, window };
}

/** A duration in whole seconds (`fallback` when absent); `fail` names it otherwise. */
export function wholeSeconds(
  name: string,
  d: Duration | undefined,
  fallback: number,
  fail: (message: string) => never,
): number {
  const s = d === undefined ? fallback : d.toSeconds();
  if (!Number.isInteger(s)) fail(`${name} must be whole seconds, got ${s} s`);
  return s;
}
