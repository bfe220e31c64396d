/**
 * The report model every renderer (HTML, text, subject) reads: the request, one section per query and
 * cluster selection (succeeded with its shown rows and row count, or failed with the error), the headline
 * figures and where the archive and the chart are. Built by the render Lambda from the Athena results; no
 * AWS client here.
 */
import type { ReportPeriod } from '../report-period';
import { formatCount } from './format';

export interface ClusterRef {
  readonly identifier: string;
  readonly resourceId: string;
}

interface SectionBase {
  /** `REPORT_QUERIES[].name`. */
  readonly query: string;
  readonly title: string;
  /** The auditor's question the section answers. */
  readonly answers: string;
  /** What the section says without rows. @default TEXTS.noRows */
  readonly noRows?: string;
  /** A cluster resource id, or `*` for every cluster. */
  readonly cluster: string;
  /** The configured name of `cluster`; null for `*` (or a resource id that is not configured). */
  readonly clusterName: string | null;
  /** `<query>[-<cluster>].csv` */
  readonly csvName: string;
}

export interface SucceededSection extends SectionBase {
  readonly status: 'SUCCEEDED';
  readonly columns: readonly string[];
  /** The rows shown (at most the setting's maximum). */
  readonly rows: readonly (readonly (string | null)[])[];
  readonly totalRows: number;
  /** The archived CSV (every row): its S3 key and a console link. */
  readonly csvKey: string;
  readonly csvUrl: string;
  /** Whether the CSV is attached to the email (else only linked). */
  readonly attached: boolean;
}

export interface FailedSection extends SectionBase {
  readonly status: 'FAILED';
  readonly error: string;
  readonly cause: string;
}

export type ReportSection = SucceededSection | FailedSection;

export interface DayActivity {
  /** Local date `YYYY-MM-DD`. */
  readonly date: string;
  /** Statements per sources that saw them (`das`, `pgaudit`, `das,pgaudit`). */
  readonly bySource: Readonly<Record<string, number>>;
}

export interface ReportModel {
  readonly prefix: string;
  readonly periodName: 'daily' | 'weekly' | 'monthly' | 'custom';
  readonly period: ReportPeriod;
  /** The clusters reported on, as configured. */
  readonly clusters: readonly ClusterRef[];
  /** Whether every configured cluster is reported on (the sections then cover all stored clusters). */
  readonly allClusters: boolean;
  readonly executionName: string;
  readonly generatedAt: Date;
  /** In catalog order, then cluster order. */
  readonly sections: readonly ReportSection[];
  /** Activity per local day of the whole selection; null when its query failed. */
  readonly activity: readonly DayActivity[] | null;
  /** The inline chart's Content-ID (without angle brackets). */
  readonly chartContentId: string;
  readonly archive: {
    readonly bucket: string;
    readonly prefix: string;
    /** Console link of the archive folder. */
    readonly url: string;
  };
}

/** A headline figure: the rows of a query's sections, or null when one of them failed. */
export function rowsOf(model: Pick<ReportModel, 'sections'>, query: string): number | null {
  let total = 0;
  let found = false;
  for (const s of model.sections) {
    if (s.query !== query) continue;
    if (s.status === 'FAILED') return null;
    total += s.totalRows;
    found = true;
  }
  return found ? total : null;
}

/** Statements in the period (from the activity per day), or null when unknown. */
export function totalEvents(model: Pick<ReportModel, 'activity'>): number | null {
  if (model.activity === null) return null;
  let total = 0;
  for (const day of model.activity) for (const n of Object.values(day.bySource)) total += n;
  return total;
}

export interface HeadlineFigure {
  readonly label: string;
  /** null: unknown (its query failed). */
  readonly value: number | null;
  /** A finding an auditor must look at when non-zero. */
  readonly finding: boolean;
}

/** The summary figures, in display order. */
export function headlineFigures(model: ReportModel): HeadlineFigure[] {
  return [
    { label: 'Audited statements', value: totalEvents(model), finding: false },
    { label: 'Privilege changes', value: rowsOf(model, 'privilege-changes'), finding: true },
    { label: 'Audit tampering', value: rowsOf(model, 'audit-tampering'), finding: true },
    { label: 'Schema changes', value: rowsOf(model, 'schema-changes'), finding: false },
    { label: 'Failures', value: rowsOf(model, 'failures'), finding: false },
    { label: 'New users and hosts', value: rowsOf(model, 'first-seen'), finding: false },
  ];
}

/** The counts the subject states (RenderResult.counts): a count is left out when its query failed. */
export function subjectCounts(model: Pick<ReportModel, 'sections'>): Record<string, number> {
  const counts: Record<string, number> = {};
  const privilege = rowsOf(model, 'privilege-changes');
  const tampering = rowsOf(model, 'audit-tampering');
  if (privilege !== null) counts['privilege changes'] = privilege;
  if (tampering !== null) counts['tampering statements'] = tampering;
  return counts;
}

/** Whether nothing at all was audited in the period (known only when the activity query succeeded). */
export function isEmptyPeriod(model: ReportModel): boolean {
  return totalEvents(model) === 0;
}

/** `1 privilege change`, `3 privilege changes`. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : pluralForm}`;
}

/** `orders-db`, `all clusters`, … : how the sections' cluster is named to a reader. */
export function sectionClusterLabel(section: Pick<ReportSection, 'cluster' | 'clusterName'>): string {
  if (section.cluster === '*') return 'all clusters';
  return section.clusterName ?? section.cluster;
}
