/**
 * `aurora-audit redrive`: re-processes quarantined activity-stream records and the event source mapping's
 * on-failure objects through the same core as the decrypt Lambda, and delivers the events to Firehose.
 * A source object is deleted only once every event in it was delivered (and never with --dry-run or --keep).
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { loadConfig } from '../../infra/config/load';
import { OUTPUTS } from '../../infra/outputs';
import { serviceUserSet } from '../../tasks/core/das/normalize';
import { processActivityRecord } from '../../tasks/core/das/pipeline';
import { clusterOfStream, type DataKeyResolver, decodeBase64 } from '../../tasks/core/das/record';
import { createRedactor } from '../../tasks/core/redact';
import { ON_FAILURE_PREFIX, QUARANTINE_PREFIX } from '../../tasks/core/storage-layout';
import { deliverToFirehose } from '../../tasks/shared/firehose-delivery';
import { kmsResolver, s3Client } from '../aws';
import { awsClientConfig } from '../aws-settings';
import type { RegisterCommands } from '../io';

export const DEFAULT_REDRIVE_PREFIXES = [`${QUARANTINE_PREFIX}das/`, ON_FAILURE_PREFIX] as const;

/** A record to re-process, as found in a source object. */
export interface RedriveRecord {
  readonly data: Uint8Array;
  readonly eventSourceARN: string;
}

export class UnrecognizedSourceError extends Error {
  override readonly name = 'UnrecognizedSourceError';
}

/**
 * The records inside a quarantine document (`{originalBase64, metadata: {eventSourceARN}}`) or an on-failure
 * object of a Kinesis event source mapping (S3 destination: metadata plus the invocation `payload`, whose
 * `Records[].kinesis.data` hold the original records; `payload` may be an object or its JSON text).
 */
export function recordsOfSource(text: string): RedriveRecord[] {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new UnrecognizedSourceError('object is not JSON');
  }
  if (typeof doc.originalBase64 === 'string') {
    const meta = (doc.metadata ?? {}) as Record<string, unknown>;
    if (typeof meta.eventSourceARN !== 'string') {
      throw new UnrecognizedSourceError(
        'quarantine document has no metadata.eventSourceARN (not an activity-stream record)',
      );
    }
    return [{ data: Buffer.from(doc.originalBase64, 'base64'), eventSourceARN: meta.eventSourceARN }];
  }
  let payload = doc.payload;
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload);
    } catch {
      throw new UnrecognizedSourceError('on-failure payload is not JSON');
    }
  }
  const records = (payload as { Records?: unknown } | undefined)?.Records;
  if (!Array.isArray(records)) {
    throw new UnrecognizedSourceError(
      'neither a quarantine document nor an on-failure object with payload.Records',
    );
  }
  return records.map((r, i) => {
    const rec = r as { kinesis?: { data?: unknown }; eventSourceARN?: unknown };
    if (typeof rec.kinesis?.data !== 'string' || typeof rec.eventSourceARN !== 'string') {
      throw new UnrecognizedSourceError(`payload.Records[${i}] has no kinesis.data or eventSourceARN`);
    }
    return {
      data: decodeBase64(rec.kinesis.data, `payload.Records[${i}].kinesis.data`),
      eventSourceARN: rec.eventSourceARN,
    };
  });
}

export interface RedriveDeps {
  readonly s3: S3Client;
  readonly firehose: FirehoseClient;
  readonly resolveDataKey: DataKeyResolver;
  readonly bucket: string;
  readonly deliveryStream: string;
  readonly configPath?: string;
  readonly out: (line: string) => void;
  /** Backoff of Firehose retries, for tests. */
  readonly retryBaseDelayMs?: number;
}

export interface RedriveSummary {
  objects: number;
  delivered: number;
  events: number;
  failed: number;
  deleted: number;
}

async function* listKeys(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key) yield o.Key;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

