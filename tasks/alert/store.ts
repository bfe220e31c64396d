/**
 * The alert Lambda's state in DynamoDB (one table, TTL on `expiresAt`, GSI `due` on `dueKey`/`dueAt`). Every
 * item is about a **statement**, not an event: the two sources' reports of one statement (and redeliveries)
 * meet in one item, found under the statement's keys (see {@link StatementIdentity}).
 *
 * - `alert#<statement key>#<bucket>`: one pending alert per statement, listing every rule it matched (the
 *   events of both sources may match different rules: the union). The first event creates it
 *   (`status = pending`, due after the correlation hold); the same statement from the other source, or a
 *   redelivery, adds its source, id and rules. It is sent once: a flush claims it (`sending`), publishes, then
 *   marks it `sent`; a failed publish puts it back to `pending`. A coverage-gap finding about a statement is
 *   its own alert (`alert#coverage-gap#…`): it is made after the statement's own alert was sent.
 * - `coverage#<statement key>#<bucket>`: a statement of a reconciled class and the sources that recorded it,
 *   due when the coverage grace period ends; the flush then finds it reconciled (both sources) or a gap.
 *   Kept a day after that, so a report arriving later still finds it; then expired by TTL.
 * - `ref#<prefix>#<statement key>#<bucket>`: where an item's other keys point to (an event may be found
 *   under several keys: a twin whose ids disagree still meets it under the text-and-time key).
 *
 * Slots: identical statements run by several sessions in one window (a burst of the same failed login or
 * GRANT) share the text key but are different statements. The first takes the key's own slot
 * (`…#<bucket>`); another session's takes its pid slot (`…#<bucket>#p<pid>`), which its twin from the other
 * source reads too (both sources report the backend pid); an item or ref whose slots are all taken by other
 * statements goes to the event's own slot (`…#e<event id>`), found only through its other keys. Every item
 * lists its `members` (source, pid and id key of each report it holds), so a statement never takes a second
 * report from the same source of another session (as `pairStatements` gives each event one partner).
 * - `canary#<nonce>`: where each canary statement of one canary run arrived (`dasRole`, `pgauditDdl`, … the
 *   arrival time, and `…LatencyMs`), read by the canary workflow with one GetItem. Not due, never alerted.
 * - `throttle#<rule>#<window start>`: alert emails sent in a window that matched the rule (atomic counter).
 * - `digest#<rule>#<cluster>#<window start>`: statements over the limit, counted with the first and last,
 *   sent once the window has closed.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  correlationBuckets,
  eventMillis,
  idKey,
  matchStrength,
  statementKey,
  statementKeys,
} from '../core/alerts/correlation';
import { severityRank } from '../core/alerts/rule-set';
import type { AuditEvent, AuditSource } from '../core/audit-event';
import { arrivalAttribute, type CanaryStatement, canaryArrivalKey } from '../core/canary';

export const DUE_INDEX = 'due';

/**
 * Every slot an event could take holds another statement and none is its own: the invocation fails, so
 * Lambda retries its batch (nothing is lost). Not expected: an event's own slot is named by its id.
 */
export class AlertStateConflictError extends Error {
  override readonly name = 'AlertStateConflictError';
}
const DUE = 'due';
/** How long a reconciled (or alerted) coverage record is kept for late reports of its statement. */
const COVERAGE_KEEP_SECONDS = 86_400;

export interface RuleMatch {
  readonly rule: string;
  readonly severity: string;
  /** Alerts allowed per window; the rest go to the window's digest. */
  readonly limit: number;
  readonly windowSeconds: number;
}

/** A finding about a statement rather than the statement itself. */
export interface CoverageFinding {
  readonly kind: 'coverage-gap';
  /** The sources that recorded the statement. */
  readonly seenBy: AuditSource[];
  /** The sources that did not, within the grace period. */
  readonly missing: AuditSource[];
  readonly graceSeconds: number;
}

