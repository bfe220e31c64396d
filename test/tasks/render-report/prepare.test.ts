import {
  periodSummaryParameters,
  periodSummarySql,
  REPORT_QUERIES,
  REPORT_SECTIONS,
  renderLiterals,
  sectionSql,
} from '../../../reports/queries';
import { reportPeriod } from '../../../tasks/core/report-period';
import type { PrepareResult } from '../../../tasks/render-report/contract';
import { InvalidReportEventError } from '../../../tasks/render-report/errors';
import { prepareReport } from '../../../tasks/render-report/prepare';
import { readReportSettings } from '../../../tasks/render-report/settings';
import { CLUSTER_A, CLUSTER_B, ENV, NOW } from './report-world';

const settings = readReportSettings(ENV);
const prepare = (input: unknown, executionName = 'run-1', now = NOW): PrepareResult =>
  prepareReport({ action: 'prepare', input, executionName }, settings, now);

describe('prepare: the report period and the queries', () => {
  it('plans one query per report query on all clusters (*) for a daily report', () => {
    const r = prepare({ period: 'daily' });
    expect(r).toMatchObject({ valid: true, problem: '' });
    expect(r.request).toMatchObject({
      periodName: 'daily',
      period: { firstDate: '2026-11-23', lastDate: '2026-11-23', timeZone: 'UTC' },
      clusters: [
        { identifier: 'orders-db', resourceId: CLUSTER_A },
        { identifier: 'billing-db', resourceId: CLUSTER_B },
      ],
      recipients: ['compliance@example.com', 'dba@example.com'],
      archivePrefix: 'reports/daily/2026-11-23_2026-11-23/run-1/',
      executionName: 'run-1',
    });
    expect(r.queries.map((q) => [q.query, q.cluster])).toEqual(REPORT_SECTIONS.map((q) => [q.name, '*']));
  });

  it("builds the period summary into the execution's own table, values rendered as literals, and drops it", () => {
    const r = prepare({ period: 'weekly', timeZone: 'Europe/Berlin' }, 'Weekly-Run.2026-11');
    const period = reportPeriod({ period: 'weekly' }, 'Europe/Berlin', NOW);
    expect(r.summary.table).toMatch(/^report_summary_weekly_run_2026_11_[0-9a-f]{8}$/);
    expect(r.summary.createQuery).toBe(
      `CREATE TABLE aurora_audit.${r.summary.table} WITH (format = 'PARQUET', write_compression = 'SNAPPY') AS\n${renderLiterals(
        periodSummarySql(),
        periodSummaryParameters(period, '*', {}, settings.COVERAGE_CLASSES),
      )}`,
    );
    expect(r.summary.createQuery).toContain("'Europe/Berlin'");
    expect(r.summary.createQuery).not.toMatch(/\?\s*\)|=\s*\?/);
    expect(r.summary.dropQuery).toBe(`DROP TABLE IF EXISTS aurora_audit.${r.summary.table}`);
    const sections = r.queries.filter((q) => q.query !== 'control-evidence');
    expect(sections.map((q) => q.query)).toEqual(REPORT_QUERIES.map((q) => q.name));
    for (const item of sections)
      expect(item.queryString).toBe(
        sectionSql(item.query)
          .split('aurora_audit.report_period_summary')
          .join(`aurora_audit.${r.summary.table}`),
      );
    // The Control evidence reads the canary's run records of the week (Monday 16 to Sunday 22, Berlin), all clusters.
    const evidence = r.queries.find((q) => q.query === 'control-evidence')?.queryString ?? '';
    expect(evidence).toContain('FROM aurora_audit.canary_runs r');
    expect(evidence).toContain("WHERE r.day BETWEEN '2026-11-15' AND '2026-11-22'");
    expect(evidence).toContain("AND ('*' = '*' OR r.cluster = '*')");
    expect(evidence).toContain(`>= from_iso8601_timestamp('${period.start}')`);
    expect(evidence.replace(/--.*$/gm, '')).not.toContain('?');
    expect(r.request.archivePrefix).toBe('reports/weekly/2026-11-16_2026-11-22/Weekly-Run.2026-11/');
  });

  it('gives two execution names that read the same once sanitized two tables', () => {
    expect(prepare({ period: 'daily' }, 'Run-1').summary.table).not.toBe(
      prepare({ period: 'daily' }, 'run_1').summary.table,
    );
  });

  it('plans one query per report query per selected cluster for a subset of the clusters', () => {
    const r = prepare({ period: 'daily', clusters: ['billing-db'] });
    expect(r.valid).toBe(true);
    expect(r.request.clusters).toEqual([{ identifier: 'billing-db', resourceId: CLUSTER_B }]);
    expect(new Set(r.queries.map((q) => q.cluster))).toEqual(new Set([CLUSTER_B]));
    expect(r.queries).toHaveLength(REPORT_SECTIONS.length);
    // The summary reads that cluster's partitions only; each section reads that cluster's rows.
    expect(r.summary.createQuery).toContain(`('*' = '*' OR`.replace("'*' = '*'", `'${CLUSTER_B}' = '*'`));
    expect(r.summary.createQuery).toContain(`contains(split('${CLUSTER_B}', ','), e.cluster)`);
    for (const item of r.queries.filter((q) => q.query !== 'control-evidence'))
      expect(item.queryString).toContain(
        `(SELECT * FROM aurora_audit.${r.summary.table} WHERE cluster = '${CLUSTER_B}')`,
      );
    // The canary's run records name the cluster by its identifier.
    expect(r.queries.find((q) => q.query === 'control-evidence')?.queryString).toContain(
      "AND ('billing-db' = '*' OR r.cluster = 'billing-db')",
    );
  });

  it("leaves out the canary statements of the report's clusters' canary users, and only theirs", () => {
    const withCanary = readReportSettings({
      ...ENV,
      EVENTS_TABLE: 'audit_prod.audit_events',
      CLUSTERS: JSON.stringify([
        { identifier: 'orders-db', resourceId: CLUSTER_A, canaryUser: 'Canary_Orders' },
        { identifier: 'billing-db', resourceId: CLUSTER_B, canaryUser: 'canary_billing' },
      ]),
    });
    const all = prepareReport(
      { action: 'prepare', input: { period: 'daily' }, executionName: 'r' },
      withCanary,
      NOW,
    );
    const period = reportPeriod({ period: 'daily' }, 'UTC', NOW);
    expect(all.summary.createQuery).toContain(
      `contains(split('${CLUSTER_A}:canary_orders,${CLUSTER_B}:canary_billing', ','), clusterid`,
    );
    expect(all.summary.createQuery).toContain('FROM audit_prod.audit_events e');
    expect(all.summary.createQuery).toMatch(/^CREATE TABLE audit_prod\.report_summary_r_[0-9a-f]{8} WITH/);
    expect(periodSummaryParameters(period, '*', { [CLUSTER_A]: 'Canary_Orders' })[11]).toBe(
      `${CLUSTER_A}:canary_orders`,
    );
    const one = prepareReport(
      { action: 'prepare', input: { period: 'daily', clusters: ['billing-db'] }, executionName: 'r' },
      withCanary,
      NOW,
    );
    expect(one.summary.createQuery).toContain(
      `contains(split('${CLUSTER_B}:canary_billing', ','), clusterid`,
    );
  });

  it('treats naming every configured cluster as all clusters', () => {
    const r = prepare({ period: 'daily', clusters: ['billing-db', 'orders-db', 'orders-db'] });
    expect(r.queries.every((q) => q.cluster === '*')).toBe(true);
  });

  it('takes explicit dates (custom period) and a recipients override, without duplicates', () => {
    const r = prepare({
      from: '2026-11-01',
      to: '2026-11-15',
      recipients: ['auditor@example.com', 'Auditor@example.com', 'cfo@example.com'],
    });
    expect(r.valid).toBe(true);
    expect(r.request.periodName).toBe('custom');
    expect(r.request.period).toMatchObject({ firstDate: '2026-11-01', lastDate: '2026-11-15', days: 15 });
    expect(r.request.recipients).toEqual(['auditor@example.com', 'cfo@example.com']);
    expect(r.request.archivePrefix).toBe('reports/custom/2026-11-01_2026-11-15/run-1/');
  });

  it('refuses recipients outside the configured recipients’ domains: a run cannot mail the evidence away', () => {
    const r = prepare({
      period: 'daily',
      recipients: ['auditor@example.com', 'attacker@evil.example.net', 'x@EXAMPLE.COM'],
    });
    expect(r.valid).toBe(false);
    expect(r.problem).toBe(
      'recipients[1]: "attacker@evil.example.net" is not at a domain of the configured recipients (example.com)',
    );
  });
});

