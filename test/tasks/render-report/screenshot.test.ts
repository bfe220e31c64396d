/**
 * The report as a reader sees it: the email's HTML rendered by headless Chromium (the inline `cid:` chart
 * swapped for a data URL in the copy rendered) at a phone's width (400 px) and a desktop's (1,200 px), kept
 * as `test-artifacts/report-400.png` and `test-artifacts/report-1200.png` (the README shows copies from
 * docs/). At each width the browser also measures the layout (a script added to the test's copy only: the
 * email has none): nothing may stick out of the window, no tile may be cut, and a table wider than the
 * window must scroll inside its own box rather than widen the page. Needs the Debian package `chromium`
 * (installed by `npm test`'s set-up step).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { leaves, parseMime } from '../../../cli/local/mime';
import type { AuditEvent } from '../../../tasks/core/audit-event';
import { auditDay, CLUSTER_B, event, reportWorld } from './report-world';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../../../test-artifacts');

/** A week of routine activity of varying volume around the busy day, on both clusters. */
function auditWeek(): AuditEvent[] {
  const events = auditDay();
  const volumes = [34, 41, 28, 52, 19, 8];
  volumes.forEach((n, d) => {
    const day = `2026-11-${String(17 + d).padStart(2, '0')}`;
    for (let i = 0; i < n; i += 1) {
      const t = `${day}T${String(6 + (i % 14)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00.000Z`;
      events.push(
        i % 4 === 0
          ? event(t, {
              source: 'pgaudit',
              auditType: 'SESSION',
              class: 'WRITE',
              command: 'UPDATE',
              user: 'etl_user',
              remoteHost: '10.0.0.7',
            })
          : event(t, {
              user: 'app_user',
              remoteHost: '10.0.0.5',
              clientApplication: 'orders-service-batch-reconciliation',
              clusterId: i % 5 === 0 ? CLUSTER_B : undefined,
            }),
      );
    }
  });
  return events;
}

function png(file: string): { width: number; height: number; bytes: number } {
  const b = readFileSync(file);
  expect(b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), bytes: b.length };
}

/** What the browser measured (see MEASURE). */
interface Layout {
  readonly viewport: number;
  readonly pageWidth: number;
  readonly tiles: readonly {
    readonly text: string;
    readonly left: number;
    readonly right: number;
    readonly clipped: boolean;
  }[];
  readonly tilesPerRow: number;
  /** Elements (outside a scrolling box) whose right edge lies beyond the window. */
  readonly outside: readonly string[];
  readonly tables: readonly { readonly width: number; readonly box: number; readonly scrolls: boolean }[];
  readonly chartWidth: number;
}

/**
 * Measures the laid-out page and posts the result as JSON to the framing page (see {@link framed}), which
 * writes it into `<pre id="layout">` for `--dump-dom`.
 * Tiles are the summary figures (class `aa-tile`); tables are the sections' data tables (`aa-table`).
 */
const MEASURE = `<script>
addEventListener('load', () => {
  const vw = document.documentElement.clientWidth;
  const scroller = (el) => { for (let p = el.parentElement; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') return p; } return null; };
  const tiles = [...document.querySelectorAll('.aa-tile')].map((t) => { const r = t.getBoundingClientRect(); return { text: t.innerText.replace(/\\s+/g, ' ').trim(), left: Math.round(r.left), right: Math.round(r.right), top: Math.round(r.top), clipped: t.scrollWidth > t.clientWidth + 1 }; });
  const outside = [...document.body.querySelectorAll('*')].filter((el) => !scroller(el) && el.getBoundingClientRect().right > vw + 0.5 && el.tagName !== 'SCRIPT' && el.id !== 'layout').map((el) => el.tagName + ':' + (el.innerText || '').slice(0, 40));
  const tables = [...document.querySelectorAll('.aa-table')].map((t) => { const box = scroller(t); return { width: Math.round(t.getBoundingClientRect().width), box: box ? Math.round(box.getBoundingClientRect().width) : -1, scrolls: !!box && box.scrollWidth > box.clientWidth }; });
  const chart = document.querySelector('img');
  parent.postMessage(JSON.stringify({ viewport: vw, pageWidth: document.documentElement.scrollWidth, tiles, tilesPerRow: new Set(tiles.map((t) => t.top)).size === 0 ? 0 : tiles.filter((t) => t.top === tiles[0].top).length, outside, tables, chartWidth: chart ? Math.round(chart.getBoundingClientRect().width) : 0 }), '*');
});
</script>`;

function chromium(dir: string, page: string, args: string[]): string {
  return execFileSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${join(dir, 'profile')}`,
      ...args,
      `file://${page}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  ).toString('utf8');
}

/**
 * A page showing `report` in a frame exactly `width` px wide: headless Chromium does not make its window
 * narrower than 500 px, a frame can be (its media queries and layout follow the frame's width).
 */
