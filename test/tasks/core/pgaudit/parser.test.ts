import { auditEntry, failedLogin, prefix } from '../../../../cli/local/records/pgaudit-log';
import { eventId } from '../../../../tasks/core/audit-event';
import {
  auditFields,
  parsePgAuditLines,
  parsePgAuditMessage,
  parsePgAuditText,
  simpleCsvFields,
} from '../../../../tasks/core/pgaudit/parser';
import { statementKey } from '../../../../tasks/core/statement';

const CLUSTER = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ';

describe('the pgAudit parser', () => {
  it("reads the issue's example line into every field of the event model", async () => {
    const line =
      '2026-11-24 10:00:00 UTC:10.0.0.5(51234):app_user@appdb:[4242]:LOG:  AUDIT: SESSION,3,1,ROLE,GRANT,TABLE,,"GRANT SELECT ON app_1 TO app_user_new",<not logged>';
    const [event] = await parsePgAuditText(line, { clusterId: CLUSTER, instanceId: 'orders-db-1' });
    const { id, statementKey: key, ...rest } = event!;
    // Computed at ingest through the core, from the mapped fields.
    expect(key).toBe(statementKey(rest));
    expect(rest).toEqual({
      source: 'pgaudit',
      clusterId: CLUSTER,
      instanceId: 'orders-db-1',
      time: '2026-11-24T10:00:00Z',
      auditType: 'SESSION',
      class: 'ROLE',
      command: 'GRANT',
      objectType: 'TABLE',
      objectName: null,
      database: 'appdb',
      user: 'app_user',
      remoteHost: '10.0.0.5',
      remotePort: '51234',
      sessionId: null,
      pid: 4242,
      statementId: 3,
      substatementId: 1,
      commandText: 'GRANT SELECT ON app_1 TO app_user_new',
      parameters: '<not logged>',
      exitCode: null,
      errorMessage: null,
      rowCount: null,
      clientApplication: null,
    });
    expect(id).toBe(eventId(rest));
  });

  it('reads quoted statements with commas, doubled quotes and newlines, dropping the continuation tabs', async () => {
    const statement = `INSERT INTO app_1 (id, note)\nVALUES (1, 'a, "b"'),\n\t(2, 'it''s');`;
    const text = auditEntry({ class: 'WRITE', command: 'INSERT', statement });
    expect(text.split('\n')[1]).toMatch(/^\tVALUES/);
    const [event] = await parsePgAuditText(text);
    expect(event?.commandText).toBe(statement);
  });

  it('reads OBJECT lines, <previously logged>, <none> and quoted parameters, and the optional rows column', async () => {
    const text = [
      auditEntry({
        auditType: 'OBJECT',
        class: 'READ',
        command: 'SELECT',
        objectName: 'public.app_1',
        statement: '<previously logged>',
        parameterField: '<previously logged>',
      }),
      auditEntry({
        class: 'READ',
        command: 'SELECT',
        statement: 'SELECT $1, $2',
        parameterField: '"1,""x"""',
      }),
      auditEntry({
        class: 'WRITE',
        command: 'UPDATE',
        statement: 'UPDATE t SET a = 1',
        parameterField: '<none>',
        rows: 12,
      }),
    ].join('\n');
    const events = await parsePgAuditText(text);
    expect(events.map((e) => [e.auditType, e.objectName, e.commandText, e.parameters, e.rowCount])).toEqual([
      ['OBJECT', 'public.app_1', '<previously logged>', '<previously logged>', null],
      ['SESSION', null, 'SELECT $1, $2', '1,"x"', null],
      ['SESSION', null, 'UPDATE t SET a = 1', '<none>', 12],
    ]);
  });

  it.each([
    ['host(port)', '10.0.0.5(51234)', '10.0.0.5', '51234'],
    ['IPv6', '::1(45678)', '::1', '45678'],
    ['a socket', '[local]', '[local]', null],
    ['a background process', '', null, null],
  ])('reads %s as the remote host and port', async (_label, remote, host, port) => {
    const [event] = await parsePgAuditText(auditEntry({}, { remote }));
    expect([event?.remoteHost, event?.remotePort]).toEqual([host, port]);
  });

  it('accepts any log level and fractional seconds', async () => {
    const [event] = await parsePgAuditText(
      auditEntry({}, { level: 'NOTICE', time: '2026-11-24 11:00:00.250 UTC' }),
    );
    expect(event?.class).toBe('ROLE');
    expect(event?.time).toBe('2026-11-24T11:00:00.250Z');
  });

  it('reports an entry whose time zone is a name other than UTC (Aurora logs in UTC)', async () => {
    const errors: string[] = [];
    const events = await parsePgAuditText(auditEntry({}, { time: '2026-11-24 11:00:00 CET' }), {
      onError: (r) => errors.push(r),
    });
    expect(events).toEqual([]);
    expect(errors).toEqual(['InvalidTimestampError: not a timestamp: "2026-11-24 11:00:00 CET"']);
  });

  it('turns a failed login into a CONNECT / AUTH FAILURE event and ignores other lines', async () => {
    const text = [
      `${prefix()}statement: SELECT 1`,
      `${prefix({ level: 'ERROR' })}relation "nope" does not exist`,
      `${prefix({ level: 'STATEMENT' })}SELECT * FROM nope`,
      failedLogin('mallory', { remote: '203.0.113.9(40000)' }),
      `${prefix({ level: 'DETAIL' })}Connection matched pg_hba.conf line 91`,
      'garbage that is no log line',
    ].join('\n');
    const events = await parsePgAuditText(text);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      class: 'CONNECT',
      command: 'AUTH FAILURE',
      user: 'mallory',
      remoteHost: '203.0.113.9',
      errorMessage: 'password authentication failed for user "mallory"',
      auditType: null,
    });
  });

  it('redacts passwords in statements it reads', async () => {
    const [event] = await parsePgAuditText(
      auditEntry({ command: 'ALTER ROLE', statement: "ALTER ROLE x PASSWORD 'pw-from-old-pgaudit'" }),
    );
    expect(event?.commandText).toBe('ALTER ROLE x PASSWORD <REDACTED>');
  });

  it('drops service users in any case when asked', async () => {
    const events = await parsePgAuditText([auditEntry({}, { user: 'RdsAdmin' }), auditEntry()].join('\n'), {
      serviceUsers: new Set(['rdsadmin']),
    });
    expect(events.map((e) => e.user)).toEqual(['app_user']);
  });

  it('reports an audit entry it cannot read, with its text, and goes on', async () => {
    const errors: [string, string][] = [];
    const broken = `${prefix()}AUDIT: SESSION,1,1,ROLE,"GRANT unterminated,<not logged>`;
    const events = await parsePgAuditText([broken, auditEntry()].join('\n'), {
      onError: (r, raw) => errors.push([r, raw]),
    });
    expect(events).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.[1]).toBe(broken);
    expect(errors[0]?.[0]).toMatch(/^InvalidAuditEntryError: AUDIT CSV: Quote Not Closed/);
  });

  it('skips an entry beyond the size bound, reports it, and reads the next one', async () => {
    const errors: string[] = [];
    const big = auditEntry({ statement: `SELECT '${'x'.repeat(5000)}'\n${'y'.repeat(5000)}` });
    const events = await parsePgAuditText([big, auditEntry({ command: 'REVOKE' })].join('\n'), {
      maxEntryBytes: 4000,
      onError: (r) => errors.push(r),
    });
    expect(events.map((e) => e.command)).toEqual(['REVOKE']);
    expect(errors).toEqual(['entry exceeds 4000 characters; skipped']);
  });

  it('reads a 1 MB statement within the default bound', async () => {
    const statement = `SELECT '${'z'.repeat(1024 * 1024)}'`;
    const [event] = await parsePgAuditText(auditEntry({ class: 'READ', command: 'SELECT', statement }));
    expect(event?.commandText).toBe(statement);
  });

  it('streams lines from an async source one entry at a time', async () => {
    async function* lines() {
      for (const l of [
        auditEntry({ command: 'GRANT' }),
        ...auditEntry({ statement: 'a\nb' }).split('\n'),
        auditEntry({ command: 'REVOKE' }),
      ])
        yield l;
    }
    const seen: string[] = [];
    for await (const e of parsePgAuditLines(lines())) seen.push(`${e.command}:${e.commandText}`);
    expect(seen).toEqual([
      'GRANT:GRANT SELECT ON app_1 TO app_user_new',
      'GRANT:a\nb',
      'REVOKE:GRANT SELECT ON app_1 TO app_user_new',
    ]);
  });

  it('reads a CloudWatch Logs event holding one entry, with or without the continuation tabs', () => {
    const entry = auditEntry({ statement: 'GRANT SELECT\nON app_1 TO x' });
    const withTabs = parsePgAuditMessage(entry);
    const withoutTabs = parsePgAuditMessage(entry.replace(/\n\t/g, '\n'));
    expect(withTabs[0]?.commandText).toBe('GRANT SELECT\nON app_1 TO x');
    expect(withoutTabs).toEqual(withTabs);
    expect(parsePgAuditMessage(`${prefix()}connection received`)).toEqual([]);
  });

  it('splits simple CSV the same way as the CSV parser does', () => {
    for (const csv of [
      'SESSION,1,1,READ,SELECT,,,SELECT 1,<not logged>',
      'OBJECT,2,1,WRITE,INSERT,TABLE,public.t,"INSERT 1, 2",<none>,3',
    ]) {
      const fast = auditFields(csv);
      expect(fast.length).toBeGreaterThanOrEqual(9);
    }
    // With a quote present the CSV parser decides; without, a split is exact.
    expect(auditFields('a,"b,c",d')).toEqual(['a', 'b,c', 'd']);
    expect(auditFields('a,b c,d')).toEqual(['a', 'b c', 'd']);
  });
});

