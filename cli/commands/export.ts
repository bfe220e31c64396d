/**
 * `aurora-audit export`: a period's stored audit events as JSON lines, exactly as they were stored (each line
 * byte for byte as Firehose wrote it), from the audit bucket (S3 ListObjectsV2 and GetObject, no Athena) or,
 * with `--local DIR`, from a stored layout on disk (a synced copy of the bucket's `events/` prefix, or
 * `demo-out/`).
 *
 * It reads both layouts of a day (`events/cluster=<id>/day=<YYYY-MM-DD>/`): the hourly one
 * (`…/hour=<HH>/…`, only the hours the period touches) and the daily one written before the `hour` partition
 * existed (objects directly under the day, read whole). Then it keeps the lines whose `time` lies in the period
 * [start, end) (instants compared at milliseconds, as Athena's `from_iso8601_timestamp` does), writes an event
 * stored twice (at-least-once delivery: the same `id`) once, and orders the lines by time (then id). It is
 * how evidence leaves the bucket in a plain format, and how the days stored in the old layout stay readable
 * (docs/activity-streams-and-storage.md).
 *
 * With `--redeliver` it is the migration of the old layout: the period's lines of daily-layout objects are
 * sent (unchanged) to the delivery stream, which stores each under its hour partition, where the Glue table
 * and the reports see it. The old objects stay (evidence is never deleted); an event then stored in both
 * layouts has one `id`, and the reports and this export count it once.
 */
import {
  createWriteStream,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  type WriteStream,
} from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { findCluster, loadConfig } from '../../infra/config/load';
import type { AuroraAuditConfig } from '../../infra/config/schema';
import { OUTPUTS } from '../../infra/outputs';
import { eventSearchRange, InvalidSearchError, type SearchRange } from '../../reports/search';
import { dayPartitions } from '../../tasks/core/report-period';
import { dayPrefix, EVENTS_PREFIX } from '../../tasks/core/storage-layout';
import { deliverToFirehose } from '../../tasks/shared/firehose-delivery';
import { awsClientConfig } from '../aws-settings';
import type { RegisterCommands } from '../io';
import { guardUsage, requireOutput, stackOutputs, UsageError } from './workflows';

/** Where stored objects are read from: the audit bucket or a directory holding `events/`. */
export interface EventStore {
  /** A description for messages (`s3://bucket`, a directory). */
  readonly name: string;
  /** The keys under a prefix, at any depth. */
  list(prefix: string): AsyncIterable<string>;
  /** The cluster partition values under `events/` (`cluster=<value>/`). */
  clusters(): Promise<string[]>;
  read(key: string): Promise<Uint8Array>;
}

export class ExportError extends Error {
  override readonly name = 'ExportError';
}

export interface ExportSummary {
  /** Objects read, and of them those stored in the daily layout (directly under `day=…/`). */
  objects: number;
  dailyLayoutObjects: number;
  /** Lines written, and stored copies of an already written event (same `id`) left out. */
  lines: number;
  duplicates: number;
}

const HOUR_KEY = /\/hour=(\d{2})\/[^/]+$/;

/** Whether a key under a day's prefix may hold events of the range: hourly objects outside it are skipped. */
function mayHold(key: string, day: string, range: SearchRange): boolean {
  const hour = HOUR_KEY.exec(key)?.[1];
  if (hour === undefined) return true; // the daily layout: a whole day in one prefix
  if (day === range.fromDay && hour < range.fromHour) return false;
  if (day === range.toDay && hour > range.toHour) return false;
  return true;
}

/** Whether a key is an object of the daily layout: directly under `events/cluster=…/day=…/`. */
const isDailyLayout = (key: string, prefix: string) => !key.slice(prefix.length).includes('/');

/**
 * Writes the range's events of `clusters` (resource ids) as JSON lines through `write`, a UTC day at a time
 * (each day's lines sorted by time, then id), and returns what was read and written.
 */
