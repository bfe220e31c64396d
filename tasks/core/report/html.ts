/**
 * The report as HTML for email: inline CSS, tables, no scripts, no external resources except the inline
 * chart (`cid:`). Everything that comes from data or configuration is HTML-escaped here, exactly once, at
 * the point where it is inserted; statements arrive redacted (see `result-set.ts`).
 */
import {
  COLUMN_LABELS,
  htmlSkeleton,
  MERGED_COLUMNS,
  NOWRAP_COLUMNS,
  NUMBER_COLUMNS,
  STATEMENT_COLUMNS,
  TEXTS,
  TIME_COLUMNS,
  WIDE_COLUMNS,
} from '../../../reports/templates/report';
import { CLASSES, COLORS, STYLE } from '../../../reports/templates/styles';
import {
  describeClusters,
  describePeriod,
  displayValue,
  evidenceNote,
  formatCount,
  openPeriodNote,
  periodLabel,
  shortCause,
  utcRange,
  utcTime,
} from './format';
import {
  headlineFigures,
  isEmptyPeriod,
  plural,
  type ReportModel,
  type ReportSection,
  type SucceededSection,
  sectionClusterLabel,
} from './model';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Only http(s) links are emitted (console links we build); anything else becomes inert. */
function href(url: string): string {
  return /^https:\/\//.test(url) ? escapeHtml(url) : '#';
}

function link(url: string, text: string, style: string = STYLE.link): string {
  return `<a href="${href(url)}" style="${style}">${escapeHtml(text)}</a>`;
}

function label(column: string): string {
  return COLUMN_LABELS[column.toLowerCase()] ?? column;
}

function metaTable(model: ReportModel): string {
  const rows: [string, string][] = [
    ['Clusters', escapeHtml(describeClusters(model))],
    [
      'Period',
      `${escapeHtml(`${model.period.firstDate} to ${model.period.lastDate} (${plural(model.period.days, 'day')}, ${model.period.timeZone})`)}<br><span style="${STYLE.code}">${escapeHtml(utcRange(model.period))}</span>`,
    ],
    ['Report', escapeHtml(periodLabel(model.periodName))],
    ['Generated', escapeHtml(utcTime(model.generatedAt))],
    ['Run', `<span style="${STYLE.code}">${escapeHtml(model.executionName)}</span>`],
    [
      'Archive',
      link(model.archive.url, `s3://${model.archive.bucket}/${model.archive.prefix}`, STYLE.linkPath),
    ],
  ];
  return `<table role="presentation" style="${STYLE.meta}">${rows
    .map(
      ([k, v]) =>
        `<tr><td style="${STYLE.metaKey}">${escapeHtml(k)}</td><td style="${STYLE.metaValue}">${v}</td></tr>`,
    )
    .join('')}</table>`;
}

function figures(model: ReportModel): string {
  // Inline blocks, not table cells: they wrap onto further rows on a narrow screen instead of being cut.
  const tiles = headlineFigures(model).map((f) => {
    const alarming = f.finding && f.value !== null && f.value > 0;
    const value = f.value === null ? 'n/a' : formatCount(f.value);
    return `<div class="${CLASSES.tile}" style="${alarming ? STYLE.figureFinding : STYLE.figure}"><p style="${alarming ? STYLE.figureValueFinding : STYLE.figureValue}">${escapeHtml(value)}</p><p style="${STYLE.figureLabel}">${escapeHtml(f.label)}</p></div>`;
  });
  return `<div style="${STYLE.tiles}">${tiles.join('')}</div>`;
}

function notices(model: ReportModel): string {
  const out: string[] = [];
  const failed = model.sections.filter((s) => s.status === 'FAILED');
  if (failed.length > 0)
    out.push(
      `<p style="${STYLE.noticeAlert}"><strong>${escapeHtml(plural(failed.length, 'section'))} could not be produced</strong>: ${escapeHtml(
        failed.map((s) => `${s.title} (${sectionClusterLabel(s)})`).join(', '),
      )}. The figures that depend on ${failed.length === 1 ? 'it' : 'them'} are shown as n/a; the rest of the report is complete.</p>`,
    );
  const open = openPeriodNote(model);
  if (open !== null) out.push(`<p style="${STYLE.notice}">${escapeHtml(open)}</p>`);
  if (isEmptyPeriod(model)) out.push(`<p style="${STYLE.noticeOk}">${escapeHtml(TEXTS.emptyPeriod)}</p>`);
  const linked = model.sections.filter((s): s is SucceededSection => s.status === 'SUCCEEDED' && !s.attached);
  if (linked.length > 0)
    out.push(
      `<p style="${STYLE.notice}">${escapeHtml(
        `${plural(linked.length, 'CSV file')} ${linked.length === 1 ? 'is' : 'are'} too large to attach to this email within its size limit: ${linked.map((s) => s.csvName).join(', ')}. ${linked.length === 1 ? 'It is' : 'They are'} linked in ${linked.length === 1 ? 'its section' : 'their sections'} and archived with the report.`,
      )}</p>`,
    );
  return out.join('\n');
}

