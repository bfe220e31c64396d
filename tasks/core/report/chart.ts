/**
 * The report's chart: audited events per local day, stacked by audit source, as SVG (built by hand: the
 * only text in it is dates and numbers, escaped all the same) rendered to PNG with resvg (WebAssembly) and
 * the DejaVu Sans font, so that it looks the same everywhere and needs no system fonts. The WebAssembly
 * module is initialized once per process.
 */
import { initWasm, Resvg } from '@resvg/resvg-wasm';
import { COLORS } from '../../../reports/templates/styles';
import { formatCount } from './format';
import type { DayActivity } from './model';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SOURCE_ORDER = ['das,pgaudit', 'das', 'pgaudit'];
const SOURCE_NAMES: Readonly<Record<string, string>> = {
  'das,pgaudit': 'Both sources',
  das: 'Activity Streams only',
  pgaudit: 'pgAudit only',
};
const SOURCE_COLORS: Readonly<Record<string, string>> = {
  'das,pgaudit': '#0f766e',
  das: COLORS.das,
  pgaudit: COLORS.pgaudit,
};
const EXTRA_COLORS = ['#7c3aed', '#b45309', '#be185d', '#4d7c0f'];

/** Every local date from `first` to `last`, inclusive. */
export function datesBetween(first: string, last: string): string[] {
  const dates: string[] = [];
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += DAY_MS)
    dates.push(new Date(t).toISOString().slice(0, 10));
  return dates;
}

/**
 * Activity per day from the rows of `activity-per-day` (columns `local_date`, `sources`, `statements`), summed
 * over its sections, with a zero for every day of the period without events. Rows outside the period or
 * with values that are not a date and a count are ignored (they still show in the section's table).
 */
export function activityPerDay(
  columns: readonly string[],
  rows: Iterable<readonly (string | null)[]>,
  period: { readonly firstDate: string; readonly lastDate: string },
): DayActivity[] {
  const at = (name: string) => columns.findIndex((c) => c.toLowerCase() === name);
  const [dateAt, sourceAt, eventsAt] = [at('local_date'), at('sources'), at('statements')];
  const days = new Map<string, Record<string, number>>(
    datesBetween(period.firstDate, period.lastDate).map((d) => [d, {}]),
  );
  for (const row of rows) {
    const date = row[dateAt]?.slice(0, 10);
    const source = row[sourceAt] ?? 'unknown';
    const events = Number(row[eventsAt]);
    if (!date || !DATE.test(date) || !Number.isSafeInteger(events) || events < 0) continue;
    const day = days.get(date);
    if (day) day[source] = (day[source] ?? 0) + events;
  }
  return [...days].map(([date, bySource]) => ({ date, bySource }));
}

const escapeXml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );

/** A round step for about `ticks` grid lines up to `max`. */
function niceStep(max: number, ticks: number): number {
  const raw = Math.max(1, max / ticks);
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return Math.max(1, Math.ceil(m * power));
  return 10 * power;
}

function dayLabel(date: string): string {
  return `${Number(date.slice(8, 10))} ${MONTHS[Number(date.slice(5, 7)) - 1] ?? ''}`;
}

export interface ChartOptions {
  /** The period's IANA time zone (shown in the title). */
  readonly timeZone: string;
  readonly width?: number;
  readonly height?: number;
}