export async function exportEvents(
  store: EventStore,
  range: SearchRange,
  clusters: readonly string[],
  write: (line: string, from: { readonly dailyLayout: boolean }) => void | Promise<void>,
): Promise<ExportSummary> {
  const start = Date.parse(range.start);
  const end = Date.parse(range.end);
  const summary: ExportSummary = { objects: 0, dailyLayoutObjects: 0, lines: 0, duplicates: 0 };
  for (const day of dayPartitions(range)) {
    const kept: { at: number; id: string; line: string; dailyLayout: boolean }[] = [];
    const seen = new Map<string, { dailyLayout: boolean }>();
    for (const cluster of clusters) {
      const prefix = dayPrefix(cluster, day);
      for await (const key of store.list(prefix)) {
        if (!mayHold(key, day, range)) continue;
        summary.objects++;
        const dailyLayout = isDailyLayout(key, prefix);
        if (dailyLayout) summary.dailyLayoutObjects++;
        const body = await store.read(key);
        const text = (key.endsWith('.gz') ? gunzipSync(body) : Buffer.from(body)).toString('utf8');
        const lines = text.split('\n');
        for (const [index, line] of lines.entries()) {
          if (line === '') continue;
          let event: { id?: unknown; time?: unknown };
          try {
            event = JSON.parse(line) as { id?: unknown; time?: unknown };
          } catch (err) {
            throw new ExportError(
              `${store.name}/${key} line ${index + 1} is not JSON (${(err as Error).message}): nothing was left out silently, fix or remove the object and export again`,
            );
          }
          const at = typeof event.time === 'string' ? Date.parse(event.time) : Number.NaN;
          if (typeof event.id !== 'string' || Number.isNaN(at))
            throw new ExportError(`${store.name}/${key} line ${index + 1} has no id or no valid time`);
          if (at < start || at >= end) continue;
          const copy = seen.get(event.id);
          if (copy) {
            // Stored in both layouts (migrated): it counts as the hourly layout's, so it is not redelivered.
            if (!dailyLayout) copy.dailyLayout = false;
            summary.duplicates++;
            continue;
          }
          const entry = { at, id: event.id, line, dailyLayout };
          seen.set(event.id, entry);
          kept.push(entry);
        }
      }
    }
    kept.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const k of kept) await write(`${k.line}\n`, { dailyLayout: k.dailyLayout });
    summary.lines += kept.length;
  }
  return summary;
}

const CLUSTER_DIR = /^cluster=(.+)$/;

/** A stored layout on disk: DIR holding `events/` (or `demo-out/`, whose `bucket/` does). */
export function localEventStore(dir: string): EventStore {
  const root = [dir, join(dir, 'bucket')].find(
    (r) => existsSync(join(r, 'events')) && statSync(join(r, 'events')).isDirectory(),
  );
  if (root === undefined)
    throw new UsageError(
      `${dir} holds no stored events: give a directory with events/cluster=…/ (a synced copy of the bucket's events/ prefix, e.g. aws s3 sync s3://<bucket>/events/ DIR/events/) or demo-out/`,
    );
  const walk = (path: string): string[] =>
    !existsSync(path)
      ? []
      : readdirSync(path).flatMap((name) => {
          const child = join(path, name);
          return statSync(child).isDirectory() ? walk(child) : [child];
        });
  return {
    name: root,
    async *list(prefix) {
      const files = walk(join(root, ...prefix.split('/').filter((p) => p !== '')));
      for (const file of files.sort()) yield relative(root, file).split(sep).join('/');
    },
    async clusters() {
      return readdirSync(join(root, 'events'))
        .map((name) => CLUSTER_DIR.exec(name)?.[1])
        .filter((c): c is string => c !== undefined)
        .sort();
    },
    async read(key) {
      return readFileSync(join(root, ...key.split('/')));
    },
  };
}