function chart(model: ReportModel): string {
  const heading = `<p style="${STYLE.sectionTitle}">Activity over the period</p>`;
  if (model.activity === null)
    return `${heading}<p style="${STYLE.failed}">${escapeHtml(TEXTS.chartUnavailable)}</p>`;
  return `${heading}<img src="cid:${escapeHtml(model.chartContentId)}" alt="${escapeHtml(TEXTS.chartAlt)}" width="720" style="${STYLE.chart}">`;
}

interface DisplayColumn {
  readonly label: string;
  readonly style: string;
  readonly headStyle: string;
  readonly value: (row: readonly (string | null)[]) => string | null;
}

/** `2026-11-23T09:15:00.120Z` → `2026-11-23 09:15:00.120` (the heading says UTC). */
function compactTime(value: string): string {
  return /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(value) ? value.replace('T', ' ').slice(0, -1) : value;
}

/** The table's columns: merged where that saves width, statements on their own line. */
function layout(
  section: SucceededSection,
  model: ReportModel,
): { columns: DisplayColumn[]; wide: DisplayColumn[] } {
  const names = section.columns.map((c) => c.toLowerCase());
  const at = (name: string) => names.indexOf(name);
  const shown = (name: string, row: readonly (string | null)[]) => {
    const i = at(name);
    return i < 0 ? null : displayValue(name, row[i] ?? null, model.clusters);
  };
  const oneCluster = section.cluster !== '*' || model.clusters.length === 1;
  const used = new Set<string>();
  const columns: DisplayColumn[] = [];
  const wideNames = new Set(WIDE_COLUMNS.map((w) => w.column));
  for (const name of names) {
    if (used.has(name)) continue;
    used.add(name);
    if (wideNames.has(name) || (name === 'cluster' && oneCluster)) continue;
    const merged = MERGED_COLUMNS.find((m) => m.columns.includes(name));
    if (merged?.columns.every((c) => at(c) >= 0)) {
      for (const c of merged.columns) used.add(c);
      columns.push({
        label: merged.label,
        style: STYLE.td,
        headStyle: STYLE.th,
        value: (row) => {
          const parts = merged.columns
            .map((c) => shown(c, row))
            .filter((v): v is string => v !== null && v !== '');
          return parts.length === 0 ? null : parts.join(merged.separator);
        },
      });
      continue;
    }
    const number = NUMBER_COLUMNS.has(name);
    const time = TIME_COLUMNS.has(name);
    columns.push({
      label: label(name),
      style: number
        ? STYLE.tdNumber
        : time
          ? STYLE.tdTime
          : STATEMENT_COLUMNS.has(name)
            ? STYLE.tdStatement
            : NOWRAP_COLUMNS.has(name)
              ? STYLE.tdNowrap
              : STYLE.td,
      headStyle: number ? STYLE.thNumber : STYLE.th,
      value: (row) => {
        const v = shown(name, row);
        return v !== null && time ? compactTime(v) : v;
      },
    });
  }
  const wide = WIDE_COLUMNS.filter((w) => at(w.column) >= 0).map((w) => ({
    label: w.label,
    style: STYLE.tdStatement,
    headStyle: STYLE.th,
    value: (row: readonly (string | null)[]) => shown(w.column, row),
  }));
  return { columns, wide };
}

