/**
 * The alert Lambda's state in DynamoDB (one table, TTL on `expiresAt`, GSI `due` on `dueKey`/`dueAt`):
 *
 * - `alert#<rule>#<statement key>#<bucket>`: one pending alert per rule and statement. The first event
 *   creates it (`status = pending`, due after the correlation hold); the same statement from the other
 *   source, or a redelivery, only adds its source and id (sets are idempotent). It is sent once: a flush
 *   claims it (`sending`), publishes, then marks it `sent`; a failed publish puts it back to `pending`.
 * - `throttle#<rule>#<window start>`: alerts sent for a rule in a window (atomic counter).
 * - `digest#<rule>#<cluster>#<window start>`: matches over the limit, counted with the first and last, sent
 *   once the window has closed.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { correlationBuckets, eventMillis, statementKey } from '../core/alerts/correlation';
import type { AuditEvent, AuditSource } from '../core/audit-event';

export const DUE_INDEX = 'due';
const DUE = 'due';

export interface RuleMatch {
  readonly rule: string;
  readonly severity: string;
  /** Alerts allowed per window; the rest go to the window's digest. */
  readonly limit: number;
  readonly windowSeconds: number;
}

export interface PendingAlert {
  readonly pk: string;
  readonly kind: 'alert';
  readonly rule: string;
  readonly severity: string;
  readonly limit: number;
  readonly windowSeconds: number;
  readonly event: AuditEvent;
  readonly sources: AuditSource[];
  readonly ids: string[];
  readonly status: 'pending' | 'sending' | 'sent' | 'digested';
}

export interface OpenDigest {
  readonly pk: string;
  readonly kind: 'digest';
  readonly rule: string;
  readonly severity: string;
  readonly clusterId: string | null;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly suppressed: number;
  readonly firstId: string;
  readonly firstTime: string;
  readonly lastId: string;
  readonly lastTime: string;
}

export interface AlertStoreOptions {
  readonly tableName: string;
  /** How long a new alert waits for the other source's report of the same statement. */
  readonly holdMs: number;
  /** Events this far apart or less are one statement. */
  readonly correlationWindowMs: number;
  /** A claim older than this is taken over (the flusher died). */
  readonly claimTimeoutMs: number;
  /** Items expire this long after their last use. */
  readonly retentionSeconds: number;
}

export type RecordOutcome = 'new' | 'joined' | 'duplicate' | 'covered';

const setOf = (values: readonly string[]) => new Set(values);
/** DynamoDB string sets come back as Sets: the rest of the code works with arrays. */
const isSet = (value: unknown): value is Set<string> =>
  Object.prototype.toString.call(value) === '[object Set]';
const listOf = (value: unknown): string[] => (isSet(value) ? [...value] : Array.isArray(value) ? value : []);

function fromItem(item: Record<string, unknown>): PendingAlert | OpenDigest {
  if (item.kind === 'alert')
    return {
      ...(item as unknown as PendingAlert),
      sources: listOf(item.sources) as AuditSource[],
      ids: listOf(item.ids),
    };
  return item as unknown as OpenDigest;
}

