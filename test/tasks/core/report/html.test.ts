import { escapeHtml, renderHtml } from '../../../../tasks/core/report/html';
import type { ReportModel, ReportSection } from '../../../../tasks/core/report/model';
import { renderText } from '../../../../tasks/core/report/text';
import { reportPeriod } from '../../../../tasks/core/report-period';

const CLUSTER = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const period = reportPeriod(
  { from: '2026-11-23', to: '2026-11-23' },
  'UTC',
  new Date('2026-11-24T07:00:00Z'),
);
const evil = `<script>alert("x")</script>' onmouseover='x`;

function model(
  sections: ReportSection[],
  activity: ReportModel['activity'] = [{ date: '2026-11-23', bySource: { das: 3 } }],
): ReportModel {
  return {
    prefix: 'aurora-audit',
    periodName: 'daily',
    period,
    clusters: [{ identifier: 'orders-db', resourceId: CLUSTER }],
    allClusters: true,
    executionName: 'run-1',
    generatedAt: new Date('2026-11-24T07:00:00Z'),
    sections,
    activity,
    chartContentId: 'chart@aurora-audit',
    archive: {
      bucket: 'b',
      prefix: 'reports/daily/2026-11-23_2026-11-23/run-1/',
      url: 'https://console.aws.amazon.com/s3/buckets/b',
    },
  };
}

const succeeded = (over: Partial<Extract<ReportSection, { status: 'SUCCEEDED' }>> = {}): ReportSection => ({
  query: 'privilege-changes',
  title: 'Privilege changes',
  answers: 'Who granted?',
  cluster: '*',
  clusterName: null,
  csvName: 'privilege-changes.csv',
  status: 'SUCCEEDED',
  columns: ['time', 'cluster', 'user', 'commandtext'],
  rows: [['2026-11-23T10:00:00.000Z', CLUSTER, evil, `GRANT "${evil}"`]],
  totalRows: 1,
  csvKey: 'reports/x/privilege-changes.csv',
  csvUrl: 'https://eu-west-1.console.aws.amazon.com/s3/object/b?prefix=x',
  attached: true,
  ...over,
});

describe('the report HTML', () => {
  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('shows data containing markup and quotes as inert text', () => {
    const html = renderHtml(model([succeeded()]));
    expect(html).not.toContain('<script');
    expect(html).not.toContain(`' onmouseover='`);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;x');
  });

  it('has no script and no external resource: only the cid: chart and https links', () => {
    const html = renderHtml(model([succeeded()]));
    expect(html).not.toMatch(/<script|<link|<iframe|<object|<embed|javascript:|@import|url\(/i);
    const sources = [...html.matchAll(/\ssrc="([^"]*)"/g)].map((m) => m[1]);
    expect(sources).toEqual(['cid:chart@aurora-audit']);
    for (const [, href] of html.matchAll(/\shref="([^"]*)"/g)) expect(href).toMatch(/^https:\/\//);
  });

  it('shows the configured cluster name and a compact UTC time', () => {
    const html = renderHtml(model([succeeded()]));
    expect(html).toContain('2026-11-23 10:00:00.000');
    expect(html).not.toContain(`>${CLUSTER}<`);
  });

  it('says a failed section failed and why, and keeps the other sections', () => {
    const failed: ReportSection = {
      query: 'audit-tampering',
      title: 'Audit-configuration tampering',
      answers: 'Did anyone?',
      cluster: '*',
      clusterName: null,
      csvName: 'audit-tampering.csv',
      status: 'FAILED',
      error: 'Athena.AmazonAthenaException',
      cause: `Query exhausted resources <b>at this scale factor</b>\n${'x'.repeat(1000)}`,
    };
    const html = renderHtml(model([succeeded(), failed]));
    expect(html).toContain('This section could not be produced: its query failed.');
    expect(html).toContain('Athena.AmazonAthenaException');
    expect(html).toContain('Query exhausted resources &lt;b&gt;at this scale factor&lt;/b&gt;');
    expect(html).not.toContain('x'.repeat(400));
    expect(html).toContain('1 section could not be produced');
    expect(html).toContain('Privilege changes');
    expect(renderText(model([succeeded(), failed]))).toContain('FAILED. This section could not be produced');
  });

  it('says "n/a" for a figure whose query failed, never a zero', () => {
    const html = renderHtml(model([], null));
    expect(html).toContain('The activity chart is not available');
    expect(html).toMatch(/n\/a<\/p><p[^>]*>Audited statements/);
  });

  it('says the period is not over when the report was generated before its end, and not otherwise', () => {
    // The period is Monday 2026-11-23 UTC, [2026-11-23T00:00Z, 2026-11-24T00:00Z).
    const early = { ...model([succeeded()]), generatedAt: new Date('2026-11-23T15:30:00Z') };
    const note =
      'This period is not over yet: the report covers what was stored until 2026-11-23 15:30:00 UTC.';
    expect(renderHtml(early)).toContain(note);
    expect(renderText(early)).toContain(note);
    expect(renderHtml(model([succeeded()]))).not.toContain('not over yet');
    expect(renderText(model([succeeded()]))).not.toContain('not over yet');
  });
});
