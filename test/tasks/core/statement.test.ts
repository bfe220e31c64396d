import { createHash } from 'node:crypto';
import { activityEvent, CLUSTER_ID, INSTANCE_ID } from '../../../cli/local/records/activity-stream';
import { auditEvent } from '../../../cli/local/records/audit-event';
import { auditEntry } from '../../../cli/local/records/pgaudit-log';
import { type AuditEvent, parseAuditEvent, toJsonLine } from '../../../tasks/core/audit-event';
import { normalizeActivityEvent } from '../../../tasks/core/das/normalize';
import { parsePgAuditMessage } from '../../../tasks/core/pgaudit/parser';
import { createRedactor } from '../../../tasks/core/redact';
import {
  DEFAULT_CORRELATION_WINDOW_MS,
  idKey,
  matchStrength,
  pairStatements,
  STATEMENT_KEY_SCHEME,
  sameStatement,
  statementKeys,
} from '../../../tasks/core/statement';

const redact = createRedactor();

/** The activity stream's event of a statement, through the decrypt Lambda's normalization. */
function das(overrides: Parameters<typeof activityEvent>[0] = {}): AuditEvent {
  return normalizeActivityEvent(
    activityEvent(overrides),
    { clusterId: CLUSTER_ID, instanceId: INSTANCE_ID },
    redact,
  );
}

/** pgAudit's event of a statement, through the alert Lambda's parser (one CloudWatch Logs message). */
function pg(
  parts: Parameters<typeof auditEntry>[0] = {},
  prefix: Parameters<typeof auditEntry>[1] = {},
): AuditEvent {
  const events = parsePgAuditMessage(auditEntry(parts, prefix), { clusterId: CLUSTER_ID, redact });
  if (events.length !== 1 || !events[0]) throw new Error(`expected one event, got ${events.length}`);
  return events[0];
}

const key = (parts: unknown[]) =>
  createHash('sha256')
    .update(JSON.stringify([STATEMENT_KEY_SCHEME, ...parts]))
    .digest('hex')
    .slice(0, 32);

describe('the statement key computed at ingest', () => {
  it('is stored by both sources, equal for one statement, and computed as documented', () => {
    const fromDas = das({ statementId: 3, commandText: 'GRANT SELECT ON app_1 TO app_user_new' });
    const fromPg = pg({ statementId: 3, statement: 'GRANT SELECT ON app_1 TO app_user_new;' });
    expect(fromDas.statementKey).toBe(fromPg.statementKey);
    // Independent computation of the documented rule: scheme, 'text', cluster, lower-cased user, database,
    // command, text with whitespace collapsed and the trailing semicolon dropped.
    expect(fromDas.statementKey).toBe(
      key(['text', CLUSTER_ID, 'app_user', 'appdb', 'GRANT', 'GRANT SELECT ON app_1 TO app_user_new']),
    );
  });

  it('ignores whitespace, a trailing semicolon, the user name’s case and pgAudit’s GRANT ROLE tag', () => {
    const a = das({ command: 'GRANT', commandText: 'GRANT app_user\n\tTO  app_user_new' });
    const b = pg(
      { command: 'GRANT ROLE', statement: 'GRANT app_user TO app_user_new ;' },
      { user: 'APP_USER' },
    );
    expect(a.statementKey).toBe(b.statementKey);
  });

  it.each([
    ['statement text', { commandText: 'GRANT SELECT ON app_2 TO app_user_new' }],
    ['command', { command: 'REVOKE' }],
    ['user', { user: 'other' }],
    ['database', { database: 'otherdb' }],
    ['cluster', { clusterId: 'cluster-OTHER' }],
  ])('differs when the %s differs', (_what, override) => {
    expect(auditEvent(override).statementKey).not.toBe(auditEvent().statementKey);
  });

  it('leaves out time, ids, pid and source: those differ between the sources of one statement', () => {
    const base = auditEvent();
    const other = auditEvent({
      source: 'pgaudit',
      time: '2026-11-24T10:00:07Z',
      pid: 1,
      statementId: 99,
      substatementId: 2,
      sessionId: null,
      instanceId: 'writer-1',
    });
    expect(other.statementKey).toBe(base.statementKey);
  });

  it('reads a line stored before the field existed, deriving the same key', () => {
    const event = das();
    const { statementKey: _absent, ...older } = JSON.parse(toJsonLine(event)) as Record<string, unknown>;
    expect(Object.keys(older)).not.toContain('statementKey');
    expect(parseAuditEvent(older)).toEqual(event);
  });

  it('keeps the field last, so that older readers (and lines) keep every earlier column', () => {
    expect(Object.keys(das()).at(-1)).toBe('statementKey');
  });
});

describe('the id key', () => {
  it('is built from cluster, pid, statement and sub-statement id, user, database and command', () => {
    expect(idKey(das({ statementId: 7, substatementId: 2, pid: 11 }))).toBe(
      key(['id', CLUSTER_ID, 11, 7, 2, 'app_user', 'appdb', 'GRANT']),
    );
  });

  it.each([
    ['pid', { pid: null }],
    ['statement id', { statementId: null }],
    ['sub-statement id', { substatementId: null }],
    ['cluster', { clusterId: null }],
  ])('is absent without a %s, leaving the text key alone', (_what, override) => {
    const event = auditEvent(override);
    expect(idKey(event)).toBeNull();
    expect(statementKeys(event)).toEqual([event.statementKey]);
  });

  it('comes first among the keys under which an event meets its twin', () => {
    const event = das();
    expect(statementKeys(event)).toEqual([idKey(event), event.statementKey]);
  });
});