export interface PendingAlert {
  readonly pk: string;
  readonly kind: 'alert';
  /** Every rule the statement matched, highest severity first. */
  readonly matches: RuleMatch[];
  readonly event: AuditEvent;
  readonly sources: AuditSource[];
  readonly ids: string[];
  readonly finding?: CoverageFinding;
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

export interface CoverageRecord {
  readonly pk: string;
  readonly kind: 'coverage';
  readonly event: AuditEvent;
  readonly sources: AuditSource[];
  readonly ids: string[];
  readonly graceSeconds: number;
}

export type DueItem = PendingAlert | OpenDigest | CoverageRecord;

/** Which events are one statement, across the two sources. */
export interface StatementIdentity {
  /** The keys under which an event can meet its twin from the other source (at least one). */
  keys(event: AuditEvent): readonly string[];
  /** How well two events found under a common key match (lower is better), or null: not one statement. */
  rank(a: AuditEvent, b: AuditEvent): number | null;
}

/**
 * The statement identity of tasks/core/statement.ts: the id key and the text key; the other source's event
 * is ranked by `matchStrength` (so ids that disagree never beat a text match). Two reports from the same
 * source are one statement when they are the same event (a redelivery) or, within the window, share the id
 * key (pgAudit's SESSION and OBJECT entries of one statement), or the text key where an id is missing and
 * the backend pids do not differ (the same statement text from two sessions is two statements).
 */
export function statementIdentity(windowMs: number): StatementIdentity {
  return {
    keys: (event) => statementKeys(event),
    rank: (a, b) => {
      if (a.id === b.id) return -1;
      if (a.source !== b.source) return matchStrength(a, b, windowMs);
      if (!(Math.abs(eventMillis(a) - eventMillis(b)) <= windowMs)) return null;
      const [ma, mb] = [memberOf(a), memberOf(b)];
      if (ma.id !== '-' && mb.id !== '-') return ma.id === mb.id ? 0 : null;
      return sameSourceCompatible(ma, mb) && statementKey(a) === statementKey(b) ? 2 : null;
    },
  };
}

/** A report an item holds: its source, backend pid and id key (`-` where missing). */
interface Member {
  readonly source: string;
  readonly pid: string;
  readonly id: string;
}
const memberOf = (event: AuditEvent): Member => ({
  source: event.source,
  pid: event.pid === null ? '-' : String(event.pid),
  id: idKey(event) ?? '-',
});
const encodeMember = (m: Member) => [m.source, m.pid, m.id].join('|');
const decodeMember = (member: string): Member => {
  const [source = '', pid = '-', id = '-'] = member.split('|');
  return { source, pid, id };
};

/**
 * Whether two reports from the same source can be one statement: the same id key where both have one,
 * else not two different backend pids.
 */
function sameSourceCompatible(a: Member, b: Member): boolean {
  if (a.id !== '-' && b.id !== '-') return a.id === b.id;
  return a.pid === '-' || b.pid === '-' || a.pid === b.pid;
}

export interface AlertStoreOptions {
  readonly tableName: string;
  /** How long a new alert waits for the other source's report of the same statement. */
  readonly holdMs: number;
  /** Events this far apart or less can be one statement (the time buckets searched). */
  readonly correlationWindowMs: number;
  /** Which events are one statement. Default: {@link statementIdentity} of `correlationWindowMs`. */
  readonly identity?: StatementIdentity;
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

/** Highest severity first; among equals, the order the rules file gives. */
export function bySeverity(matches: readonly RuleMatch[]): RuleMatch[] {
  return matches
    .map((m, i) => ({ m, i }))
    .sort((a, b) => severityRank(b.m.severity) - severityRank(a.m.severity) || a.i - b.i)
    .map(({ m }) => m);
}

function unionMatches(a: readonly RuleMatch[], b: readonly RuleMatch[]): RuleMatch[] {
  const names = new Set(a.map((m) => m.rule));
  return bySeverity([...a, ...b.filter((m) => !names.has(m.rule))]);
}

/** An alert item written before alerts listed their rules (one item per rule): its one rule. */
function legacyMatch(item: Record<string, unknown>): RuleMatch[] {
  if (typeof item.rule !== 'string') return [];
  return [
    {
      rule: item.rule,
      severity: String(item.severity),
      limit: Number(item.limit),
      windowSeconds: Number(item.windowSeconds),
    },
  ];
}

function fromItem(item: Record<string, unknown>): DueItem {
  if (item.kind === 'alert')
    return {
      ...(item as unknown as PendingAlert),
      matches: bySeverity((item.matches as RuleMatch[] | undefined) ?? legacyMatch(item)),
      sources: listOf(item.sources) as AuditSource[],
      ids: listOf(item.ids),
    };
  if (item.kind === 'coverage')
    return {
      ...(item as unknown as CoverageRecord),
      sources: listOf(item.sources) as AuditSource[],
      ids: listOf(item.ids),
    };
  return item as unknown as OpenDigest;
}

const isConditionFailure = (err: unknown) =>
  err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException';

export class AlertStore {
  private readonly identity: StatementIdentity;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly options: AlertStoreOptions,
  ) {
    this.identity = options.identity ?? statementIdentity(options.correlationWindowMs);
  }

