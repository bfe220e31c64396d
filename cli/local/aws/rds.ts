/**
 * Aurora clusters and their instances, answering the AWS SDK integrations
 * (`arn:aws:states:::aws-sdk:rds:describeDBClusters|describeDBInstances|startActivityStream|stopActivityStream`)
 * in Step Functions' spelling: AWS SDK for Java v2 field names (`DbClusterIdentifier`, `DbClusters`,
 * `DbClusterMembers`, `DbInstanceStatus`), errors `Rds.<JavaExceptionName>` (`Rds.DbClusterNotFoundException`,
 * `Rds.InvalidDbClusterStateException`, `Rds.KmsKeyNotAccessibleException`) and `Rds.RdsException` for errors
 * without their own class. See FACTS "Step Functions, locally".
 *
 * Time: StartActivityStream (applied immediately) puts the stream in `starting`, the cluster in
 * `configuring-activity-stream` and the instances through `configuring-activity-stream` then `rebooting`;
 * `restartSeconds` of simulated time later the stream is `started` and (after `instanceLagSeconds`) the
 * instances `available`, unless the cluster's behaviour says otherwise (`neverStarts`, a stuck instance).
 * StopActivityStream (applied immediately) mirrors it: `stopping`, the same restarts, then `stopped` (the
 * Kinesis stream deleted) and the instances `available` after `instanceLagSeconds`, unless `neverStops`.
 */
import type { SimClock } from '../stepfunctions/clock';
import { AwsServiceError, sdkCause } from './errors';
import type { KinesisSimulator } from './kinesis';

export type ActivityStreamStatus = 'stopped' | 'starting' | 'started' | 'stopping';

export interface SimInstanceSpec {
  readonly identifier: string;
  /** @default 'db.r6g.large' */
  readonly instanceClass?: string;
  /** @default true for the first instance */
  readonly writer?: boolean;
  /** Stays in this status once the restarts begin (e.g. `rebooting`), never `available` again. */
  readonly stuckIn?: string;
}

export interface SimClusterSpec {
  readonly identifier: string;
  /** @default 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ' */
  readonly resourceId?: string;
  /** @default 'aurora-postgresql' */
  readonly engine?: string;
  /** @default '16.4' */
  readonly engineVersion?: string;
  /** @default 'available' */
  readonly status?: string;
  /** @default 'sun:03:00-sun:04:00' */
  readonly preferredMaintenanceWindow?: string;
  /** @default two db.r6g.large instances, `<identifier>-1` (writer) and `<identifier>-2` */
  readonly instances?: readonly SimInstanceSpec[];
  /** The stream's state at the start. @default 'stopped' */
  readonly activityStream?: ActivityStreamStatus;
  /** For a stream already `starting`: seconds until it is started. @default restartSeconds */
  readonly startingSecondsLeft?: number;
  /** How long the restarts take. @default 1200 (20 minutes) */
  readonly restartSeconds?: number;
  /** Extra seconds after the stream is started before the instances are available. @default 0 */
  readonly instanceLagSeconds?: number;
  /** The stream stays `starting` for ever (the instances come back). */
  readonly neverStarts?: boolean;
  /** The stream stays `stopping` for ever once stopped (the instances come back). */
  readonly neverStops?: boolean;
  /** KMS keys (ARNs or ids) RDS may use for this cluster's stream; others fail with KmsKeyNotAccessible. Default: any. */
  readonly accessibleKmsKeys?: readonly string[];
  /** Seconds after creation that the Kinesis stream turns ACTIVE. @default 30 */
  readonly kinesisActiveAfterSeconds?: number;
}

interface SimInstance {
  readonly identifier: string;
  readonly instanceClass: string;
  readonly writer: boolean;
  readonly stuckIn?: string;
}

interface SimCluster {
  readonly spec: SimClusterSpec;
  readonly identifier: string;
  readonly arn: string;
  readonly resourceId: string;
  readonly engine: string;
  readonly instances: SimInstance[];
  stream: {
    status: ActivityStreamStatus;
    mode?: string;
    kmsKeyId?: string;
    kinesisStreamName?: string;
    /** When the current transition (starting, stopping) began and ends. */
    sinceMs?: number;
    untilMs?: number;
  };
}

export class RdsSimulator {
  readonly clusters = new Map<string, SimCluster>();

