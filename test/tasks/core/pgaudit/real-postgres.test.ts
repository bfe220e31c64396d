/**
 * The reference scenario on a real PostgreSQL 15 with pgAudit 1.7, its real log parsed event by event.
 */

import { type PostgresServer, startPostgres, waitForLog } from '../../../../cli/local/postgres';
import type { AuditEvent } from '../../../../tasks/core/audit-event';
import { parsePgAuditText } from '../../../../tasks/core/pgaudit/parser';

const SECRET = 'Sup3r-Secret-pw';
const APP_PW = 'App-user-pw-1';
const MULTI_LINE = `INSERT INTO app_1 (id, note)\nVALUES (1, 'a, "b"'),\n       (2, 'it''s');`;

let pg: PostgresServer;
let events: AuditEvent[];
let log: string;

beforeAll(async () => {
  pg = await startPostgres({ pgauditLog: 'role,ddl,write,misc_set' });
  pg.psql(
    `CREATE ROLE app_user LOGIN CREATEROLE PASSWORD '${APP_PW}';\nCREATE DATABASE appdb OWNER app_user;`,
  );
  pg.psql('CREATE EXTENSION pgaudit;', { database: 'appdb' });
  pg.psql(
    [
      'CREATE TABLE app_1 (id int, note text);',
      'CREATE ROLE app_user_new LOGIN;',
      'GRANT SELECT, INSERT ON app_1 TO app_user_new;',
      'REVOKE SELECT ON app_1 FROM app_user_new;',
      `ALTER ROLE app_user_new PASSWORD '${SECRET}';`,
      MULTI_LINE,
      'GRANT app_user TO app_user_new;',
    ].join('\n'),
    { user: 'app_user', password: APP_PW, database: 'appdb' },
  );
  const failed = pg.psql('SELECT 1', {
    user: 'app_user',
    password: 'wrong-password',
    database: 'appdb',
    check: false,
  });
  expect(failed.status).not.toBe(0);
  log = await waitForLog(pg, 'password authentication failed');
  events = await parsePgAuditText(log, {
    clusterId: 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    instanceId: 'orders-db-1',
  });
}, 60_000);

afterAll(() => pg?.stop());

describe('pgAudit on a real PostgreSQL 15', () => {
  it("yields the scenario's events in order, with class, command, user, database and statement", () => {
    const rows = events.map((e) => [e.user, e.database, e.class, e.command, e.commandText]);
    expect(rows).toEqual([
      [
        'postgres',
        'postgres',
        'ROLE',
        'CREATE ROLE',
        'CREATE ROLE app_user LOGIN CREATEROLE PASSWORD <REDACTED>',
      ],
      ['postgres', 'postgres', 'DDL', 'CREATE DATABASE', 'CREATE DATABASE appdb OWNER app_user;'],
      ['postgres', 'appdb', 'DDL', 'CREATE EXTENSION', 'CREATE EXTENSION pgaudit;'],
      ['app_user', 'appdb', 'DDL', 'CREATE TABLE', 'CREATE TABLE app_1 (id int, note text);'],
      ['app_user', 'appdb', 'ROLE', 'CREATE ROLE', 'CREATE ROLE app_user_new LOGIN;'],
      ['app_user', 'appdb', 'ROLE', 'GRANT', 'GRANT SELECT, INSERT ON app_1 TO app_user_new;'],
      ['app_user', 'appdb', 'ROLE', 'REVOKE', 'REVOKE SELECT ON app_1 FROM app_user_new;'],
      ['app_user', 'appdb', 'ROLE', 'ALTER ROLE', 'ALTER ROLE app_user_new PASSWORD <REDACTED>'],
      ['app_user', 'appdb', 'WRITE', 'INSERT', MULTI_LINE],
      ['app_user', 'appdb', 'ROLE', 'GRANT ROLE', 'GRANT app_user TO app_user_new;'],
      ['app_user', 'appdb', 'CONNECT', 'AUTH FAILURE', null],
    ]);
  });

  it('fills the session fields from the real prefix', () => {
    for (const e of events) {
      expect(e).toMatchObject({
        source: 'pgaudit',
        remoteHost: '127.0.0.1',
        clusterId: 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
        instanceId: 'orders-db-1',
      });
      expect(e.remotePort).toMatch(/^\d+$/);
      expect(e.pid).toBeGreaterThan(0);
      expect(e.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    }
    const grant = events.find((e) => e.command === 'GRANT');
    expect(grant).toMatchObject({
      auditType: 'SESSION',
      objectType: 'TABLE',
      statementId: 3,
      substatementId: 1,
      parameters: '<not logged>',
    });
  });

  it("reports the failed login with the server's message", () => {
    expect(events.at(-1)?.errorMessage).toBe('password authentication failed for user "app_user"');
  });

  it('never lets a password through', () => {
    expect(log).not.toContain(SECRET); // pgAudit 1.7 redacts it itself…
    expect(JSON.stringify(events)).not.toContain(SECRET); // …and so do we
    expect(JSON.stringify(events)).not.toContain(APP_PW);
  });
});
