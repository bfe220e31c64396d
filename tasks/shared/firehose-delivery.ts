/**
 * Delivery of JSON lines to Firehose with PutRecordBatch. The lines are packed many per record
 * (../core/firehose-packing: at most 500 events and 1,000 KiB per record, 500 records and 4 MiB per call);
 * records that come back failed are retried with exponential backoff and jitter, and what still fails after
 * the last attempt is returned by owner (every owner with an event in a failed record), so the caller can
 * report exactly those inputs as failures to be retried. Lines that fit in no record are returned as
 * rejected, for the caller to quarantine.
 */
import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { FIREHOSE_LIMITS, type PackItem, packForFirehose, type RejectedItem } from '../core/firehose-packing';

export const MAX_BATCH_RECORDS = FIREHOSE_LIMITS.maxBatchRecords;
export const MAX_BATCH_BYTES = FIREHOSE_LIMITS.maxBatchBytes;
/** Firehose's limit for one record (1,000 KiB). */
export const MAX_RECORD_BYTES = FIREHOSE_LIMITS.maxRecordBytes;

export type DeliveryItem<K> = PackItem<K>;

export interface DeliveryResult<K> {
  /**
   * Owners with at least one event that was not delivered: its record refused after the last attempt, or the
   * event rejected. A caller that quarantines the rejected events uses {@link refusedOwners} instead.
   */
  readonly failedOwners: Set<K>;
  /** Owners with at least one event in a record Firehose still refused after the last attempt. */
  readonly refusedOwners: Set<K>;
  /** Events delivered. */
  delivered: number;
  /** Firehose records delivered (each carrying one or more events). */
  deliveredRecords: number;
  calls: number;
  /** Records sent again after a failure. */
  retriedEntries: number;
  /** Events that fit in no Firehose record, with their bytes and the reason: the caller quarantines them. */
  readonly rejected: RejectedItem<K>[];
  /** Last error per failure kind, for the log. */
  readonly errors: string[];
}

export interface DeliveryOptions {
  /** Attempts per record, the first included. Default 5. */
  readonly maxAttempts?: number;
  /** First backoff in ms, doubled each attempt, with full jitter. Default 100. */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export async function deliverToFirehose<K>(
  firehose: FirehoseClient,
  deliveryStreamName: string,
  items: readonly DeliveryItem<K>[],
  options: DeliveryOptions = {},
): Promise<DeliveryResult<K>> {
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const { batches, rejected } = packForFirehose(items);
  const result: DeliveryResult<K> = {
    failedOwners: new Set(rejected.map((r) => r.item.owner)),
    refusedOwners: new Set(),
    delivered: 0,
    deliveredRecords: 0,
    calls: 0,
    retriedEntries: 0,
    rejected,
    errors: [],
  };

  for (const batch of batches) {
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) {
        result.retriedEntries += pending.length;
        await sleep(Math.floor(random() * baseDelayMs * 2 ** (attempt - 2)));
      }
      result.calls++;
      let failed: typeof pending;
      try {
        const response = await firehose.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: deliveryStreamName,
            Records: pending.map((p) => ({ Data: p.data })),
          }),
        );
        const responses = response.RequestResponses ?? [];
        failed = pending.filter((_, i) => {
          const r = responses[i];
          if (r === undefined || r.ErrorCode) {
            if (r?.ErrorCode) result.errors.push(`${r.ErrorCode}: ${r.ErrorMessage ?? ''}`);
            return true;
          }
          return false;
        });
      } catch (err) {
        result.errors.push(`${(err as Error).name}: ${(err as Error).message}`);
        failed = pending;
      }
      const refused = new Set(failed);
      for (const p of pending) {
        if (refused.has(p)) continue;
        result.delivered += p.events;
        result.deliveredRecords++;
      }
      pending = failed;
      if (attempt >= maxAttempts) break;
    }
    for (const p of pending) {
      for (const owner of p.owners) {
        result.failedOwners.add(owner);
        result.refusedOwners.add(owner);
      }
    }
  }
  result.errors.splice(0, Math.max(0, result.errors.length - 10));
  return result;
}