  constructor(
    private readonly clock: SimClock,
    private readonly region: string,
    private readonly account: string,
    private readonly kinesis: KinesisSimulator,
  ) {}

  clusterArn(identifier: string): string {
    return `arn:aws:rds:${this.region}:${this.account}:cluster:${identifier}`;
  }

  addCluster(spec: SimClusterSpec): void {
    const resourceId = spec.resourceId ?? 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const instances = (
      spec.instances ?? [{ identifier: `${spec.identifier}-1` }, { identifier: `${spec.identifier}-2` }]
    ).map((i, n) => ({
      identifier: i.identifier,
      instanceClass: i.instanceClass ?? 'db.r6g.large',
      writer: i.writer ?? n === 0,
      stuckIn: i.stuckIn,
    }));
    const cluster: SimCluster = {
      spec,
      identifier: spec.identifier,
      arn: this.clusterArn(spec.identifier),
      resourceId,
      engine: spec.engine ?? 'aurora-postgresql',
      instances,
      stream: { status: spec.activityStream ?? 'stopped' },
    };
    const now = this.clock.nowMs();
    if (cluster.stream.status === 'started' || cluster.stream.status === 'starting') {
      const name = `aws-rds-das-${resourceId}`;
      cluster.stream = {
        status: cluster.stream.status,
        mode: 'async',
        kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/preexisting',
        kinesisStreamName: name,
      };
      if (cluster.stream.status === 'starting') {
        const left = spec.startingSecondsLeft ?? spec.restartSeconds ?? 1200;
        cluster.stream.sinceMs = now - ((spec.restartSeconds ?? 1200) - left) * 1000;
        cluster.stream.untilMs = now + left * 1000;
        this.kinesis.createStream(name, Math.min(left, spec.kinesisActiveAfterSeconds ?? 30));
      } else {
        this.kinesis.createStream(name, 0);
      }
    }
    this.clusters.set(spec.identifier, cluster);
  }

  /**
   * Changes a stream behind the workflow's back (someone in the console, an RDS failure): `started` creates
   * its Kinesis stream (ACTIVE) and ends any restart; `stopped` deletes it.
   */
  setActivityStream(identifier: string, status: 'started' | 'stopped'): void {
    const cluster = this.get(identifier);
    const name = `aws-rds-das-${cluster.resourceId}`;
    if (status === 'started') {
      cluster.stream = {
        status,
        mode: 'async',
        kmsKeyId: cluster.stream.kmsKeyId ?? 'external',
        kinesisStreamName: name,
      };
      if (!this.kinesis.streams.has(name)) this.kinesis.createStream(name, 0);
    } else {
      if (cluster.stream.kinesisStreamName) this.kinesis.deleteStream(cluster.stream.kinesisStreamName);
      cluster.stream = { status };
    }
  }

  /** The stream status and member statuses now, e.g. for assertions. */
  snapshot(identifier: string) {
    const cluster = this.get(identifier);
    this.settle(cluster);
    return {
      status: this.clusterStatus(cluster),
      activityStream: cluster.stream.status,
      kinesisStreamName: cluster.stream.kinesisStreamName,
      instances: cluster.instances.map((i) => ({
        identifier: i.identifier,
        status: this.instanceStatus(cluster, i),
      })),
    };
  }

  private get(identifier: string): SimCluster {
    const cluster = this.clusters.get(identifier);
    if (!cluster) {
      throw new AwsServiceError(
        'Rds.DbClusterNotFoundException',
        sdkCause('Rds', 404, `DBCluster ${identifier} not found.`),
      );
    }
    return cluster;
  }

  private byArnOrId(value: unknown): SimCluster {
    const text = String(value ?? '');
    const id = text.startsWith('arn:') ? (text.split(':cluster:')[1] ?? '') : text;
    return this.get(id);
  }

  /** Moves a cluster's stream along with the clock. */
  private settle(cluster: SimCluster): void {
    const s = cluster.stream;
    const now = this.clock.nowMs();
    if (s.status === 'starting' && !cluster.spec.neverStarts && s.untilMs !== undefined && now >= s.untilMs) {
      s.status = 'started';
    } else if (
      s.status === 'stopping' &&
      !cluster.spec.neverStops &&
      s.untilMs !== undefined &&
      now >= s.untilMs
    ) {
      if (s.kinesisStreamName) this.kinesis.deleteStream(s.kinesisStreamName);
      // The restart window stays, so that lagging or stuck instances are still seen after the stop.
      cluster.stream = { status: 'stopped', sinceMs: s.sinceMs, untilMs: s.untilMs };
    }
  }

