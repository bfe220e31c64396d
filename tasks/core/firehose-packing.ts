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
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** Length of the line's trailing newline (`\n` or `\r\n`), 0 if none. */
function newlineLength(line: string): number {
  if (line.charCodeAt(line.length - 1) !== NEWLINE) return 0;
  return line.charCodeAt(line.length - 2) === CARRIAGE_RETURN ? 2 : 1;
}

/** Why the line (without its newline, `length` characters) cannot go in a JSON-deaggregated record, if so. */
function unpackable(line: string, length: number): string | undefined {
  if (line.charCodeAt(0) !== OPEN_BRACE || line.charCodeAt(length - 1) !== CLOSE_BRACE) {
    return 'not a JSON object: Firehose JSON deaggregation accepts only consecutive objects';
  }
  const newline = line.indexOf('\n');
  if (newline >= 0 && newline < length) return 'a JSON object spread over several lines';
  return undefined;
}

/**
 * Packs lines into as few records and calls as the limits allow, keeping their order. Each line is encoded
 * once, straight into the record being built (the hot path of the decrypt Lambda: no intermediate strings).
 */
export function packForFirehose<K>(
  items: readonly PackItem<K>[],
  limits: FirehoseLimits = FIREHOSE_LIMITS,
): Packing<K> {
  const batches: PackedRecord<K>[][] = [];
  const rejected: RejectedItem<K>[] = [];
  const max = limits.maxRecordBytes;
  let chars = 0;
  for (const item of items) chars += item.line.length;
  // Room for a full record plus the newline written (then dropped) after its last object.
  const record = Buffer.allocUnsafe(Math.min(max, chars * 3) + 2);
  let batch: PackedRecord<K>[] = [];
  let batchBytes = 0;
  let events = 0;
  let owners: K[] = [];
  let recordBytes = 0;

  const closeRecord = () => {
    if (events === 0) return;
    const data = Buffer.from(record.subarray(0, recordBytes));
    if (batch.length === limits.maxBatchRecords || batchBytes + data.length > limits.maxBatchBytes) {
      batches.push(batch);
      batch = [];
      batchBytes = 0;
    }
    batch.push({ data, owners, events });
    batchBytes += data.length;
    events = 0;
    owners = [];
    recordBytes = 0;
  };

  for (const item of items) {
    const { line } = item;
    const newline = newlineLength(line);
    const length = line.length - newline;
    const reason = unpackable(line, length);
    if (reason !== undefined) {
      rejected.push({ item, original: Buffer.from(line, 'utf8'), reason });
      continue;
    }
    // A UTF-16 code unit is at most 3 UTF-8 bytes: the exact size is needed only near a limit.
    let bytes = length * 3 > max ? Buffer.byteLength(line, 'utf8') - newline : undefined;
    if (bytes !== undefined && bytes > max) {
      rejected.push({
        item,
        original: Buffer.from(line, 'utf8'),
        reason: `an event of ${bytes} bytes exceeds Firehose's ${max}-byte record limit`,
      });
      continue;
    }
    if (events === limits.maxEventsPerRecord) closeRecord();
    if (length * 3 > max - recordBytes) {
      bytes ??= Buffer.byteLength(line, 'utf8') - newline;
      if (recordBytes + bytes > max) closeRecord();
    }
    recordBytes += record.write(line, recordBytes, 'utf8') - newline;
    events++;
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
