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
 * Packs lines into as few records and calls as the limits allow, keeping their order. Two passes: the first
 * measures each line and places it in a record; the second encodes every line once, straight into one buffer
 * of exactly the packed size that the records share (no scratch buffer, no copies: on the decrypt Lambda's
 * hot path, fresh memory costs more to touch than the encoding itself).
 */
export function packForFirehose<K>(
  items: readonly PackItem<K>[],
  limits: FirehoseLimits = FIREHOSE_LIMITS,
): Packing<K> {
  const rejected: RejectedItem<K>[] = [];
  const max = limits.maxRecordBytes;
  // Pass 1: each packable line's UTF-8 length (without its newline) and record; -1 for a rejected line.
  const lineBytes = new Int32Array(items.length);
  const recordOf = new Int32Array(items.length);
  const recordBytes: number[] = [];
  let total = 0;
  let events = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as PackItem<K>;
    const { line } = item;
    const newline = newlineLength(line);
    const reason = unpackable(line, line.length - newline);
    const bytes = reason === undefined ? Buffer.byteLength(line, 'utf8') - newline : 0;
    if (reason !== undefined || bytes > max) {
      recordOf[i] = -1;
      rejected.push({
        item,
        original: Buffer.from(line, 'utf8'),
        reason: reason ?? `an event of ${bytes} bytes exceeds Firehose's ${max}-byte record limit`,
      });
      continue;
    }
    const current = recordBytes.length - 1;
    if (
      current < 0 ||
      events === limits.maxEventsPerRecord ||
      (recordBytes[current] as number) + bytes > max
    ) {
      recordBytes.push(0);
      events = 0;
    }
    recordOf[i] = recordBytes.length - 1;
    recordBytes[recordBytes.length - 1] = (recordBytes[recordBytes.length - 1] as number) + bytes;
    lineBytes[i] = bytes;
    total += bytes;
    events++;
  }

  // Pass 2: encode into the shared buffer, record by record.
  const arena = Buffer.allocUnsafe(total);
  const records: PackedRecord<K>[] = [];
  let offset = 0;
  let record = -1;
  let start = 0;
  let owners: K[] = [];
  events = 0;
  const closeRecord = () => {
    if (events > 0) records.push({ data: arena.subarray(start, offset), owners, events });
  };
  for (let i = 0; i < items.length; i++) {
    const r = recordOf[i] as number;
    if (r < 0) continue;
    const item = items[i] as PackItem<K>;
    if (r !== record) {
      closeRecord();
      record = r;
      start = offset;
      owners = [];
      events = 0;
    }
    offset += arena.write(item.line, offset, lineBytes[i] as number, 'utf8');
    events++;
    if (owners.length === 0 || owners[owners.length - 1] !== item.owner) {
      if (!owners.includes(item.owner)) owners.push(item.owner);
    }
  }
  closeRecord();
  // The two passes measured and wrote the same bytes (a line cut short would lose its closing brace).
  if (offset !== total) throw new Error(`packForFirehose wrote ${offset} bytes where it measured ${total}`);
  return { batches: batchRecords(records, limits), rejected };
}

/** Groups records into PutRecordBatch calls, in order, within the records and bytes per call. */
function batchRecords<K>(records: readonly PackedRecord<K>[], limits: FirehoseLimits): PackedRecord<K>[][] {
  const batches: PackedRecord<K>[][] = [];
  let batch: PackedRecord<K>[] = [];
  let batchBytes = 0;
  for (const record of records) {
    if (batch.length === limits.maxBatchRecords || batchBytes + record.data.length > limits.maxBatchBytes) {
      batches.push(batch);
      batch = [];
      batchBytes = 0;
    }
    batch.push(record);
    batchBytes += record.data.length;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** What Firehose bills for ingesting these records: each rounded up to 5 KB (5,120 bytes). */
export function billedIngestionBytes(recordSizes: Iterable<number>, roundingBytes = 5 * 1024): number {
  let total = 0;
  for (const size of recordSizes) total += Math.ceil(Math.max(size, 1) / roundingBytes) * roundingBytes;
  return total;
}
