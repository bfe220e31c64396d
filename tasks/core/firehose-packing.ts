/**
 * Packing of JSON lines into Firehose records and PutRecordBatch calls (pure: no AWS client).
 *
 * Firehose bills ingestion per record rounded up to 5 KB, so one ~700-byte event per record pays for 5 KB.
 * Many events go in one record instead, as consecutive JSON objects (`{…}{…}{…}`, no separator), which the
 * delivery stream's multi-record deaggregation (`RecordDeAggregation`, `SubRecordType` JSON) splits again
 * before `AppendDelimiterToRecord` gives each event its newline and dynamic partitioning routes it to its
 * own `cluster=/day=` prefix. No separator inside the record, so the stored lines are the same whether or not
 * Firehose would keep whitespace between objects in a sub-record (AWS does not document it).
 *
 * Limits (AWS docs: "Record deaggregation by JSON or by delimiter is capped at 500 per record"; Firehose
 * quotas: 1,000 KiB per record, 500 records and 4 MiB per PutRecordBatch call).
 *
 * Each record lists the owners (the inputs: Kinesis records, log events) whose events it carries, so a record
 * Firehose refuses fails exactly those inputs. A line that cannot go in any record (over 1,000 KiB alone, or
 * not one JSON object on one line) is returned as rejected with its bytes and the reason, for the caller to
 * quarantine: never dropped.
 */

export interface FirehoseLimits {
  /** JSON objects per record that deaggregation splits out. */
  readonly maxEventsPerRecord: number;
  /** Bytes per record. */
  readonly maxRecordBytes: number;
  /** Records per PutRecordBatch call. */
  readonly maxBatchRecords: number;
  /** Bytes per PutRecordBatch call. */
  readonly maxBatchBytes: number;
}

export const FIREHOSE_LIMITS: FirehoseLimits = {
  maxEventsPerRecord: 500,
  maxRecordBytes: 1000 * 1024,
  maxBatchRecords: 500,
  maxBatchBytes: 4 * 1024 * 1024,
};

export interface PackItem<K> {
  /** One JSON object, with or without its trailing newline. */
  readonly line: string;
  /** The input it came from. */
  readonly owner: K;
}

export interface PackedRecord<K> {
  readonly data: Buffer;
  /** Distinct owners of the events in this record, in order. */
  readonly owners: readonly K[];
  readonly events: number;
}

export interface RejectedItem<K> {
  readonly item: PackItem<K>;
  /** The line's bytes exactly as given. */
  readonly original: Buffer;
  readonly reason: string;
}

export interface Packing<K> {
  /** Records grouped into PutRecordBatch calls. */
  readonly batches: PackedRecord<K>[][];
  readonly rejected: RejectedItem<K>[];
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** The line without its trailing newline, or why it cannot be packed. */
function objectText(line: string): string | { reason: string } {
  const end = line.endsWith('\r\n') ? line.length - 2 : line.endsWith('\n') ? line.length - 1 : line.length;
  const text = end === line.length ? line : line.slice(0, end);
  if (text.charCodeAt(0) !== OPEN_BRACE || text.charCodeAt(text.length - 1) !== CLOSE_BRACE) {
    return { reason: 'not a JSON object: Firehose JSON deaggregation accepts only consecutive objects' };
  }
  if (text.includes('\n')) return { reason: 'a JSON object spread over several lines' };
  return text;
}

/** Packs lines into as few records and calls as the limits allow, keeping their order. */
export function packForFirehose<K>(
  items: readonly PackItem<K>[],
  limits: FirehoseLimits = FIREHOSE_LIMITS,
): Packing<K> {
  const batches: PackedRecord<K>[][] = [];
  const rejected: RejectedItem<K>[] = [];
  let batch: PackedRecord<K>[] = [];
  let batchBytes = 0;
  let parts: string[] = [];
  let owners: K[] = [];
  let recordBytes = 0;

  const closeRecord = () => {
    if (parts.length === 0) return;
    const data = Buffer.from(parts.length === 1 ? (parts[0] as string) : parts.join(''), 'utf8');
    if (batch.length === limits.maxBatchRecords || batchBytes + data.length > limits.maxBatchBytes) {
      batches.push(batch);
      batch = [];
      batchBytes = 0;
    }
    batch.push({ data, owners, events: parts.length });
    batchBytes += data.length;
    parts = [];
    owners = [];
    recordBytes = 0;
  };

  for (const item of items) {
    const text = objectText(item.line);
    if (typeof text !== 'string') {
      rejected.push({ item, original: Buffer.from(item.line, 'utf8'), reason: text.reason });
      continue;
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > limits.maxRecordBytes) {
      rejected.push({
        item,
        original: Buffer.from(item.line, 'utf8'),
        reason: `an event of ${bytes} bytes exceeds Firehose's ${limits.maxRecordBytes}-byte record limit`,
      });
      continue;
    }
    if (parts.length === limits.maxEventsPerRecord || recordBytes + bytes > limits.maxRecordBytes)
      closeRecord();
    parts.push(text);
    recordBytes += bytes;
    if (owners.length === 0 || owners[owners.length - 1] !== item.owner) {
      if (!owners.includes(item.owner)) owners.push(item.owner);
    }
  }
  closeRecord();
  if (batch.length > 0) batches.push(batch);
  return { batches, rejected };
}

/** What Firehose bills for ingesting these records: each rounded up to 5 KB (5,120 bytes). */
export function billedIngestionBytes(recordSizes: Iterable<number>, roundingBytes = 5 * 1024): number {
  let total = 0;
  for (const size of recordSizes) total += Math.ceil(Math.max(size, 1) / roundingBytes) * roundingBytes;
  return total;
}
