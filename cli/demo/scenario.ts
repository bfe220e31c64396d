/**
 * The demo's database activity: the reference scenario of `test/tasks/core/pgaudit/real-postgres.test.ts`
 * (users, grants, a revoke, a password change, DDL changes, an attempt to switch pgAudit off, a failed login),
 * a session that silences pgAudit and then grants (only the activity stream sees the grant: a coverage gap)
 * and a configurable workload of writes and reads, run on the real PostgreSQL through psql, one psql
 * invocation per session. Every statement is kept in a journal with its session (backend pid, client port,
 * start), so that the simulated activity stream can be built from the same statements, with the times the
 * server's own pgAudit log gives them.
 */
import type { AuditEvent } from '../../tasks/core/audit-event';
import type { ActivityEvent } from '../../tasks/core/das/record';
import type { PostgresServer } from '../local/postgres';
import { activityEvent } from '../local/records/activity-stream';

/** The password of the reference scenario's password change: it must never appear in any output. */
export const SECRET = 'Sup3r-Secret-pw';
/** app_user's own password (in its CREATE ROLE, which the activity stream sees in full). */
export const APP_PASSWORD = 'App-user-pw-1';
/** The classes pgAudit logs on the demo server, as the reference design sets them. */
export const PGAUDIT_CLASSES = 'role,ddl,write,misc_set';
const LOGGED_CLASSES = new Set(['ROLE', 'DDL', 'WRITE', 'MISC_SET']);

export interface ScenarioStatement {
  readonly sql: string;
  /** The statement's audit class and command tag, as PostgreSQL (and so both sources) name them. */
  readonly class: string;
  readonly command: string;
}

export interface ScenarioSession {
  readonly label: string;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly statements: readonly ScenarioStatement[];
}

export interface RanSession extends ScenarioSession {
  readonly pid: number;
  readonly port: number;
  /** Backend start, epoch seconds. */
  readonly startedAt: number;
}

export interface ScenarioRun {
  readonly sessions: readonly RanSession[];
  /** Statements run (the failed login not counted). */
  readonly statements: number;
  readonly failedLogins: number;
  readonly workloadStatements: number;
}

const s = (sql: string, cls: string, command: string): ScenarioStatement => ({ sql, class: cls, command });

const SUPERUSER = { user: 'postgres', password: 'superuser-test-pw' };
const APP_USER = { user: 'app_user', password: APP_PASSWORD, database: 'appdb' };

/** The reference scenario before the workload. */
function referenceSessions(): ScenarioSession[] {
  return [
    {
      label: 'set-up',
      ...SUPERUSER,
      database: 'postgres',
      statements: [
        s(`CREATE ROLE app_user LOGIN CREATEROLE PASSWORD '${APP_PASSWORD}';`, 'ROLE', 'CREATE ROLE'),
        s('CREATE DATABASE appdb OWNER app_user;', 'DDL', 'CREATE DATABASE'),
      ],
    },
    {
      label: 'pgAudit extension',
      ...SUPERUSER,
      database: 'appdb',
      statements: [s('CREATE EXTENSION pgaudit;', 'DDL', 'CREATE EXTENSION')],
    },
    {
      label: 'reference scenario',
      ...APP_USER,
      statements: [
        s('CREATE TABLE orders (id int, customer text, total numeric);', 'DDL', 'CREATE TABLE'),
        s('CREATE ROLE app_user_new LOGIN;', 'ROLE', 'CREATE ROLE'),
        s('GRANT SELECT, INSERT ON orders TO app_user_new;', 'ROLE', 'GRANT'),
        s('REVOKE INSERT ON orders FROM app_user_new;', 'ROLE', 'REVOKE'),
        s(`ALTER ROLE app_user_new PASSWORD '${SECRET}';`, 'ROLE', 'ALTER ROLE'),
        s('ALTER TABLE orders ADD COLUMN note text;', 'DDL', 'ALTER TABLE'),
        s('GRANT app_user TO app_user_new;', 'ROLE', 'GRANT ROLE'),
        s('CREATE TABLE scratch (x int);', 'DDL', 'CREATE TABLE'),
        s('DROP TABLE scratch;', 'DDL', 'DROP TABLE'),
      ],
    },
  ];
}

/** Switching pgAudit off for a role (needs a superuser): the tampering attempt, after the workload. */
function tamperingSession(): ScenarioSession {
  return {
    label: 'tampering attempt',
    ...SUPERUSER,
    database: 'appdb',
    statements: [s("ALTER ROLE app_user SET pgaudit.log = 'none';", 'ROLE', 'ALTER ROLE')],
  };
}

/**
 * A session that switches pgAudit off for itself (`pgaudit.log` may be set by superusers) and then grants
 * a privilege: pgAudit does not log the GRANT, the activity stream does. The report lists it under "Audit
 * coverage gaps".
 */
function silencingSession(): ScenarioSession {
  return {
    label: 'silenced session',
    ...SUPERUSER,
    database: 'appdb',
    statements: [
      s("SET pgaudit.log = 'none';", 'MISC_SET', 'SET'),
      s('GRANT SELECT ON orders TO app_user_new;', 'ROLE', 'GRANT'),
    ],
  };
}

