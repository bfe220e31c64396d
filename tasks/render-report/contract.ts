/**
 * The contract between the compliance-report workflow (`workflows/compliance-report/`) and its Lambda
 * (`tasks/render-report/`): the events the state machine sends and the results it reads. Both sides import
 * these types; the workflow's paths (`$.prepared.queries`, `$.sections`) follow them.
 *
 * The run:
 * 1. `prepare`: validates the execution input against the configuration and the clock, computes the period
 *    (`tasks/core/report-period.ts`) and plans the run: the period summary's CTAS into a table of this
 *    execution's own (`reports/summary/period-summary.sql`, the period's values rendered as validated
 *    literals, the clusters' canary users left out), its DROP, and one query item per report section and
 *    cluster selection (`reports/sections/*.sql` over that table).
 * 2. The state machine runs the CTAS (`athena:startQueryExecution.sync`), then a `Map` runs every section's
 *    query string, keeping only the query execution id; a failed query becomes a `FAILED` section instead of
 *    failing the run. The table is dropped after the render step, and on every failure path.
 * 3. `render`: reads each section's results itself (`GetQueryResults`, paginated), renders HTML and text,
 *    the chart, the MIME message; sends it with SES `SendRawEmail`; archives everything under
 *    `reports/<period>/<from>_<to>/<run id>/`.
 */
import type { ReportPeriod } from '../core/report-period';

/** The execution input, as given (docs/reports.md "Report workflow"). */
export interface ReportInput {
  readonly period?: 'daily' | 'weekly' | 'monthly';
  /** Local dates `YYYY-MM-DD`, both inclusive; instead of `period`. */
  readonly from?: string;
  readonly to?: string;
  /** IANA time zone of the period's days. @default the report settings' time zone (UTC) */
  readonly timeZone?: string;
  /** Cluster identifiers (names) to report on; a subset of the configured ones. @default all */
  readonly clusters?: readonly string[];
  /** Recipients instead of the configured ones. */
  readonly recipients?: readonly string[];
}

export interface PrepareEvent {
  readonly action: 'prepare';
  readonly input: unknown;
  /** The execution's name (`$$.Execution.Name`): part of the archive path and the MIME Message-ID. */
  readonly executionName: string;
}

/** One section's Athena query the Map runs: a query string over the run's period summary table. */
export interface QueryItem {
  /** `REPORT_QUERIES[].name`, e.g. `privilege-changes`. */
  readonly query: string;
  /** `reports/sections/<query>.sql` reading the run's summary table (one cluster's rows, or all of them). */
  readonly queryString: string;
  /** The cluster the section is about: a cluster resource id or `*`. */
  readonly cluster: string;
}

/** The run's period summary: built once by a CTAS, read by every section, dropped on every path. */
export interface SummaryPlan {
  /** The run's table, `report_summary_<execution name>_<hash>` in the events' Glue database. */
  readonly table: string;
  /** `CREATE TABLE <database>.<table> WITH (format = 'PARQUET', …) AS <period summary>`, values as literals. */
  readonly createQuery: string;
  /** `DROP TABLE IF EXISTS <database>.<table>`. */
  readonly dropQuery: string;
}

/** What the report is about, carried through the run unchanged. */
export interface ReportRequest {
  /** `daily` | `weekly` | `monthly` | `custom`. */
  readonly periodName: 'daily' | 'weekly' | 'monthly' | 'custom';
  readonly period: ReportPeriod;
  /** The selected clusters. */
  readonly clusters: readonly { readonly identifier: string; readonly resourceId: string }[];
  readonly recipients: readonly string[];
  /** `reports/<periodName>/<firstDate>_<lastDate>/<executionName>/` */
  readonly archivePrefix: string;
  readonly executionName: string;
}

export interface PrepareResult {
  readonly valid: boolean;
  /** `field: problem; …`, empty when valid. */
  readonly problem: string;
  /** Set (with placeholder values) even when invalid, so the failure notification can be written. */
  readonly request: ReportRequest;
  /** Empty strings when invalid (nothing is created). */
  readonly summary: SummaryPlan;
  readonly queries: readonly QueryItem[];
}

/** One section's outcome as the Map leaves it: only ids and error names travel, never result rows. */
export type SectionOutcome =
  | {
      readonly query: string;
      readonly cluster: string;
      readonly status: 'SUCCEEDED';
      readonly queryExecutionId: string;
    }
  | {
      readonly query: string;
      readonly cluster: string;
      readonly status: 'FAILED';
      /** The Step Functions error name, e.g. `Athena.AmazonAthenaException` or `States.TaskFailed`. */
      readonly error: string;
      readonly cause: string;
    };

export interface RenderEvent {
  readonly action: 'render';
  readonly request: ReportRequest;
  readonly sections: readonly SectionOutcome[];
}

export interface RenderResult {
  readonly subject: string;
  /** SES MessageId. */
  readonly messageId: string;
  /** S3 keys written (HTML, text, each CSV, the chart PNG, the `.eml`), in the audit bucket. */
  readonly archived: readonly string[];
  readonly failedSections: number;
  /** The headline counts that the subject states, e.g. `{ "privilege changes": 3, "tampering statements": 1 }` (statements, each once whatever number of sources saw it). */
  readonly counts: Readonly<Record<string, number>>;
}

export type ReportLambdaEvent = PrepareEvent | RenderEvent;

/** The domain of an email address, lower-cased. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** The domains a recipients override may use: those of the configured recipients. */
export function recipientDomains(configured: readonly string[]): string[] {
  return [...new Set(configured.map(domainOf))].sort();
}

/**
 * The Lambda's environment, set by the workflow construct and read by `settings.ts`
 * (`readReportSettings(process.env)`): declared once there, as the settings schema.
 */
export type { ReportLambdaEnvironment } from './settings';
