/**
 * Firehose's record processing, as the delivery stream is configured (infra/constructs/stream-processing.ts):
 * multi-record deaggregation of type JSON, then `AppendDelimiterToRecord` (a newline), then the partition
 * keys of each sub-record. Written from the AWS documentation, not from the writers' code:
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
