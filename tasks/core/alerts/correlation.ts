/**
 * Cross-source correlation: Database Activity Streams and pgAudit report the same statement separately; one
 * alert then names both sources. Statement identity itself is defined in `../statement.ts` (re-exported
 * here): the text key, the id key, `sameStatement` and `pairStatements`.
 */
import type { AuditEvent } from '../audit-event';

export {
  DEFAULT_CORRELATION_WINDOW_MS,
  idKey,
  matchStrength,
  normalizedCommand,
  normalizedText,
  pairStatements,
  type Statement,
  type StatementFields,
  sameStatement,
  statementKey,
  statementKeys,
} from '../statement';

import { DEFAULT_CORRELATION_WINDOW_MS } from '../statement';

/** Epoch milliseconds of an event's ISO time. */
export function eventMillis(event: Pick<AuditEvent, 'time'>): number {
  return Date.parse(event.time);
}

/**
 * The correlation buckets of an event: its own bucket of `windowMs` and both neighbours. Two events at most
 * `windowMs` apart are in the same or adjacent buckets, so a later event finds an earlier one by looking in
 * these three (and comparing the times).
 */
export function correlationBuckets(
  event: Pick<AuditEvent, 'time'>,
  windowMs = DEFAULT_CORRELATION_WINDOW_MS,
): { own: number; all: [number, number, number] } {
  const own = Math.floor(eventMillis(event) / windowMs);
  return { own, all: [own, own - 1, own + 1] };
}
