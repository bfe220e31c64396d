import { auditEvent } from '../../../cli/local/records/audit-event';
import { alertLine, MAX_ALERT_LINE_BYTES } from '../../../tasks/core/alert-lines';

describe('alert lines', () => {
  it('are one pure JSON object and a newline', () => {
    const event = auditEvent({ class: 'ROLE', command: 'GRANT', commandText: 'GRANT admin TO mallory' });
    const line = alertLine(event);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(JSON.parse(line)).toEqual({ auditEvent: event });
  });

  it('shorten a statement padded past CloudWatch Logs’ event size, keeping its start and saying so', () => {
    const padded = `GRANT rds_superuser TO mallory; /* ${'x'.repeat(1_000_000)} */`;
    const event = auditEvent({ class: 'ROLE', command: 'GRANT', commandText: padded });
    const line = alertLine(event);
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_ALERT_LINE_BYTES);
    const parsed = JSON.parse(line) as { auditEvent: typeof event };
    expect(parsed.auditEvent.id).toBe(event.id);
    expect(parsed.auditEvent.commandText?.startsWith('GRANT rds_superuser TO mallory; /* xxx')).toBe(true);
    expect(
      parsed.auditEvent.commandText?.endsWith(
        ` characters omitted; the full statement is in the audit events]`,
      ),
    ).toBe(true);
    expect(parsed.auditEvent.commandText).toContain(`…[truncated by aurora-audit: `);
    expect(parsed.auditEvent.commandText).toContain(` of ${padded.length} characters omitted`);
    expect({ ...parsed.auditEvent, commandText: undefined }).toEqual({ ...event, commandText: undefined });
  });

  it('count bytes, not characters, for statements in other scripts', () => {
    const event = auditEvent({ commandText: `SELECT '${'日本語'.repeat(40_000)}'` });
    const line = alertLine(event, 64 * 1024);
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(64 * 1024);
    expect(JSON.parse(line).auditEvent.commandText).toContain('…[truncated by aurora-audit');
  });
});
