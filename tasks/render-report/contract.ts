/**
 * The contract between the compliance-report workflow (`workflows/compliance-report/`) and its Lambda
 * (`tasks/render-report/`): the events the state machine sends and the results it reads. Both sides import
 * these types; the workflow's paths (`$.prepared.queries`, `$.sections`) follow them.
 *
 * The run:
 * 1. `prepare`: validates the execution input against the configuration and the clock, computes the period
 *    (`tasks/core/report-period.ts`) and returns one query item per report query and cluster selection,
 *    each with its Athena prepared-statement name and execution parameters (SQL literals).
 * 2. The state machine's `Map` runs every item with `athena:startQueryExecution.sync`
 *    (`QueryString: EXECUTE <statementName>`, `ExecutionParameters`), keeping only the query execution id;
 *    a failed query becomes a `FAILED` section instead of failing the run.
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

/** One Athena query the Map runs. */
export interface QueryItem {
  /** `REPORT_QUERIES[].name`, e.g. `privilege-changes`. */
  readonly query: string;
  /** The Athena prepared statement holding the query's SQL file (see the workflow construct). */
  readonly statementName: string;
  /** `athenaExecutionParameters(queryParameters(...))`: SQL literals in placeholder order. */
  readonly executionParameters: readonly string[];
  /** The cluster filter the parameters hold: a cluster resource id or `*`. */
  readonly cluster: string;
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

/** The Athena prepared statement name of a report query (`privilege-changes` → `privilege_changes`). */
export function statementNameOf(query: string): string {
  return query.replace(/-/g, '_');
}

/**
 * The Lambda's environment, set by the workflow construct and read by `settings.ts`
 * (`readReportSettings(process.env)`): declared once there, as the settings schema.
 */
export type { ReportLambdaEnvironment } from './settings';
