import { Logger } from '@aws-lambda-powertools/logger';
import { LocalKms } from '../../../cli/local/kms';
import {
  activityEvent,
  activityRecord,
  CLUSTER_ID,
  kinesisEvent,
  kinesisRecord,
} from '../../../cli/local/records/activity-stream';
import { createRedactor } from '../../../tasks/core/redact';
import { createDecryptBatchHandler } from '../../../tasks/decrypt-activity-stream/process-batch';
import type { DeliveryItem, DeliveryResult } from '../../../tasks/shared/firehose-delivery';
import type { QuarantineEntry } from '../../../tasks/shared/quarantine';

const kms = new LocalKms();

/**
 * The batch handler with a delivery that refuses to pack one event (what `deliverToFirehose` returns for an
 * event that fits in no Firehose record) and delivers the others.
 */
function handlerWith(isUnstorable: (line: string) => boolean, quarantineFails = false) {
  const quarantined: QuarantineEntry[] = [];
  const delivered: string[] = [];
  const deliver = async (items: readonly DeliveryItem<string>[]): Promise<DeliveryResult<string>> => {
    const rejected = items
      .filter((i) => isUnstorable(i.line))
      .map((item) => ({
        item,
        original: Buffer.from(item.line),
        reason: 'an event of 2000000 bytes exceeds …',
      }));
    for (const i of items) if (!isUnstorable(i.line)) delivered.push(i.line);
    return {
      failedOwners: new Set(rejected.map((r) => r.item.owner)),
      refusedOwners: new Set(),
      delivered: delivered.length,
      deliveredRecords: 1,
      calls: 1,
      retriedEntries: 0,
      rejected,
      errors: [],
    };
  };
  const handler = createDecryptBatchHandler({
    resolveDataKey: async (ct) => kms.decrypt(ct, { 'aws:rds:dbc-id': CLUSTER_ID }),
    deliver,
    quarantine: async (entry) => {
      if (quarantineFails) throw new Error('S3 is down');
      quarantined.push(entry);
      return `quarantine/das/${entry.name}.json`;
    },
    redact: createRedactor(),
    serviceUsers: new Set(['rdsadmin']),
    clusterResourceIds: new Set([CLUSTER_ID]),
    isAlertWorthy: () => false,
    writeAlertLine: () => undefined,
    logger: new Logger({ logLevel: 'SILENT' }),
  });
  return { handler, quarantined, delivered };
}

describe('the decrypt batch handler, for an event that fits in no Firehose record', () => {
  it('quarantines its whole Kinesis record with the original bytes and the reason, and delivers the rest', async () => {
    const a = await activityRecord(kms, [
      activityEvent({ statementId: 1 }),
      activityEvent({ statementId: 2 }),
    ]);
    const b = await activityRecord(kms, [activityEvent({ statementId: 3 })]);
    const records = [kinesisRecord(a.data), kinesisRecord(b.data)];
    const w = handlerWith((line) => JSON.parse(line).statementId === 2);
    const response = await w.handler(kinesisEvent(records));
    expect(response.batchItemFailures).toEqual([]);
    expect(w.quarantined).toHaveLength(1);
    expect(w.quarantined[0]!.errorName).toBe('UnstorableEventError');
    expect(w.quarantined[0]!.reason).toMatch(/exceeds/);
    expect(Buffer.from(w.quarantined[0]!.original).toString('base64')).toBe(records[0]!.kinesis.data);
    expect(w.quarantined[0]!.metadata.sequenceNumber).toBe(records[0]!.kinesis.sequenceNumber);
    expect(w.delivered.map((l) => JSON.parse(l).statementId)).toEqual([1, 3]);
  });

  it('reports its record as a batch-item failure when the quarantine write fails', async () => {
    const a = await activityRecord(kms, [activityEvent({ statementId: 1 })]);
    const b = await activityRecord(kms, [activityEvent({ statementId: 2 })]);
    const records = [kinesisRecord(a.data), kinesisRecord(b.data)];
    const w = handlerWith((line) => JSON.parse(line).statementId === 2, true);
    const response = await w.handler(kinesisEvent(records));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[1]!.kinesis.sequenceNumber }]);
  });
});