describe('the simple CSV scanner', () => {
  const { parse } = require('csv-parse/sync') as typeof import('csv-parse/sync');
  it.each([
    'SESSION,1,1,READ,SELECT,,,SELECT 1,<not logged>',
    'SESSION,3,1,ROLE,GRANT,TABLE,,"GRANT SELECT, INSERT ON app_1 TO app_user_new;",<not logged>',
    'OBJECT,2,1,WRITE,INSERT,TABLE,public.t,"INSERT 1, 2",<none>,3',
    'SESSION,1,1,READ,SELECT,,,"",<not logged>',
    'SESSION,1,1,READ,SELECT,,,"a,b","c,d"',
    'SESSION,1,1,READ,SELECT,,,"it""s",<not logged>',
    'SESSION,1,1,READ,SELECT,,,"line one\nline two",<not logged>',
    'SESSION,1,1,READ,SELECT,,,"unterminated,<not logged>',
    'SESSION,1,1,READ,SELECT,,,a"b,<not logged>',
    'SESSION,1,1,READ,SELECT,,,"a"b,<not logged>',
  ])('agrees with csv-parse, or leaves the line to it: %j', (csv) => {
    const simple = simpleCsvFields(csv);
    if (simple === undefined) return; // csv-parse decides (auditFields)
    expect(simple).toEqual((parse(csv, { relax_column_count: true }) as string[][])[0]);
  });

  it('leaves doubled quotes, newlines and stray quotes to csv-parse', () => {
    expect(simpleCsvFields('a,"it""s",b')).toBeUndefined();
    expect(simpleCsvFields('a,"x\ny",b')).toBeUndefined();
    expect(simpleCsvFields('a,b"c,d')).toBeUndefined();
    expect(auditFields('a,"it""s",b')).toEqual(['a', 'it"s', 'b']);
  });
});
