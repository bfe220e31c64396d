/**
 * The alert Lambda's work, with its AWS calls behind injected adapters:
 *
 * 1. A CloudWatch Logs subscription payload from the decrypt Lambda's log group (`{"auditEvent": …}` lines)
 *    or from a cluster's PostgreSQL log group (pgAudit text) becomes audit events. pgAudit events are also
 *    archived to Firehose (same schema and layout as activity-stream events).
 * 2. Each event is evaluated against the rules; its matches are recorded once per statement (the two
 *    sources' reports of one statement share one alert, which lists every rule either matched; redeliveries
 *    change nothing). On clusters with the coverage check, an event of a reconciled class is also recorded
 *    as seen by its source.
 * 3. A flush (also the scheduled run's, so nothing waits for another event) first checks the coverage
 *    records whose grace period has ended: a statement one source recorded and the other did not becomes a
 *    `coverage-gap` finding, alerted through the finding rules. Then it sends what is due: alerts whose
 *    correlation hold has passed (one email per statement, while any of its rules is within its limit per
 *    window; otherwise the statement is counted into its highest-severity rule's digest) and digests whose
 *    window has closed.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { formatAlert, formatDigest, type SnsNotification } from '../core/alerts/notification';
import { type AuditEvent, type AuditSource, parseAuditEvent } from '../core/audit-event';
import { recognizeCanary } from '../core/canary';
import { clusterOfLogGroup, decodeSubscriptionEvent, type SubscriptionEvent } from '../core/cloudwatch-logs';
import type { DeliveryResult } from '../shared/firehose-delivery';
import type { AlertStore, CoverageRecord, OpenDigest, PendingAlert, RuleMatch } from './store';

export interface ClusterInfo {
  readonly identifier: string;
  readonly resourceId: string;
  /** Instance identifiers whose events are archived but not alerted on (nor reconciled). */
  readonly silentInstances: ReadonlySet<string>;
  /** Both sources are meant to be on: reconcile them (see {@link CoverageOptions}). Default: false. */
  readonly coverageCheck?: boolean;
  /** The cluster's canary user: its canary statements are canary arrivals (`tasks/core/canary.ts`). */
  readonly canaryUser?: string;
}

export interface CoverageOptions {
  /** Statement classes reconciled (upper case); empty: no coverage check. */
  readonly classes: ReadonlySet<string>;
  /** How long a statement recorded by one source waits for the other's report before it is a gap. */
  readonly graceSeconds: number;
}

export interface AlertDeps {
  readonly store: AlertStore;
  readonly publish: (notification: SnsNotification) => Promise<void>;
  /** Firehose delivery of stored lines; failures are retried by the caller's retry (async invocation). */
  readonly archive: (
    events: readonly AuditEvent[],
  ) => Promise<Pick<DeliveryResult<number>, 'failedOwners' | 'errors'>>;
  readonly match: (event: AuditEvent) => readonly RuleMatch[];
  /** The finding rules matching a coverage gap about `event`. Default: none (gaps are not alerted). */
  readonly matchCoverageGap?: (event: AuditEvent) => readonly RuleMatch[];
  /** The coverage check. Default: off. */
  readonly coverage?: CoverageOptions;
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
  /** Alert emails sent (one per statement). */
  alertsSent: number;
  /** Statements counted into digests instead. */
  digested: number;
  digestsSent: number;
  publishFailures: number;
  /** Coverage records checked: recorded by both sources, or not (gaps), or gaps no finding rule alerts on. */
  reconciled: number;
  coverageGaps: number;
  gapsExcluded: number;
}

export interface SubscriptionResult extends FlushResult {
  events: number;
  quarantined: number;
  archived: number;
  /** Rule matches (an event may match several rules). */
  matches: number;
  /** Per event that matched a rule: `new`, `joined`, `duplicate` or `covered`. */
  outcomes: Record<string, number>;
  /** Per event recorded for the coverage check: `new`, `joined`, `duplicate` or `covered`. */
  coverage: Record<string, number>;
  /**
   * Canary statements recognized (recorded as arrivals in `canary#<nonce>`, never matched against the rules,
   * alerted, reconciled nor counted for deduplication).
   */
  canaries: number;
}

