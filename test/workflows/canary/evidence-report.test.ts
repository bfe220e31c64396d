/**
 * The report's "Control evidence" against what canary runs actually did: five canary runs on orders-db during
 * Monday 2026-11-23 (Berlin) on the harness (real PostgreSQL with pgAudit, the real alert Lambda processing),
 * each with arrival delays the test chooses, one with both paths silent and one whose secret is missing. The
 * run records they wrote (the S3 simulator's objects) are stored under canary-runs/ of the report's bucket; the
 * compliance-report workflow then runs the deployed control-evidence statement on the local engine and sends
 * the email. Counts and latencies are the scenarios' own numbers, never the code's output.
 */
import { leaves, parseMime } from '../../../cli/local/mime';
import { type PostgresServer, startPostgres } from '../../../cli/local/postgres';
import {
  type CanaryScenarioOptions,
  canaryDeployment,
  canaryScenario,
  prepareCanaryDatabase,
} from '../../../cli/local/scenarios/canary';
import { DAILY_BERLIN, reportDeployment, reportScenario } from '../compliance-report/fixture';

let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres({ pgauditLog: 'role,ddl' });
  prepareCanaryDatabase(pg);
  // Both apps synthesized once (each takes seconds, more on a busy machine).
  canaryDeployment();
  reportDeployment();
}, 240_000);
afterAll(() => pg?.stop());

/** Monday 2026-11-23 in Berlin runs from 2026-11-22T23:00Z to 2026-11-23T23:00Z. */
const RUNS: (Omit<CanaryScenarioOptions, 'postgres'> & { expected: string })[] = [
  {
    start: '2026-11-23T05:00:00.000Z',
    activityStreamDelaySeconds: 90,
    pgAuditDelaySeconds: 120,
    expected: 'SUCCEEDED',
  },
  {
    start: '2026-11-23T09:00:00.000Z',
    activityStreamDelaySeconds: 60,
    pgAuditDelaySeconds: 300,
    expected: 'SUCCEEDED',
  },
  {
    start: '2026-11-23T13:00:00.000Z',
    activityStreamDelaySeconds: 150,
    pgAuditDelaySeconds: 45,
    expected: 'SUCCEEDED',
  },
  {
    start: '2026-11-23T17:00:00.000Z',
    activityStreamDelaySeconds: null,
    pgAuditDelaySeconds: null,
    expected: 'BothPathsSilent',
  },
  { start: '2026-11-23T21:00:00.000Z', secret: false, expected: 'CanarySecretUnusable' },
];

async function canaryRecords(): Promise<{ key: string; body: string }[]> {
  const records: { key: string; body: string }[] = [];
  for (const [i, options] of RUNS.entries()) {
    const { expected, ...rest } = options;
    const s = canaryScenario({ postgres: pg, ...rest });
    try {
      const run = await s.run(undefined);
      expect(run.status === 'SUCCEEDED' ? 'SUCCEEDED' : run.error).toBe(expected);
      // Each run's execution name is its own (the harness names every first run run-1).
      for (const o of s.world.s3.list('canary-runs/'))
        records.push({ key: o.key.replace('run-1', `run-${i + 1}`), body: o.body });
    } finally {
      s.close();
    }
  }
  return records;
}

describe('the report section Control evidence', () => {
  it('shows per source the runs, successes, misses, untested runs and the latency percentiles the canary runs had', async () => {
    const records = await canaryRecords();
    expect(records.map((r) => r.key)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `canary-runs/day=2026-11-23/orders-db.run-${n}.json`),
    );
    const report = await reportScenario({ canaryRuns: records });
    try {
      const run = await report.run(DAILY_BERLIN);
      expect(run.status).toBe('SUCCEEDED');
      const text =
        report.archived.get('reports/daily/2026-11-23_2026-11-23/run-1/report.txt')?.bytes.toString('utf8') ??
        '';
      const section = text.slice(text.indexOf('Control evidence'));
      // Activity stream: arrived in runs 1-3 after 90, 60 and 150 s; silent in run 4; untested in run 5.
      expect(section).toMatch(
        /1\. Cluster: orders-db \| Source: Activity Streams \| Canary runs: 5 \| Successes: 3 \| Misses: 1 \| Untested: 1 \| Latency p50 \(s\): 90 \| Latency p95 \(s\): 150 \| Latency max \(s\): 150\n/,
      );
      // pgAudit: 120, 300 and 45 s.
      expect(section).toMatch(
        /2\. Cluster: orders-db \| Source: pgAudit \| Canary runs: 5 \| Successes: 3 \| Misses: 1 \| Untested: 1 \| Latency p50 \(s\): 120 \| Latency p95 \(s\): 300 \| Latency max \(s\): 300\n/,
      );
      const html =
        report.archived
          .get('reports/daily/2026-11-23_2026-11-23/run-1/report.html')
          ?.bytes.toString('utf8') ?? '';
      expect(html).toContain('Control evidence');
      expect(html).toMatch(/<td[^>]*>150<\/td>/);
      // The email's text part is the archived report.txt (CRLF line ends in the message).
      expect(report.sent).toHaveLength(1);
      const textPart = leaves(parseMime(report.sent[0]?.raw ?? '')).find((p) => p.type === 'text/plain');
      expect(textPart?.body.toString('utf8').replace(/\r\n/g, '\n')).toBe(text.replace(/\r\n/g, '\n'));
    } finally {
      report.close();
    }
  }, 240_000);

  it('says no canary ran when there is no run record', async () => {
    const report = await reportScenario();
    try {
      const run = await report.run(DAILY_BERLIN);
      expect(run.status).toBe('SUCCEEDED');
      const text =
        report.archived.get('reports/daily/2026-11-23_2026-11-23/run-1/report.txt')?.bytes.toString('utf8') ??
        '';
      const section = text.slice(text.indexOf('Control evidence'));
      expect(section).toContain('No canary run in this period: no canary is configured (clusters[].canary');
    } finally {
      report.close();
    }
  }, 120_000);
});
