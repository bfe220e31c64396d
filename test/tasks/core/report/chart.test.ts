import { activityChartSvg, activityPerDay, svgToPng } from '../../../../tasks/core/report/chart';
import { loadReportAssets } from '../../../../tasks/render-report/assets';

const columns = ['local_date', 'sources', 'statements'];

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(png);
  expect(b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('the activity chart', () => {
  it('has a bar for every day of the period, zero where nothing happened, summed over sections', () => {
    const days = activityPerDay(
      columns,
      [
        ['2026-11-02', 'das', '5'],
        ['2026-11-02', 'pgaudit', '2'],
        ['2026-11-04', 'das', '1'],
        ['2026-11-04', 'das', '3'], // a second cluster's section
      ],
      { firstDate: '2026-11-01', lastDate: '2026-11-05' },
    );
    expect(days).toEqual([
      { date: '2026-11-01', bySource: {} },
      { date: '2026-11-02', bySource: { das: 5, pgaudit: 2 } },
      { date: '2026-11-03', bySource: {} },
      { date: '2026-11-04', bySource: { das: 4 } },
      { date: '2026-11-05', bySource: {} },
    ]);
  });

  it('labels bars and the axis with thousands separators, as the tiles and tables print counts', () => {
    // 1,519 events by the activity stream and 8 by pgAudit on one day: the bar's total is 1,527.
    const days = activityPerDay(
      columns,
      [
        ['2026-11-23', 'das', '1519'],
        ['2026-11-23', 'pgaudit', '8'],
      ],
      { firstDate: '2026-11-23', lastDate: '2026-11-23' },
    );
    const svg = activityChartSvg(days, { timeZone: 'UTC' });
    expect(svg).toMatch(/>1,527<\/text>/);
    expect(svg).toMatch(/>2,000<\/text>/); // the axis' top, a round step above 1,527
    expect(svg).not.toMatch(/>\d{4,}<\/text>/);
  });

  it('ignores rows that are not a date and a count or lie outside the period', () => {
    const days = activityPerDay(
      columns,
      [
        ['<script>', 'das', '5'],
        ['2026-11-01', 'das', 'many'],
        ['2026-10-31', 'das', '7'],
        ['2026-11-01', 'das', '-1'],
      ],
      { firstDate: '2026-11-01', lastDate: '2026-11-01' },
    );
    expect(days).toEqual([{ date: '2026-11-01', bySource: {} }]);
  });

  it('escapes every text it draws', () => {
    const svg = activityChartSvg([{ date: '2026-11-01', bySource: { '<b>&"x"': 1 } }], {
      timeZone: 'Europe/Berlin',
    });
    expect(svg).toContain('&lt;b&gt;&amp;&quot;x&quot;');
    expect(svg).not.toContain('<b>');
  });

  it('says so on an empty period instead of drawing nothing', () => {
    expect(activityChartSvg([{ date: '2026-11-01', bySource: {} }], { timeZone: 'UTC' })).toContain(
      'No audited events in this period',
    );
  });

  it('renders to a PNG at twice its size with the bundled font, more than once per process', async () => {
    const days = activityPerDay(columns, [['2026-11-02', 'das', '5']], {
      firstDate: '2026-11-01',
      lastDate: '2026-11-30',
    });
    const assets = loadReportAssets();
    const first = await svgToPng(activityChartSvg(days, { timeZone: 'UTC' }), assets);
    const second = await svgToPng(
      activityChartSvg(days, { timeZone: 'UTC', width: 400, height: 200 }),
      assets,
    );
    expect(pngSize(first)).toEqual({ width: 1440, height: 560 });
    expect(pngSize(second)).toEqual({ width: 800, height: 400 });
  });

  it('draws its text: the same chart without a usable font comes out different', async () => {
    const days = [{ date: '2026-11-01', bySource: { das: 3 } }];
    const svg = activityChartSvg(days, { timeZone: 'UTC' });
    const assets = loadReportAssets();
    const withFont = Buffer.from(await svgToPng(svg, assets));
    const withoutFont = Buffer.from(await svgToPng(svg, { wasm: assets.wasm, fonts: [] }));
    expect(withFont.equals(withoutFont)).toBe(false);
    expect(withFont.length).toBeGreaterThan(withoutFont.length);
  });
});
