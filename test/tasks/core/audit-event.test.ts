import { auditEvent, auditEventInput } from '../../../cli/local/records/audit-event';
import {
  AUDIT_EVENT_FIELD_NAMES,
  AUDIT_EVENT_FIELDS,
  createAuditEvent,
  eventId,
  ID_FIELDS,
  InvalidAuditEventError,
  parseAuditEvent,
  toJsonLine,
} from '../../../tasks/core/audit-event';

describe('the audit-event model', () => {
  it('lists the contract fields in the documented order', () => {
    expect(AUDIT_EVENT_FIELD_NAMES).toEqual([
      'id',
      'source',
      'clusterId',
      'instanceId',
      'time',
      'auditType',
      'class',
      'command',
      'objectType',
      'objectName',
      'database',
      'user',
      'remoteHost',
      'remotePort',
      'sessionId',
      'pid',
      'statementId',
      'substatementId',
      'commandText',
      'parameters',
      'exitCode',
      'errorMessage',
      'rowCount',
      'clientApplication',
      'statementKey',
    ]);
  });

  it('types numbers as bigint columns and everything else as strings', () => {
    const bigints = AUDIT_EVENT_FIELDS.filter((f) => f.type === 'bigint').map((f) => f.name);
    expect(bigints).toEqual(['pid', 'statementId', 'substatementId', 'rowCount']);
  });

  it('gives the same event delivered twice the same id', () => {
    expect(auditEvent().id).toBe(auditEvent().id);
    expect(auditEvent().id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('computes the id as SHA-256 over the scheme and identifying fields', () => {
    // Independent computation of the documented rule.
    const input = auditEventInput();
    const { createHash } = require('node:crypto') as typeof import('node:crypto');
    const expected = createHash('sha256')
      .update(JSON.stringify(['aurora-audit/event-id/v1', ...ID_FIELDS.map((f) => input[f])]))
      .digest('hex');
    expect(eventId(input)).toBe(expected);
  });

  it.each([
    ['a plain statement', 'SELECT 1'],
    ['a trailing semicolon and spaces', 'SELECT 1 ;  '],
    ['runs of whitespace, tabs and newlines', 'SELECT\t1,\n\n  2\r\nFROM  t'],
    ['quotes, backslashes and control characters', `INSERT INTO t VALUES ('a''b', E'\\n', '\u0001\u001f')`],
    ['non-ASCII text, a line separator and a lone surrogate', "SELECT 'Grüße 😀\u2028\ud800'"],
    ['non-breaking and other Unicode spaces', 'SELECT\u00a01\u3000;'],
    ['an empty statement', ''],
    ['no statement', null],
  ])('derives the id and the statement key of %s from the documented formulas', (_what, commandText) => {
    const { createHash } = require('node:crypto') as typeof import('node:crypto');
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const input = { ...auditEventInput(), commandText, user: 'App_User' };
    const event = createAuditEvent(input);
    expect(event.id).toBe(
      sha256(JSON.stringify(['aurora-audit/event-id/v1', ...ID_FIELDS.map((f) => input[f])])),
    );
    // Written out independently of tasks/core/statement.ts: whitespace collapsed, trimmed, one trailing `;` dropped.
    const text = (commandText ?? '').replace(/\s+/g, ' ').trim().replace(/;$/, '').trimEnd();
    const key = [
      'aurora-audit/statement/v1',
      'text',
      input.clusterId,
      'app_user',
      input.database,
      'GRANT',
      text,
    ];
    expect(event.statementKey).toBe(sha256(JSON.stringify(key)).slice(0, 32));
  });

  it.each(ID_FIELDS.filter((f) => f !== 'source'))('changes the id when %s changes', (field) => {
    const base = auditEventInput();
    const changed = { ...base, [field]: typeof base[field] === 'number' ? 999 : 'something-else' };
    expect(eventId(changed)).not.toBe(eventId(base));
  });

  it('keeps the id when only delivery-independent fields outside the identity change', () => {
    const base = auditEventInput();
    expect(eventId({ ...base, rowCount: 12, exitCode: '1', clientApplication: 'other' })).toBe(eventId(base));
  });

  it('fills every field a source leaves out with null, never leaving it absent', () => {
    const { clientApplication: _omitted, ...partial } = auditEventInput();
    const event = createAuditEvent(partial as never);
    expect(event.clientApplication).toBeNull();
    expect(Object.keys(event)).toEqual([...AUDIT_EVENT_FIELD_NAMES]);
  });

  it('writes one JSON line that parses back to an equal, valid event', () => {
    const event = auditEvent({ commandText: 'SELECT 1;\nSELECT "a,b"' });
    const line = toJsonLine(event);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(parseAuditEvent(JSON.parse(line))).toEqual(event);
  });

  it.each([
    [{ pid: '42' }, 'field pid must be an integer or null, got "42"'],
    [{ class: null }, 'field class must not be null'],
    [{ source: 'mysql' }, 'field source must be "das" or "pgaudit", got "mysql"'],
    [
      { time: '2026-11-24 10:00:00' },
      'field time must be ISO-8601 UTC ending in Z, got "2026-11-24 10:00:00"',
    ],
    [{ auditType: 'BOTH' }, 'field auditType must be "SESSION", "OBJECT" or null, got "BOTH"'],
    [{ extra: 1 }, 'unknown field extra'],
  ])('rejects a stored line with %j: %s', (override, message) => {
    const value = { ...auditEvent(), ...override };
    expect(() => parseAuditEvent(value)).toThrow(new InvalidAuditEventError(message));
  });

  it('rejects a stored line that misses a field', () => {
    const { user: _u, ...rest } = auditEvent();
    expect(() => parseAuditEvent(rest)).toThrow('field user is missing');
  });
});

describe('the stored line', () => {
  it('puts the fields in contract order and drops unknown ones, whatever order it is given', () => {
    const event = auditEvent();
    const shuffled = Object.fromEntries(
      Object.entries(event)
        .reverse()
        .concat([['extra', 1]]),
    ) as never;
    expect(toJsonLine(shuffled)).toBe(toJsonLine(event));
    expect(Object.keys(JSON.parse(toJsonLine(shuffled)))).toEqual([...AUDIT_EVENT_FIELD_NAMES]);
  });
});
