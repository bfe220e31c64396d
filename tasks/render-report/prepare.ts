/**
 * `prepare`: validates the execution input against the configuration and the clock and plans the Athena
 * queries. Bad input is a result (`valid: false` and every problem at once, each naming the field and the
 * bad value), never an exception: the state machine routes it to its `InvalidInput` failure.
 */
import { athenaExecutionParameters, queryParameters, REPORT_QUERIES } from '../../reports/queries';
import {
  InvalidPeriodError,
  isTimeZone,
  PERIOD_NAMES,
  type PeriodName,
  reportPeriod,
} from '../core/report-period';
import { REPORTS_PREFIX } from '../core/storage-layout';
import {
  domainOf,
  type PrepareEvent,
  type PrepareResult,
  type QueryItem,
  type ReportRequest,
  recipientDomains,
  statementNameOf,
} from './contract';
import { InvalidReportEventError } from './errors';
import { EMAIL, MAX_RECIPIENTS, type ReportSettings } from './settings';

const FIELDS = ['period', 'from', 'to', 'timeZone', 'clusters', 'recipients'] as const;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MAX_DAYS = 366;
/** Step Functions execution names: 1-80 characters, no whitespace, no `/` (it becomes an S3 key part). */
const EXECUTION_NAME = /^[^\s/\\<>{}[\]?*"#%^|~`$&,;:]{1,80}$/;

/** A bad value as the problem quotes it: JSON, cut to 60 characters. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length <= 60 ? text : `${text.slice(0, 59)}…`;
}

function isDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

/** Today's local date in a time zone. */
function today(timeZone: string, now: Date): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;

export function archivePrefixOf(
  periodName: ReportRequest['periodName'],
  period: { firstDate: string; lastDate: string },
  executionName: string,
): string {
  return `${REPORTS_PREFIX}${periodName}/${period.firstDate}_${period.lastDate}/${executionName}/`;
}

/** Validates the input and plans the queries. */
export function prepareReport(event: PrepareEvent, settings: ReportSettings, now: Date): PrepareResult {
  const executionName: unknown = event.executionName;
  if (typeof executionName !== 'string' || !EXECUTION_NAME.test(executionName))
    throw new InvalidReportEventError(
      `prepare needs the execution name ($$.Execution.Name): 1-80 characters without whitespace or /, got ${shown(executionName)}`,
    );
  const problems: string[] = [];
  const input = event.input ?? {};
  const fields: Record<string, unknown> =
    typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  if (typeof input !== 'object' || Array.isArray(input))
    problems.push(`input: must be an object with period or from and to (got ${shown(input)})`);
  for (const key of Object.keys(fields))
    if (!(FIELDS as readonly string[]).includes(key))
      problems.push(`${key}: unknown field (got ${shown(fields[key])}), known fields: ${FIELDS.join(', ')}`);

  // Time zone first: the dates are checked in it.
  let timeZone = settings.TIME_ZONE;
  if (fields.timeZone !== undefined) {
    if (typeof fields.timeZone === 'string' && isTimeZone(fields.timeZone)) timeZone = fields.timeZone;
    else
      problems.push(
        `timeZone: must be an IANA time zone like "Europe/Berlin" (got ${shown(fields.timeZone)})`,
      );
  }

  // The period.
  let periodName: PeriodName | undefined;
  let range: { from: string; to: string } | undefined;
  const { period, from, to } = fields;
  if (period !== undefined) {
    if (typeof period === 'string' && (PERIOD_NAMES as readonly string[]).includes(period))
      periodName = period as PeriodName;
    else problems.push(`period: must be one of ${PERIOD_NAMES.join(', ')} (got ${shown(period)})`);
  }
  const dateProblem = (name: 'from' | 'to', value: unknown) => {
    if (value === undefined) return false;
    if (typeof value === 'string' && isDate(value)) return false;
    problems.push(`${name}: must be a date YYYY-MM-DD (got ${shown(value)})`);
    return true;
  };
  const badFrom = dateProblem('from', from);
  const badTo = dateProblem('to', to);
  if (period !== undefined && (from !== undefined || to !== undefined))
    problems.push(
      `period: give either period or from and to, not both (got period ${shown(period)} with ${from !== undefined ? `from ${shown(from)}` : `to ${shown(to)}`})`,
    );
  else if (period === undefined) {
    if (from === undefined && to === undefined)
      problems.push('period: required: daily, weekly or monthly, or from and to (got nothing)');
    else if (from === undefined) problems.push(`from: required with to (got nothing, to is ${shown(to)})`);
    else if (to === undefined) problems.push(`to: required with from (got nothing, from is ${shown(from)})`);
    else if (!badFrom && !badTo) {
      const [f, t] = [from as string, to as string];
      const localToday = today(timeZone, now);
      if (t < f) problems.push(`to: must not be before from (got to ${shown(t)}, from ${shown(f)})`);
      else if (daysBetween(f, t) > MAX_DAYS)
        problems.push(
          `to: a report period is at most ${MAX_DAYS} days (got ${daysBetween(f, t)} days from ${f} to ${t})`,
        );
      else if (t > localToday)
        problems.push(`to: must not be after today, ${localToday} in ${timeZone} (got ${shown(t)})`);
      else range = { from: f, to: t };
    }
  }

  // Clusters.
  const configured = settings.CLUSTERS;
  let selected = configured;
  if (fields.clusters !== undefined) {
    const value = fields.clusters;
    if (!Array.isArray(value) || value.length === 0)
      problems.push(`clusters: must be a non-empty list of cluster identifiers (got ${shown(value)})`);
    else {
      const names = new Set<string>();
      value.forEach((name: unknown, i) => {
        const match = typeof name === 'string' ? configured.find((c) => c.identifier === name) : undefined;
        if (match) names.add(match.identifier);
        else
          problems.push(
            `clusters[${i}]: not a configured cluster (got ${shown(name)}), configured: ${configured.map((c) => c.identifier).join(', ')}`,
          );
      });
      if (names.size > 0) selected = configured.filter((c) => names.has(c.identifier));
    }
  }

  // Recipients.
  let recipients: readonly string[] = settings.RECIPIENTS;
  if (fields.recipients !== undefined) {
    const value = fields.recipients;
    if (!Array.isArray(value) || value.length === 0)
      problems.push(`recipients: must be a non-empty list of email addresses (got ${shown(value)})`);
    else if (value.length > MAX_RECIPIENTS)
      problems.push(
        `recipients: at most ${MAX_RECIPIENTS} addresses, SES's limit per message (got ${value.length})`,
      );
    else {
      const seen = new Map<string, string>();
      let bad = false;
      value.forEach((address: unknown, i) => {
        if (typeof address === 'string' && EMAIL.test(address)) {
          if (!seen.has(address.toLowerCase())) seen.set(address.toLowerCase(), address);
        } else {
          bad = true;
          problems.push(`recipients[${i}]: must be an email address (got ${shown(address)})`);
        }
      });
      // Only to the configured recipients' domains: whoever may start a run must not be able to send the
      // audit evidence anywhere (the Lambda's ses:Recipients condition says the same).
      const domains = recipientDomains(settings.RECIPIENTS);
      value.forEach((address: unknown, i) => {
        if (typeof address === 'string' && EMAIL.test(address) && !domains.includes(domainOf(address))) {
          bad = true;
          problems.push(
            `recipients[${i}]: ${shown(address)} is not at a domain of the configured recipients (${domains.join(', ')})`,
          );
        }
      });
      if (!bad) recipients = [...seen.values()];
    }
  }

  // The period (only when the request is valid so far; else a placeholder for the failure notice).
  let computed: ReturnType<typeof reportPeriod> | undefined;
  if (problems.length === 0) {
    try {
      computed = reportPeriod(
        periodName ? { period: periodName } : (range as { from: string; to: string }),
        timeZone,
        now,
      );
    } catch (err) {
      if (!(err instanceof InvalidPeriodError)) throw err;
      problems.push(`period: ${err.message}`);
    }
  }
  const valid = problems.length === 0 && computed !== undefined;
  const requestPeriod =
    computed ?? reportPeriod({ period: periodName ?? 'daily' }, isTimeZone(timeZone) ? timeZone : 'UTC', now);
  const requestPeriodName: ReportRequest['periodName'] =
    valid && periodName ? periodName : valid ? 'custom' : (periodName ?? 'custom');
  const request: ReportRequest = {
    periodName: requestPeriodName,
    period: requestPeriod,
    clusters: selected.map((c) => ({ identifier: c.identifier, resourceId: c.resourceId })),
    recipients,
    archivePrefix: archivePrefixOf(requestPeriodName, requestPeriod, executionName),
    executionName,
  };
  if (!valid) return { valid: false, problem: problems.join('; '), request, queries: [] };

  const all = selected.length === configured.length;
  const filters = all ? ['*'] : selected.map((c) => c.resourceId);
  const queries: QueryItem[] = REPORT_QUERIES.flatMap((query) =>
    filters.map((cluster) => ({
      query: query.name,
      statementName: statementNameOf(query.name),
      executionParameters: athenaExecutionParameters(
        queryParameters(query, requestPeriod, cluster, settings.COVERAGE_CLASSES),
      ),
      cluster,
    })),
  );
  return { valid: true, problem: '', request, queries };
}
