/**
 * CloudWatch Logs subscription filter patterns generated from the rules. Each is a superset of what the
 * rules match (the alert Lambda evaluates the rules exactly), within CloudWatch's syntax limits:
 *
 * - activity streams: a JSON pattern over the decrypt Lambda's `{"auditEvent": …}` lines, a disjunction of
 *   the rules' `source`/`class`/`command` conditions. Conditions a JSON pattern cannot express exactly
 *   (case-insensitive user, database and object names, regular expressions) are left out, which only widens
 *   the pattern; a rule made only of such conditions widens it to every alert line. Exclusions are ignored.
 *   Finding rules add nothing; the classes the coverage check reconciles are added.
 *   Patterns are at most 1,024 characters: past that, every alert line.
 * - pgAudit: every audit entry and every failed login (the text pattern cannot see CSV fields reliably).
 */
import type { RuleDefinition } from './rule-set';

export const MAX_PATTERN_LENGTH = 1024;
/** Every alert line of the decrypt Lambda (and none of its other log lines). */
export const EVERY_ALERT_LINE = '{ $.auditEvent.id = "*" }';
/** Every pgAudit entry and failed login in a cluster's PostgreSQL log. */
export const PGAUDIT_PATTERN = '?"AUDIT: " ?"password authentication failed"';

const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function anyOf(field: string, values: readonly string[]): string {
  const terms = [...new Set(values)].map((v) => `$.auditEvent.${field} = ${quote(v)}`);
  return terms.length === 1 ? (terms[0] as string) : `(${terms.join(' || ')})`;
}

/** The JSON pattern for the decrypt Lambda's log group. */
export function activityStreamPattern(
  rules: readonly Pick<RuleDefinition, 'match'>[],
  reconciledClasses: readonly string[] = [],
): string {
  const disjuncts: string[] = [];
  // The coverage check needs every event of the reconciled classes, matched by a rule or not.
  if (reconciledClasses.length > 0)
    disjuncts.push(
      anyOf(
        'class',
        reconciledClasses.map((v) => v.toUpperCase()),
      ),
    );
  for (const { match } of rules) {
    if (match.finding) continue; // finding rules match no event line

    const parts: string[] = [];
    if (match.source) parts.push(anyOf('source', match.source));
    // Class and command are upper-case in every event; the rules compare case-insensitively.
    if (match.class)
      parts.push(
        anyOf(
          'class',
          match.class.map((v) => v.toUpperCase()),
        ),
      );
    if (match.command)
      parts.push(
        anyOf(
          'command',
          match.command.map((v) => v.toUpperCase()),
        ),
      );
    if (parts.length === 0) return EVERY_ALERT_LINE; // nothing expressible: this rule may match any line
    disjuncts.push(parts.length === 1 ? (parts[0] as string) : `(${parts.join(' && ')})`);
  }
  const pattern = disjuncts.length === 0 ? EVERY_ALERT_LINE : `{ ${disjuncts.join(' || ')} }`;
  return pattern.length <= MAX_PATTERN_LENGTH ? pattern : EVERY_ALERT_LINE;
}

/** The text pattern for a cluster's PostgreSQL log group. */
export function pgAuditPattern(): string {
  return PGAUDIT_PATTERN;
}
