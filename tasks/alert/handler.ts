/**
 * Alert Lambda: CloudWatch Logs subscriptions (the decrypt Lambda's `{"auditEvent": …}` lines and the
 * clusters' pgAudit logs) and the scheduled flush. A thin adapter over ./process: clients, rules and settings
 * are created once per execution environment.
 */
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadRulesFile } from '../core/alerts/rule-set';
import type { SubscriptionEvent } from '../core/cloudwatch-logs';
import { LOGGED } from '../core/log-messages';
import { parsePgAuditMessage } from '../core/pgaudit/parser';
import { createRedactor } from '../core/redact';
import { storedLine } from '../core/storage-layout';
import { deliverToFirehose } from '../shared/firehose-delivery';
import { createLogger } from '../shared/logger';
import { s3QuarantineWriter } from '../shared/quarantine';
import { snsPublisher } from '../shared/sns-publisher';
import { createAlertProcessor } from './process';
import { readAlertSettings } from './settings';
import { AlertStore } from './store';

const settings = readAlertSettings();
const logger = createLogger('aurora-audit-alert');
const rules = loadRulesFile(join(__dirname, settings.RULES_FILE));
const redact = createRedactor(settings.REDACTION_PATTERNS);
const serviceUsers = new Set(settings.SERVICE_USERS);
const firehose = new FirehoseClient({});
const quarantineWriter = s3QuarantineWriter(new S3Client({}), settings.AUDIT_BUCKET);

const processor = createAlertProcessor({
  store: new AlertStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), {
    tableName: settings.ALERT_TABLE,
    holdMs: settings.CORRELATION_HOLD_SECONDS * 1000,
    correlationWindowMs: settings.CORRELATION_WINDOW_SECONDS * 1000,
    claimTimeoutMs: 5 * 60_000,
    retentionSeconds: 14 * 86_400,
  }),
  publish: snsPublisher(new SNSClient({}), settings.TOPIC_ARN),
  archive: async (events) => {
    const delivery = await deliverToFirehose(
      firehose,
      settings.DELIVERY_STREAM_NAME,
      events.map((e, i) => ({ line: storedLine(e).line, owner: i })),
    );
    // An event that fits in no Firehose record (stored lines are cut to fit, so only a bug gets here) is
    // quarantined with its line and the reason; if that write fails, the payload is retried.
    const failedOwners = new Set(delivery.refusedOwners);
    for (const { item, original, reason } of delivery.rejected) {
      const event = events[item.owner];
      try {
        const key = await quarantineWriter({
          source: 'pgaudit',
          name: `unstorable-${event?.id ?? item.owner}`.replace(/[^A-Za-z0-9._=-]/g, '-'),
          reason,
          errorName: 'UnstorableEventError',
          original,
          metadata: { eventId: event?.id, clusterId: event?.clusterId, instanceId: event?.instanceId },
        });
        logger.warn(LOGGED.pgAuditEntryQuarantined, { key, reason });
      } catch {
        failedOwners.add(item.owner);
      }
    }
    return { failedOwners, errors: delivery.errors };
  },
  match: (event) => rules.evaluate(event),
  matchCoverageGap: (event) => rules.evaluateFinding('coverage-gap', event),
  coverage: {
    classes: new Set(settings.COVERAGE_CLASSES),
    graceSeconds: settings.COVERAGE_GRACE_SECONDS,
  },
  parsePgAudit: (message, context, onError) =>
    parsePgAuditMessage(message, { ...context, redact, serviceUsers, onError }),
  quarantine: async (entry) => {
    const key = await quarantineWriter({
      source: 'pgaudit',
      name: entry.logEventId,
      reason: entry.reason,
      errorName: 'InvalidAuditEntryError',
      original: Buffer.from(entry.raw, 'utf8'),
      metadata: { logGroup: entry.logGroup, logStream: entry.logStream, logEventId: entry.logEventId },
    });
    logger.warn(LOGGED.pgAuditEntryQuarantined, { key, reason: entry.reason });
  },
  decryptLogGroup: settings.DECRYPT_LOG_GROUP,
  clusters: settings.CLUSTERS.map((c) => ({ ...c, silentInstances: new Set(c.silentInstances) })),
  subjectPrefix: settings.SUBJECT_PREFIX,
  table: settings.GLUE_TABLE,
  digestGraceMs: settings.DIGEST_GRACE_SECONDS * 1000,
  now: () => Date.now(),
  logger,
});

/** A subscription payload, or the schedule's `{"flush": true}`. */
export async function handler(event: SubscriptionEvent | { flush: true }) {
  if ('awslogs' in event) return processor.handleSubscription(event);
  const result = await processor.flush();
  logger.info(LOGGED.alertFlush, { ...result });
  return result;
}
