/**
 * The storage contract of the audit bucket. Writers (Firehose, the decrypt and alert Lambdas, the report
 * workflow) and readers (Glue/Athena, the CLI's redrive) use these names and nothing else.
 *
 * ```
 * events/cluster=<clusterId>/day=<YYYY-MM-DD>/…        GZIP JSON lines of AuditEvent (Firehose)
 * events-errors/<error-type>/<YYYY>/<MM>/<DD>/…         Firehose processing/delivery failures
 * quarantine/<source>/<YYYY-MM-DD>/<id>.json            unprocessable input: original bytes + reason
 * on-failure/…                                          Lambda event-source-mapping failure records
 * reports/<period>/<from>_<to>/…                         rendered reports and their CSV evidence
 * athena-results/…                                      Athena query results (workgroup output)
 * ```
 */
import type { AuditEvent } from './audit-event';
import { utcDay } from './time';

export const EVENTS_PREFIX = 'events/';
export const EVENTS_ERROR_PREFIX = 'events-errors/';
export const QUARANTINE_PREFIX = 'quarantine/';
export const ON_FAILURE_PREFIX = 'on-failure/';
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