/** `count` statements of an order-entry application (writes, which pgAudit logs, and reads, which it does not). */
export function workloadSessions(count: number, perSession = 500): ScenarioSession[] {
  const sessions: ScenarioSession[] = [];
  for (let start = 0; start < count; start += perSession) {
    const statements: ScenarioStatement[] = [];
    for (let i = start; i < Math.min(count, start + perSession); i += 1) {
      const id = Math.floor(i / 4) + 1;
      const customer = `customer-${(id % 37) + 1}`;
      switch (i % 4) {
        case 0:
          statements.push(
            s(
              `INSERT INTO orders (id, customer, total) VALUES (${id}, '${customer}', ${(id * 7.31) % 500});`,
              'WRITE',
              'INSERT',
            ),
          );
          break;
        case 1:
          statements.push(s(`SELECT count(*) FROM orders WHERE customer = '${customer}';`, 'READ', 'SELECT'));
          break;
        case 2:
          statements.push(s(`UPDATE orders SET total = total + 1 WHERE id = ${id};`, 'WRITE', 'UPDATE'));
          break;
        default:
          statements.push(s(`SELECT id, total FROM orders WHERE id = ${id};`, 'READ', 'SELECT'));
      }
    }
    sessions.push({ label: `workload ${sessions.length + 1}`, ...APP_USER, statements });
  }
  return sessions;
}

const SESSION_INFO =
  "SELECT pg_backend_pid() || '|' || coalesce(inet_client_port(), 0) || '|' || extract(epoch FROM backend_start) FROM pg_stat_activity WHERE pid = pg_backend_pid();";

function runSession(pg: PostgresServer, session: ScenarioSession): RanSession {
  const sql = [SESSION_INFO, ...session.statements.map((st) => st.sql)].join('\n');
  const { stdout } = pg.psql(sql, {
    user: session.user,
    password: session.password,
    database: session.database,
  });
  const [pid, port, startedAt] = (stdout.split('\n')[0] ?? '').split('|').map(Number);
  if (!pid || port === undefined || startedAt === undefined)
    throw new Error(`psql did not report its session (${session.label}): ${stdout.slice(0, 200)}`);
  return { ...session, pid, port, startedAt };
}

/** The sessions the demo runs, in order: the workload's definition (tests derive their expectations from it). */
export function scenarioSessions(workload: number): ScenarioSession[] {
  return [...referenceSessions(), ...workloadSessions(workload), tamperingSession(), silencingSession()];
}

/** Runs the reference scenario, `workload` statements and the silenced session; the failed login last. */
export function runScenario(pg: PostgresServer, workload: number): ScenarioRun {
  const sessions = scenarioSessions(workload).map((session) => runSession(pg, session));
  const failed = pg.psql('SELECT 1', { ...APP_USER, password: 'wrong-password', check: false });
  if (failed.status === 0) throw new Error('the failed login of the scenario succeeded');
  return {
    sessions,
    statements: sessions.reduce((n, x) => n + x.statements.length, 0),
    failedLogins: 1,
    workloadStatements: workload,
  };
}

/** `2026-11-24 10:00:00.123456+00`, as the activity stream writes times. */
function dasTime(epochMicros: number): string {
  const ms = Math.floor(epochMicros / 1000);
  const iso = new Date(ms).toISOString(); // 2026-11-24T10:00:00.123Z
  const micros = String(epochMicros % 1_000_000).padStart(6, '0');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${micros}+00`;
}

/**
 * The activity events Aurora would have written for the scenario's statements: for each session, its
 * statements in order with the session's pid, port and user; a statement pgAudit logged gets the time (and
 * object) of its pgAudit entry, one it did not (reads) the time of the statement before it. The statement
 * text is the full SQL as sent (passwords included, as the activity stream sees them: the decrypt path
 * redacts them). Failed logins are left out.
 */
export function activityEventsOf(run: ScenarioRun, pgAuditEvents: readonly AuditEvent[]): ActivityEvent[] {
  const byPid = new Map<number, AuditEvent[][]>();
  for (const e of pgAuditEvents) {
    if (e.pid === null || e.command === 'AUTH FAILURE') continue;
    const groups = byPid.get(e.pid) ?? [];
    const last = groups.at(-1);
    if (last?.[0] && last[0].statementId === e.statementId) last.push(e);
    else groups.push([e]);
    byPid.set(e.pid, groups);
  }
  const events: ActivityEvent[] = [];
  for (const session of run.sessions) {
    const groups = byPid.get(session.pid) ?? [];
    let next = 0;
    let micros = Math.round(session.startedAt * 1_000_000);
    let statementId = 1; // the session-information query
    for (const st of session.statements) {
      statementId += 1;
      let objectType: string | null = null;
      let objectName: string | null = null;
      if (LOGGED_CLASSES.has(st.class)) {
        const at = groups.findIndex((g, i) => i >= next && g[0]?.command === st.command);
        const entry = at >= 0 ? groups[at]?.[0] : undefined;
        if (entry) {
          next = at + 1;
          // pgAudit's %t has whole seconds; the stream has microseconds within that second.
          const second = Date.parse(entry.time) * 1000;
          micros = Math.max(second + 1000, Math.min(micros + 150, second + 999_999));
          objectType = entry.objectType;
          objectName = entry.objectName;
        } else micros += 150; // pgAudit did not log it (silenced session): the stream still does
      } else micros += 150;
      const logTime = dasTime(micros);
      events.push(
        activityEvent({
          class: st.class,
          command: st.command,
          commandText: st.sql,
          databaseName: session.database,
          dbUserName: session.user,
          logTime,
          startTime: dasTime(micros - 100),
          objectType,
          objectName,
          pid: session.pid,
          remoteHost: '127.0.0.1',
          remotePort: String(session.port),
          serverHost: '127.0.0.1',
          serverVersion: '15',
          sessionId: `${Math.floor(session.startedAt).toString(16)}.${session.pid.toString(16)}`,
          statementId,
          substatementId: 1,
          rowCount: st.class === 'READ' ? 1 : null,
          exitCode: '0',
        }),
      );
    }
  }
  return events;
}