/** The audit bucket. */
export function s3EventStore(s3: S3Client, bucket: string): EventStore {
  return {
    name: `s3://${bucket}`,
    async *list(prefix) {
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) if (o.Key) yield o.Key;
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async clusters() {
      const clusters: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: EVENTS_PREFIX,
            Delimiter: '/',
            ContinuationToken: token,
          }),
        );
        for (const p of page.CommonPrefixes ?? []) {
          const name = (p.Prefix ?? '').slice(EVENTS_PREFIX.length).replace(/\/$/, '');
          const cluster = CLUSTER_DIR.exec(name)?.[1];
          if (cluster !== undefined) clusters.push(cluster);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return clusters.sort();
    },
    async read(key) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!object.Body) throw new ExportError(`s3://${bucket}/${key} has no body`);
      return object.Body.transformToByteArray();
    },
  };
}

export interface ExportOptions {
  from?: string;
  to?: string;
  timeZone?: string;
  cluster?: string;
  local?: string;
  out?: string;
  redeliver?: boolean;
  deliveryStream?: string;
  config?: string;
  stack?: string;
}

/** A configured cluster's name or resource id, or any `cluster-…` resource id (or `unknown`). */
function clusterOption(config: AuroraAuditConfig, cluster: string): string {
  const known = findCluster(config, cluster);
  if (known) return known.resourceId;
  if (/^cluster-[A-Za-z0-9]+$/.test(cluster) || cluster === 'unknown') return cluster;
  throw new UsageError(
    `cluster ${JSON.stringify(cluster)} is neither a configured cluster (${config.clusters.map((c) => c.identifier).join(', ')}) nor a cluster resource id (cluster-…)`,
  );
}

function exportRange(opts: ExportOptions, now: Date): SearchRange {
  if (opts.from === undefined) throw new UsageError('--from is required: the first day or instant to export');
  try {
    return eventSearchRange({ from: opts.from, to: opts.to, timeZone: opts.timeZone }, now);
  } catch (err) {
    if (err instanceof InvalidSearchError) throw new UsageError(err.message);
    throw err;
  }
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on('error', reject);
    stream.end(resolve);
  });
}

/**
 * `--redeliver`: the period's daily-layout lines, a UTC day at a time, through the delivery stream (packed and
 * retried as the Lambdas deliver). Exit 1 if any line was not accepted (run it again: a line delivered twice is
 * one event).
 */
async function redeliver(
  io: Parameters<RegisterCommands>[0]['io'],
  setExit: (code: number) => void,
  opts: ExportOptions,
  defaultStack: string,
  store: EventStore,
  range: SearchRange,
  clusters: readonly string[],
): Promise<void> {
  let deliveryStream = opts.deliveryStream;
  if (deliveryStream === undefined) {
    const stack = opts.stack ?? defaultStack;
    const outputs = await stackOutputs(new CloudFormationClient(awsClientConfig()), stack);
    deliveryStream = requireOutput(outputs, OUTPUTS.deliveryStream, stack);
  }
  const firehose = new FirehoseClient(awsClientConfig());
  let pending: string[] = [];
  let delivered = 0;
  let failed = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const result = await deliverToFirehose(
      firehose,
      deliveryStream as string,
      pending.map((line, owner) => ({ line, owner })),
    );
    failed += result.failedOwners.size; // refused after the retries, or too large for a record
    delivered += result.delivered;
    for (const error of result.errors) io.stderr(`${error}\n`);
    pending = [];
  };
  const summary = await exportEvents(store, range, clusters, async (line, from) => {
    if (!from.dailyLayout) return;
    pending.push(line);
    if (pending.length >= REDELIVERY_CHUNK) await flush();
  });
  await flush();
  io.stderr(
    `${delivered} event(s) of ${summary.dailyLayoutObjects} daily-layout object(s) redelivered to ${deliveryStream}; the stream stores them under their hour partitions` +
      `${failed ? `; ${failed} not accepted: run the same command again` : ''}\n`,
  );
  setExit(failed ? 1 : 0);
}

/**
 * UTC days one `--redeliver` run may cover: 14 × 24 hour partitions (336) stay under Firehose's 500 active
 * partitions per stream with room for the live traffic of the fleet.
 */
export const MAX_REDELIVERY_DAYS = 14;

