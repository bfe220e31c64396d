/**
 * Kinesis Data Streams as the activity stream needs it: streams RDS creates and deletes, which become ACTIVE
 * a while after creation. Answers `aws-sdk:kinesis:describeStreamSummary` in Step Functions' spelling.
 */
import type { SimClock } from '../stepfunctions/clock';
import { AwsServiceError, sdkCause } from './errors';

export interface SimStream {
  readonly name: string;
  readonly arn: string;
  readonly createdAtMs: number;
  /** When it turns ACTIVE. */
  activeAtMs: number;
  deletedAtMs?: number;
}

export class KinesisSimulator {
  readonly streams = new Map<string, SimStream>();

  constructor(
    private readonly clock: SimClock,
    private readonly region: string,
    private readonly account: string,
  ) {}

  arnOf(name: string): string {
    return `arn:aws:kinesis:${this.region}:${this.account}:stream/${name}`;
  }

  /** Creates a stream that is CREATING for `activeAfterSeconds`, then ACTIVE. */
  createStream(name: string, activeAfterSeconds = 30): SimStream {
    const now = this.clock.nowMs();
    const stream = {
      name,
      arn: this.arnOf(name),
      createdAtMs: now,
      activeAtMs: now + activeAfterSeconds * 1000,
    };
    this.streams.set(name, stream);
    return stream;
  }

  deleteStream(name: string): void {
    const stream = this.streams.get(name);
    if (stream) stream.deletedAtMs = this.clock.nowMs();
  }

  status(stream: SimStream): 'CREATING' | 'ACTIVE' | 'DELETING' {
    if (stream.deletedAtMs !== undefined) return 'DELETING';
    return this.clock.nowMs() >= stream.activeAtMs ? 'ACTIVE' : 'CREATING';
  }

  private find(params: Record<string, unknown>): SimStream {
    const name =
      typeof params.StreamName === 'string'
        ? params.StreamName
        : typeof params.StreamARN === 'string'
          ? params.StreamARN.split('/').pop()
          : undefined;
    const stream = name === undefined ? undefined : this.streams.get(name);
    if (!stream || (stream.deletedAtMs !== undefined && this.clock.nowMs() - stream.deletedAtMs > 60_000)) {
      throw new AwsServiceError(
        'Kinesis.ResourceNotFoundException',
        sdkCause('Kinesis', 400, `Stream ${name ?? '(none)'} under account ${this.account} not found.`),
      );
    }
    return stream;
  }

  handlers(): Record<string, (params: Record<string, unknown>) => unknown> {
    return {
      'kinesis:describeStreamSummary': (params) => {
        const stream = this.find(params);
        return {
          StreamDescriptionSummary: {
            StreamName: stream.name,
            StreamARN: stream.arn,
            StreamStatus: this.status(stream),
            StreamModeDetails: { StreamMode: 'PROVISIONED' },
            RetentionPeriodHours: 24,
            StreamCreationTimestamp: new Date(stream.createdAtMs).toISOString(),
            EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
            EncryptionType: 'NONE',
            OpenShardCount: 1,
            ConsumerCount: 0,
          },
        };
      },
    };
  }
}
