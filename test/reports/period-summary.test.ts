/**
 * The period summary (reports/summary/period-summary.sql): read once, canary statements left out. The figures
 * are computed from the workload here (which statements are the canary's), never with SQL.
 */
import { periodSummarySql, REPORT_QUERIES } from '../../reports/queries';
import type { AuditEvent } from '../../tasks/core/audit-event';
import { CANARY_STATEMENTS } from '../../tasks/core/canary';
import { reportPeriod } from '../../tasks/core/report-period';
import { CLUSTER_A, event, type ReportFixture, reportFixture, summarizedSection } from './report-fixture';

const day = reportPeriod({ from: '2026-11-23', to: '2026-11-23' }, 'UTC');
const NONCE = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const canaryText = (cls: keyof typeof CANARY_STATEMENTS) => CANARY_STATEMENTS[cls].replace('{}', NONCE);

/** A statement seen by both sources (same ids, same key): one statement. */
function both(time: string, overrides: Parameters<typeof event>[1]): AuditEvent[] {
  const das = event(time, { ...overrides, source: 'das' });
  const pg = event(time.replace(/\.\d+Z$/, 'Z'), {
    ...overrides,
    source: 'pgaudit',
    statementId: das.statementId,
    pid: das.pid,
    substatementId: das.substatementId,
    sessionId: null,
  });
  return [das, pg];
}

const workload = (): AuditEvent[] => [
  ...both('2026-11-23T08:00:00.100Z', {
    class: 'ROLE',
    command: 'GRANT',
    commandText: 'GRANT SELECT ON orders TO bob',
    user: 'alice',
    pid: 11,
  }),
  ...both('2026-11-23T09:00:00.100Z', {
    class: 'DDL',
    command: 'CREATE TABLE',
    commandText: 'CREATE TABLE t (id int)',
    user: 'alice',
    pid: 12,
  }),
  ...both('2026-11-23T10:00:00.100Z', {
    class: 'READ',
    command: 'SELECT',
    commandText: 'SELECT 1',
    user: 'bob',
    pid: 13,
  }),
  // Not a canary: the marker written into another user's statement.
  ...both('2026-11-23T11:00:00.100Z', {
    class: 'ROLE',
    command: 'GRANT',
    commandText: canaryText('ROLE'),
    user: 'mallory',
    pid: 14,
  }),
];
const canaries = (): AuditEvent[] => [
  ...both('2026-11-23T12:00:00.100Z', {
    class: 'ROLE',
    command: 'GRANT',
    commandText: canaryText('ROLE'),
    user: 'Audit_Canary',
    pid: 15,
  }),
  ...both('2026-11-23T12:00:01.100Z', {
    class: 'DDL',
    command: 'COMMENT',
    commandText: canaryText('DDL'),
    user: 'audit_canary',
    pid: 15,
  }),
];

describe('canary statements in the period summary', () => {
  let plain: ReportFixture;
  let withCanaries: ReportFixture;
  beforeAll(async () => {
    plain = await reportFixture(workload().map((e) => ({ ...e, clusterId: CLUSTER_A })));
    withCanaries = await reportFixture(
      [...workload(), ...canaries()].map((e) => ({ ...e, clusterId: CLUSTER_A })),
    );
  });
  afterAll(() => {
    plain?.close();
    withCanaries?.close();
  });
  const canaryUsers = { [CLUSTER_A]: 'audit_canary' };

  it.each(REPORT_QUERIES.map((q) => q.name))(
    'leaves the canary user’s canary statements out of %s: the same figures as without them',
    async (name) => {
      const without = await summarizedSection(plain.engine, name, day, '*', undefined, canaryUsers);
      const withThem = await summarizedSection(withCanaries.engine, name, day, '*', undefined, canaryUsers);
      expect(withThem).toEqual(without);
    },
  );

  it('counts them when they are not the cluster’s canary user’s (no canary user configured)', async () => {
    const rows = await summarizedSection(withCanaries.engine, 'privilege-changes', day, '*', undefined, {});
    expect(rows.map((r) => r.user)).toEqual(['alice', 'mallory', 'Audit_Canary']);
  });

  it('keeps a canary marker written into another user’s statement', async () => {
    const rows = await summarizedSection(
      withCanaries.engine,
      'privilege-changes',
      day,
      '*',
      undefined,
      canaryUsers,
    );
    // The workload's ROLE statements other than the canary's: alice's grant and mallory's marked one.
    expect(rows.map((r) => [r.user, r.commandtext, r.sources])).toEqual([
      ['alice', 'GRANT SELECT ON orders TO bob', 'das,pgaudit'],
      ['mallory', canaryText('ROLE'), 'das,pgaudit'],
    ]);
  });
});

describe('the period summary SQL', () => {
  it('references each of its CTEs exactly once (Trino inlines a CTE at each reference: one scan)', () => {
    const sql = periodSummarySql().replace(/--.*$/gm, '');
    const names = [...sql.matchAll(/(?:WITH|,)\s*([a-z_]+) AS \(/g)].map((m) => m[1] as string);
    expect(names).toContain('events');
    for (const name of names) {
      const refs = sql.match(new RegExp(`\\bFROM ${name}\\b|\\bJOIN ${name}\\b`, 'g')) ?? [];
      expect([name, refs.length]).toEqual([name, 1]);
    }
    expect(sql.match(/aurora_audit\.audit_events/g)).toHaveLength(1);
  });

  it('holds the canary texts of tasks/core/canary.ts as its patterns', () => {
    const sql = periodSummarySql();
    for (const cls of ['ROLE', 'DDL'] as const) {
      const [before, after] = CANARY_STATEMENTS[cls]
        .replace('aurora_audit_canary', 'aurora[_]audit_canary')
        .replace(/\/\*/g, '/\\*')
        .replace(/\*\//g, '\\*/')
        .replace(/'/g, "''")
        .split('{}') as [string, string];
      const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
      expect(sql).toContain(`'(?i)^\\s*${before}${uuid}${after}\\s*;?\\s*$'`);
    }
  });
});
