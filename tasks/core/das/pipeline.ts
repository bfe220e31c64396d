/**
 * The whole activity-stream path for one record, shared by the decrypt Lambda, the CLI (`decode`,
 * `redrive`), the benchmark and the demo: decode → decrypt → decompress → filter → normalize → redact →
 * serialize (stored lines).
 */
import type { AuditEvent } from '../audit-event';
import type { Redactor } from '../redact';
import { storedObject } from '../storage-layout';
import { normalizeActivityPayload } from './normalize';
import { type DataKeyResolver, type DecodedRecord, type DecodeLimits, decodeActivityRecord } from './record';

export interface ProcessOptions {
  readonly resolveDataKey: DataKeyResolver;
  readonly redact: Redactor;
  /** Lower-cased service users to drop. */
  readonly serviceUsers: ReadonlySet<string>;
  readonly includeHeartbeats?: boolean;
  readonly limits?: DecodeLimits;
}

export interface ProcessedRecord {
  readonly decoded: DecodedRecord;
  readonly events: AuditEvent[];
  /**
   * One stored JSON object per event, without its newline (the delivery stream appends it), truncated to fit
   * a Firehose record where needed: what the writers pack into Firehose records.
   */
  readonly lines: string[];
  /** Why part of the record could not be stored as is (events unreadable, statements truncated). */
  readonly problems: string[];
  readonly heartbeats: number;
  readonly serviceUserEvents: number;
}

/**
 * Processes one record's bytes from the stream of `clusterResourceId`.
 * @throws PermanentRecordError (quarantine) or a transient error (retry), as decodeActivityRecord.
 */
export async function processActivityRecord(
  data: Uint8Array,
  clusterResourceId: string,
  options: ProcessOptions,
): Promise<ProcessedRecord> {
  const decoded = await decodeActivityRecord(data, clusterResourceId, options.resolveDataKey, options.limits);
  const normalized = normalizeActivityPayload(decoded.payload, {
    redact: options.redact,
    serviceUserSet: options.serviceUsers,
    includeHeartbeats: options.includeHeartbeats,
  });
  const problems = normalized.rejected.map((r) => `event ${r.index}: ${r.reason}`);
  const lines: string[] = [];
  for (const event of normalized.events) {
    const { json, truncated } = storedObject(event);
    if (truncated) problems.push(`event ${event.id}: statement truncated to fit a Firehose record`);
    lines.push(json);
  }
  return {
    decoded,
    events: normalized.events,
    lines,
    problems,
    heartbeats: normalized.heartbeats,
    serviceUserEvents: normalized.serviceUserEvents,
  };
}
