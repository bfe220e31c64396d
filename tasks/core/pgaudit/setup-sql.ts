/**
 * The SQL of the reference set-up procedure: the pgAudit extension, the `rds_pgaudit` role that
 * `pgaudit.role` must name on Aurora, and per-user `pgaudit.log` classes.
 */
export const PGAUDIT_CLASSES = [
  'READ',
  'WRITE',
  'FUNCTION',
  'ROLE',
  'DDL',
  'MISC',
  'MISC_SET',
  'ALL',
  'NONE',
] as const;

export class InvalidSetupError extends Error {
  override readonly name = 'InvalidSetupError';
}

/** A PostgreSQL identifier, double-quoted when needed (and always safely). */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.length > 63)
    throw new InvalidSetupError(`identifier must be 1-63 characters, got ${JSON.stringify(name)}`);
  if (name.includes('\0')) throw new InvalidSetupError('identifier must not contain NUL');
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** `role,ddl,-misc` → `role,ddl,-misc` after checking each class. */
export function pgauditClasses(list: string): string {
  const classes = list
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (classes.length === 0) throw new InvalidSetupError('--classes must list at least one class');
  for (const c of classes) {
    const bare = c.replace(/^-/, '').toUpperCase();
    if (!(PGAUDIT_CLASSES as readonly string[]).includes(bare)) {
      throw new InvalidSetupError(
        `unknown pgAudit class ${JSON.stringify(c)}: use ${PGAUDIT_CLASSES.join(', ').toLowerCase()} (optionally with a leading -)`,
      );
    }
  }
  return classes.map((c) => c.toLowerCase()).join(',');
}

export interface SetupSqlOptions {
  readonly auditedUsers: readonly string[];
  readonly classes: string;
  /** Database to create the extension in (the current one when omitted). */
  readonly database?: string;
}

export function setupSql(options: SetupSqlOptions): string {
  if (options.auditedUsers.length === 0)
    throw new InvalidSetupError('--audited-user must name at least one user');
  const classes = pgauditClasses(options.classes);
  const lines = [
    '-- aurora-audit: pgAudit set-up (run as the master user). Before this, in the cluster parameter group:',
    "--   shared_preload_libraries includes pgaudit (reboot needed), pgaudit.role = 'rds_pgaudit'.",
    ...(options.database ? [`\\connect ${quoteIdent(options.database)}`] : []),
    'CREATE EXTENSION IF NOT EXISTS pgaudit;',
    'DO $$ BEGIN CREATE ROLE rds_pgaudit; EXCEPTION WHEN duplicate_object THEN NULL; END $$;',
    ...options.auditedUsers.map((u) => `ALTER ROLE ${quoteIdent(u)} SET pgaudit.log = '${classes}';`),
    '-- Check:',
    "SELECT name, setting FROM pg_settings WHERE name LIKE 'pgaudit.%';",
    ...options.auditedUsers.map(
      (u) => `SELECT rolname, rolconfig FROM pg_roles WHERE rolname = '${u.replace(/'/g, "''")}';`,
    ),
    '',
  ];
  return lines.join('\n');
}