function framed(dir: string, report: string, width: number, height: number): string {
  const page = join(dir, `frame-${width}-${report}`);
  writeFileSync(
    page,
    `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0"><iframe src="${report}" style="display:block;width:${width}px;height:${height}px;border:0"></iframe><pre id="layout"></pre><script>addEventListener('message', (e) => { document.getElementById('layout').textContent = e.data; });</script></body></html>`,
  );
  return page;
}

function measure(dir: string, html: string, width: number): Layout {
  writeFileSync(join(dir, 'measured.html'), html.replace('</body>', `${MEASURE}</body>`));
  const page = framed(dir, 'measured.html', width, 900);
  const dom = chromium(dir, page, [
    `--window-size=${Math.max(width, 500)},900`,
    '--virtual-time-budget=3000',
    '--dump-dom',
  ]);
  const json = /<pre id="layout">([^<]*)<\/pre>/.exec(dom)?.[1];
  if (!json) throw new Error(`the layout script did not run at ${width} px`);
  return JSON.parse(
    json
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&'),
  ) as Layout;
}

describe('the report in a browser', () => {
  let dir: string;
  let html: string;
  let world: Awaited<ReturnType<typeof reportWorld>>;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} is missing: run npm test (its set-up installs the Debian package chromium)`,
      );
    world = await reportWorld(auditWeek());
    dir = mkdtempSync(join(tmpdir(), 'aa-report-shot-'));
    const { render } = await world.prepareAndRun({ from: '2026-11-17', to: '2026-11-23' });
    await world.render(render);
    const [, htmlPart, image] = leaves(parseMime(world.sent[0]!.raw));
    const cid = image!.headers.get('content-id')!.slice(1, -1);
    const email = htmlPart!.body.toString('utf8');
    expect(email).toContain(`src="cid:${cid}"`);
    html = email.split(`cid:${cid}`).join(`data:image/png;base64,${image!.body.toString('base64')}`);
  }, 120_000);

  afterAll(() => {
    world?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    { width: 400, height: 2000 },
    { width: 1200, height: 1500 },
  ])(
    'renders at $width px with its chart, and the screenshot is kept as a test artifact',
    ({ width, height }) => {
      writeFileSync(join(dir, 'report.html'), html);
      const page = framed(dir, 'report.html', width, height);
      const shot = join(dir, `report-${width}.png`);
      chromium(dir, page, [`--screenshot=${shot}`, `--window-size=${width},${height}`]);
      const size = png(shot);
      expect(size).toMatchObject({ width, height });
      // A blank or broken page compresses to a few kilobytes; the report with its chart does not.
      expect(size.bytes).toBeGreaterThan(60_000);
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(join(ARTIFACTS, `report-${width}.png`), readFileSync(shot));
    },
  );

  it('reflows at 400 px: every tile whole and inside the window, wide tables scroll in their own box', () => {
    const layout = measure(dir, html, 400);
    expect(layout.viewport).toBe(400);
    expect(layout.pageWidth).toBeLessThanOrEqual(400);
    expect(layout.outside).toEqual([]);
    expect(layout.tiles.map((t) => t.text)).toEqual([
      expect.stringMatching(/^[\d,]+ Audited statements$/i),
      expect.stringMatching(/^[\d,]+ Privilege changes$/i),
      expect.stringMatching(/^[\d,]+ Audit tampering$/i),
      expect.stringMatching(/^[\d,]+ Schema changes$/i),
      expect.stringMatching(/^[\d,]+ Failures$/i),
      expect.stringMatching(/^[\d,]+ New users and hosts$/i),
    ]);
    for (const tile of layout.tiles) {
      expect(tile).toMatchObject({ clipped: false });
      expect(tile.left).toBeGreaterThanOrEqual(0);
      expect(tile.right).toBeLessThanOrEqual(400);
    }
    // Six tiles cannot sit side by side in 400 px and stay readable: they wrap onto further rows.
    expect(layout.tilesPerRow).toBeLessThan(6);
    expect(layout.tilesPerRow).toBeGreaterThanOrEqual(2);
    expect(layout.tables.length).toBeGreaterThan(3);
    for (const table of layout.tables) expect(table.box).toBeGreaterThan(0);
    expect(layout.tables.some((t) => t.scrolls)).toBe(true);
    expect(layout.chartWidth).toBeLessThanOrEqual(400);
  });

  it('uses the width at 1,200 px: the six tiles on one row, no table scrolls, the chart at full size', () => {
    const layout = measure(dir, html, 1200);
    expect(layout.pageWidth).toBeLessThanOrEqual(1200);
    expect(layout.outside).toEqual([]);
    expect(layout.tilesPerRow).toBe(6);
    for (const tile of layout.tiles) expect(tile).toMatchObject({ clipped: false });
    expect(layout.tables.filter((t) => t.scrolls)).toEqual([]);
    expect(layout.chartWidth).toBe(720);
  });
});
