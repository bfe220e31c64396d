/**
 * Replays audit events through the alert Lambda's own processing (`tasks/alert/process.ts` over its
 * `AlertStore`, the DynamoDB table answered in memory by `cli/local/dynamodb-table.ts`) on a simulated clock
 * at the events' times: the emails the Lambda would send. One email per statement, whatever number of rules
 * it matched and whichever sources reported it; throttling and digests as the Lambda counts them (per rule
 * and window, by the time of the flush that sends the alert). Used by `aurora-audit rules test`.
 *
 * Deliveries are simulated at each event's time (events of the same second in one payload), with the
 * scheduled flush every `flushIntervalSeconds` in between, and the last flushes once every hold, window and
 * digest grace has passed. The coverage check is not replayed: events read from files do not say which
 * sources were on.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAlertProcessor } from '../tasks/alert/process';
import { AlertStore, DUE_INDEX } from '../tasks/alert/store';
import { eventMillis } from '../tasks/core/alerts/correlation';
import type { SnsNotification } from '../tasks/core/alerts/notification';
import type { RuleSet } from '../tasks/core/alerts/rules';
import type { AuditEvent } from '../tasks/core/audit-event';
import { DynamoTable } from './local/dynamodb-table';

export interface ReplayOptions {
  /** How long a new alert waits for the other source's report. @default 60 (as deployed) */
  readonly holdSeconds?: number;
  /** Events this far apart or less can be one statement. @default 10 (as deployed) */
  readonly correlationWindowSeconds?: number;
  /** The scheduled flush's interval. @default 120 (as deployed) */
  readonly flushIntervalSeconds?: number;
  /** Wait after a digest window closes before sending it. @default 60 (as deployed) */
  readonly digestGraceSeconds?: number;
}

export interface ReplayedEmail {
  /** Simulated time of the flush that sent it (epoch ms). */
  readonly at: number;
  readonly notification: SnsNotification;
}

export interface ReplayedDigest {
  readonly rule: string;
  /** Epoch ms. */
  readonly windowStart: number;
  /** Statements counted into it instead of an alert each. */
  readonly suppressed: number;
}

export interface ReplayResult {
  /**
   * Statements that matched at least one rule (the two sources' reports of one statement are one): the
   * rules each matched.
   */
  readonly statements: readonly (readonly string[])[];
  /** Alert emails (one per statement that was not suppressed), in the order sent. */
  readonly alerts: readonly ReplayedEmail[];
  /** Digest emails (one per rule, cluster and window with suppressed statements). */
  readonly digests: readonly ReplayedDigest[];
}

const SILENT = new Logger({ serviceName: 'aurora-audit-rules-test', logLevel: 'SILENT' });

/** Sends `events` through the alert Lambda's processing with `rules`; see the module comment. */
export async function replayAlerts(
  events: readonly AuditEvent[],
  rules: RuleSet,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const holdMs = (options.holdSeconds ?? 60) * 1000;
  const flushMs = (options.flushIntervalSeconds ?? 120) * 1000;
  const digestGraceMs = (options.digestGraceSeconds ?? 60) * 1000;
  const table = new DynamoTable('pk', [{ name: DUE_INDEX, partitionKey: 'dueKey', sortKey: 'dueAt' }]);
  let now = 0;
  const sent: { at: number; notification: SnsNotification }[] = [];
  try {
    const processor = createAlertProcessor({
      store: new AlertStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), {
        tableName: 'rules-test',
        holdMs,
        correlationWindowMs: (options.correlationWindowSeconds ?? 10) * 1000,
        claimTimeoutMs: 5 * 60_000,
        retentionSeconds: 14 * 86_400,
      }),
      publish: async (notification) => {
        sent.push({ at: now, notification });
      },
      archive: async () => ({ failedOwners: new Set(), errors: [] }),
      match: (event) => rules.evaluate(event),
      parsePgAudit: () => [],
      quarantine: async () => {},
      decryptLogGroup: 'replay',
      clusters: [],
      subjectPrefix: 'aurora-audit',
      table: 'aurora_audit.audit_events',
      digestGraceMs,
      now: () => now,
      logger: SILENT,
    });
    const sorted = [...events].sort((a, b) => eventMillis(a) - eventMillis(b));
    const bySecond = new Map<number, AuditEvent[]>();
    for (const e of sorted) {
      const second = Math.floor(eventMillis(e) / 1000) * 1000;
      bySecond.set(second, [...(bySecond.get(second) ?? []), e]);
    }
    let nextFlush = Number.NaN;
    for (const [second, batch] of bySecond) {
      if (Number.isNaN(nextFlush)) nextFlush = Math.floor(second / flushMs) * flushMs + flushMs;
      for (; nextFlush <= second; nextFlush += flushMs) {
        now = nextFlush;
        await processor.flush();
      }
      now = Math.max(now, second);
      await processor.handleEvents(batch);
    }
    // After the last event: every hold, throttle window and digest grace over (alerts, then the digests they
    // filled).
    const longestWindowMs = Math.max(0, ...rules.rules.map((r) => r.throttle.windowMinutes * 60_000));
    now += holdMs + flushMs;
    await processor.flush();
    now += longestWindowMs + digestGraceMs + flushMs;
    await processor.flush();
    await processor.flush();
    const items = [...table.items.values()];
    return {
      statements: items
        .filter((i) => i.kind === 'alert')
        .map((i) => ((i.matches as { rule: string }[] | undefined) ?? []).map((m) => m.rule)),
      alerts: sent.filter((s) => s.notification.attributes.source !== 'digest'),
      digests: items
        .filter((i) => i.kind === 'digest')
        .map((i) => ({
          rule: String(i.rule),
          windowStart: Number(i.windowStart),
          suppressed: Number(i.suppressed),
        })),
    };
  } finally {
    table.restore();
  }
}