/** Lines handed to one delivery call of --redeliver. */
const REDELIVERY_CHUNK = 5000;

export const register: RegisterCommands = ({ program, io, setExit }) => {
  program
    .command('export')
    .description(
      "Export a period's stored audit events as JSON lines, as they were stored (both storage layouts; each event once), from the audit bucket or locally",
    )
    .option(
      '--from <time>',
      'start, inclusive: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] in --time-zone, or an instant with Z/offset (required)',
    )
    .option(
      '--to <time>',
      'end: a date is inclusive (its whole day), a date and time exclusive (default: now)',
    )
    .option('--time-zone <zone>', 'IANA time zone of --from and --to (default UTC)')
    .option(
      '--cluster <name>',
      'a configured cluster name or a cluster resource id (default: every cluster stored)',
    )
    .option('--out <file>', 'write the lines to this file (default: stdout)')
    .option('--local <dir>', 'read a stored layout on disk (a synced events/ prefix, or demo-out/)')
    .option(
      '--redeliver',
      'migrate the old layout: send the lines of daily-layout objects (before the hour partition) to the delivery stream, which stores them under their hours; print nothing',
    )
    .option(
      '--delivery-stream <name>',
      `with --redeliver: the Firehose stream (default: the stack output ${OUTPUTS.deliveryStream})`,
    )
    .option('-c, --config <file>', 'configuration file (default: the embedded example)')
    .option('--stack <name>', 'deployed stack name (default: the configuration name)')
    .action((opts: ExportOptions, _cmd: Command) =>
      guardUsage(io, setExit, async () => {
        const config = loadConfig(opts.config);
        const range = exportRange(opts, new Date());
        const cluster = opts.cluster === undefined ? undefined : clusterOption(config, opts.cluster);
        let store: EventStore;
        if (opts.local !== undefined) {
          store = localEventStore(opts.local);
        } else {
          const stack = opts.stack ?? config.name;
          const outputs = await stackOutputs(new CloudFormationClient(awsClientConfig()), stack);
          store = s3EventStore(
            new S3Client(awsClientConfig()),
            requireOutput(outputs, OUTPUTS.auditBucket, stack),
          );
        }
        const clusters = cluster === undefined ? await store.clusters() : [cluster];
        io.stderr(
          `exporting ${range.start} to ${range.end} (UTC; end exclusive) of ${clusters.length} cluster(s) from ${store.name}\n`,
        );
        if (opts.redeliver) {
          const days = dayPartitions(range).length;
          if (cluster === undefined || days > MAX_REDELIVERY_DAYS)
            throw new UsageError(
              `--redeliver needs --cluster and at most ${MAX_REDELIVERY_DAYS} UTC days per run (got ${cluster === undefined ? 'every cluster' : `${days} days`}): each redelivered hour is an active Firehose partition for about 5 minutes, and a stream has 500 (more go to events-errors/activePartitionExceeded); wait 10 minutes between runs`,
            );
          await redeliver(io, setExit, opts, config.name, store, range, clusters);
          return;
        }
        const file = opts.out === undefined ? undefined : createWriteStream(opts.out);
        let summary: ExportSummary;
        try {
          summary = await exportEvents(store, range, clusters, (line) => {
            if (file) file.write(line);
            else io.stdout(line);
          });
        } catch (err) {
          if (file) await closeStream(file);
          if (!(err instanceof ExportError)) throw err;
          io.stderr(`${err.message}\n`);
          setExit(1);
          return;
        }
        if (file) await closeStream(file);
        io.stderr(
          `${summary.lines} event(s) exported${opts.out ? ` to ${opts.out}` : ''} from ${summary.objects} object(s)` +
            `${summary.dailyLayoutObjects ? ` (${summary.dailyLayoutObjects} in the daily layout, before the hour partition)` : ''}` +
            `${summary.duplicates ? `; ${summary.duplicates} stored copy(ies) of an exported event left out (same id)` : ''}\n`,
        );
        setExit(0);
      }),
    );
};