  private expiresAt(nowMs: number, seconds = this.options.retentionSeconds): number {
    return Math.floor(nowMs / 1000) + seconds;
  }

  private async getAll(pks: readonly string[]): Promise<Record<string, unknown>[]> {
    const unique = [...new Set(pks)];
    const items: Record<string, unknown>[] = [];
    for (let i = 0; i < unique.length; i += 100) {
      let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined =
        {
          [this.options.tableName]: {
            Keys: unique.slice(i, i + 100).map((pk) => ({ pk })),
            ConsistentRead: true,
          },
        };
      while (request && Object.keys(request).length > 0) {
        const page = await this.db.send(new BatchGetCommand({ RequestItems: request }));
        items.push(...(page.Responses?.[this.options.tableName] ?? []));
        request = page.UnprocessedKeys as typeof request;
      }
    }
    return items;
  }

  /** The slots of `key` in `bucket` that `event` reads and may take: the key's own, then its pid's. */
  private slots(prefix: string, key: string, bucket: number, event: AuditEvent): string[] {
    const base = `${prefix}#${key}#${bucket}`;
    return event.pid === null ? [base] : [base, `${base}#p${event.pid}`];
  }

  /** The slot only `event` takes, when every other slot of its first key holds another statement. */
  private ownSlot(prefix: string, event: AuditEvent): string {
    const { own } = correlationBuckets(event, this.options.correlationWindowMs);
    return `${prefix}#${this.identity.keys(event)[0]}#${own}#e${event.id}`;
  }

  /**
   * Whether `item` can take `event`: it holds the event already, or every report it holds from the event's
   * source can be the same statement as the event (a statement takes no second session's report).
   */
  private admits(item: Record<string, unknown>, event: AuditEvent): boolean {
    if (listOf(item.ids).includes(event.id)) return true;
    const members = listOf(item.members).map(decodeMember);
    const held = members.length > 0 ? members : [memberOf(item.event as AuditEvent)];
    const mine = memberOf(event);
    return held.filter((m) => m.source === mine.source).every((m) => sameSourceCompatible(m, mine));
  }

  /**
   * The item under `prefix` about the same statement as `event`: looked up in every slot of each of its keys
   * in its own and both neighbouring time buckets, following `ref` items; the best match first, then the
   * closest in time.
   */
  private async findStatement(
    prefix: string,
    event: AuditEvent,
  ): Promise<Record<string, unknown> | undefined> {
    const { all } = correlationBuckets(event, this.options.correlationWindowMs);
    const pks = this.identity
      .keys(event)
      .flatMap((key) => all.flatMap((b) => this.slots(prefix, key, b, event)));
    const found = await this.getAll([...pks, ...pks.map((pk) => `ref#${pk}`), this.ownSlot(prefix, event)]);
    const direct = found.filter((item) => item.kind !== 'ref');
    const refs = found.filter((item) => item.kind === 'ref').map((item) => String(item.ref));
    const known = new Set(direct.map((item) => String(item.pk)));
    const followed = await this.getAll(refs.filter((pk) => !known.has(pk)));
    const t = eventMillis(event);
    return [...direct, ...followed]
      .filter((item) => this.admits(item, event))
      .map((item) => ({ item, rank: this.identity.rank(item.event as AuditEvent, event) }))
      .filter((c): c is { item: Record<string, unknown>; rank: number } => c.rank !== null)
      .map((c) => ({ ...c, apart: Math.abs(eventMillis(c.item.event as AuditEvent) - t) }))
      .sort((a, b) => a.rank - b.rank || a.apart - b.apart)[0]?.item;
  }