  private restarting(cluster: SimCluster): boolean {
    const s = cluster.stream;
    if (s.sinceMs === undefined || s.untilMs === undefined) return false;
    const now = this.clock.nowMs();
    return now >= s.sinceMs && now < s.untilMs;
  }

  private clusterStatus(cluster: SimCluster): string {
    if (cluster.stream.status === 'starting' || cluster.stream.status === 'stopping') {
      const never = cluster.stream.status === 'starting' ? cluster.spec.neverStarts : cluster.spec.neverStops;
      return this.restarting(cluster) || never ? 'configuring-activity-stream' : 'available';
    }
    return cluster.spec.status ?? 'available';
  }

  private instanceStatus(cluster: SimCluster, instance: SimInstance): string {
    const s = cluster.stream;
    const now = this.clock.nowMs();
    if (s.sinceMs === undefined || s.untilMs === undefined || now < s.sinceMs) return 'available';
    if (instance.stuckIn) return instance.stuckIn;
    if (now < s.untilMs) {
      return now < s.sinceMs + (s.untilMs - s.sinceMs) / 2 ? 'configuring-activity-stream' : 'rebooting';
    }
    const lag = (cluster.spec.instanceLagSeconds ?? 0) * 1000;
    return now < s.untilMs + lag ? 'rebooting' : 'available';
  }

  private describeCluster(cluster: SimCluster) {
    this.settle(cluster);
    const s = cluster.stream;
    return {
      DbClusterIdentifier: cluster.identifier,
      DbClusterArn: cluster.arn,
      DbClusterResourceId: cluster.resourceId,
      Engine: cluster.engine,
      EngineVersion: cluster.spec.engineVersion ?? '16.4',
      EngineMode: 'provisioned',
      Status: this.clusterStatus(cluster),
      MultiAZ: cluster.instances.length > 1,
      PreferredMaintenanceWindow: cluster.spec.preferredMaintenanceWindow ?? 'sun:03:00-sun:04:00',
      PreferredBackupWindow: '01:00-01:30',
      DbClusterMembers: cluster.instances.map((i) => ({
        DbInstanceIdentifier: i.identifier,
        IsClusterWriter: i.writer,
        DbClusterParameterGroupStatus: 'in-sync',
        PromotionTier: 1,
      })),
      StorageEncrypted: true,
      ActivityStreamStatus: s.status,
      ...(s.mode ? { ActivityStreamMode: s.mode } : {}),
      ...(s.kmsKeyId ? { ActivityStreamKmsKeyId: s.kmsKeyId } : {}),
      ...(s.kinesisStreamName ? { ActivityStreamKinesisStreamName: s.kinesisStreamName } : {}),
    };
  }

