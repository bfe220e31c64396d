import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditEvent } from '../../cli/local/records/audit-event';
import { auditEntry, failedLogin } from '../../cli/local/records/pgaudit-log';
import { alertLine } from '../../tasks/core/alert-lines';
import { toJsonLine } from '../../tasks/core/audit-event';
import { runCli } from '../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'aa-rules-'));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe('aurora-audit rules test', () => {
  it('replays JSON lines, alert lines and pgAudit text through the default rules', async () => {
    const events = file(
      'events.jsonl',
      [
        toJsonLine(auditEvent({ class: 'ROLE', command: 'GRANT', time: '2026-11-24T10:00:00Z' })).trim(),
        alertLine(auditEvent({ class: 'DDL', command: 'DROP TABLE', time: '2026-11-24T10:01:00Z' })).trim(),
      ].join('\n'),
    );
    const log = file(
      'postgresql.log',
      // Seven failed logins a second apart, from seven connections (seven backend pids): seven statements
      // for the alert Lambda, although the lines are identical and within its 10-second correlation window.
      Array.from({ length: 7 }, (_, i) =>
        failedLogin('mallory', {
          time: `2026-11-24 10:00:0${i} UTC`,
          pid: 5000 + i,
          remote: `10.0.0.9(${40000 + i})`,
        }),
      )
        .concat(auditEntry())
        .join('\n'),
    );
    const run = await runCli('rules', 'test', events, log);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('10 events, 4 rules');
    expect(run.stdout).toContain('privilege-changes (HIGH): 2 matches; at most 20 alerts per 60 min');
    expect(run.stdout).toContain('failed-logins (MEDIUM): 7 matches; at most 5 alerts per 60 min');
    expect(run.stdout).toContain(
      '  2026-11-24T10:00:00.000Z  7 matches → 6 emails (5 alerts + 1 digest of 2)',
    );
    expect(run.stdout).toContain('decrypt Lambda log: { $.auditEvent.id = "*" }');
    expect(run.stdout).toContain('PostgreSQL log:     ?"AUDIT: " ?"password authentication failed"');
  });

  it('counts one email per statement, as the alert Lambda sends them, however many rules and sources', async () => {
    // One statement that matches two rules (privilege-changes and audit-tampering), reported by both sources.
    const statement = {
      class: 'ROLE',
      command: 'ALTER ROLE',
      commandText: "ALTER ROLE app_user SET pgaudit.log = 'none'",
      user: 'postgres',
      pid: 777,
      statementId: 4,
      substatementId: 1,
    };
    const events = file(
      'one-statement.jsonl',
      [
        toJsonLine(auditEvent({ ...statement, source: 'das', time: '2026-11-24T10:00:00.250Z' })).trim(),
        toJsonLine(auditEvent({ ...statement, source: 'pgaudit', time: '2026-11-24T10:00:00Z' })).trim(),
      ].join('\n'),
    );
    const run = await runCli('rules', 'test', events);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      '1 statement matched rules → 1 email: 1 alert (one per statement, naming every rule it matched)',
    );
    expect(run.stdout).toContain(
      'privilege-changes (HIGH): 2 matches; at most 20 alerts per 60 min; 1 statement\n  2026-11-24T10:00:00.000Z  1 matches → 1 emails (1 alerts)',
    );
    expect(run.stdout).toContain(
      'audit-tampering (CRITICAL): 2 matches; at most 50 alerts per 60 min; 1 statement\n  2026-11-24T10:00:00.000Z  1 matches → 1 emails (1 alerts)',
    );
  });

  it('uses a rules file and prints its generated pattern', async () => {
    const rules = file(
      'rules.yaml',
      'rules:\n  - { name: grants, severity: LOW, match: { class: [ROLE], command: [GRANT] } }\n',
    );
    const run = await runCli('rules', 'test', '--rules', rules);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('{ ($.auditEvent.class = "ROLE" && $.auditEvent.command = "GRANT") }');
  });

  it('exits 1 on an invalid rules file, naming the rule and the field', async () => {
    const rules = file('bad.yaml', 'rules:\n  - { name: grants, severity: LOW, match: { clas: [ROLE] } }\n');
    const run = await runCli('rules', 'test', '--rules', rules);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('rule "grants": match: Unrecognized key: "clas"');
  });
});