describe('same statement', () => {
  it('pairs the two sources of one statement, pgAudit in whole seconds and the stream in microseconds', () => {
    const a = das({ statementId: 3, logTime: '2026-11-24 10:00:00.923456+00' });
    const b = pg({ statementId: 3 }, { time: '2026-11-24 10:00:00 UTC' });
    expect(sameStatement(a, b)).toBe(true);
    expect(matchStrength(a, b)).toBe(0); // both keys and the pid agree
  });

  it('pairs by text when the statement ids disagree (their equality across sources is unverified)', () => {
    const a = das({ statementId: 3 });
    const b = pg({ statementId: 9 });
    expect(idKey(a)).not.toBe(idKey(b));
    expect(sameStatement(a, b)).toBe(true);
    expect(matchStrength(a, b)).toBe(1);
  });

  it('pairs by ids when the texts differ (pgAudit cuts a password statement after PASSWORD <REDACTED>)', () => {
    const a = das({
      statementId: 5,
      command: 'ALTER ROLE',
      commandText: "ALTER ROLE app_user_new PASSWORD 'x' VALID UNTIL '2027-01-01'",
    });
    const b = pg({
      statementId: 5,
      command: 'ALTER ROLE',
      statement: 'ALTER ROLE app_user_new PASSWORD <REDACTED>',
    });
    expect(a.statementKey).not.toBe(b.statementKey);
    expect(matchStrength(a, b)).toBe(3);
  });

  it('never pairs events of one source, events further apart than the window, or different statements', () => {
    expect(sameStatement(das(), das())).toBe(false);
    const late = pg({}, { time: '2026-11-24 10:00:11 UTC' });
    expect(sameStatement(das(), late)).toBe(false);
    expect(sameStatement(das(), late, 12_000)).toBe(true);
    expect(DEFAULT_CORRELATION_WINDOW_MS).toBe(10_000);
    const other = pg({
      statementId: 4,
      statement: 'REVOKE SELECT ON app_1 FROM app_user_new',
      command: 'REVOKE',
    });
    expect(sameStatement(das({ statementId: 3 }), other)).toBe(false);
  });
});

describe('pairing statements', () => {
  it('pairs each statement with its twin when the sources’ statement ids are offset (ids disagree)', () => {
    // One session runs two GRANTs; the stream counts from 3, pgAudit from 4: the stream's second GRANT has
    // the id of pgAudit's first, same pid, user, database and command. The text must win.
    const grantA = 'GRANT SELECT ON a TO bob';
    const grantB = 'GRANT SELECT ON b TO bob';
    const events = [
      das({ statementId: 3, commandText: grantA, logTime: '2026-11-24 10:00:00.100000+00' }),
      das({ statementId: 4, commandText: grantB, logTime: '2026-11-24 10:00:00.200000+00' }),
      pg({ statementId: 4, statement: grantA }, { time: '2026-11-24 10:00:00 UTC' }),
      pg({ statementId: 5, statement: grantB }, { time: '2026-11-24 10:00:00 UTC' }),
    ];
    expect(matchStrength(events[1] as AuditEvent, events[2] as AuditEvent)).toBe(3); // the trap
    const statements = pairStatements(events);
    expect(statements.map((s) => [s.sources, s.events.map((e) => e.commandText)])).toEqual([
      ['das,pgaudit', [grantA, grantA]],
      ['das,pgaudit', [grantB, grantB]],
    ]);
  });

  it('pairs a statement repeated in one session by its ids when they agree, and leaves what one source missed alone', () => {
    const text = 'GRANT SELECT ON a TO bob';
    const events = [
      das({ statementId: 3, commandText: text, logTime: '2026-11-24 10:00:00.900000+00' }),
      das({ statementId: 4, commandText: text, logTime: '2026-11-24 10:00:01.100000+00' }),
      das({
        statementId: 5,
        commandText: 'GRANT SELECT ON c TO bob',
        logTime: '2026-11-24 10:00:01.300000+00',
      }),
      pg({ statementId: 4, statement: text }, { time: '2026-11-24 10:00:01 UTC' }),
      pg({ statementId: 3, statement: text }, { time: '2026-11-24 10:00:00 UTC' }),
    ];
    const statements = pairStatements(events);
    expect(statements.map((s) => [s.sources, s.events.map((e) => `${e.source}#${e.statementId}`)])).toEqual([
      ['das,pgaudit', ['das#3', 'pgaudit#3']],
      ['das,pgaudit', ['das#4', 'pgaudit#4']],
      ['das', ['das#5']],
    ]);
  });

  it('keeps every event in exactly one statement, at most one per source', () => {
    const events = [
      das(),
      das({ statementId: 8 }),
      pg(),
      pg({}, { pid: 5 }),
      pg({}, { time: '2026-11-24 11:00:00 UTC' }),
    ];
    const statements = pairStatements(events);
    expect(statements.flatMap((s) => s.events)).toHaveLength(events.length);
    expect(new Set(statements.flatMap((s) => s.events))).toEqual(new Set(events));
    for (const s of statements) expect(new Set(s.events.map((e) => e.source)).size).toBe(s.events.length);
    expect(statements.map((s) => s.sources)).toEqual(['das,pgaudit', 'das,pgaudit', 'pgaudit']);
  });
});
