/**
 * The storage contract of the audit bucket. Writers (Firehose, the decrypt and alert Lambdas, the report
 * workflow) and readers (Glue/Athena, the CLI's redrive) use these names and nothing else.
 *
 * ```
 * events/cluster=<clusterId>/day=<YYYY-MM-DD>/…        GZIP JSON lines of AuditEvent (Firehose)
 * events-errors/<error-type>/<YYYY>/<MM>/<DD>/…         Firehose processing/delivery failures
 * quarantine/<source>/<YYYY-MM-DD>/<id>.json            unprocessable input: original bytes + reason
 * aws/lambda/<mapping id>/<shard>/…                      Kinesis event-source-mapping failures (S3 on-failure
 *                                                       destination; Lambda chooses this prefix)
 * reports/<period>/<from>_<to>/…                         rendered reports and their CSV evidence
 * athena-results/…                                      Athena query results (workgroup output)
 * ```
 */
import { type AuditEvent, toJsonLine } from './audit-event';
import { utcDay } from './time';

export const EVENTS_PREFIX = 'events/';
export const EVENTS_ERROR_PREFIX = 'events-errors/';
export const QUARANTINE_PREFIX = 'quarantine/';
/** Where a Kinesis event source mapping's S3 on-failure destination writes: Lambda fixes this prefix. */
export const ON_FAILURE_PREFIX = 'aws/lambda/';
export const REPORTS_PREFIX = 'reports/';
export const ATHENA_RESULTS_PREFIX = 'athena-results/';

/** Partition value used when an event has no cluster id (only the offline CLI produces such events). */
export const UNKNOWN_CLUSTER = 'unknown';

export interface EventPartition {
  readonly cluster: string;
  readonly day: string;
}

/** The `cluster=` and `day=` partition an event is stored under. */
export function partitionOf(event: Pick<AuditEvent, 'clusterId' | 'time'>): EventPartition {
  return { cluster: event.clusterId ?? UNKNOWN_CLUSTER, day: utcDay(event.time) };
}

/** `events/cluster=<clusterId>/day=<YYYY-MM-DD>/` */
export function eventsPrefix(partition: EventPartition): string {
  return `${EVENTS_PREFIX}cluster=${partition.cluster}/day=${partition.day}/`;
}

/**
 * The Firehose dynamic-partitioning JQ query that yields the same partition as {@link partitionOf}
 * for a stored JSON line, and the S3 prefix expression that uses it.
 */
export const FIREHOSE_PARTITION_QUERY = `{cluster: (.clusterId // "${UNKNOWN_CLUSTER}"), day: .time[0:10]}`;
export const FIREHOSE_EVENTS_PREFIX = `${EVENTS_PREFIX}cluster=!{partitionKeyFromQuery:cluster}/day=!{partitionKeyFromQuery:day}/`;
export const FIREHOSE_ERROR_PREFIX = `${EVENTS_ERROR_PREFIX}!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/`;

/** Key of a quarantined input: `quarantine/<source>/<YYYY-MM-DD>/<name>.json`. */
export function quarantineKey(source: string, receivedAt: Date, name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(source) || !/^[A-Za-z0-9._=-]+$/.test(name)) {
    throw new Error(`quarantine key parts must be URL-safe, got ${JSON.stringify({ source, name })}`);
  }
  return `${QUARANTINE_PREFIX}${source}/${receivedAt.toISOString().slice(0, 10)}/${name}.json`;
}

/** Firehose's limit for one record (1,000 KiB); a stored line must fit in it. */
export const MAX_STORED_LINE_BYTES = 1000 * 1024;

/**
 * The stored line of an event, cut to {@link MAX_STORED_LINE_BYTES} if needed by shortening `commandText`
 * (marked, `id` unchanged). The caller quarantines the original input of a truncated event, so the full
 * statement is never lost.
 */
export function storedLine(
  event: AuditEvent,
  maxBytes = MAX_STORED_LINE_BYTES,
): { line: string; truncated: boolean } {
  const line = toJsonLine(event);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: most lines need no byte count.
  if (line.length * 3 <= maxBytes) return { line, truncated: false };
  const size = Buffer.byteLength(line);
  if (size <= maxBytes) return { line, truncated: false };
  const text = event.commandText ?? '';
  // JSON escaping can grow a character to 6 bytes; shrink until it fits.
  let keep = Math.max(0, text.length - (size - maxBytes) - 200);
  for (;;) {
    const marker = ` …[truncated by aurora-audit: ${text.length - keep} of ${text.length} characters omitted; full record in quarantine/]`;
    const candidate = toJsonLine({ ...event, commandText: text.slice(0, keep) + marker });
    if (Buffer.byteLength(candidate) <= maxBytes) return { line: candidate, truncated: true };
    if (keep === 0)
      throw new Error(`event ${event.id} does not fit in ${maxBytes} bytes even without its statement`);
    keep = Math.max(0, Math.floor(keep * 0.9));
  }
}