export async function redrive(
  deps: RedriveDeps,
  prefixes: readonly string[],
  options: { dryRun: boolean; keep: boolean },
): Promise<RedriveSummary> {
  const config = loadConfig(deps.configPath);
  const clusters = new Set(config.clusters.map((c) => c.resourceId));
  const processOptions = {
    resolveDataKey: deps.resolveDataKey,
    redact: createRedactor(config.redaction.extraPatterns),
    serviceUsers: serviceUserSet(config.serviceUsers),
  };
  const summary: RedriveSummary = { objects: 0, delivered: 0, events: 0, failed: 0, deleted: 0 };
  for (const prefix of prefixes) {
    for await (const key of listKeys(deps.s3, deps.bucket, prefix)) {
      summary.objects++;
      try {
        const object = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
        const text = (await object.Body?.transformToString('utf8')) ?? '';
        const lines: string[] = [];
        const problems: string[] = [];
        for (const record of recordsOfSource(text)) {
          const cluster = clusterOfStream(record.eventSourceARN);
          if (!clusters.has(cluster)) throw new Error(`cluster ${cluster} is not in the configuration`);
          const processed = await processActivityRecord(record.data, cluster, processOptions);
          lines.push(...processed.lines);
          problems.push(...processed.problems);
        }
        if (options.dryRun) {
          deps.out(
            `would deliver  ${key}: ${lines.length} events${problems.length ? `; ${problems.join('; ')}` : ''}\n`,
          );
          continue;
        }
        const result = await deliverToFirehose(
          deps.firehose,
          deps.deliveryStream,
          lines.map((line) => ({ line, owner: key })),
          { baseDelayMs: deps.retryBaseDelayMs },
        );
        if (result.failedOwners.size > 0) {
          throw new Error(
            `Firehose refused ${lines.length - result.delivered} of ${lines.length} events: ${result.errors.at(-1) ?? ''}`,
          );
        }
        summary.events += lines.length;
        if (problems.length > 0) {
          // Delivered what could be; the object stays, since part of it is still not stored as is.
          summary.failed++;
          deps.out(`partial        ${key}: ${lines.length} events delivered, kept: ${problems.join('; ')}\n`);
          continue;
        }
        summary.delivered++;
        if (!options.keep) {
          await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: key }));
          summary.deleted++;
        }
        deps.out(`delivered      ${key}: ${lines.length} events${options.keep ? '' : ', source deleted'}\n`);
      } catch (err) {
        summary.failed++;
        deps.out(`still failing  ${key}: ${(err as Error).name}: ${(err as Error).message}\n`);
      }
    }
  }
  return summary;
}

interface RedriveOptions {
  from?: string[];
  dryRun?: boolean;
  keep?: boolean;
  bucket?: string;
  deliveryStream?: string;
  config?: string;
}

export const register: RegisterCommands = ({ program, io, setExit }) => {
  program
    .command('redrive')
    .description(
      'Re-process quarantined activity-stream records and on-failure objects from the audit bucket and deliver their events to Firehose',
    )
    .option('--from <prefix...>', `prefixes to read (default: ${DEFAULT_REDRIVE_PREFIXES.join(' ')})`)
    .option('--dry-run', 'decode and report, deliver and delete nothing')
    .option('--keep', 'do not delete source objects after full delivery')
    .option(
      '--bucket <name>',
      `audit bucket (default: $AURORA_AUDIT_BUCKET; stack output ${OUTPUTS.auditBucket})`,
    )
    .option(
      '--delivery-stream <name>',
      `Firehose stream (default: $AURORA_AUDIT_DELIVERY_STREAM; stack output ${OUTPUTS.deliveryStream})`,
    )
    .option('-c, --config <file>', 'configuration file (default: the embedded example)')
    .action(async (opts: RedriveOptions) => {
      const bucket = opts.bucket ?? process.env.AURORA_AUDIT_BUCKET;
      const deliveryStream = opts.deliveryStream ?? process.env.AURORA_AUDIT_DELIVERY_STREAM;
      if (!bucket || !deliveryStream) {
        io.stderr(
          `redrive needs --bucket and --delivery-stream (or AURORA_AUDIT_BUCKET and AURORA_AUDIT_DELIVERY_STREAM): see the stack outputs ${OUTPUTS.auditBucket} and ${OUTPUTS.deliveryStream}\n`,
        );
        setExit(2);
        return;
      }
      const prefixes = opts.from ?? [...DEFAULT_REDRIVE_PREFIXES];
      const bad = prefixes.find((p) => !p.startsWith(QUARANTINE_PREFIX) && !p.startsWith(ON_FAILURE_PREFIX));
      if (bad !== undefined) {
        io.stderr(
          `--from must start with ${QUARANTINE_PREFIX} or ${ON_FAILURE_PREFIX}, got ${JSON.stringify(bad)}\n`,
        );
        setExit(2);
        return;
      }
      const summary = await redrive(
        {
          s3: s3Client(),
          firehose: new FirehoseClient(awsClientConfig()),
          resolveDataKey: kmsResolver(),
          bucket,
          deliveryStream,
          configPath: opts.config,
          out: io.stdout,
        },
        prefixes,
        { dryRun: opts.dryRun === true, keep: opts.keep === true },
      );
      io.stdout(
        `${summary.objects} objects: ${summary.delivered} delivered (${summary.events} events, ${summary.deleted} sources deleted), ${summary.failed} still failing${opts.dryRun ? ' (dry run: nothing delivered or deleted)' : ''}\n`,
      );
      setExit(summary.failed > 0 ? 1 : 0);
    });
};
