/**
 * The alert Lambda's work, with its AWS calls behind injected adapters:
 *
 * 1. A CloudWatch Logs subscription payload from the decrypt Lambda's log group (`{"auditEvent": …}` lines)
 *    or from a cluster's PostgreSQL log group (pgAudit text) becomes audit events. pgAudit events are also
 *    archived to Firehose (same schema and layout as activity-stream events).
 * 2. Each event is evaluated against the rules; each match is recorded once per rule and statement (the
 *    two sources' reports of one statement share one alert; redeliveries change nothing).
 * 3. A flush sends what is due: alerts whose correlation hold has passed (within each rule's limit per
 *    window; the rest are counted into that window's digest) and digests whose window has closed. The
 *    scheduled run flushes too, so a digest never waits for another match.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { formatAlert, formatDigest, type SnsNotification } from '../core/alerts/notification';
import { type AuditEvent, parseAuditEvent } from '../core/audit-event';
import { clusterOfLogGroup, decodeSubscriptionEvent, type SubscriptionEvent } from '../core/cloudwatch-logs';
import type { DeliveryResult } from '../shared/firehose-delivery';
import type { AlertStore, OpenDigest, PendingAlert, RuleMatch } from './store';

export interface ClusterInfo {
  readonly identifier: string;
  readonly resourceId: string;
  /** Instance identifiers whose events are archived but not alerted on. */
  readonly silentInstances: ReadonlySet<string>;
}

export interface AlertDeps {
  readonly store: AlertStore;
  readonly publish: (notification: SnsNotification) => Promise<void>;
  /** Firehose delivery of stored lines; failures are retried by the caller's retry (async invocation). */
  readonly archive: (
    events: readonly AuditEvent[],
  ) => Promise<Pick<DeliveryResult<number>, 'failedOwners' | 'errors'>>;
  readonly match: (event: AuditEvent) => readonly RuleMatch[];
  /** pgAudit text of one log event → events (the parser redacts); unreadable entries go to `onError`. */
  readonly parsePgAudit: (
    message: string,
    context: { clusterId: string | null; instanceId: string | null },
    onError: (reason: string, raw: string) => void,
  ) => AuditEvent[];
  /** Keeps an unreadable log entry with the reason (quarantine/pgaudit/); a failure fails the invocation. */
  readonly quarantine: (entry: {
    reason: string;
    raw: string;
    logGroup: string;
    logStream: string;
    logEventId: string;
  }) => Promise<void>;
  /** The decrypt Lambda's log group name. */
  readonly decryptLogGroup: string;
  readonly clusters: readonly ClusterInfo[];
  readonly subjectPrefix: string;
  /** `database.table` of the Glue table, for the queries in emails. */
  readonly table: string;
  /** Wait after a digest window closes before sending it (clock skew between invocations). */
  readonly digestGraceMs: number;
  readonly now: () => number;
  readonly logger: Logger;
}

export class ArchiveFailedError extends Error {
  override readonly name = 'ArchiveFailedError';
}

export class PublishFailedError extends Error {
  override readonly name = 'PublishFailedError';
}

export interface FlushResult {
  alertsSent: number;
  digested: number;
  digestsSent: number;
  publishFailures: number;
}

export interface SubscriptionResult extends FlushResult {
  events: number;
  quarantined: number;
  archived: number;
  matches: number;
  outcomes: Record<string, number>;
}

const ALERT_LINE_PREFIX = '{"auditEvent":';

