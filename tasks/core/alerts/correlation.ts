/**
 * Cross-source correlation: Database Activity Streams and pgAudit report the same statement separately.
 * Two events are the same statement when cluster, user, database, command and (redacted) statement text are
 * equal and their times are within a few seconds; one alert then names both sources.
 */
import { createHash } from 'node:crypto';
import type { AuditEvent } from '../audit-event';

/** Default: events of the two sources up to 10 s apart are one statement. */
export const DEFAULT_CORRELATION_WINDOW_MS = 10_000;

/** Whitespace differences (pgAudit keeps the statement as sent; DAS too, but logs can re-wrap) are ignored. */
function normalizedText(text: string | null): string {
  return (text ?? '').replace(/\s+/g, ' ').trim().replace(/;$/, '');
}

/** The statement's identity across sources (without time). */
export function statementKey(event: AuditEvent): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        event.clusterId,
        event.user?.toLowerCase() ?? null,
        event.database,
        event.command.toUpperCase(),
        normalizedText(event.commandText),
      ]),
    )
    .digest('hex')
    .slice(0, 32);
}

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
