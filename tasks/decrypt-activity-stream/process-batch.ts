/**
 * One Kinesis batch of activity-stream records → audit events in Firehose, with partial batch responses.
 *
 * - Each record is decoded (Powertools BatchProcessor, in parallel; concurrent data-key misses share one
 *   KMS call through the cache).
 * - A permanent failure (bad base64, not JSON, tampered ciphertext, wrong encryption context, wrong cluster,
 *   undecompressible or oversized data) is written to `quarantine/` with the original bytes and the reason,
 *   and the record counts as handled. If the quarantine write fails, the record is a batch-item failure.
 * - A transient failure (KMS throttling or 5xx) makes the record a batch-item failure: Lambda retries it.
 * - The events of all decoded records go to Firehose in as few calls as possible; a record whose events were
 *   not all delivered after the retries is a batch-item failure too.
 * - Alert lines are written only for events whose record was delivered.
 */
import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { type AlertPredicate, alertLine } from '../core/alert-lines';
import type { AuditEvent } from '../core/audit-event';
import type { DataKeyCache } from '../core/das/data-key-cache';
import { ClusterMismatchError, InvalidRecordError, isPermanent } from '../core/das/errors';
import { type ProcessedRecord, processActivityRecord } from '../core/das/pipeline';
import { clusterOfStream, type DataKeyResolver, type DecodeLimits, decodeBase64 } from '../core/das/record';
import { LOGGED } from '../core/log-messages';
import type { Redactor } from '../core/redact';
import type { DeliveryItem, DeliveryResult } from '../shared/firehose-delivery';
import type { QuarantineWriter } from '../shared/quarantine';

/** An event that fits in no Firehose record: its input record is quarantined with this name. */
export class UnstorableEventError extends Error {
  override readonly name = 'UnstorableEventError';
}

export interface DecryptBatchDeps {
  readonly resolveDataKey: DataKeyResolver;
  /** The cache behind resolveDataKey, for its statistics in the batch log. */
  readonly dataKeyCache?: DataKeyCache;
  readonly deliver: (items: readonly DeliveryItem<string>[]) => Promise<DeliveryResult<string>>;
  readonly quarantine: QuarantineWriter;
  readonly redact: Redactor;
  /** Lower-cased service users to drop. */
  readonly serviceUsers: ReadonlySet<string>;
  /** Resource ids of the configured clusters: records from other streams are quarantined. */
  readonly clusterResourceIds: ReadonlySet<string>;
  readonly isAlertWorthy: AlertPredicate;
  readonly writeAlertLine: (line: string) => void;
  readonly logger: Logger;
  readonly limits?: DecodeLimits;
}

interface RecordOutcome {
  readonly lines: string[];
  readonly alertEvents: AuditEvent[];
  readonly heartbeats: number;
  readonly serviceUserEvents: number;
  readonly quarantined: boolean;
}

/** `shardId-000000000000_49590338271490256608559692538361571095921575989136588898`: unique per record. */
function quarantineName(record: KinesisStreamRecord): string {
  const shard = record.eventID.split(':')[0] ?? 'shard';
  return `${shard}_${record.kinesis.sequenceNumber}`.replace(/[^A-Za-z0-9._=-]/g, '-');
}

