/**
 * The compliance report queries: `.sql` files beside this module, parameterized with Athena execution
 * parameters (`?`), each restricted to the period through the `day` partition (and `cluster` unless `'*'`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportPeriod } from '../../tasks/core/report-period';

export interface ReportQuery {
  readonly name: string;
  readonly title: string;
  /** The auditor's question it answers. */
  readonly answers: string;
  /** `period`: first day, last day, cluster, cluster, start, end; `comparison`: previous period too. */
  readonly parameters: 'period' | 'comparison';
}

export const REPORT_QUERIES: readonly ReportQuery[] = [
  {
    name: 'activity-by-class',
    title: 'Activity by class and source',
    answers: 'How much of each kind of statement did each audit source report?',
    parameters: 'period',
  },
  {
    name: 'privilege-changes',
    title: 'Privilege changes',
    answers: 'Who granted, revoked or changed roles, when, from where, with which statement?',
    parameters: 'period',
  },
  {
    name: 'schema-changes',
    title: 'Schema changes',
    answers: 'Which objects were created, altered or dropped, and by whom?',
    parameters: 'period',
  },
  {
    name: 'top-users',
    title: 'Top users',
    answers: 'Who did the most, from how many hosts?',
    parameters: 'period',
  },
  {
    name: 'top-hosts',
    title: 'Top client hosts',
    answers: 'Where did the activity come from?',
    parameters: 'period',
  },
  {
    name: 'failures',
    title: 'Failed statements and logins',
    answers: 'What failed, and who failed to log in?',
    parameters: 'period',
  },
  {
    name: 'audit-tampering',
    title: 'Audit-configuration tampering',
    answers: 'Did anyone try to change or switch off auditing?',
    parameters: 'period',
  },
  {
    name: 'activity-per-day',
    title: 'Activity per day',
    answers: 'How did activity develop over the period?',
    parameters: 'period',
  },
  {
    name: 'first-seen',
    title: 'New users and hosts',
    answers: 'Which users and hosts appeared for the first time compared with the previous period?',
    parameters: 'comparison',
  },
];

const read = (file: string) => readFileSync(join(__dirname, file), 'utf8');

/**
 * The SQL text to run: period queries are `period-events.sql` (the deduplicated events of the period, the
 * only place the period predicates are written) followed by the query's own file.
 */
export function querySql(name: string): string {
  const query = REPORT_QUERIES.find((q) => q.name === name);
  if (!query) throw new Error(`no report query named ${JSON.stringify(name)}`);
  return query.parameters === 'period'
    ? `${read('period-events.sql')}${read(`${name}.sql`)}`
    : read(`${name}.sql`);
}

/** The execution parameters of a query for a period and a cluster (a resource id, or `*` for all). */
export function queryParameters(query: ReportQuery, period: ReportPeriod, cluster: string): string[] {
  if (query.parameters === 'comparison') {
    return [
      period.previous.fromDay,
      period.toDay,
      cluster,
      cluster,
      period.previous.start,
      period.start,
      period.end,
    ];
  }
  return [period.fromDay, period.toDay, cluster, cluster, period.start, period.end];
}