  /**
   * Joins the item of `event`'s statement, or creates `item` for it: in the first free slot of its first key
   * (own, pid, then the event's own slot), with `ref` items under its other keys. A slot taken meanwhile is
   * looked at again: the same statement (a concurrent invocation, the other source) is joined; another
   * statement makes it try the next slot. Never loops: there are at most three slots.
   */
  private async findOrCreate(
    prefix: string,
    event: AuditEvent,
    item: Record<string, unknown>,
    join: (existing: Record<string, unknown>) => Promise<RecordOutcome>,
  ): Promise<RecordOutcome> {
    const { own } = correlationBuckets(event, this.options.correlationWindowMs);
    const [first] = this.identity.keys(event);
    const candidates = [...this.slots(prefix, String(first), own, event), this.ownSlot(prefix, event)];
    for (const pk of candidates) {
      const existing = await this.findStatement(prefix, event);
      if (existing) return join(existing);
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.options.tableName,
            Item: { pk, ...item, members: setOf([encodeMember(memberOf(event))]) },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        continue;
      }
      await this.writeRefs(prefix, event, pk, item.expiresAt);
      return 'new';
    }
    const existing = await this.findStatement(prefix, event);
    if (existing) return join(existing);
    throw new AlertStateConflictError(`every slot of event ${event.id} is taken by another statement`);
  }

  /**
   * Points each slot of the event's keys that lookups read (own bucket) at `pk`: the first `ref` slot free
   * (or already pointing there) of each key; a key whose slots all point elsewhere gets none (its twin then
   * meets the item under another key).
   */
  private async writeRefs(prefix: string, event: AuditEvent, pk: string, expiresAt: unknown): Promise<void> {
    const { own } = correlationBuckets(event, this.options.correlationWindowMs);
    for (const key of this.identity.keys(event)) {
      const slots = this.slots(prefix, key, own, event);
      if (slots.includes(pk)) continue; // the item itself sits in one of this key's slots
      for (const slot of slots) {
        try {
          await this.db.send(
            new PutCommand({
              TableName: this.options.tableName,
              Item: { pk: `ref#${slot}`, kind: 'ref', ref: pk, expiresAt },
              ConditionExpression: 'attribute_not_exists(pk) OR #ref = :ref',
              ExpressionAttributeNames: { '#ref': 'ref' },
              ExpressionAttributeValues: { ':ref': pk },
            }),
          );
          break;
        } catch (err) {
          if (!isConditionFailure(err)) throw err;
        }
      }
    }
  }

  /**
   * Records that `event` matched `matches` (every rule it matched; a finding's rules with `finding`): joins
   * the pending alert of the same statement (other source or redelivery) or creates one. Safe to repeat.
   */
  async recordMatch(
    event: AuditEvent,
    matches: readonly RuleMatch[],
    nowMs: number,
    finding?: CoverageFinding,
  ): Promise<RecordOutcome> {
    const prefix = finding ? `alert#${finding.kind}` : 'alert';
    return this.findOrCreate(
      prefix,
      event,
      {
        kind: 'alert',
        matches: bySeverity(matches),
        event,
        sources: setOf(finding ? finding.seenBy : [event.source]),
        ids: setOf([event.id]),
        ...(finding ? { finding } : {}),
        status: 'pending',
        dueKey: DUE,
        dueAt: finding ? nowMs : nowMs + this.options.holdMs,
        expiresAt: this.expiresAt(nowMs),
      },
      (existing) => this.join(fromItem(existing) as PendingAlert, event, matches),
    );
  }