const SOURCES: readonly AuditSource[] = ['das', 'pgaudit'];

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

  /**
   * Whether the coverage check reconciles `event`: a reconciled class on a cluster with the check on, and a
   * statement both sources would record (pgAudit writes no AUDIT line for a statement that failed, so a
   * failed statement, which the activity stream reports with its error, is not reconciled).
   */
  function reconciled(event: AuditEvent): boolean {
    if (!deps.coverage || deps.coverage.classes.size === 0) return false;
    const cluster = event.clusterId ? byId.get(event.clusterId) : undefined;
    if (!cluster?.coverageCheck) return false;
    if (event.errorMessage) return false;
    return deps.coverage.classes.has(event.class.toUpperCase());
  }

  async function sendAlert(alert: PendingAlert, now: number, result: FlushResult): Promise<void> {
    const [top] = alert.matches;
    if (!top) {
      // Cannot happen (an alert is made with a match, older items carry their rule): keep it visible.
      deps.logger.error('alert without a rule: not sent', { pk: alert.pk });
      await deps.store.finish(alert.pk, 'sent', now);
      return;
    }
    // One email per statement: it counts against every rule it matched, and is sent while any of them is
    // within its limit (a flood of one rule never silences another's alert).
    const counts = await Promise.all(
      alert.matches.map((m) => deps.store.countAlert(m.rule, m.windowSeconds, now)),
    );
    const uncount = () =>
      Promise.all(alert.matches.map((m) => deps.store.countAlert(m.rule, m.windowSeconds, now, -1)));
    if (alert.matches.every((m, i) => (counts[i] ?? 0) > m.limit)) {
      await deps.store.addToDigest(alert, top, now, deps.digestGraceMs);
      await deps.store.finish(alert.pk, 'digested', now);
      result.digested++;
      return;
    }
    const cluster = alert.event.clusterId ? byId.get(alert.event.clusterId) : undefined;
    try {
      await deps.publish(
        formatAlert({
          prefix: deps.subjectPrefix,
          matches: alert.matches,
          event: alert.event,
          sources: [...alert.sources].sort(),
          relatedIds: alert.ids.filter((id) => id !== alert.event.id),
          clusterName: cluster?.identifier ?? null,
          table: deps.table,
          finding: alert.finding,
        }),
      );
    } catch (err) {
      await uncount();
      await deps.store.release(alert.pk);
      throw err;
    }
    await deps.store.finish(alert.pk, 'sent', now);
    result.alertsSent++;
  }

  /** A coverage record whose grace period has ended: reconciled, or a gap alerted through the finding rules. */
  async function checkCoverage(record: CoverageRecord, now: number, result: FlushResult): Promise<void> {
    const seenBy = SOURCES.filter((s) => record.sources.includes(s));
    const missing = SOURCES.filter((s) => !record.sources.includes(s));
    if (missing.length === 0) {
      await deps.store.finish(record.pk, 'reconciled', now);
      result.reconciled++;
      return;
    }
    const matches = deps.matchCoverageGap?.(record.event) ?? [];
    if (matches.length === 0) {
      await deps.store.finish(record.pk, 'excluded', now);
      result.gapsExcluded++;
      return;
    }
    try {
      await deps.store.recordMatch(record.event, matches, now, {
        kind: 'coverage-gap',
        seenBy,
        missing,
        graceSeconds: record.graceSeconds,
      });
    } catch (err) {
      await deps.store.release(record.pk);
      throw err;
    }
    await deps.store.finish(record.pk, 'gap', now);
    deps.logger.warn('coverage gap: a statement recorded by one audit source only', {
      eventId: record.event.id,
      clusterId: record.event.clusterId,
      class: record.event.class,
      command: record.event.command,
      seenBy,
      missing,
    });
    result.coverageGaps++;
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

  /**
   * Checks the coverage records that are due, then sends every alert (including the gaps just found) and
   * digest that is due. Publish failures are retried on the next flush.
   */
  async function flush(): Promise<FlushResult> {
    const now = deps.now();
    const result: FlushResult = {
      alertsSent: 0,
      digested: 0,
      digestsSent: 0,
      publishFailures: 0,
      reconciled: 0,
      coverageGaps: 0,
      gapsExcluded: 0,
    };
    let due = await deps.store.due(now);
    const records = due.filter((i): i is CoverageRecord => i.kind === 'coverage');
    for (const record of records) {
      if (!(await deps.store.claim(record.pk, now))) continue;
      try {
        await checkCoverage(record, now, result);
      } catch (err) {
        deps.logger.error('coverage check failed; retried at the next flush', {
          pk: record.pk,
          error: (err as Error).message,
        });
      }
    }
    if (result.coverageGaps > 0) due = await deps.store.due(now);
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
    const summary = { ...(await handleEvents(events)), archived, quarantined: unreadable.length };
    deps.logger.info('subscription payload processed', summary);
    return summary;
  }

  /**
   * The events of one payload, already read: each evaluated against the rules and recorded once per
   * statement (and for the coverage check), then a flush. `aurora-audit rules test` replays events here.
   */
  async function handleEvents(
    events: readonly AuditEvent[],
  ): Promise<Omit<SubscriptionResult, 'archived' | 'quarantined'>> {
    const outcomes: Record<string, number> = {};
    const coverage: Record<string, number> = {};
    let matches = 0;
    let canaries = 0;
    const now = deps.now();
    for (const e of events) {
      // Before everything else: the canary checks its own paths, whether or not its instance is alerted on.
      const canary = recognizeCanary(e, e.clusterId ? byId.get(e.clusterId)?.canaryUser : undefined);
      if (canary) {
        const first = await deps.store.recordCanaryArrival(canary, e, now);
        if (first)
          deps.logger.info('canary statement arrived', {
            nonce: canary.nonce,
            class: canary.cls,
            source: e.source,
          });
        canaries++;
        continue;
      }
      if (silenced(e)) continue;
      const matched = deps.match(e);
      if (matched.length > 0) {
        matches += matched.length;
        const outcome = await deps.store.recordMatch(e, matched, now);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
      if (reconciled(e) && deps.coverage) {
        const outcome = await deps.store.recordSeen(e, now, deps.coverage.graceSeconds);
        coverage[outcome] = (coverage[outcome] ?? 0) + 1;
      }
    }
    const flushed = await flush();
    return { events: events.length, matches, outcomes, coverage, canaries, ...flushed };
  }

  return { handleSubscription, handleEvents, flush };
}
