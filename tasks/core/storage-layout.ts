/**
 * The storage contract of the audit bucket. Writers (Firehose, the decrypt and alert Lambdas, the report
 * workflow) and readers (Glue/Athena, the CLI's redrive) use these names and nothing else.
 *
 * ```
 * events/cluster=<clusterId>/day=<YYYY-MM-DD>/hour=<HH>/…  GZIP JSON lines of AuditEvent (Firehose)
 * events-errors/<error-type>/<YYYY>/<MM>/<DD>/…         Firehose processing/delivery failures
 * quarantine/<source>/<YYYY-MM-DD>/<id>.json            unprocessable input: original bytes + reason
 * aws/lambda/<mapping id>/<shard>/…                      Kinesis event-source-mapping failures (S3 on-failure
 *                                                       destination; Lambda chooses this prefix)
 * reports/<period>/<from>_<to>/…                         rendered reports and their CSV evidence
 * athena-results/…                                      Athena query results (workgroup output)
 * canary-runs/day=<YYYY-MM-DD>/<cluster>.<execution>.json  one canary run's record (canary workflow)
 * athena-results/tables/<query id>/…                    each report run's period summary table (CTAS, Parquet)
 * ```
 */
import { type AuditEvent, toJson, toJsonLine } from './audit-event';
import { utcDay, utcHour } from './time';

export const EVENTS_PREFIX = 'events/';
export const EVENTS_ERROR_PREFIX = 'events-errors/';
export const QUARANTINE_PREFIX = 'quarantine/';
/** Where a Kinesis event source mapping's S3 on-failure destination writes: Lambda fixes this prefix. */
export const ON_FAILURE_PREFIX = 'aws/lambda/';
export const REPORTS_PREFIX = 'reports/';
export const ATHENA_RESULTS_PREFIX = 'athena-results/';
/** The canary's run records (tasks/core/canary.ts `CanaryRunRecord`): evidence, kept as long as the reports. */
export const CANARY_RUNS_PREFIX = 'canary-runs/';
/** Where Athena writes the tables a CTAS creates in the report workgroup (its enforced result location). */
export const ATHENA_TABLES_PREFIX = `${ATHENA_RESULTS_PREFIX}tables/`;

/** Partition value used when an event has no cluster id (only the offline CLI produces such events). */
export const UNKNOWN_CLUSTER = 'unknown';

export interface EventPartition {
  readonly cluster: string;
  /** UTC day of the event's time, `YYYY-MM-DD`. */
  readonly day: string;
  /** UTC hour of the event's time within its day, `00` to `23`. */
  readonly hour: string;
}

/** The `cluster=`, `day=` and `hour=` partition an event is stored under. */
export function partitionOf(event: Pick<AuditEvent, 'clusterId' | 'time'>): EventPartition {
  return { cluster: event.clusterId ?? UNKNOWN_CLUSTER, day: utcDay(event.time), hour: utcHour(event.time) };
}

/** `events/cluster=<clusterId>/day=<YYYY-MM-DD>/hour=<HH>/` */
export function eventsPrefix(partition: EventPartition): string {
  return `${EVENTS_PREFIX}cluster=${partition.cluster}/day=${partition.day}/hour=${partition.hour}/`;
}

/**
 * `events/cluster=<clusterId>/day=<YYYY-MM-DD>/`: the prefix of a day. Before the `hour` partition (issue 21),
 * Firehose wrote a day's objects directly under it; since, they lie under its `hour=<HH>/` prefixes. Listing
 * it finds both layouts (see `cli/commands/export.ts`).
 */
export function dayPrefix(cluster: string, day: string): string {
  return `${EVENTS_PREFIX}cluster=${cluster}/day=${day}/`;
}

/**
 * The Firehose dynamic-partitioning JQ query that yields the same partition as {@link partitionOf}
 * for a stored JSON line, and the S3 prefix expression that uses it.
 */
export const FIREHOSE_PARTITION_QUERY = `{cluster: (.clusterId // "${UNKNOWN_CLUSTER}"), day: .time[0:10], hour: .time[11:13]}`;
export const FIREHOSE_EVENTS_PREFIX = `${EVENTS_PREFIX}cluster=!{partitionKeyFromQuery:cluster}/day=!{partitionKeyFromQuery:day}/hour=!{partitionKeyFromQuery:hour}/`;
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
  return fitLine(event, maxBytes, toJsonLine, 'full record in quarantine/', 'full record in quarantine/');
}