  private async join(
    item: PendingAlert,
    event: AuditEvent,
    matches: readonly RuleMatch[],
  ): Promise<RecordOutcome> {
    if (item.ids.includes(event.id)) return 'duplicate';
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: item.pk },
          UpdateExpression: 'ADD sources :source, ids :id, members :member SET matches = :matches',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':source': setOf([event.source]),
            ':id': setOf([event.id]),
            ':member': setOf([encodeMember(memberOf(event))]),
            ':matches': unionMatches(item.matches, matches),
            ':pending': 'pending',
          },
        }),
      );
      return 'joined';
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      // Already sent (or being sent) for the same statement: this event is covered by that alert.
      return 'covered';
    }
  }

  /**
   * Records a canary statement's arrival through its source in the run's item `canary#<nonce>`: the first
   * arrival time and latency per source and class are kept (a redelivery changes nothing), with the event ids.
   * Returns whether this was the first arrival of that source and class.
   */
  async recordCanaryArrival(canary: CanaryStatement, event: AuditEvent, nowMs: number): Promise<boolean> {
    const attribute = arrivalAttribute(event.source, canary.cls);
    const latencyMs = Math.max(0, nowMs - eventMillis(event));
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: canaryArrivalKey(canary.nonce) },
          UpdateExpression:
            'SET #kind = :kind, #at = :at, #latency = :latency, expiresAt = :expiresAt ADD ids :id',
          ConditionExpression: 'attribute_not_exists(#at)',
          ExpressionAttributeNames: {
            '#kind': 'kind',
            '#at': attribute,
            '#latency': `${attribute}LatencyMs`,
          },
          ExpressionAttributeValues: {
            ':kind': 'canary',
            ':at': new Date(nowMs).toISOString(),
            ':latency': latencyMs,
            ':expiresAt': this.expiresAt(nowMs),
            ':id': setOf([event.id]),
          },
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return false;
    }
  }

  /**
   * Records that `event` (of a reconciled class) was seen by its source: joins the coverage record of the
   * same statement or creates one, due `graceSeconds` later. Safe to repeat.
   */
  async recordSeen(event: AuditEvent, nowMs: number, graceSeconds: number): Promise<RecordOutcome> {
    return this.findOrCreate(
      'coverage',
      event,
      {
        kind: 'coverage',
        event,
        sources: setOf([event.source]),
        ids: setOf([event.id]),
        graceSeconds,
        status: 'pending',
        dueKey: DUE,
        dueAt: nowMs + graceSeconds * 1000,
        expiresAt: this.expiresAt(nowMs, graceSeconds + COVERAGE_KEEP_SECONDS),
      },
      async (existing) => {
        const record = fromItem(existing) as CoverageRecord;
        if (record.ids.includes(event.id)) return 'duplicate';
        try {
          await this.db.send(
            new UpdateCommand({
              TableName: this.options.tableName,
              Key: { pk: record.pk },
              UpdateExpression: 'ADD sources :source, ids :id, members :member',
              ConditionExpression: '#status = :pending',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':source': setOf([event.source]),
                ':id': setOf([event.id]),
                ':member': setOf([encodeMember(memberOf(event))]),
                ':pending': 'pending',
              },
            }),
          );
          return 'joined';
        } catch (err) {
          if (!isConditionFailure(err)) throw err;
          return 'covered'; // checked already: a late report (the gap, if any, was alerted)
        }
      },
    );
  }

  /** Alerts, digests and coverage records whose time has come. */
  async due(nowMs: number): Promise<DueItem[]> {
    const items: DueItem[] = [];
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

  /**
   * Marks a claimed item done and takes it off the due index: an alert `sent` or `digested`, a coverage
   * record `reconciled` (both sources), `gap` (alerted) or `excluded` (the coverage rule excluded it).
   */
  async finish(
    pk: string,
    status: 'sent' | 'digested' | 'reconciled' | 'gap' | 'excluded',
    nowMs: number,
  ): Promise<void> {
    const keep = pk.startsWith('coverage#') ? COVERAGE_KEEP_SECONDS : this.options.retentionSeconds;
    await this.db.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: { pk },
        UpdateExpression: 'SET #status = :status, finishedAt = :now, expiresAt = :expires REMOVE dueKey',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': status,
          ':now': nowMs,
          ':expires': this.expiresAt(nowMs, keep),
        },
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

  /**
   * Counts a suppressed statement into the digest of `match` (its highest-severity rule), its cluster and the
   * current window: one statement, however many rules and sources.
   */
  async addToDigest(alert: PendingAlert, match: RuleMatch, nowMs: number, graceMs: number): Promise<void> {
    const windowMs = match.windowSeconds * 1000;
    const windowStart = Math.floor(nowMs / windowMs) * windowMs;
    const e = alert.event;
    await this.db.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: { pk: `digest#${match.rule}#${e.clusterId ?? 'unknown'}#${windowStart}` },
        UpdateExpression:
          'ADD suppressed :n SET kind = :kind, rule = :rule, severity = :severity, clusterId = :cluster, windowStart = :ws, windowEnd = :we, ' +
          'firstId = if_not_exists(firstId, :id), firstTime = if_not_exists(firstTime, :time), lastId = :id, lastTime = :time, ' +
          '#status = if_not_exists(#status, :pending), dueKey = :due, dueAt = :dueAt, expiresAt = :expires',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':n': 1,
          ':kind': 'digest',
          ':rule': match.rule,
          ':severity': match.severity,
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