/** The chart as an SVG document. */
export function activityChartSvg(days: readonly DayActivity[], options: ChartOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 280;
  const left = 64;
  const right = 16;
  const top = 52;
  const bottom = 40;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const present = new Set(days.flatMap((d) => Object.keys(d.bySource)));
  const sources = [...SOURCE_ORDER, ...[...present].filter((s) => !SOURCE_ORDER.includes(s)).sort()].filter(
    (s) => present.has(s) || SOURCE_ORDER.includes(s),
  );
  const color = (s: string, i: number) =>
    SOURCE_COLORS[s] ?? EXTRA_COLORS[i % EXTRA_COLORS.length] ?? '#6b7280';
  const totals = days.map((d) => Object.values(d.bySource).reduce((a, b) => a + b, 0));
  const max = Math.max(0, ...totals);
  const step = niceStep(max, 4);
  const top_ = Math.max(step, Math.ceil(max / step) * step);
  const y = (v: number) => top + plotH - (v / top_) * plotH;
  const font = `font-family="DejaVu Sans"`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="22" ${font} font-size="14" font-weight="bold" fill="${COLORS.ink}">Audited statements per day</text>`,
    `<text x="${left}" y="40" ${font} font-size="11" fill="${COLORS.muted}">${escapeXml(`local dates, ${options.timeZone}`)}</text>`,
  ];
  // Legend, right-aligned.
  let lx = width - right;
  [...sources].reverse().forEach((s) => {
    const name = SOURCE_NAMES[s] ?? s;
    const w = 18 + name.length * 6.6;
    lx -= w + 12;
    out.push(
      `<rect x="${lx}" y="13" width="11" height="11" fill="${color(s, sources.indexOf(s))}"/>`,
      `<text x="${lx + 16}" y="23" ${font} font-size="11" fill="${COLORS.ink}">${escapeXml(name)}</text>`,
    );
  });
  // Grid and y axis.
  for (let v = 0; v <= top_; v += step) {
    out.push(
      `<line x1="${left}" x2="${width - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${v === 0 ? '#9ca3af' : '#e5e7eb'}" stroke-width="1"/>`,
      `<text x="${left - 8}" y="${(y(v) + 4).toFixed(1)}" ${font} font-size="11" fill="${COLORS.muted}" text-anchor="end">${formatCount(v)}</text>`,
    );
  }
  const n = Math.max(1, days.length);
  const slot = plotW / n;
  const barW = Math.max(1, Math.min(slot * 0.72, 56));
  const labelEvery = Math.ceil(n / 12);
  days.forEach((day, i) => {
    const x = left + i * slot + (slot - barW) / 2;
    let base = 0;
    sources.forEach((s, si) => {
      const v = day.bySource[s] ?? 0;
      if (v <= 0) return;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y(base + v).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(base) - y(base + v)).toFixed(1)}" fill="${color(s, si)}"/>`,
      );
      base += v;
    });
    if (n <= 16 && base > 0)
      out.push(
        `<text x="${(x + barW / 2).toFixed(1)}" y="${(y(base) - 5).toFixed(1)}" ${font} font-size="10" fill="${COLORS.ink}" text-anchor="middle">${formatCount(base)}</text>`,
      );
    if (i % labelEvery === 0)
      out.push(
        `<text x="${(left + i * slot + slot / 2).toFixed(1)}" y="${height - bottom + 18}" ${font} font-size="11" fill="${COLORS.muted}" text-anchor="middle">${escapeXml(dayLabel(day.date))}</text>`,
      );
  });
  if (max === 0)
    out.push(
      `<text x="${left + plotW / 2}" y="${top + plotH / 2}" ${font} font-size="13" fill="${COLORS.muted}" text-anchor="middle">No audited events in this period</text>`,
    );
  out.push('</svg>');
  return out.join('\n');
}

export interface ChartAssets {
  /** `@resvg/resvg-wasm`'s `index_bg.wasm`. */
  readonly wasm: Uint8Array;
  /** DejaVu Sans (TrueType). */
  readonly fonts: readonly Uint8Array[];
}

let initialized: Promise<void> | undefined;

/** Initializes resvg's WebAssembly once per process (a failed attempt may be retried). */
function ensureWasm(wasm: Uint8Array): Promise<void> {
  initialized ??= initWasm(wasm).catch((err: unknown) => {
    initialized = undefined;
    throw err;
  });
  return initialized;
}

/** Renders an SVG to PNG at `zoom` times its size (2: sharp on high-density screens). */
export async function svgToPng(svg: string, assets: ChartAssets, zoom = 2): Promise<Uint8Array> {
  await ensureWasm(assets.wasm);
  const resvg = new Resvg(svg, {
    font: {
      fontBuffers: assets.fonts.map((f) => new Uint8Array(f)),
      loadSystemFonts: false,
      defaultFontFamily: 'DejaVu Sans',
    },
    fitTo: { mode: 'zoom', value: zoom },
    background: '#ffffff',
  });
  try {
    const rendered = resvg.render();
    try {
      return rendered.asPng();
    } finally {
      rendered.free();
    }
  } finally {
    resvg.free();
  }
}
