/**
 * `prepare`: validates the execution input against the configuration and the clock and plans the Athena
 * queries. Bad input is a result (`valid: false` and every problem at once, each naming the field and the
 * bad value), never an exception: the state machine routes it to its `InvalidInput` failure.
 */
import {
  CONTROL_EVIDENCE_QUERY,
  controlEvidenceQueryString,
  periodSummaryCtas,
  periodSummaryDrop,
  periodSummaryParameters,
  REPORT_QUERIES,
  sectionQueryString,
  summaryTableName,
} from '../../reports/queries';
import { REPORTS_PREFIX } from '../core/storage-layout';
import type { PrepareEvent, PrepareResult, QueryItem, ReportRequest } from './contract';
import { InvalidReportEventError } from './errors';
import { reportRequestRules, shown, validateReportRequest } from './request';
import type { ReportSettings } from './settings';

/** Step Functions execution names: 1-80 characters, no whitespace, no `/` (it becomes an S3 key part). */
const EXECUTION_NAME = /^[^\s/\\<>{}[\]?*"#%^|~`$&,;:]{1,80}$/;

export function archivePrefixOf(
  periodName: ReportRequest['periodName'],
  period: { firstDate: string; lastDate: string },
  executionName: string,
): string {
  return `${REPORTS_PREFIX}${periodName}/${period.firstDate}_${period.lastDate}/${executionName}/`;
}

/** Validates the input (./request.ts) and plans the run: the period summary, its sections, its drop. */
export function prepareReport(event: PrepareEvent, settings: ReportSettings, now: Date): PrepareResult {
  const executionName: unknown = event.executionName;
  if (typeof executionName !== 'string' || !EXECUTION_NAME.test(executionName))
    throw new InvalidReportEventError(
      `prepare needs the execution name ($$.Execution.Name): 1-80 characters without whitespace or /, got ${shown(executionName)}`,
    );
  const check = validateReportRequest(event.input, reportRequestRules(settings), now);
  const { valid, periodName, period } = check;
  const request: ReportRequest = {
    periodName,
    period,
    clusters: check.clusters,
    recipients: check.recipients,
    archivePrefix: archivePrefixOf(periodName, period, executionName),
    executionName,
  };
  if (!valid)
    return {
      valid: false,
      problem: check.problem,
      request,
      summary: { table: '', createQuery: '', dropQuery: '' },
      queries: [],
    };

  const all = check.clusters.length === settings.CLUSTERS.length;
  const filters = all ? ['*'] : check.clusters.map((c) => c.resourceId);
  // The canary users of the report's clusters: their canary statements are proof, not activity.
  const canaryUsers = Object.fromEntries(
    settings.CLUSTERS.flatMap((c) =>
      c.canaryUser && filters.some((f) => f === '*' || f === c.resourceId)
        ? [[c.resourceId, c.canaryUser]]
        : [],
    ),
  );
  const table = summaryTableName(executionName);
  const summary = {
    table,
    createQuery: periodSummaryCtas(
      settings.EVENTS_TABLE,
      table,
      periodSummaryParameters(period, filters, canaryUsers, settings.COVERAGE_CLASSES),
    ),
    dropQuery: periodSummaryDrop(settings.EVENTS_TABLE, table),
  };
  const queries: QueryItem[] = REPORT_QUERIES.flatMap((query) =>
    filters.map((cluster) => ({
      query: query.name,
      queryString: sectionQueryString(query.name, settings.EVENTS_TABLE, table, cluster),
      cluster,
    })),
  );
  // The Control evidence section reads the canary's run records (not the summary): one query per filter.
  const evidence: QueryItem[] = filters.map((cluster) => ({
    query: CONTROL_EVIDENCE_QUERY.name,
    queryString: controlEvidenceQueryString(
      settings.EVENTS_TABLE,
      period,
      cluster === '*'
        ? '*'
        : (settings.CLUSTERS.find((c) => c.resourceId === cluster)?.identifier ?? cluster),
    ),
    cluster,
  }));
  return { valid: true, problem: '', request, summary, queries: [...queries, ...evidence] };
}
