/**
 * The period summary (reports/summary/period-summary.sql): read once, canary statements left out. The figures
 * are computed from the workload here (which statements are the canary's), never with SQL.
 */
import {
  InvalidReportParameterError,
  periodSummaryCtas,
  periodSummaryDrop,
  periodSummaryParameters,
  periodSummarySql,
  queryParameters,
  querySql,
  REPORT_QUERIES,
  renderLiterals,
  reportQuery,
  sectionQueryString,
  summaryTableName,
} from '../../reports/queries';
import type { AuditEvent } from '../../tasks/core/audit-event';
import { CANARY_STATEMENTS } from '../../tasks/core/canary';
import { reportPeriod } from '../../tasks/core/report-period';
import {
  CLUSTER_A,
  CLUSTER_B,
  event,
  type ReportFixture,
  reportFixture,
  summarizedSection,
} from './report-fixture';

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

describe('rendering the period summary for a run', () => {
  it('replaces each ? outside literals, quoted identifiers and comments by the next value, single-quoted', () => {
    expect(
      renderLiterals(
        `SELECT '?', "a?" -- why?\nFROM t WHERE x = ? AND regexp_like(y, '(?i)a''?') AND z = ?`,
        ['2026-11-23', 'Europe/Berlin'],
      ),
    ).toBe(
      `SELECT '?', "a?" -- why?\nFROM t WHERE x = '2026-11-23' AND regexp_like(y, '(?i)a''?') AND z = 'Europe/Berlin'`,
    );
  });

  it('refuses a value that could end the literal or the statement, and a count that does not match', () => {
    for (const bad of ["x' OR '1'='1", 'a;b', 'a\\b', 'a--b\n', '"x"'])
      expect(() => renderLiterals('SELECT ?', [bad])).toThrow(InvalidReportParameterError);
    expect(() => renderLiterals('SELECT ?, ?', ['a'])).toThrow(/placeholders/);
    expect(() => renderLiterals('SELECT ?', ['a', 'b'])).toThrow(/placeholders/);
  });

  it('leaves no placeholder in the rendered summary, and the engine runs it', async () => {
    const values = periodSummaryParameters(day, '*', { [CLUSTER_A]: 'aurora_audit_canary' });
    const sql = renderLiterals(periodSummarySql(), values);
    expect(renderLiterals(sql, [])).toBe(sql);
    const fixture = await reportFixture([event('2026-11-23T10:00:00.000Z')]);
    try {
      const [row] = await fixture.engine.query(`SELECT count(*) AS n FROM (${sql}) s`);
      expect(Number(row?.n)).toBe(1);
    } finally {
      fixture.close();
    }
  });

  it('names the table after the execution, in Glue characters, unique per execution name', () => {
    expect(summaryTableName('report-demo-20261201')).toMatch(
      /^report_summary_report_demo_20261201_[0-9a-f]{8}$/,
    );
    expect(summaryTableName('Run-1')).not.toBe(summaryTableName('run_1'));
    expect(summaryTableName('a'.repeat(80)).length).toBeLessThanOrEqual(255);
    expect(summaryTableName('Ünïcode·name')).toMatch(/^report_summary_[a-z0-9_]+_[0-9a-f]{8}$/);
  });

  it('writes the CTAS and the DROP in the events database, refusing other table names', () => {
    const table = summaryTableName('run-1');
    const ctas = periodSummaryCtas('audit_prod.events_v2', table, periodSummaryParameters(day, '*'));
    expect(ctas).toMatch(
      new RegExp(
        `^CREATE TABLE audit_prod\\.${table} WITH \\(format = 'PARQUET', write_compression = 'SNAPPY'\\) AS\\n`,
      ),
    );
    expect(ctas).toContain('FROM audit_prod.events_v2 e');
    expect(ctas).not.toMatch(/external_location|aurora_audit\.audit_events/);
    expect(periodSummaryDrop('audit_prod.events_v2', table)).toBe(`DROP TABLE IF EXISTS audit_prod.${table}`);
    expect(() => periodSummaryDrop('audit_prod.events_v2', 'audit_events')).toThrow(/summary table/);
    expect(() => periodSummaryCtas('audit_prod.events_v2', 'x; DROP', [])).toThrow(/summary table/);
    expect(() => periodSummaryCtas('Audit.Events', table, [])).toThrow(/<database>.<table>/);
  });

  it("gives each cluster of a report on some clusters exactly its own query's rows, and reads no other cluster", async () => {
    const CLUSTER_C = 'cluster-CCCCCCCCCCCCCCCCCCCCCCCCCC';
    const events: AuditEvent[] = [];
    for (const [i, cluster] of [CLUSTER_A, CLUSTER_B, CLUSTER_C].entries()) {
      events.push(
        event(`2026-11-23T0${i + 1}:00:00.000Z`, {
          clusterId: cluster,
          user: `user_${i}`,
          class: 'ROLE',
          command: 'GRANT',
          commandText: `GRANT r${i} TO u${i}`,
        }),
        event(`2026-11-23T0${i + 1}:30:00.000Z`, {
          clusterId: cluster,
          user: `reader_${i}`,
          remoteHost: `10.0.0.${i}`,
        }),
        event(`2026-11-22T0${i + 1}:30:00.000Z`, { clusterId: cluster, user: `old_${i}` }),
      );
    }
    const fixture = await reportFixture(events);
    try {
      const table = summaryTableName('subset-run');
      const select = renderLiterals(periodSummarySql(), periodSummaryParameters(day, [CLUSTER_A, CLUSTER_B]));
      await fixture.engine.query(`CREATE OR REPLACE TABLE aurora_audit.${table} AS ${select}`);
      const summarized = await fixture.engine.query(
        `SELECT DISTINCT cluster FROM aurora_audit.${table} ORDER BY 1`,
      );
      expect(summarized.map((r) => r.cluster)).toEqual([CLUSTER_A, CLUSTER_B].sort());
      for (const cluster of [CLUSTER_A, CLUSTER_B])
        for (const q of REPORT_QUERIES) {
          const rows = await fixture.engine.query(
            sectionQueryString(q.name, 'aurora_audit.audit_events', table, cluster),
          );
          const reference = await fixture.engine.query(
            querySql(q.name),
            queryParameters(reportQuery(q.name), day, cluster),
          );
          expect([q.name, cluster, rows]).toEqual([q.name, cluster, reference]);
        }
      // The privilege changes each cluster made, from the workload: one GRANT each.
      const grants = await fixture.engine.query(
        sectionQueryString('privilege-changes', 'aurora_audit.audit_events', table, CLUSTER_B),
      );
      expect(grants.map((r) => r.commandtext)).toEqual(['GRANT r1 TO u1']);
    } finally {
      fixture.close();
    }
  });
});
