import { filterPatternMatches } from '../../../../cli/local/filter-pattern';
import { auditEvent } from '../../../../cli/local/records/audit-event';
import { auditEntry, failedLogin, prefix } from '../../../../cli/local/records/pgaudit-log';
import { alertLine } from '../../../../tasks/core/alert-lines';
import {
  activityStreamPattern,
  EVERY_ALERT_LINE,
  PGAUDIT_PATTERN,
  pgAuditPattern,
} from '../../../../tasks/core/alerts/filter-patterns';
import { loadRules, parseRules } from '../../../../tasks/core/alerts/rules';

describe("the filter-pattern evaluator, on the CloudWatch Logs documentation's examples", () => {
  // "Filter pattern syntax for metric filters, subscription filters, filter log events, and Live Tail".
  it.each([
    ['ERROR', '[ERROR 400] BAD REQUEST', true],
    ['ERROR', '[ERROR 401] UNAUTHORIZED REQUEST', true],
    ['ERROR', '[SUCCESS 200] AUTHORIZED REQUEST', false],
    ['"ERROR 401"', '[ERROR 401] UNAUTHORIZED REQUEST', true], // an exact phrase with a space
    ['"ERROR 401"', '[ERROR 400] BAD REQUEST', false],
    ['?ERROR ?WARN', '[WARN] something', true],
    ['?ERROR ?WARN', '[INFO] fine', false],
    ['error', '[ERROR 400] BAD REQUEST', false], // case sensitive
  ])('text pattern %s on %j → %s', (pattern, message, expected) => {
    expect(filterPatternMatches(pattern, message)).toBe(expected);
  });

  it.each([
    [
      '{ $.eventType = "UpdateTrail" }',
      '{"eventType":"UpdateTrail","eventSource":"cloudtrail.amazonaws.com"}',
      true,
    ],
    ['{ $.eventType = "UpdateTrail" }', '{"eventType":"CreateTrail"}', false],
    [
      '{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }',
      '{"user":{"id":1},"users":[{"email":"John.Doe@example.com"}]}',
      true,
    ],
    [
      '{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }',
      '{"user":{"id":2},"users":[{"email":"John.Doe@example.com"}]}',
      false,
    ],
    ['{ $.eventType = "Update*" }', '{"eventType":"UpdateTrail"}', true],
    ['{ $.eventType = "UpdateTrail" }', 'not json at all', false],
  ])('JSON pattern %s on %s → %s', (pattern, message, expected) => {
    expect(filterPatternMatches(pattern, message)).toBe(expected);
  });
});

describe('the generated patterns', () => {
  it('widen to every alert line for the default rules (audit tampering is a statement pattern)', () => {
    expect(activityStreamPattern(loadRules().rules)).toBe(EVERY_ALERT_LINE);
  });

  it('turn class and command conditions into one JSON disjunction, upper-cased', () => {
    const rules = parseRules(`
rules:
  - { name: grants, severity: HIGH, match: { class: [role], command: [grant, revoke] } }
  - { name: logins, severity: LOW, match: { source: [pgaudit], class: [CONNECT], user: [Alice] } }
`).rules;
    expect(activityStreamPattern(rules)).toBe(
      '{ ($.auditEvent.class = "ROLE" && ($.auditEvent.command = "GRANT" || $.auditEvent.command = "REVOKE")) || ($.auditEvent.source = "pgaudit" && $.auditEvent.class = "CONNECT") }',
    );
  });

  it('fall back to every alert line past 1,024 characters', () => {
    const commands = Array.from({ length: 60 }, (_, i) => `COMMAND NUMBER ${i}`).join(', ');
    const rules = parseRules(
      `rules: [{ name: many, severity: LOW, match: { command: [${commands}] } }]`,
    ).rules;
    expect(activityStreamPattern(rules)).toBe(EVERY_ALERT_LINE);
  });

  it('match every alert line of an event a rule matches (a superset), and no other log line', () => {
    const ruleSets = [
      loadRules(),
      parseRules(`
rules:
  - { name: grants, severity: HIGH, match: { class: [role], command: [grant, revoke] }, exclude: [{ user: [flyway] }] }
  - { name: drops, severity: LOW, match: { source: [das], command: [DROP TABLE], user: [ALICE] } }
`),
    ];
    const events = [
      auditEvent({ class: 'ROLE', command: 'GRANT', user: 'alice' }),
      auditEvent({ class: 'ROLE', command: 'REVOKE', user: 'flyway' }),
      auditEvent({ class: 'DDL', command: 'DROP TABLE', user: 'alice' }),
      auditEvent({ class: 'MISC', command: 'ALTER SYSTEM', commandText: 'ALTER SYSTEM RESET ALL' }),
      auditEvent({ class: 'READ', command: 'SELECT' }),
      auditEvent({ source: 'pgaudit', class: 'CONNECT', command: 'AUTH FAILURE' }),
    ];
    for (const rules of ruleSets) {
      const pattern = activityStreamPattern(rules.rules);
      for (const event of events) {
        if (rules.evaluate(event).length > 0)
          expect(filterPatternMatches(pattern, alertLine(event).trim())).toBe(true);
      }
      expect(filterPatternMatches(pattern, '{"level":"INFO","message":"batch processed"}')).toBe(false);
      expect(filterPatternMatches(pattern, 'START RequestId: 1 Version: $LATEST')).toBe(false);
    }
  });

  it('pass every event of the classes the coverage check reconciles, and finding rules widen nothing', () => {
    const { rules } = parseRules(`
rules:
  - { name: grants, severity: HIGH, match: { class: [ROLE], command: [GRANT] } }
  - { name: gaps, severity: HIGH, match: { finding: [coverage-gap] } }
`);
    expect(activityStreamPattern(rules)).toBe(
      '{ ($.auditEvent.class = "ROLE" && $.auditEvent.command = "GRANT") }',
    );
    const pattern = activityStreamPattern(rules, ['role', 'ddl']);
    const line = (overrides: Parameters<typeof auditEvent>[0]) => alertLine(auditEvent(overrides)).trim();
    // No rule matches these, the coverage check needs them.
    expect(filterPatternMatches(pattern, line({ class: 'DDL', command: 'CREATE TABLE' }))).toBe(true);
    expect(filterPatternMatches(pattern, line({ class: 'ROLE', command: 'SET ROLE' }))).toBe(true);
    expect(filterPatternMatches(pattern, line({ class: 'READ', command: 'SELECT' }))).toBe(false);
    expect(
      filterPatternMatches(activityStreamPattern(rules), line({ class: 'DDL', command: 'CREATE TABLE' })),
    ).toBe(false);
  });

  it("pass every pgAudit entry and failed login, and not the server's other lines", () => {
    expect(pgAuditPattern()).toBe(PGAUDIT_PATTERN);
    expect(filterPatternMatches(PGAUDIT_PATTERN, auditEntry())).toBe(true);
    expect(filterPatternMatches(PGAUDIT_PATTERN, failedLogin())).toBe(true);
    expect(filterPatternMatches(PGAUDIT_PATTERN, `${prefix()}connection authorized: user=app_user`)).toBe(
      false,
    );
  });
});
