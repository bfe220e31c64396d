import { type AuditEvent, type AuditEventInput, createAuditEvent } from '../../../tasks/core/audit-event';

/** The fields of a typical activity-stream GRANT event; override what the test is about. */
export function auditEventInput(overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    source: 'das',
    clusterId: 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    instanceId: 'db-ABCDEFGHIJKLMNOPQRSTUVWXY1',
    time: '2026-11-24T10:00:00.123456Z',
    auditType: null,
    class: 'ROLE',
    command: 'GRANT',
    objectType: null,
    objectName: null,
    database: 'appdb',
    user: 'app_user',
    remoteHost: '10.0.0.5',
    remotePort: '51234',
    sessionId: '5ce5f7f0.474b',
    pid: 4242,
    statementId: 3,
    substatementId: 1,
    commandText: 'GRANT SELECT ON app_1 TO app_user_new',
    parameters: '[]',
    exitCode: '0',
    errorMessage: null,
    rowCount: 0,
    clientApplication: 'psql',
    ...overrides,
  };
}

export function auditEvent(overrides: Partial<AuditEventInput> = {}): AuditEvent {
  return createAuditEvent(auditEventInput(overrides));
}