  handlers(): Record<string, (params: Record<string, unknown>) => unknown> {
    return {
      'rds:describeDBClusters': (params) => {
        if (params.DbClusterIdentifier === undefined) {
          return { DbClusters: [...this.clusters.values()].map((c) => this.describeCluster(c)) };
        }
        return { DbClusters: [this.describeCluster(this.byArnOrId(params.DbClusterIdentifier))] };
      },
      'rds:describeDBInstances': (params) => {
        const filters = (params.Filters ?? []) as { Name?: string; Values?: unknown }[];
        let clusters = [...this.clusters.values()];
        for (const f of filters) {
          if (f.Name !== 'db-cluster-id') {
            throw new AwsServiceError(
              'Rds.RdsException',
              sdkCause('Rds', 400, `Unrecognized filter name: ${f.Name}`),
            );
          }
          if (!Array.isArray(f.Values)) {
            throw new AwsServiceError(
              'Rds.RdsException',
              sdkCause('Rds', 400, 'Filter values must be a list'),
            );
          }
          const wanted = f.Values.map(String);
          clusters = clusters.filter((c) => wanted.includes(c.arn) || wanted.includes(c.identifier));
        }
        const instances = clusters.flatMap((c) => {
          this.settle(c);
          return c.instances.map((i) => ({
            DbInstanceIdentifier: i.identifier,
            DbInstanceArn: `arn:aws:rds:${this.region}:${this.account}:db:${i.identifier}`,
            DbInstanceClass: i.instanceClass,
            DbInstanceStatus: this.instanceStatus(c, i),
            Engine: c.engine,
            DbClusterIdentifier: c.identifier,
          }));
        });
        if (params.DbInstanceIdentifier !== undefined) {
          const one = instances.filter((i) => i.DbInstanceIdentifier === params.DbInstanceIdentifier);
          if (one.length === 0) {
            throw new AwsServiceError(
              'Rds.DbInstanceNotFoundException',
              sdkCause('Rds', 404, `DBInstance ${String(params.DbInstanceIdentifier)} not found.`),
            );
          }
          return { DbInstances: one };
        }
        return { DbInstances: instances };
      },
      'rds:startActivityStream': (params) => {
        const cluster = this.byArnOrId(params.ResourceArn);
        this.settle(cluster);
        if (!String(params.ResourceArn ?? '').startsWith('arn:')) {
          throw new AwsServiceError(
            'Rds.RdsException',
            sdkCause('Rds', 400, 'InvalidParameterValue: ResourceArn must be an ARN'),
          );
        }
        if (params.Mode !== 'sync' && params.Mode !== 'async') {
          throw new AwsServiceError(
            'Rds.RdsException',
            sdkCause('Rds', 400, `InvalidParameterValue: Mode ${String(params.Mode)}`),
          );
        }
        const keys = cluster.spec.accessibleKmsKeys;
        if (typeof params.KmsKeyId !== 'string' || (keys !== undefined && !keys.includes(params.KmsKeyId))) {
          throw new AwsServiceError(
            'Rds.KmsKeyNotAccessibleException',
            sdkCause(
              'Rds',
              400,
              `The specified KMS key ${String(params.KmsKeyId)} does not exist, is not enabled or you do not have permissions to access it.`,
            ),
          );
        }
        const burstable = cluster.instances.find((i) => i.instanceClass.startsWith('db.t'));
        if (burstable) {
          throw new AwsServiceError(
            'Rds.RdsException',
            sdkCause(
              'Rds',
              400,
              `InvalidParameterCombination: Activity Streams are not supported for instance class ${burstable.instanceClass}`,
            ),
          );
        }
        const status = this.clusterStatus(cluster);
        if (status !== 'available' || cluster.stream.status !== 'stopped') {
          throw new AwsServiceError(
            'Rds.InvalidDbClusterStateException',
            sdkCause(
              'Rds',
              400,
              `DbCluster ${cluster.identifier} is in ${cluster.stream.status === 'stopped' ? status : `activity stream ${cluster.stream.status}`} state`,
            ),
          );
        }
        const now = this.clock.nowMs();
        const name = `aws-rds-das-${cluster.resourceId}`;
        if (params.ApplyImmediately !== true) {
          // Would start in the next maintenance window: not modelled beyond accepting the call.
          return {
            KinesisStreamName: name,
            Status: 'starting',
            Mode: params.Mode,
            KmsKeyId: params.KmsKeyId,
            ApplyImmediately: false,
          };
        }
        cluster.stream = {
          status: 'starting',
          mode: params.Mode,
          kmsKeyId: params.KmsKeyId,
          kinesisStreamName: name,
          sinceMs: now,
          untilMs: now + (cluster.spec.restartSeconds ?? 1200) * 1000,
        };
        this.kinesis.createStream(name, cluster.spec.kinesisActiveAfterSeconds ?? 30);
        return {
          KinesisStreamName: name,
          Status: 'starting',
          Mode: params.Mode,
          KmsKeyId: params.KmsKeyId,
          ApplyImmediately: true,
        };
      },
      'rds:stopActivityStream': (params) => {
        const cluster = this.byArnOrId(params.ResourceArn);
        this.settle(cluster);
        if (cluster.stream.status !== 'started') {
          throw new AwsServiceError(
            'Rds.InvalidDbClusterStateException',
            sdkCause(
              'Rds',
              400,
              `DbCluster ${cluster.identifier} is in activity stream ${cluster.stream.status} state`,
            ),
          );
        }
        const now = this.clock.nowMs();
        const name = cluster.stream.kinesisStreamName;
        cluster.stream = {
          ...cluster.stream,
          status: 'stopping',
          sinceMs: now,
          untilMs: now + (cluster.spec.restartSeconds ?? 1200) * 1000,
        };
        return { KinesisStreamName: name, Status: 'stopping' };
      },
    };
  }
}
