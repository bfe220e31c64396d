import { auditEvent } from '../../../cli/local/records/audit-event';
import {
  dayPrefix,
  eventsPrefix,
  FIREHOSE_EVENTS_PREFIX,
  FIREHOSE_PARTITION_QUERY,
  MAX_STORED_LINE_BYTES,
  partitionOf,
  quarantineKey,
  storedLine,
  storedObject,
} from '../../../tasks/core/storage-layout';

describe('the storage layout', () => {
  it('stores an event under its cluster resource id and the UTC day and hour of its time', () => {
    const event = auditEvent({
      clusterId: 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
      time: '2026-11-24T23:59:59.999Z',
    });
    expect(eventsPrefix(partitionOf(event))).toBe(
      'events/cluster=cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ/day=2026-11-24/hour=23/',
    );
    expect(partitionOf(auditEvent({ time: '2026-11-25T00:00:00.000000Z' }))).toMatchObject({
      day: '2026-11-25',
      hour: '00',
    });
  });

  it('names the prefix of a day, under which both the daily layout and the hourly one lie', () => {
    const event = auditEvent({ clusterId: 'cluster-A', time: '2026-11-24T07:00:00Z' });
    expect(dayPrefix('cluster-A', '2026-11-24')).toBe('events/cluster=cluster-A/day=2026-11-24/');
    expect(eventsPrefix(partitionOf(event)).startsWith(dayPrefix('cluster-A', '2026-11-24'))).toBe(true);
  });

  it('stores an event without a cluster id under cluster=unknown', () => {
    expect(partitionOf(auditEvent({ clusterId: null })).cluster).toBe('unknown');
  });

  it('gives Firehose a partition query and prefix that produce the same layout', () => {
    expect(FIREHOSE_PARTITION_QUERY).toBe(
      '{cluster: (.clusterId // "unknown"), day: .time[0:10], hour: .time[11:13]}',
    );
    expect(FIREHOSE_EVENTS_PREFIX).toBe(
      'events/cluster=!{partitionKeyFromQuery:cluster}/day=!{partitionKeyFromQuery:day}/hour=!{partitionKeyFromQuery:hour}/',
    );
  });

  it('names quarantined input by source, UTC day and name', () => {
    expect(quarantineKey('das', new Date('2026-11-24T23:00:00Z'), 'shard-1_495')).toBe(
      'quarantine/das/2026-11-24/shard-1_495.json',
    );
    expect(() => quarantineKey('das', new Date(), '../escape')).toThrow('URL-safe');
  });

  describe('the stored object a Firehose record carries', () => {
    // The statement length that makes an event's stored line exactly `bytes` long.
    const withLineOf = (bytes: number) => {
      const base = Buffer.byteLength(storedLine(auditEvent({ commandText: '' })).line);
      return auditEvent({ commandText: 'x'.repeat(bytes - base) });
    };

    it.each([
      ['a small event', auditEvent()],
      ['an event whose line is exactly the limit', withLineOf(MAX_STORED_LINE_BYTES)],
      ['an event whose line is one byte over the limit', withLineOf(MAX_STORED_LINE_BYTES + 1)],
      ['an event with a 1.5 MB statement', auditEvent({ commandText: 'é'.repeat(750_000) })],
    ])('is the stored line of %s without its newline, cut at the same place', (_what, event) => {
      const { line, truncated } = storedLine(event);
      const object = storedObject(event);
      expect(object.json).toBe(line.slice(0, -1));
      expect(line.endsWith('\n')).toBe(true);
      expect(object.truncated).toBe(truncated);
      expect(Buffer.byteLength(object.json)).toBeLessThanOrEqual(MAX_STORED_LINE_BYTES - 1);
    });

    it('is cut only when the line would not fit', () => {
      expect(storedObject(withLineOf(MAX_STORED_LINE_BYTES)).truncated).toBe(false);
      expect(storedObject(withLineOf(MAX_STORED_LINE_BYTES + 1)).truncated).toBe(true);
    });
  });
});
