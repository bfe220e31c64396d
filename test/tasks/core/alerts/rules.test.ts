import { auditEvent } from '../../../../cli/local/records/audit-event';
import { InvalidRulesError, loadRules, parseRules } from '../../../../tasks/core/alerts/rules';

const rules = loadRules();
const matched = (overrides: Parameters<typeof auditEvent>[0]) =>
  rules.evaluate(auditEvent(overrides)).map((m) => m.rule);

describe('the default rules', () => {
  it.each([
    ['GRANT', 'GRANT SELECT ON t TO u'],
    ['GRANT ROLE', 'GRANT app_user TO u'],
    ['REVOKE', 'REVOKE SELECT ON t FROM u'],
    ['CREATE ROLE', 'CREATE ROLE u LOGIN'],
    ['ALTER ROLE', 'ALTER ROLE u PASSWORD <REDACTED>'],
    ['DROP ROLE', 'DROP ROLE u'],
  ])('alert on the privilege change %s', (command, commandText) => {
    expect(matched({ class: 'ROLE', command, commandText })).toEqual(['privilege-changes']);
  });

  it.each([
    ["ALTER ROLE app_user SET pgaudit.log = 'none'", 'ALTER ROLE', 'ROLE'],
    ['alter user app_user reset pgaudit.log', 'ALTER ROLE', 'ROLE'],
    ["ALTER DATABASE appdb SET pgaudit.log TO 'none'", 'ALTER DATABASE', 'DDL'],
    ["ALTER SYSTEM SET shared_preload_libraries = ''", 'ALTER SYSTEM', 'MISC'],
    ['DROP EXTENSION pgaudit', 'DROP EXTENSION', 'DDL'],
    ['drop extension if exists "pgaudit" cascade', 'DROP EXTENSION', 'DDL'],
    ["SET pgaudit.log = 'none'", 'SET', 'MISC_SET'],
    ['set session pgaudit.log_parameter = off', 'SET', 'MISC_SET'],
  ])('alert on the tampering statement %j', (commandText, command, cls) => {
    expect(matched({ class: cls, command, commandText })).toContain('audit-tampering');
  });

  it('marks tampering CRITICAL', () => {
    expect(
      rules.evaluate(
        auditEvent({ class: 'MISC', command: 'ALTER SYSTEM', commandText: 'ALTER SYSTEM RESET ALL' }),
      )[0]?.severity,
    ).toBe('CRITICAL');
  });

  it.each([
    ['DROP TABLE', 'DROP TABLE orders'],
    ['TRUNCATE TABLE', 'TRUNCATE orders'],
    ['DROP SCHEMA', 'DROP SCHEMA s CASCADE'],
  ])('alert on the destructive DDL %s', (command, commandText) => {
    expect(matched({ class: 'DDL', command, commandText })).toEqual(['destructive-ddl']);
  });

  it('alerts on a failed login', () => {
    expect(matched({ class: 'CONNECT', command: 'AUTH FAILURE', commandText: null })).toEqual([
      'failed-logins',
    ]);
  });

  it.each([
    ['READ', 'SELECT', 'SELECT * FROM pgaudit_settings'],
    ['WRITE', 'INSERT', "INSERT INTO notes VALUES ('alter system')"],
    ['DDL', 'CREATE TABLE', 'CREATE TABLE t (a int)'],
    ['MISC_SET', 'SET', "SET search_path = 'public'"],
    ['ROLE', 'SET ROLE', 'SET ROLE admin'],
    ['CONNECT', 'CONNECT', null],
  ])('stay quiet on the ordinary %s %s', (cls, command, commandText) => {
    expect(matched({ class: cls, command, commandText })).toEqual([]);
  });

  it('gives each match its rule throttle as a limit per window', () => {
    expect(rules.evaluate(auditEvent({ class: 'CONNECT', command: 'AUTH FAILURE' }))).toEqual([
      { rule: 'failed-logins', severity: 'MEDIUM', limit: 5, windowSeconds: 3600 },
    ]);
  });
});

