/** pgAudit log lines as Aurora PostgreSQL writes them (prefix `%t:%r:%u@%d:[%p]:`), with overrides. */

export interface PrefixParts {
  readonly time?: string;
  readonly remote?: string;
  readonly user?: string;
  readonly database?: string;
  readonly pid?: number;
  readonly level?: string;
}

export function prefix(p: PrefixParts = {}): string {
  return `${p.time ?? '2026-11-24 10:00:00 UTC'}:${p.remote ?? '10.0.0.5(51234)'}:${p.user ?? 'app_user'}@${p.database ?? 'appdb'}:[${p.pid ?? 4242}]:${p.level ?? 'LOG'}:  `;
}

export interface AuditParts {
  readonly auditType?: string;
  readonly statementId?: number;
  readonly substatementId?: number;
  readonly class?: string;
  readonly command?: string;
  readonly objectType?: string;
  readonly objectName?: string;
  /** The statement exactly as it is (quoted and escaped here as CSV). */
  readonly statement?: string;
  /** The parameter column as it appears in the log (already CSV). */
  readonly parameterField?: string;
  /** The optional rows column. */
  readonly rows?: number;
}

/** CSV-quotes a field when needed, as pgAudit does. */
export function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * One audit entry; multi-line statements become continuation lines starting with a tab, as in the
 * PostgreSQL stderr log.
 */
export function auditEntry(parts: AuditParts = {}, p: PrefixParts = {}): string {
  const fields = [
    parts.auditType ?? 'SESSION',
    String(parts.statementId ?? 3),
    String(parts.substatementId ?? 1),
    parts.class ?? 'ROLE',
    parts.command ?? 'GRANT',
    parts.objectType ?? 'TABLE',
    parts.objectName ?? '',
    csvField(parts.statement ?? 'GRANT SELECT ON app_1 TO app_user_new'),
    parts.parameterField ?? '<not logged>',
    ...(parts.rows !== undefined ? [String(parts.rows)] : []),
  ];
  return `${prefix(p)}AUDIT: ${fields.join(',')}`.replace(/\n/g, '\n\t');
}

export function failedLogin(user = 'app_user', p: PrefixParts = {}): string {
  return `${prefix({ level: 'FATAL', user, ...p })}password authentication failed for user "${user}"`;
}
