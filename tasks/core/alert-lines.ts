/**
 * Alert lines: for each event the alert rules match, the decrypt Lambda writes exactly one line that is
 * a pure JSON object `{"auditEvent": {…}}` to standard output, whatever the logger's level, so that a
 * CloudWatch Logs subscription filter such as `{ $.auditEvent.class = "ROLE" }` matches it. Other events are
 * not logged (CloudWatch ingestion costs money).
 */
import type { AuditEvent } from './audit-event';

export type AlertPredicate = (event: AuditEvent) => boolean;

/** The line, with its newline. */
export function alertLine(event: AuditEvent): string {
  return `${JSON.stringify({ auditEvent: event })}\n`;
}