function table(section: SucceededSection, model: ReportModel): string {
  const { columns, wide } = layout(section, model);
  const head = columns.map((c) => `<th style="${c.headStyle}">${escapeHtml(c.label)}</th>`).join('');
  const body = section.rows
    .map((row, i) => {
      const shade = i % 2 === 1 ? ` style="background:${COLORS.zebra}"` : '';
      const main = `<tr${shade}>${columns
        .map((c) => {
          const v = c.value(row);
          const last = wide.some((w) => w.value(row) !== null) ? STYLE.cellJoined : '';
          return `<td style="${c.style}${last}">${v === null ? `<span style="${STYLE.null}">—</span>` : escapeHtml(v)}</td>`;
        })
        .join('')}</tr>`;
      const lines = wide
        .map((w) => ({ w, v: w.value(row) }))
        .filter(({ v }) => v !== null)
        .map(
          ({ w, v }) =>
            `<tr${shade}><td colspan="${columns.length}" style="${STYLE.tdWide}"><span style="${STYLE.wideLabel}">${escapeHtml(w.label)}</span> ${escapeHtml(v as string)}</td></tr>`,
        );
      return [main, ...lines].join('\n');
    })
    .join('\n');
  return `<div style="${STYLE.tableBox}"><table class="${CLASSES.table}" style="${STYLE.table}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function section(s: ReportSection, model: ReportModel): string {
  const title = `<p style="${STYLE.sectionTitle}">${escapeHtml(s.title)} <span style="${STYLE.sectionCluster}">— ${escapeHtml(sectionClusterLabel(s))}</span></p><p style="${STYLE.sectionQuestion}">${escapeHtml(s.answers)}</p>`;
  if (s.status === 'FAILED')
    return `${title}<p style="${STYLE.failed}"><strong>${escapeHtml(TEXTS.failedIntro)}</strong><br>Error: <span style="${STYLE.code}">${escapeHtml(s.error)}</span><br>Cause: ${escapeHtml(shortCause(s.cause))}</p>`;
  if (s.totalRows === 0)
    return `${title}<p style="${STYLE.none}">${escapeHtml(s.noRows ?? TEXTS.noRows)}</p>`;
  const evidence = `${link(s.csvUrl, s.csvName)}${s.attached ? ' (attached)' : ' (archived, not attached)'}`;
  const count =
    s.rows.length < s.totalRows
      ? `${escapeHtml(plural(s.totalRows, 'row'))}, the first ${escapeHtml(formatCount(s.rows.length))} shown.`
      : `${escapeHtml(plural(s.totalRows, 'row'))}.`;
  const more =
    s.rows.length < s.totalRows
      ? `<p style="${STYLE.more}"><strong>… and ${escapeHtml(formatCount(s.totalRows - s.rows.length))} more</strong>: every row is in ${evidence}.</p>`
      : `<p style="${STYLE.more}">Evidence: ${evidence}.</p>`;
  return `${title}<p style="${STYLE.sectionCount}">${count}</p>${table(s, model)}${more}`;
}

function footer(model: ReportModel): string {
  return [
    `<p style="${STYLE.footerP}">${escapeHtml(TEXTS.redaction)}</p>`,
    `<p style="${STYLE.footerP}">${escapeHtml(evidenceNote(model))}</p>`,
    `<p style="${STYLE.footerP}">Generated by aurora-audit, run <span style="${STYLE.code}">${escapeHtml(model.executionName)}</span>, ${escapeHtml(utcTime(model.generatedAt))}. Archive: ${link(model.archive.url, `s3://${model.archive.bucket}/${model.archive.prefix}`, STYLE.linkPath)}</p>`,
  ].join('\n');
}

/** The HTML body of the report email (and of the archived `report.html`). */
export function renderHtml(model: ReportModel): string {
  const period = describePeriod(model.periodName, model.period);
  const clusters = model.clusters.map((c) => c.identifier).join(', ');
  const findings = headlineFigures(model)
    .filter((f) => f.finding)
    .map((f) => `${f.label}: ${f.value === null ? 'n/a' : formatCount(f.value)}`)
    .join(', ');
  return htmlSkeleton({
    title: escapeHtml(`Aurora audit report ${clusters} ${model.period.firstDate}–${model.period.lastDate}`),
    preheader: escapeHtml(`${period}, ${clusters}. ${findings}.`),
    subtitle: escapeHtml(`${periodLabel(model.periodName)} report · ${period} · ${clusters}`),
    meta: metaTable(model),
    body: [
      figures(model),
      notices(model),
      chart(model),
      ...model.sections.map((s) => section(s, model)),
    ].join('\n'),
    footer: footer(model),
  });
}