describe('prepare: bad input is a result naming the field and the value, never an exception', () => {
  it.each([
    [{ period: 'yearly' }, 'period: must be one of daily, weekly, monthly (got "yearly")'],
    [{}, 'period: required: daily, weekly or monthly, or from and to (got nothing)'],
    [{ from: '2026-11-31', to: '2026-12-01' }, 'from: must be a date YYYY-MM-DD (got "2026-11-31")'],
    [{ from: '2026-11-01' }, 'to: required with from (got nothing, from is "2026-11-01")'],
    [{ to: '2026-11-01' }, 'from: required with to (got nothing, to is "2026-11-01")'],
    [
      { from: '2026-11-10', to: '2026-11-01' },
      'to: must not be before from (got to "2026-11-01", from "2026-11-10")',
    ],
    [
      { from: '2024-01-01', to: '2025-06-01' },
      'to: a report period is at most 366 days (got 518 days from 2024-01-01 to 2025-06-01)',
    ],
    [
      { from: '2026-11-01', to: '2026-12-24' },
      'to: must not be after today, 2026-11-24 in UTC (got "2026-12-24")',
    ],
    [
      { period: 'daily', from: '2026-11-01', to: '2026-11-02' },
      'period: give either period or from and to, not both',
    ],
    [
      { period: 'daily', timeZone: 'Mars/Olympus' },
      'timeZone: must be an IANA time zone like "Europe/Berlin" (got "Mars/Olympus")',
    ],
    [
      { period: 'daily', clusters: ['orders-db', 'payments-db'] },
      'clusters[1]: not a configured cluster (got "payments-db"), configured: orders-db, billing-db',
    ],
    [{ period: 'daily', clusters: [] }, 'clusters: must be a non-empty list of cluster identifiers (got [])'],
    [
      { period: 'daily', recipients: ['ok@example.com', 'not-an-address'] },
      'recipients[1]: must be an email address (got "not-an-address")',
    ],
    [
      { period: 'daily', recipients: 'ok@example.com' },
      'recipients: must be a non-empty list of email addresses (got "ok@example.com")',
    ],
    [
      { period: 'daily', recipients: Array.from({ length: 51 }, (_, i) => `r${i}@example.com`) },
      'recipients: at most 50 addresses',
    ],
    [
      { period: 'daily', cluster: 'orders-db' },
      'cluster: unknown field (got "orders-db"), known fields: period, from, to, timeZone, clusters, recipients',
    ],
    ['daily', 'input: must be an object with period or from and to (got "daily")'],
  ])('%j → %s', (input, problem) => {
    const r = prepare(input);
    expect(r.valid).toBe(false);
    expect(r.problem).toContain(problem);
    expect(r.queries).toEqual([]);
  });

  it('reports every problem at once', () => {
    const r = prepare({
      period: 'hourly',
      timeZone: 'Nowhere',
      clusters: ['x'],
      recipients: ['y'],
      extra: 1,
    });
    expect(r.problem.split('; ').map((p) => p.split(':')[0])).toEqual([
      'extra',
      'timeZone',
      'period',
      'clusters[0]',
      'recipients[0]',
    ]);
  });

  it('still gives a request with placeholder values, so the failure notice can be written', () => {
    const r = prepare({ period: 'hourly' });
    expect(r.request).toMatchObject({
      periodName: 'custom',
      executionName: 'run-1',
      recipients: settings.RECIPIENTS,
      clusters: [{ identifier: 'orders-db' }, { identifier: 'billing-db' }],
    });
    expect(r.request.period.firstDate).toBe('2026-11-23');
    expect(r.request.archivePrefix).toMatch(/^reports\/custom\/2026-11-23_2026-11-23\/run-1\/$/);
  });

  it('checks the dates in the requested time zone', () => {
    // 2026-11-24T07:00Z is still 2026-11-23 in Honolulu: the 24th is in the future there.
    expect(prepare({ from: '2026-11-24', to: '2026-11-24', timeZone: 'Pacific/Honolulu' }).problem).toBe(
      'to: must not be after today, 2026-11-23 in Pacific/Honolulu (got "2026-11-24")',
    );
    expect(prepare({ from: '2026-11-24', to: '2026-11-24', timeZone: 'Asia/Tokyo' }).valid).toBe(true);
  });

  it('throws a named error when the state machine sends no usable execution name', () => {
    expect(() => prepare({ period: 'daily' }, '')).toThrow(InvalidReportEventError);
    expect(() => prepare({ period: 'daily' }, 'a/b')).toThrow(InvalidReportEventError);
  });
});
