/**
 * Firehose's record processing, as the delivery stream is configured (infra/constructs/stream-processing.ts):
 * multi-record deaggregation of type JSON, then `AppendDelimiterToRecord` (a newline), then the partition
 * keys of each sub-record (`cluster`, `day`, `hour`) and the S3 prefix they make. Written from the AWS documentation, not from the writers' code:
 * - "the separation of records is based on consecutive JSON objects"; "JSON objects must be on a single line
 *   with no delimiter or newline-delimited (JSONL) only. An array of JSON objects is not a valid input";
 * - "Record deaggregation by JSON or by delimiter is capped at 500 per record";
 * - a record that cannot be processed goes to the error output prefix (`processing-failed`).
 * Whitespace between objects is skipped (Firehose's own handling of it is not documented; the writers send
 * none).
 */

export const MAX_SUB_RECORDS = 500;

export class DeaggregationError extends Error {
  override readonly name = 'DeaggregationError';
}

/** The JSON objects of one record, each as its text (no surrounding whitespace). */
export function deaggregateJson(data: Uint8Array): string[] {
  const text = Buffer.from(data).toString('utf8');
  const objects: string[] = [];
  let i = 0;
  const n = text.length;
  const isSpace = (c: string) => c === ' ' || c === '\n' || c === '\r' || c === '\t';
  while (i < n) {
    while (i < n && isSpace(text[i] as string)) i++;
    if (i >= n) break;
    if (text[i] !== '{') {
      throw new DeaggregationError(
        `expected a JSON object at character ${i}, found ${JSON.stringify(text[i])}`,
      );
    }
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < n; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      } else if (c === '\n') {
        throw new DeaggregationError(`a JSON object spread over several lines at character ${i}`);
      }
    }
    if (depth !== 0) throw new DeaggregationError(`unterminated JSON object at character ${start}`);
    const object = text.slice(start, i);
    try {
      JSON.parse(object);
    } catch (err) {
      throw new DeaggregationError(`invalid JSON object at character ${start}: ${(err as Error).message}`);
    }
    objects.push(object);
    if (objects.length > MAX_SUB_RECORDS) {
      throw new DeaggregationError(`more than ${MAX_SUB_RECORDS} JSON objects in one record`);
    }
  }
  if (objects.length === 0) throw new DeaggregationError('no JSON object in the record');
  return objects;
}

/** What Firehose writes to S3 for one incoming record: each sub-record followed by its newline. */
export function deliveredLines(data: Uint8Array): string[] {
  return deaggregateJson(data).map((object) => `${object}\n`);
}

/**
 * The partition-key query the simulator evaluates: the delivery stream's `MetadataExtractionQuery`
 * (`FIREHOSE_PARTITION_QUERY` in tasks/core/storage-layout.ts). {@link partitionKeys} implements this query's
 * JQ semantics, not the writers' `partitionOf`: `//` yields its right side when the left is null or false, and
 * a string slice `.time[a:b]` takes code points a to b (null for a missing field). The demo refuses to run if
 * the stream's query is another.
 */
export const SIMULATED_PARTITION_QUERY =
  '{cluster: (.clusterId // "unknown"), day: .time[0:10], hour: .time[11:13]}';

export class PartitioningError extends Error {
  override readonly name = 'PartitioningError';
}

const slice = (value: unknown, from: number, to: number): unknown =>
  typeof value === 'string' ? [...value].slice(from, to).join('') : null;

/**
 * The partition keys of one sub-record (a JSON object's text). A key that is null, not a string or empty sends
 * the record to the error prefix (`partitioning-failed`) in Firehose: here a {@link PartitioningError}.
 */
export function partitionKeys(object: string): Record<'cluster' | 'day' | 'hour', string> {
  const record = JSON.parse(object) as Record<string, unknown>;
  const clusterId = record.clusterId;
  const keys = {
    cluster: clusterId === null || clusterId === false || clusterId === undefined ? 'unknown' : clusterId,
    day: slice(record.time, 0, 10),
    hour: slice(record.time, 11, 13),
  };
  for (const [name, value] of Object.entries(keys)) {
    if (typeof value !== 'string' || value === '')
      throw new PartitioningError(`partition key ${name} is ${JSON.stringify(value)}`);
  }
  return keys as Record<'cluster' | 'day' | 'hour', string>;
}

/** The S3 prefix of a record: the stream's prefix with each `!{partitionKeyFromQuery:name}` replaced. */
export function partitionedPrefix(prefixTemplate: string, keys: Readonly<Record<string, string>>): string {
  return prefixTemplate.replace(/!\{partitionKeyFromQuery:([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = keys[name];
    if (value === undefined) throw new PartitioningError(`no partition key ${name} in the query's result`);
    return value;
  });
}