export class AlertStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly options: AlertStoreOptions,
  ) {}

  private expiresAt(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.options.retentionSeconds;
  }

  private alertKey(rule: string, key: string, bucket: number): string {
    return `alert#${rule}#${key}#${bucket}`;
  }

  /**
   * Records that `event` matched `match`: joins the pending alert of the same statement (other source or
   * redelivery) or creates one. Safe to repeat.
   */
  async recordMatch(event: AuditEvent, match: RuleMatch, nowMs: number): Promise<RecordOutcome> {
    const key = statementKey(event);
    const buckets = correlationBuckets(event, this.options.correlationWindowMs);
    const candidates = await this.db.send(
      new BatchGetCommand({
        RequestItems: {
          [this.options.tableName]: {
            Keys: buckets.all.map((b) => ({ pk: this.alertKey(match.rule, key, b) })),
            ConsistentRead: true,
          },
        },
      }),
    );
    const t = eventMillis(event);
    const existing = (candidates.Responses?.[this.options.tableName] ?? [])
      .map((item) => fromItem(item) as PendingAlert)
      .filter((item) => Math.abs(eventMillis(item.event) - t) <= this.options.correlationWindowMs)
      .sort((a, b) => eventMillis(a.event) - eventMillis(b.event))[0];
    if (existing) return this.join(existing, event);

    try {
      await this.db.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            pk: this.alertKey(match.rule, key, buckets.own),
            kind: 'alert',
            rule: match.rule,
            severity: match.severity,
            limit: match.limit,
            windowSeconds: match.windowSeconds,
            event,
            sources: setOf([event.source]),
            ids: setOf([event.id]),
            status: 'pending',
            dueKey: DUE,
            dueAt: nowMs + this.options.holdMs,
            expiresAt: this.expiresAt(nowMs),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'new';
    } catch (err) {
      if (
        !(err instanceof ConditionalCheckFailedException) &&
        (err as Error).name !== 'ConditionalCheckFailedException'
      ) {
        throw err;
      }
      // Created meanwhile by a concurrent invocation: join it.
      return this.recordMatch(event, match, nowMs);
    }
  }

  private async join(item: PendingAlert, event: AuditEvent): Promise<RecordOutcome> {
    const known = new Set(item.ids);
    if (known.has(event.id)) return 'duplicate';
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: item.pk },
          UpdateExpression: 'ADD sources :source, ids :id',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':source': setOf([event.source]),
            ':id': setOf([event.id]),
            ':pending': 'pending',
          },
        }),
      );
      return 'joined';
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      // Already sent (or being sent) for the same statement: this event is covered by that alert.
      return 'covered';
    }
  }

  /** Alerts and digests whose time has come. */
  async due(nowMs: number): Promise<(PendingAlert | OpenDigest)[]> {
    const items: (PendingAlert | OpenDigest)[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: DUE_INDEX,
          KeyConditionExpression: 'dueKey = :due AND dueAt <= :now',
          ExpressionAttributeValues: { ':due': DUE, ':now': nowMs },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []).map(fromItem));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Claims an item for sending; false if another flusher holds it or it is done. */
  async claim(pk: string, nowMs: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk },
          UpdateExpression: 'SET #status = :sending, claimedAt = :now',
          ConditionExpression: '#status = :pending OR (#status = :sending AND claimedAt < :stale)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':sending': 'sending',
            ':pending': 'pending',
            ':now': nowMs,
            ':stale': nowMs - this.options.claimTimeoutMs,
          },
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  /** Marks a claimed item done (`sent` or `digested`) and takes it off the due index. */
  async finish(pk: string, status: 'sent' | 'digested', nowMs: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: { pk },
        UpdateExpression: 'SET #status = :status, finishedAt = :now, expiresAt = :expires REMOVE dueKey',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status, ':now': nowMs, ':expires': this.expiresAt(nowMs) },
      }),
    );
  }

  /** Gives a claimed item back after a failed publish, so the next flush retries it. */
  async release(pk: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: { pk },
        UpdateExpression: 'SET #status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pending': 'pending' },
      }),
    );
  }

  /** Counts one more (or, with delta -1, one less) alert of `rule` in the window containing `nowMs`. */
  async countAlert(rule: string, windowSeconds: number, nowMs: number, delta = 1): Promise<number> {
    const windowStart = Math.floor(nowMs / (windowSeconds * 1000)) * windowSeconds * 1000;
    const result = await this.db.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: { pk: `throttle#${rule}#${windowStart}` },
        UpdateExpression: 'ADD sent :one SET expiresAt = :expires',
        ExpressionAttributeValues: { ':one': delta, ':expires': this.expiresAt(nowMs) },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(result.Attributes?.sent ?? delta);
  }

  /** Adds a suppressed match to the digest of its rule, cluster and current window. */
  async addToDigest(alert: PendingAlert, nowMs: number, graceMs: number): Promise<void> {
    const windowMs = alert.windowSeconds * 1000;
    const windowStart = Math.floor(nowMs / windowMs) * windowMs;
    const e = alert.event;
    await this.db.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: { pk: `digest#${alert.rule}#${e.clusterId ?? 'unknown'}#${windowStart}` },
        UpdateExpression:
          'ADD suppressed :n SET kind = :kind, rule = :rule, severity = :severity, clusterId = :cluster, windowStart = :ws, windowEnd = :we, ' +
          'firstId = if_not_exists(firstId, :id), firstTime = if_not_exists(firstTime, :time), lastId = :id, lastTime = :time, ' +
          '#status = if_not_exists(#status, :pending), dueKey = :due, dueAt = :dueAt, expiresAt = :expires',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':n': alert.ids.length,
          ':kind': 'digest',
          ':rule': alert.rule,
          ':severity': alert.severity,
          ':cluster': e.clusterId,
          ':ws': windowStart,
          ':we': windowStart + windowMs,
          ':id': e.id,
          ':time': e.time,
          ':pending': 'pending',
          ':due': DUE,
          ':dueAt': windowStart + windowMs + graceMs,
          ':expires': this.expiresAt(nowMs + windowMs),
        },
      }),
    );
  }
}
