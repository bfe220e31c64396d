import { startPostgres } from '../../../../cli/local/postgres';
import {
  InvalidSetupError,
  pgauditClasses,
  quoteIdent,
  setupSql,
} from '../../../../tasks/core/pgaudit/setup-sql';

describe('the pgAudit set-up SQL', () => {
  it('creates the extension and the rds_pgaudit role and sets the classes per user', () => {
    const sql = setupSql({ auditedUsers: ['app_user'], classes: 'role,ddl' });
    expect(sql).toContain('CREATE EXTENSION IF NOT EXISTS pgaudit;');
    expect(sql).toContain('CREATE ROLE rds_pgaudit;');
    expect(sql).toContain("ALTER ROLE app_user SET pgaudit.log = 'role,ddl';");
  });

  it('quotes identifiers that need it', () => {
    expect(quoteIdent('app_user')).toBe('app_user');
    expect(quoteIdent('App User')).toBe('"App User"');
    expect(quoteIdent('x"; DROP TABLE t; --')).toBe('"x""; DROP TABLE t; --"');
  });

  it.each([
    ['role,ddl', 'role,ddl'],
    ['ALL,-misc', 'all,-misc'],
    [' write , function ', 'write,function'],
  ])('accepts the classes %j', (input, out) => {
    expect(pgauditClasses(input)).toBe(out);
  });

  it('names an unknown class', () => {
    expect(() => pgauditClasses('role,roles')).toThrow(
      new InvalidSetupError(
        'unknown pgAudit class "roles": use read, write, function, role, ddl, misc, misc_set, all, none (optionally with a leading -)',
      ),
    );
  });

  it('runs on a real PostgreSQL with pgAudit and sets what it says', async () => {
    const pg = await startPostgres();
    try {
      pg.psql('CREATE ROLE "App User" LOGIN;');
      pg.psql(setupSql({ auditedUsers: ['App User'], classes: 'role,ddl' }));
      // Idempotent: a second run changes nothing and does not fail.
      pg.psql(setupSql({ auditedUsers: ['App User'], classes: 'role,ddl' }));
      expect(pg.psql("SELECT rolconfig FROM pg_roles WHERE rolname = 'App User'").stdout.trim()).toBe(
        '{"pgaudit.log=role,ddl"}',
      );
      expect(pg.psql("SELECT extname FROM pg_extension WHERE extname = 'pgaudit'").stdout.trim()).toBe(
        'pgaudit',
      );
    } finally {
      pg.stop();
    }
  }, 30_000);
});
