/**
 * The report email's subject: `[prefix] Aurora audit orders-db 2026-11-23–2026-11-23: 3 privilege changes,
 * 1 tampering statement`. Every figure counts statements (both sources' reports of one statement once). Only configuration (the prefix, cluster names) and counts go into it, never data from
 * events; one line, at most {@link MAX_REPORT_SUBJECT} characters.
 */
import { plural } from './model';

export const MAX_REPORT_SUBJECT = 200;

export interface SubjectInput {
  readonly prefix: string;
  /** Configured names of the clusters reported on. */
  readonly clusterNames: readonly string[];
  readonly firstDate: string;
  readonly lastDate: string;
  /** Rows of privilege-changes; null when unknown (its query failed). */
  readonly privilegeChanges: number | null;
  /** Rows (statements) of audit-tampering; null when unknown. */
  readonly tamperingEvents: number | null;
  readonly failedSections: number;
}

const oneLine = (text: string) =>
  text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/\p{Cc}/gu, '')
    .replace(/ {2,}/g, ' ')
    .trim();

/** The subject line. */
export function reportSubject(input: SubjectInput): string {
  const findings: string[] = [];
  if (input.privilegeChanges) findings.push(plural(input.privilegeChanges, 'privilege change'));
  if (input.tamperingEvents) findings.push(plural(input.tamperingEvents, 'tampering statement'));
  if (input.failedSections > 0) findings.push(`${plural(input.failedSections, 'section')} failed`);
  const tail = `${input.firstDate}–${input.lastDate}: ${findings.length > 0 ? findings.join(', ') : 'no findings'}`;
  const head = `[${oneLine(input.prefix)}] Aurora audit`;
  const names = input.clusterNames.map(oneLine).join(', ');
  const room = MAX_REPORT_SUBJECT - head.length - tail.length - 2;
  const clusters = names.length <= room ? names : plural(input.clusterNames.length, 'cluster');
  const subject = oneLine(`${head} ${clusters} ${tail}`);
  return subject.length <= MAX_REPORT_SUBJECT ? subject : `${subject.slice(0, MAX_REPORT_SUBJECT - 1)}…`;
}