describe('a rules file', () => {
  it('applies exclusions and the default throttle', () => {
    const r = parseRules(`
defaults: { throttle: { maxPerWindow: 3, windowMinutes: 10 } }
rules:
  - name: grants
    severity: LOW
    match: { command: [grant] }
    exclude: [{ user: [FLYWAY] }, { database: [scratch], source: [pgaudit] }]
`);
    expect(r.evaluate(auditEvent({ command: 'GRANT', user: 'alice' }))).toEqual([
      { rule: 'grants', severity: 'LOW', limit: 3, windowSeconds: 600 },
    ]);
    expect(r.evaluate(auditEvent({ command: 'GRANT', user: 'flyway' }))).toEqual([]);
    expect(r.evaluate(auditEvent({ command: 'GRANT', database: 'scratch', source: 'pgaudit' }))).toEqual([]);
    expect(r.evaluate(auditEvent({ command: 'GRANT', database: 'scratch', source: 'das' }))).toHaveLength(1);
  });

  it.each([
    ['rules: []', 'invalid rules (rules): rules: must define at least one rule'],
    [
      'rules: [{ name: grants, severity: URGENT, match: { class: [ROLE] } }]',
      'rule "grants": severity: Invalid option: expected one of "LOW"|"MEDIUM"|"HIGH"|"CRITICAL"',
    ],
    [
      'rules: [{ name: grants, severity: LOW, match: { klass: [ROLE] } }]',
      'rule "grants": match: Unrecognized key: "klass"',
    ],
    [
      'rules: [{ name: grants, severity: LOW, match: { commandTextPattern: "(" } }]',
      'rule "grants": match.commandTextPattern: must be a valid regular expression',
    ],
    [
      'rules: [{ name: grants, severity: LOW, match: {} }]',
      'rule "grants": match: must name at least one field',
    ],
    [
      'rules: [{ name: Grants!, severity: LOW, match: { class: [ROLE] } }]',
      'rule "Grants!": name: must be lower-case letters, digits and hyphens',
    ],
    [
      'rules: [{ name: a, severity: LOW, match: { class: [ROLE] } }, { name: a, severity: LOW, match: { class: [DDL] } }]',
      'rule "a": name is used twice',
    ],
    [
      'rules: [{ name: a, severity: LOW, match: { class: [ROLE] }, throttle: { maxPerWindow: 0, windowMinutes: 5 } }]',
      'rule "a": throttle.maxPerWindow: Too small',
    ],
  ])('rejects %s naming the rule and the field', (text, message) => {
    expect(() => parseRules(text)).toThrow(InvalidRulesError);
    expect(() => parseRules(text)).toThrow(message);
  });
});

describe('finding rules', () => {
  it('never match an audit event, and match the finding about one', () => {
    const grant = auditEvent({ class: 'ROLE', command: 'GRANT' });
    expect(rules.evaluate(grant).map((m) => m.rule)).toEqual(['privilege-changes']);
    expect(rules.evaluateFinding('coverage-gap', grant)).toEqual([
      { rule: 'audit-coverage-gap', severity: 'HIGH', limit: 20, windowSeconds: 3600 },
    ]);
  });

  it('apply their other conditions and exclusions to the event the finding is about', () => {
    const r = parseRules(`
rules:
  - name: gaps
    severity: HIGH
    match: { finding: [coverage-gap], class: [ROLE] }
    exclude: [{ user: [etl] }]
`);
    expect(r.evaluateFinding('coverage-gap', auditEvent({ class: 'ROLE' }))).toHaveLength(1);
    expect(r.evaluateFinding('coverage-gap', auditEvent({ class: 'DDL' }))).toEqual([]);
    expect(r.evaluateFinding('coverage-gap', auditEvent({ class: 'ROLE', user: 'ETL' }))).toEqual([]);
    expect(r.evaluate(auditEvent({ class: 'ROLE' }))).toEqual([]);
  });

  it('reject an unknown finding', () => {
    expect(() => parseRules('rules: [{ name: g, severity: LOW, match: { finding: [gap] } }]')).toThrow(
      'rule "g": match.finding.0: Invalid input: expected "coverage-gap"',
    );
  });
});
