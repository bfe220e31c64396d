import {
  deaggregateJson,
  deliveredLines,
  PartitioningError,
  partitionedPrefix,
  partitionKeys,
  SIMULATED_PARTITION_QUERY,
} from '../../../../cli/local/aws/firehose';
import { auditEvent } from '../../../../cli/local/records/audit-event';
import { toJsonLine } from '../../../../tasks/core/audit-event';
import {
  eventsPrefix,
  FIREHOSE_EVENTS_PREFIX,
  FIREHOSE_PARTITION_QUERY,
  partitionOf,
} from '../../../../tasks/core/storage-layout';

describe("the Firehose simulator's JSON deaggregation", () => {
  it('splits consecutive and newline-delimited objects alike, and refuses arrays, broken JSON and more than 500', () => {
    expect(deaggregateJson(Buffer.from('{"a":1}{"a":"}{"}\n{"a":[1,{"b":2}]}\n'))).toEqual([
      '{"a":1}',
      '{"a":"}{"}',
      '{"a":[1,{"b":2}]}',
    ]);
    expect(() => deaggregateJson(Buffer.from('[{"a":1},{"a":2}]'))).toThrow(/expected a JSON object/);
    expect(() => deaggregateJson(Buffer.from('{"a":1'))).toThrow(/unterminated/);
    expect(() => deaggregateJson(Buffer.from('{"a":tru}'))).toThrow(/invalid JSON/);
    expect(() => deaggregateJson(Buffer.from('{"a":1}'.repeat(501)))).toThrow(/more than 500/);
    expect(deaggregateJson(Buffer.from('{"a":1}'.repeat(500)))).toHaveLength(500);
  });

  it('writes each sub-record followed by the newline AppendDelimiterToRecord adds', () => {
    expect(deliveredLines(Buffer.from('{"a":1}{"b":2}'))).toEqual(['{"a":1}\n', '{"b":2}\n']);
  });
});

describe('the Firehose simulator’s partitioning', () => {
  it('evaluates the query the delivery stream is configured with', () => {
    expect(SIMULATED_PARTITION_QUERY).toBe(FIREHOSE_PARTITION_QUERY);
  });

  it('gives each event the cluster, UTC day and UTC hour of its time, and unknown for a missing cluster', () => {
    expect(partitionKeys('{"clusterId":"cluster-A","time":"2026-11-24T07:59:59.999999Z"}')).toEqual({
      cluster: 'cluster-A',
      day: '2026-11-24',
      hour: '07',
    });
    expect(partitionKeys('{"clusterId":null,"time":"2026-11-24T23:00:00Z"}').cluster).toBe('unknown');
    expect(partitionKeys('{"time":"2026-11-24T23:00:00Z"}').cluster).toBe('unknown');
  });

  it('refuses a record whose keys are missing (Firehose sends it to the error prefix)', () => {
    expect(() => partitionKeys('{"clusterId":"cluster-A"}')).toThrow(PartitioningError);
    expect(() => partitionKeys('{"clusterId":"cluster-A","time":"2026-11-24"}')).toThrow(/hour/);
    expect(() => partitionedPrefix('a/!{partitionKeyFromQuery:minute}/', { hour: '01' })).toThrow(
      PartitioningError,
    );
  });

  it('writes each event under the prefix the writers and readers expect', () => {
    for (const time of ['2026-11-24T00:00:00Z', '2026-11-24T13:05:00.123456Z', '2026-12-31T23:59:59.999Z']) {
      for (const clusterId of ['cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ', null]) {
        const event = auditEvent({ clusterId, time });
        expect(partitionedPrefix(FIREHOSE_EVENTS_PREFIX, partitionKeys(toJsonLine(event)))).toBe(
          eventsPrefix(partitionOf(event)),
        );
      }
    }
  });
});