export function createAlertProcessor(deps: AlertDeps) {
  const byName = new Map(deps.clusters.map((c) => [c.identifier, c]));
  const byId = new Map(deps.clusters.map((c) => [c.resourceId, c]));

  type Unreadable = { reason: string; raw: string; logGroup: string; logStream: string; logEventId: string };

  function eventsOf(event: SubscriptionEvent): {
    events: AuditEvent[];
    fromPgAudit: boolean;
    unreadable: Unreadable[];
  } {
    const unreadable: Unreadable[] = [];
    const payload = decodeSubscriptionEvent(event);
    if (payload.messageType === 'CONTROL_MESSAGE') return { events: [], fromPgAudit: false, unreadable };
    if (payload.logGroup === deps.decryptLogGroup) {
      const events: AuditEvent[] = [];
      for (const logEvent of payload.logEvents) {
        const message = logEvent.message.trim();
        if (!message.startsWith(ALERT_LINE_PREFIX)) continue; // the function's own log lines
        try {
          events.push(parseAuditEvent((JSON.parse(message) as { auditEvent: unknown }).auditEvent));
        } catch (err) {
          deps.logger.error('unreadable alert line', {
            logEventId: logEvent.id,
            error: (err as Error).message,
          });
        }
      }
      return { events, fromPgAudit: false, unreadable };
    }
    const clusterName = clusterOfLogGroup(payload.logGroup);
    if (clusterName === undefined) {
      deps.logger.warn("log group is neither the decrypt Lambda's nor a cluster's PostgreSQL log", {
        logGroup: payload.logGroup,
      });
      return { events: [], fromPgAudit: false, unreadable };
    }
    const cluster = byName.get(clusterName);
    if (!cluster)
      deps.logger.warn('cluster not in the configuration: events stored under cluster=unknown', {
        clusterName,
      });
    const events = payload.logEvents.flatMap((logEvent) =>
      deps.parsePgAudit(
        logEvent.message,
        { clusterId: cluster?.resourceId ?? null, instanceId: payload.logStream || null },
        (reason, raw) =>
          unreadable.push({
            reason,
            raw,
            logGroup: payload.logGroup,
            logStream: payload.logStream,
            logEventId: logEvent.id,
          }),
      ),
    );
    return { events, fromPgAudit: true, unreadable };
  }

  function silenced(event: AuditEvent): boolean {
    const cluster = event.clusterId ? byId.get(event.clusterId) : undefined;
    return !!(cluster && event.instanceId && cluster.silentInstances.has(event.instanceId));
  }

  async function sendAlert(alert: PendingAlert, now: number, result: FlushResult): Promise<void> {
    const count = await deps.store.countAlert(alert.rule, alert.windowSeconds, now);
    if (count > alert.limit) {
      await deps.store.addToDigest(alert, now, deps.digestGraceMs);
      await deps.store.finish(alert.pk, 'digested', now);
      result.digested += alert.ids.length;
      return;
    }
    const cluster = alert.event.clusterId ? byId.get(alert.event.clusterId) : undefined;
    try {
      await deps.publish(
        formatAlert({
          prefix: deps.subjectPrefix,
          rule: alert.rule,
          severity: alert.severity,
          event: alert.event,
          sources: [...alert.sources].sort(),
          relatedIds: alert.ids.filter((id) => id !== alert.event.id),
          clusterName: cluster?.identifier ?? null,
          table: deps.table,
        }),
      );
    } catch (err) {
      await deps.store.countAlert(alert.rule, alert.windowSeconds, now, -1);
      await deps.store.release(alert.pk);
      throw err;
    }
    await deps.store.finish(alert.pk, 'sent', now);
    result.alertsSent++;
  }

  async function sendDigest(digest: OpenDigest, now: number, result: FlushResult): Promise<void> {
    const cluster = digest.clusterId ? byId.get(digest.clusterId) : undefined;
    try {
      await deps.publish(
        formatDigest({
          prefix: deps.subjectPrefix,
          rule: digest.rule,
          severity: digest.severity,
          clusterId: digest.clusterId,
          clusterName: cluster?.identifier ?? null,
          suppressed: digest.suppressed,
          windowStart: new Date(digest.windowStart).toISOString(),
          windowEnd: new Date(digest.windowEnd).toISOString(),
          first: { id: digest.firstId, time: digest.firstTime },
          last: { id: digest.lastId, time: digest.lastTime },
          table: deps.table,
        }),
      );
    } catch (err) {
      await deps.store.release(digest.pk);
      throw err;
    }
    await deps.store.finish(digest.pk, 'sent', now);
    result.digestsSent++;
  }

  /** Sends every alert and digest that is due. Publish failures are retried on the next flush. */
  async function flush(): Promise<FlushResult> {
    const now = deps.now();
    const result: FlushResult = { alertsSent: 0, digested: 0, digestsSent: 0, publishFailures: 0 };
    const due = await deps.store.due(now);
    // Alerts first (they may add to digests), oldest first.
    const alerts = due.filter((i): i is PendingAlert => i.kind === 'alert');
    const digests = due.filter((i): i is OpenDigest => i.kind === 'digest');
    for (const item of [...alerts, ...digests]) {
      if (!(await deps.store.claim(item.pk, now))) continue;
      try {
        if (item.kind === 'alert') await sendAlert(item, now, result);
        else await sendDigest(item, now, result);
      } catch (err) {
        result.publishFailures++;
        deps.logger.error('publish failed; retried at the next flush', {
          pk: item.pk,
          error: (err as Error).message,
        });
      }
    }
    return result;
  }

  async function handleSubscription(event: SubscriptionEvent): Promise<SubscriptionResult> {
    const { events, fromPgAudit, unreadable } = eventsOf(event);
    for (const entry of unreadable) await deps.quarantine(entry);
    let archived = 0;
    if (fromPgAudit && events.length > 0) {
      const delivery = await deps.archive(events);
      if (delivery.failedOwners.size > 0) {
        // Throwing makes Lambda retry the whole payload (asynchronous invocation); alerts are deduplicated.
        throw new ArchiveFailedError(
          `Firehose refused ${delivery.failedOwners.size} of ${events.length} pgAudit events: ${delivery.errors.at(-1) ?? ''}`,
        );
      }
      archived = events.length;
    }
    const outcomes: Record<string, number> = {};
    let matches = 0;
    const now = deps.now();
    for (const e of events) {
      if (silenced(e)) continue;
      for (const m of deps.match(e)) {
        matches++;
        const outcome = await deps.store.recordMatch(e, m, now);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
    }
    const flushed = await flush();
    const summary = {
      events: events.length,
      archived,
      quarantined: unreadable.length,
      matches,
      outcomes,
      ...flushed,
    };
    deps.logger.info('subscription payload processed', summary);
    return summary;
  }

  return { handleSubscription, flush };
}
