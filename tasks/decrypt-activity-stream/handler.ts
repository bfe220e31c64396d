/**
 * Decrypt Lambda: Kinesis (activity stream) → audit events → Firehose. A thin adapter: clients, cache and
 * settings are created once per execution environment; the work is in ./process-batch and ../core/das.
 */
import { join } from 'node:path';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_RULES_PATH, loadRulesFile } from '../core/alerts/rule-set';
import { DataKeyCache } from '../core/das/data-key-cache';
import { serviceUserSet } from '../core/das/normalize';
import { createRedactor } from '../core/redact';
import { deliverToFirehose } from '../shared/firehose-delivery';
import { kmsDataKeyResolver } from '../shared/kms-data-keys';
import { createLogger } from '../shared/logger';
import { s3QuarantineWriter } from '../shared/quarantine';
import { createDecryptBatchHandler } from './process-batch';
import { readDecryptSettings } from './settings';

const settings = readDecryptSettings();
const logger = createLogger('aurora-audit-decrypt');
const rules = loadRulesFile(settings.RULES_FILE ? join(__dirname, settings.RULES_FILE) : DEFAULT_RULES_PATH);
const coverageClasses = new Set(settings.COVERAGE_CLASSES.map((c) => c.toUpperCase()));
const firehose = new FirehoseClient({});
const cache = new DataKeyCache({
  maxEntries: settings.DATA_KEY_CACHE_MAX_ENTRIES,
  ttlMs: settings.DATA_KEY_CACHE_TTL_SECONDS * 1000,
});

export const handler = createDecryptBatchHandler({
  resolveDataKey: kmsDataKeyResolver(new KMSClient({}), cache),
  dataKeyCache: cache,
  deliver: (items) =>
    deliverToFirehose(firehose, settings.DELIVERY_STREAM_NAME, items, {
      maxAttempts: settings.FIREHOSE_MAX_ATTEMPTS,
      baseDelayMs: settings.FIREHOSE_RETRY_BASE_DELAY_MS,
    }),
  quarantine: s3QuarantineWriter(new S3Client({}), settings.AUDIT_BUCKET),
  redact: createRedactor(settings.REDACTION_PATTERNS),
  serviceUsers: serviceUserSet(settings.SERVICE_USERS),
  clusterResourceIds: new Set(settings.CLUSTER_RESOURCE_IDS),
  // One alert line per event the rules match (the alert Lambda re-evaluates them) or the coverage check
  // reconciles with pgAudit.
  isAlertWorthy: (event) =>
    coverageClasses.has(event.class.toUpperCase()) || rules.evaluate(event).length > 0,
  // Pure JSON on stdout, independent of the log level, for the alert subscription filter.
  writeAlertLine: (line) => process.stdout.write(line),
  logger,
  limits: { maxDecompressedBytes: settings.MAX_DECOMPRESSED_BYTES },
});
