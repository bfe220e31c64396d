/**
 * How the report reads: one number format in every place a count is shown, and the "first rows only"
 * note only when a table was actually cut. The workloads are built here and the expected figures follow
 * from them; the report comes from the REAL SQL on the embedded engine (see report-world.ts).
 */
import { parse } from 'csv-parse/sync';
import { leaves, parseMime } from '../../../cli/local/mime';
import { REPORT_QUERIES } from '../../../reports/queries';
import type { AuditEvent } from '../../../tasks/core/audit-event';
import { auditDay, event, reportWorld } from './report-world';

const csvRows = (bytes: Buffer) => parse(bytes, { record_delimiter: '\r\n' }) as string[][];
const CUT_NOTE = 'show the first rows only';

async function renderedReport(events: readonly AuditEvent[], env: Record<string, string> = {}) {
  const world = await reportWorld(events, env);
  try {
    const { render } = await world.prepareAndRun({ period: 'daily' });
    const result = await world.render(render);
    const [textPart, htmlPart] = leaves(parseMime(world.sent[0]!.raw));
    const csvLines = Object.fromEntries(
      REPORT_QUERIES.map((q) => [
        q.name,
        csvRows(world.objects.get(`${render.request.archivePrefix}${q.name}.csv`)!.bytes).length - 1,
      ]),
    );
    return {
      subject: result.subject,
      html: htmlPart!.body.toString('utf8'),
      text: textPart!.body.toString('utf8'),
      csvLines,
    };
  } finally {
    world.close();
  }
}

describe('the "first rows only" note', () => {
  it('is given when a table was cut to the configured number of rows', async () => {
    const report = await renderedReport(auditDay(), { MAX_ROWS_PER_SECTION: '3' });
    // The day's workload has 7 users (app_user, etl_user, admin, o'brien"admin, mallory, billing_app,
    // billing_admin): more than 3, so the top-users table is cut.
    expect(report.csvLines['top-users']).toBe(7);
    expect(report.html).toContain('7 rows, the first 3 shown.');
    expect(report.html).toContain(CUT_NOTE);
    expect(report.text).toContain(CUT_NOTE);
  });

  it('is not given when every table shows all its rows', async () => {
    const report = await renderedReport(auditDay(), { MAX_ROWS_PER_SECTION: '50' });
    // Every section of the day holds at most 50 rows: nothing was cut.
    for (const [query, lines] of Object.entries(report.csvLines))
      expect({ query, cut: lines > 50 }).toEqual({ query, cut: false });
    expect(report.html).not.toContain(CUT_NOTE);
    expect(report.text).not.toContain(CUT_NOTE);
    expect(report.html).not.toContain('more</strong>');
    expect(report.html).toContain('The CSV files hold every row of each section');
  });
});

describe('one number format', () => {
  // 1,203 grants by one user on the report's day (and nothing else): every count of the report is 1,203.
  const GRANTS = 1203;
  const grants = Array.from({ length: GRANTS }, (_, i) =>
    event(
      `2026-11-23T${String(8 + Math.floor(i / 3600)).padStart(2, '0')}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000Z`,
      { class: 'ROLE', command: 'GRANT', user: 'grantor', commandText: `GRANT r${i} TO app_user` },
    ),
  );
  let report: Awaited<ReturnType<typeof renderedReport>>;
  beforeAll(async () => {
    report = await renderedReport(grants);
  });

  it('prints the same count the same way in the subject, the tiles, the tables and the text', () => {
    expect(report.csvLines['privilege-changes']).toBe(GRANTS);
    expect(report.subject).toMatch(/: 1,203 privilege changes$/);
    // The tiles: audited events and privilege changes.
    expect(report.html).toMatch(/>1,203<\/p><p[^>]*>Audited statements</);
    expect(report.html).toMatch(/>1,203<\/p><p[^>]*>Privilege changes</);
    // The top-users table's statements cell, and the section counts.
    expect(report.html).toMatch(/<td style="[^"]*text-align:right[^"]*">1,203<\/td>/);
    expect(report.html).toContain('1,203 rows, the first 50 shown.');
    expect(report.html).toContain('… and 1,153 more');
    expect(report.text).toMatch(/User: grantor \| Statements: 1,203 \|/);
    expect(report.text).toMatch(/Privilege changes: +1,203 /);
    expect(report.text).toMatch(/2026-11-23 +1,203 +\(Activity Streams 1,203\)/);
    // Nowhere without the thousands separator.
    expect(report.html).not.toMatch(/\b1203\b/);
    expect(report.text).not.toMatch(/\b1203\b/);
  });
});
