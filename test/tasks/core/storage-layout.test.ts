import { auditEvent } from '../../../cli/local/records/audit-event';
import {
  dayPrefix,
  eventsPrefix,
  FIREHOSE_EVENTS_PREFIX,
  FIREHOSE_PARTITION_QUERY,
  partitionOf,
  quarantineKey,
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
});
