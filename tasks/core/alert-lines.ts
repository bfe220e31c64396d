/**
 * Alert lines: for each event the alert rules match, the decrypt Lambda writes exactly one line that is
 * a pure JSON object `{"auditEvent": {…}}` to standard output, whatever the logger's level, so that a
 * CloudWatch Logs subscription filter such as `{ $.auditEvent.class = "ROLE" }` matches it. Other events are
 * not logged (CloudWatch ingestion costs money).
 *
 * A line is at most {@link MAX_ALERT_LINE_BYTES}: CloudWatch Logs cuts a log event at 256 KiB, and a cut line
 * is no longer JSON, so no subscription filter would match it and the alert would be lost. A statement
 * padded to hide a GRANT in a huge line is therefore shortened (its start kept, where the rules' statement
 * patterns are anchored), with a marker saying so; the full statement is in the stored events.
 */
import type { AuditEvent } from './audit-event';
import { fitLine } from './storage-layout';

export type AlertPredicate = (event: AuditEvent) => boolean;

/** Well under CloudWatch Logs' 256 KiB per log event, leaving room for Lambda's own framing. */
export const MAX_ALERT_LINE_BYTES = 128 * 1024;

/** The line, with its newline, at most `maxBytes` bytes of UTF-8. */
export function alertLine(event: AuditEvent, maxBytes = MAX_ALERT_LINE_BYTES): string {
  // Other padded fields (parameters, object name, …) are shortened too, so the alert is still sent instead of
  // failing the whole batch.
  return fitLine(
    event,
    maxBytes,
    (e) => `${JSON.stringify({ auditEvent: e })}\n`,
    'the full statement is in the audit events',
    'the full event is in the audit events',
  ).line;
}
