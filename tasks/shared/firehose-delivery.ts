/**
 * Delivery of JSON lines to Firehose with PutRecordBatch: at most 500 records and 4 MiB per call, entries
 * that come back failed are retried with exponential backoff and jitter, and what still fails after the
 * last attempt is returned by owner, so the caller can report those inputs as failures to be retried.
 */
import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';

export const MAX_BATCH_RECORDS = 500;
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** Firehose's limit for one record (1,000 KiB). */
export const MAX_RECORD_BYTES = 1000 * 1024;

export interface DeliveryItem<K> {
  readonly line: string;
  readonly owner: K;
}

export interface DeliveryResult<K> {
  /** Owners with at least one line that was not delivered. */
  readonly failedOwners: Set<K>;
  delivered: number;
  calls: number;
  retriedEntries: number;
  /** Last error per failure kind, for the log. */
  readonly errors: string[];
}

export interface DeliveryOptions {
  /** Attempts per entry, the first included. Default 5. */
  readonly maxAttempts?: number;
  /** First backoff in ms, doubled each attempt, with full jitter. Default 100. */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export class RecordTooLargeError extends Error {
  override readonly name = 'RecordTooLargeError';
}

/** Splits items into PutRecordBatch-sized groups. */
export function toBatches<K>(items: readonly DeliveryItem<K>[]): { item: DeliveryItem<K>; data: Buffer }[][] {
  const batches: { item: DeliveryItem<K>; data: Buffer }[][] = [];
  let current: { item: DeliveryItem<K>; data: Buffer }[] = [];
  let bytes = 0;
  for (const item of items) {
    const data = Buffer.from(item.line, 'utf8');
    if (data.length > MAX_RECORD_BYTES) {
      throw new RecordTooLargeError(
        `a line of ${data.length} bytes exceeds Firehose's ${MAX_RECORD_BYTES}-byte record limit`,
      );
    }
    if (current.length === MAX_BATCH_RECORDS || bytes + data.length > MAX_BATCH_BYTES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push({ item, data });
    bytes += data.length;
  }
  if (current.length > 0) batches.push(current);
  return batches;
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
  const result: DeliveryResult<K> = {
    failedOwners: new Set(),
    delivered: 0,
    calls: 0,
    retriedEntries: 0,
    errors: [],
  };

  for (const batch of toBatches(items)) {
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
      result.delivered += pending.length - failed.length;
      pending = failed;
      if (attempt >= maxAttempts) break;
    }
    for (const p of pending) result.failedOwners.add(p.item.owner);
  }
  result.errors.splice(0, Math.max(0, result.errors.length - 10));
  return result;
}
