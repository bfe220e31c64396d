import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAuditEvent } from '../../tasks/core/audit-event';
import { auditEntry, failedLogin, prefix } from '../builders/pgaudit-log';
import { runCli, runCliWith } from '../helpers/cli';

describe('aurora-audit pgaudit parse', () => {
  it('prints the events of a log file as JSON lines of the event model, with the cluster from the configuration', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'aa-pg-')), 'postgresql.log');
    writeFileSync(
      file,
      [
        `${prefix()}connection authorized: user=app_user`,
        auditEntry({ command: 'GRANT', statement: 'GRANT SELECT ON a, b TO c' }),
        auditEntry({
          class: 'ROLE',
          command: 'ALTER ROLE',
          statement: "ALTER ROLE c PASSWORD 'never-printed'",
        }),
        failedLogin('mallory'),
        auditEntry({}, { user: 'rdsadmin' }),
      ].join('\n'),
    );
    const run = await runCli('pgaudit', 'parse', file, '--cluster', 'orders-db', '--instance', 'orders-db-1');
    expect(run.code).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((l) => parseAuditEvent(JSON.parse(l)));
    expect(events.map((e) => [e.command, e.clusterId, e.instanceId])).toEqual([
      ['GRANT', 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'orders-db-1'],
      ['ALTER ROLE', 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'orders-db-1'],
      ['AUTH FAILURE', 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'orders-db-1'],
    ]);
    expect(run.stdout).not.toContain('never-printed');
  });

  it('reads standard input, leaves clusterId null without a cluster, and exits 1 on an unreadable entry', async () => {
    const input = [auditEntry(), `${prefix()}AUDIT: SESSION,1,1,ROLE,"broken`].join('\n');
    const run = await runCliWith({ stdin: input }, 'pgaudit', 'parse');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout.trim()).clusterId).toBeNull();
    expect(run.stderr).toMatch(/^unreadable entry: InvalidAuditEntryError: AUDIT CSV: /);
  });
});