export function createDecryptBatchHandler(deps: DecryptBatchDeps) {
  const { logger } = deps;

  async function quarantine(record: KinesisStreamRecord, errorName: string, reason: string): Promise<string> {
    const key = await deps.quarantine({
      source: 'das',
      name: quarantineName(record),
      reason,
      errorName,
      original: Buffer.from(record.kinesis.data, 'base64'),
      metadata: {
        eventSourceARN: record.eventSourceARN,
        eventID: record.eventID,
        sequenceNumber: record.kinesis.sequenceNumber,
        partitionKey: record.kinesis.partitionKey,
        approximateArrivalTimestamp: record.kinesis.approximateArrivalTimestamp,
      },
    });
    logger.warn(LOGGED.activityRecordQuarantined, {
      key,
      errorName,
      reason,
      sequenceNumber: record.kinesis.sequenceNumber,
    });
    return key;
  }

  async function processRecord(record: KinesisStreamRecord): Promise<RecordOutcome> {
    let processed: ProcessedRecord;
    try {
      const cluster = clusterOfStream(record.eventSourceARN);
      if (!deps.clusterResourceIds.has(cluster)) {
        throw new ClusterMismatchError(`cluster ${cluster} is not in the aurora-audit configuration`);
      }
      const data = decodeBase64(record.kinesis.data, 'Kinesis record data');
      processed = await processActivityRecord(data, cluster, {
        resolveDataKey: deps.resolveDataKey,
        redact: deps.redact,
        serviceUsers: deps.serviceUsers,
        limits: deps.limits,
      });
    } catch (err) {
      if (!isPermanent(err)) throw err; // transient: batch-item failure, Lambda retries
      await quarantine(record, err.name, err.message);
      return { lines: [], alertEvents: [], heartbeats: 0, serviceUserEvents: 0, quarantined: true };
    }
    const { decoded, problems } = processed;
    for (const warning of decoded.warnings)
      logger.warn(warning, { sequenceNumber: record.kinesis.sequenceNumber });
    if (problems.length > 0) {
      // The good events are still delivered; the whole original record is kept for what could not be.
      await quarantine(record, InvalidRecordError.name, problems.join('; '));
    }
    return {
      lines: processed.lines,
      alertEvents: processed.events.filter(deps.isAlertWorthy),
      heartbeats: processed.heartbeats,
      serviceUserEvents: processed.serviceUserEvents,
      quarantined: problems.length > 0,
    };
  }

  return async function handleBatch(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
    const processor = new BatchProcessor(EventType.KinesisDataStreams);
    processor.register(event.Records, processRecord, { throwOnFullBatchFailure: false });
    const results = await processor.process();

    const failures = new Set<string>();
    const delivered: { record: KinesisStreamRecord; outcome: RecordOutcome }[] = [];
    const items: DeliveryItem<string>[] = [];
    for (const [status, result, record] of results) {
      const kinesisRecord = record as KinesisStreamRecord;
      const sequence = kinesisRecord.kinesis.sequenceNumber;
      if (status === 'fail') {
        failures.add(sequence);
        logger.error('record failed, will be retried', { sequenceNumber: sequence, error: result });
        continue;
      }
      const outcome = result as RecordOutcome;
      delivered.push({ record: kinesisRecord, outcome });
      for (const line of outcome.lines) items.push({ line, owner: sequence });
    }

    const delivery = items.length > 0 ? await deps.deliver(items) : undefined;
    for (const owner of delivery?.refusedOwners ?? []) failures.add(owner);
    // An event that fits in no Firehose record (stored lines are cut to fit, so only a bug gets here): its
    // whole input record is quarantined with the reason, or the record fails if that write fails.
    const rejectedReasons = new Map<string, string[]>();
    for (const r of delivery?.rejected ?? []) {
      rejectedReasons.set(r.item.owner, [...(rejectedReasons.get(r.item.owner) ?? []), r.reason]);
    }
    for (const { record } of delivered) {
      const reasons = rejectedReasons.get(record.kinesis.sequenceNumber);
      if (!reasons || failures.has(record.kinesis.sequenceNumber)) continue;
      try {
        await quarantine(record, UnstorableEventError.name, reasons.join('; '));
      } catch (err) {
        failures.add(record.kinesis.sequenceNumber);
        logger.error('quarantine of an unstorable event failed, will be retried', {
          sequenceNumber: record.kinesis.sequenceNumber,
          error: (err as Error).message,
        });
      }
    }

    let alerts = 0;
    for (const { record, outcome } of delivered) {
      if (failures.has(record.kinesis.sequenceNumber)) continue;
      for (const e of outcome.alertEvents) {
        deps.writeAlertLine(alertLine(e));
        alerts++;
      }
    }

    logger.info('batch processed', {
      records: event.Records.length,
      events: items.length,
      delivered: delivery?.delivered ?? 0,
      firehoseRecords: delivery?.deliveredRecords ?? 0,
      unstorableEvents: delivery?.rejected.length ?? 0,
      firehoseCalls: delivery?.calls ?? 0,
      retriedEntries: delivery?.retriedEntries ?? 0,
      deliveryErrors: delivery?.errors ?? [],
      heartbeats: delivered.reduce((n, d) => n + d.outcome.heartbeats, 0),
      serviceUserEvents: delivered.reduce((n, d) => n + d.outcome.serviceUserEvents, 0),
      quarantined: delivered.filter((d) => d.outcome.quarantined).length,
      alerts,
      failedRecords: failures.size,
      dataKeyCache: deps.dataKeyCache
        ? { size: deps.dataKeyCache.size, ...deps.dataKeyCache.stats }
        : undefined,
    });

    return { batchItemFailures: [...failures].map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
