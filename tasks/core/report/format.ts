/** Formatting shared by the HTML and text renderers, the chart and the subject: counts, dates, periods, cells. */
import { NUMBER_COLUMNS, SOURCE_LABELS, TEXTS } from '../../../reports/templates/report';
import type { ReportPeriod } from '../report-period';
import type { ClusterRef, ReportModel, ReportSection } from './model';

const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0, useGrouping: true });

/**
 * The one number format of the report (tiles, tables, text, chart, subject): `1,527`. A count shown
 * anywhere goes through here, so that the same figure never reads `1,527` in one place and `1519` in
 * another. The CSV evidence keeps the stored value.
 */
export function formatCount(n: number): string {
  return COUNT.format(n);
}

const INTEGER = /^-?\d+$/;

const DAY = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});
const SHORT = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});
const MONTH = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', month: 'long', year: 'numeric' });

const noon = (date: string) => new Date(`${date}T12:00:00Z`);

/** `Monday, 23 November 2026`, `16 November 2026 – 22 November 2026`, `November 2026`. */
export function describePeriod(periodName: ReportModel['periodName'], period: ReportPeriod): string {
  if (period.days === 1) return DAY.format(noon(period.firstDate));
  if (periodName === 'monthly') return MONTH.format(noon(period.firstDate));
  return `${SHORT.format(noon(period.firstDate))} – ${SHORT.format(noon(period.lastDate))}`;
}

/** `2026-11-24 07:00:12 UTC` */
export function utcTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `2026-11-22 23:00 UTC – 2026-11-23 23:00 UTC` */
export function utcRange(period: Pick<ReportPeriod, 'start' | 'end'>): string {
  const short = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  return `${short(period.start)} – ${short(period.end)}`;
}

const PERIOD_LABELS: Readonly<Record<ReportModel['periodName'], string>> = {
  daily: 'Daily',
  weekly: 'Weekly',
  monthly: 'Monthly',
  custom: 'Custom period',
};
export const periodLabel = (name: ReportModel['periodName']) => PERIOD_LABELS[name];

/** `orders-db (cluster-ABC…)`, or every configured name for all clusters. */
export function describeClusters(model: Pick<ReportModel, 'clusters' | 'allClusters'>): string {
  const names = model.clusters.map((c) => c.identifier).join(', ');
  return model.allClusters ? `${names} (all configured clusters)` : names;
}

/** A cell as a reader sees it (the CSV keeps the stored value): cluster names, source names, counts. */
export function displayValue(
  column: string,
  value: string | null,
  clusters: readonly ClusterRef[],
): string | null {
  if (value === null) return null;
  if (column === 'cluster') return clusters.find((c) => c.resourceId === value)?.identifier ?? value;
  if (column === 'source' || column === 'sources') return SOURCE_LABELS[value] ?? value;
  if (NUMBER_COLUMNS.has(column) && INTEGER.test(value) && Number.isSafeInteger(Number(value)))
    return formatCount(Number(value));
  return value;
}

/** An error's cause cut to a readable length, on one line. */
export function shortCause(cause: string, max = 300): string {
  const line = cause.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** Whether a section's table shows fewer rows than its query returned (the CSV still holds them all). */
export function isCut(section: ReportSection): boolean {
  return section.status === 'SUCCEEDED' && section.rows.length < section.totalRows;
}

/** The footer's evidence note: "the first rows only" is said only when some table was actually cut. */
export function evidenceNote(model: Pick<ReportModel, 'sections'>): string {
  return model.sections.some(isCut) ? `${TEXTS.evidence} ${TEXTS.cutTables}` : TEXTS.evidence;
}

/**
 * Said when the report was generated before its period ended (a custom period ending today): the figures
 * cover what was stored until then, not the whole period.
 */
export function openPeriodNote(model: Pick<ReportModel, 'generatedAt' | 'period'>): string | null {
  if (model.generatedAt.getTime() >= Date.parse(model.period.end)) return null;
  return `This period is not over yet: the report covers what was stored until ${utcTime(model.generatedAt)}.`;
}