/**
 * {@link storedLine} without its newline: the JSON object a Firehose record carries (the delivery stream
 * appends the newline), cut exactly where the stored line would be. The writers pack these: a string built by
 * appending the newline would only be copied again to take it off.
 */
export function storedObject(
  event: AuditEvent,
  maxBytes = MAX_STORED_LINE_BYTES,
): { json: string; truncated: boolean } {
  const { line, truncated } = fitLine(
    event,
    maxBytes - 1,
    toJson,
    'full record in quarantine/',
    'full record in quarantine/',
  );
  return { json: line, truncated };
}

/**
 * `serialize(event)` if it fits in `maxBytes` of UTF-8; else the event with its statement shortened (start kept,
 * marked `where`), and if that is not enough its other long text fields too (marked `fieldsWhere`). Shared by
 * stored lines and alert lines; throws only if the event does not fit even then.
 */
export function fitLine(
  event: AuditEvent,
  maxBytes: number,
  serialize: (e: AuditEvent) => string,
  where: string,
  fieldsWhere: string,
): { line: string; truncated: boolean } {
  const line = serialize(event);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: most lines need no byte count.
  if (line.length * 3 <= maxBytes) return { line, truncated: false };
  const size = Buffer.byteLength(line);
  if (size <= maxBytes) return { line, truncated: false };
  const fitted =
    shortenStatement(event, size, maxBytes, serialize, where) ??
    // Other fields padded too (parameters, object name, error message): each is cut to its start, marked.
    shortenStatement(shortenLongFields(event, fieldsWhere), size, maxBytes, serialize, where);
  if (fitted === undefined) throw new Error(`event ${event.id} does not fit in ${maxBytes} bytes`);
  return { line: fitted, truncated: true };
}

/** Characters kept of a text field other than the statement when a line is too large (its start, marked). */
export const MAX_SHORTENED_FIELD_CHARS = 512;

/**
 * The event with every text field but `id`, `source` and `commandText` cut to
 * {@link MAX_SHORTENED_FIELD_CHARS} (start kept, marked); `id` is unchanged. At most 21 such fields of
 * 512 characters, 6 bytes per JSON-escaped character: under 70 KiB before the statement.
 */
export function shortenLongFields(event: AuditEvent, where: string): AuditEvent {
  const out: Record<string, unknown> = { ...event };
  for (const [name, value] of Object.entries(event)) {
    if (name === 'id' || name === 'source' || name === 'commandText') continue;
    if (typeof value !== 'string' || value.length <= MAX_SHORTENED_FIELD_CHARS) continue;
    out[name] =
      `${value.slice(0, MAX_SHORTENED_FIELD_CHARS)} …[truncated by aurora-audit: ${value.length - MAX_SHORTENED_FIELD_CHARS} of ${value.length} characters omitted; ${where}]`;
  }
  return out as unknown as AuditEvent;
}

/**
 * The line of `event` with its statement shortened (start kept, marked) to fit in `maxBytes`, or undefined
 * if it does not fit even without its statement. `size` is the byte length of the unshortened line.
 */
export function shortenStatement(
  event: AuditEvent,
  size: number,
  maxBytes: number,
  serialize: (e: AuditEvent) => string,
  where: string,
): string | undefined {
  const text = event.commandText ?? '';
  // JSON escaping can grow a character to 6 bytes; shrink until it fits.
  let keep = Math.max(0, text.length - (size - maxBytes) - 200);
  for (;;) {
    const marker = ` …[truncated by aurora-audit: ${text.length - keep} of ${text.length} characters omitted; ${where}]`;
    const candidate = serialize({
      ...event,
      commandText: event.commandText === null ? null : text.slice(0, keep) + marker,
    });
    if (Buffer.byteLength(candidate) <= maxBytes) return candidate;
    if (keep === 0) return undefined;
    keep = Math.max(0, Math.floor(keep * 0.9));
  }
}
