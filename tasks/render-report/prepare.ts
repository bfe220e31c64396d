/**
 * `prepare`: validates the execution input against the configuration and the clock and plans the Athena
 * queries. Bad input is a result (`valid: false` and every problem at once, each naming the field and the
 * bad value), never an exception: the state machine routes it to its `InvalidInput` failure.
 */
import { athenaExecutionParameters, queryParameters, REPORT_SECTIONS } from '../../reports/queries';
import { REPORTS_PREFIX } from '../core/storage-layout';
import {
  type PrepareEvent,
  type PrepareResult,
  type QueryItem,
  type ReportRequest,
  statementNameOf,
} from './contract';
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

/** Validates the input (./request.ts) and plans the queries. */
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
  if (!valid) return { valid: false, problem: check.problem, request, queries: [] };

  const all = check.clusters.length === settings.CLUSTERS.length;
  const filters = all ? ['*'] : check.clusters.map((c) => c.resourceId);
  const queries: QueryItem[] = REPORT_SECTIONS.flatMap((query) =>
    filters.map((cluster) => ({
      query: query.name,
      statementName: statementNameOf(query.name),
      executionParameters: athenaExecutionParameters(
        queryParameters(
          query,
          period,
          cluster,
          settings.COVERAGE_CLASSES,
          cluster === '*'
            ? '*'
            : (settings.CLUSTERS.find((c) => c.resourceId === cluster)?.identifier ?? cluster),
        ),
      ),
      cluster,
    })),
  );
  return { valid: true, problem: '', request, queries };
}
