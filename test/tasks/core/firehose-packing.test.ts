import { deaggregateJson, deliveredLines } from '../../../cli/local/aws/firehose';
import { auditEvent } from '../../../cli/local/records/audit-event';
import {
  billedIngestionBytes,
  FIREHOSE_LIMITS,
  type PackItem,
  packForFirehose,
} from '../../../tasks/core/firehose-packing';
import { storedLine } from '../../../tasks/core/storage-layout';

const KIB = 1024;

/** A stored line (newline-terminated JSON of the event model) of exactly `bytes` bytes, newline included. */
function lineOfBytes(bytes: number, statementId = 1): string {
  const base = storedLine(auditEvent({ statementId, commandText: '' })).line;
  const pad = bytes - Buffer.byteLength(base);
  if (pad < 0) throw new Error(`a line cannot be shorter than ${Buffer.byteLength(base)} bytes`);
  const line = storedLine(auditEvent({ statementId, commandText: 'x'.repeat(pad) }), 2000 * KIB).line;
  expect(Buffer.byteLength(line)).toBe(bytes);
  return line;
}

const items = (lines: readonly string[], owner: (i: number) => string = (i) => `k${i}`): PackItem<string>[] =>
  lines.map((line, i) => ({ line, owner: owner(i) }));

/** The events of every packed record, as Firehose's deaggregation (the simulator) splits them. */
function eventsOf(packing: ReturnType<typeof packForFirehose<string>>): number[][] {
  return packing.batches.flatMap((b) =>
    b.map((r) => deaggregateJson(r.data).map((o) => JSON.parse(o).statementId as number)),
  );
}

describe('packing events into Firehose records', () => {
  it('puts exactly 500 events in one record and the 501st in the next', () => {
    const lines = Array.from({ length: 501 }, (_, i) => storedLine(auditEvent({ statementId: i })).line);
    const packing = packForFirehose(items(lines));
    expect(packing.rejected).toEqual([]);
    expect(packing.batches).toHaveLength(1);
    expect(packing.batches[0]!.map((r) => r.events)).toEqual([500, 1]);
    expect(eventsOf(packing).map((r) => r.length)).toEqual([500, 1]);
    expect(eventsOf(packing).flat()).toEqual(lines.map((_, i) => i));
  });

  it('keeps exactly 500 events in one record', () => {
    const lines = Array.from({ length: 500 }, (_, i) => storedLine(auditEvent({ statementId: i })).line);
    const packing = packForFirehose(items(lines));
    expect(packing.batches.flat().map((r) => r.events)).toEqual([500]);
  });

  it('sends the events as consecutive JSON objects that Firehose stores as the same newline-terminated lines', () => {
    const lines = Array.from({ length: 3 }, (_, i) => storedLine(auditEvent({ statementId: i })).line);
    const [record] = packForFirehose(items(lines)).batches[0]!;
    expect(record!.data.toString()).toBe(lines.map((l) => l.slice(0, -1)).join(''));
    expect(deliveredLines(record!.data)).toEqual(lines);
  });

  it('puts an event of exactly 1,000 KiB alone in its record, and closes the open record before it', () => {
    const small = storedLine(auditEvent({ statementId: 1 })).line;
    // 1,000 KiB without its newline (what goes in the record), 1 byte more with it.
    const huge = lineOfBytes(1000 * KIB + 1, 2);
    const packing = packForFirehose(items([small, huge, small]));
    expect(packing.rejected).toEqual([]);
    const records = packing.batches.flat();
    expect(records.map((r) => r.events)).toEqual([1, 1, 1]);
    expect(records[1]!.data.length).toBe(FIREHOSE_LIMITS.maxRecordBytes);
    expect(records.map((r) => r.owners)).toEqual([['k0'], ['k1'], ['k2']]);
  });

  it('quarantines an event over 1,000 KiB alone: returned with its original bytes and the reason, the others packed', () => {
    const over = lineOfBytes(1000 * KIB + 2, 2);
    const lines = [
      storedLine(auditEvent({ statementId: 1 })).line,
      over,
      storedLine(auditEvent({ statementId: 3 })).line,
    ];
    const packing = packForFirehose(items(lines));
    expect(packing.rejected).toHaveLength(1);
    const [rejected] = packing.rejected;
    expect(rejected!.item.owner).toBe('k1');
    expect(rejected!.original.equals(Buffer.from(over))).toBe(true);
    expect(rejected!.reason).toBe(
      `an event of ${1000 * KIB + 1} bytes exceeds Firehose's 1024000-byte record limit`,
    );
    expect(eventsOf(packing)).toEqual([[1, 3]]);
  });

  it('rejects a line that is not one JSON object on one line, with its bytes, instead of spoiling its record', () => {
    const good = storedLine(auditEvent({ statementId: 1 })).line;
    const packing = packForFirehose(items(['[{"a":1}]\n', '{"a":\n1}\n', good]));
    expect(packing.rejected.map((r) => [r.item.owner, r.original.toString()])).toEqual([
      ['k0', '[{"a":1}]\n'],
      ['k1', '{"a":\n1}\n'],
    ]);
    expect(packing.rejected[0]!.reason).toMatch(/not a JSON object/);
    expect(eventsOf(packing)).toEqual([[1]]);
  });

  it('closes a record before it would pass 1,000 KiB', () => {
    // Three events of 400,000 bytes: two fit (800,000), the third would pass 1,024,000.
    const lines = [1, 2, 3].map((id) => lineOfBytes(400_001, id));
    const records = packForFirehose(items(lines)).batches.flat();
    expect(records.map((r) => r.events)).toEqual([2, 1]);
    expect(records.every((r) => r.data.length <= FIREHOSE_LIMITS.maxRecordBytes)).toBe(true);
  });

  it('splits calls at 4 MiB and at 500 records', () => {
    // Records of ~1,000 KiB: four fit in 4 MiB, the fifth goes to the next call.
    const big = [1, 2, 3, 4, 5].map((id) => lineOfBytes(1000 * KIB, id));
    expect(packForFirehose(items(big)).batches.map((b) => b.length)).toEqual([4, 1]);
    // 501 records of one event each (limits shrunk to one event per record).
    const lines = Array.from({ length: 501 }, (_, i) => storedLine(auditEvent({ statementId: i })).line);
    const packing = packForFirehose(items(lines), { ...FIREHOSE_LIMITS, maxEventsPerRecord: 1 });
    expect(packing.batches.map((b) => b.length)).toEqual([500, 1]);
    for (const batch of packForFirehose(items(big)).batches) {
      expect(batch.reduce((n, r) => n + r.data.length, 0)).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxBatchBytes);
    }
  });

  it('lists each record’s distinct owners in order, so a refused record fails exactly the inputs it carried', () => {
    const lines = Array.from({ length: 1200 }, (_, i) => storedLine(auditEvent({ statementId: i })).line);
    const records = packForFirehose(items(lines, (i) => `k${Math.floor(i / 400)}`)).batches.flat();
    expect(records.map((r) => r.owners)).toEqual([['k0', 'k1'], ['k1', 'k2'], ['k2']]);
  });

  it('bills each record rounded up to 5 KB', () => {
    expect(billedIngestionBytes([1, 5120, 5121, 700 * 500])).toBe(5120 + 5120 + 10240 + 69 * 5120);
  });
});
