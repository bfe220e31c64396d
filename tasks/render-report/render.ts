/**
 * The report Lambda's logic: `prepare` (./prepare.ts) and `render`, behind one factory so that the handler,
 * the tests and the workflow's scenario tests run the same code with their own clients.
 *
 * `render`, in this order, so that nothing is lost and an email never points at a missing archive:
 * 1. read every SUCCEEDED section's results (`GetQueryResults`, all pages; the rows shown are bounded, every
 *    row goes into the section's CSV); a FAILED section is rendered as failed, never breaks the report;
 * 2. render the chart, HTML, text and the MIME message (CSV attachments within the email size budget, the
 *    others linked);
 * 3. archive everything under the request's `archivePrefix` (CSVs, chart, `report.html`, `report.txt`, and
 *    last `report.eml`, the exact message); a failed write throws `ReportArchiveError` and nothing is sent;
 * 4. send the message with SES `SendRawEmail`; a failure throws `ReportSendError` with the archive complete
 *    (a retry rewrites the same keys and sends again).
 */
import {
  type AthenaClient,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
} from '@aws-sdk/client-athena';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { REPORT_SECTIONS, reportQuery } from '../../reports/queries';
import { createRedactor, type Redactor } from '../core/redact';
import { activityChartSvg, activityPerDay, svgToPng } from '../core/report/chart';
import { renderHtml } from '../core/report/html';
import { base64Size, buildMimeMessage, type MimeAttachment } from '../core/report/mime';
import {
  type DayActivity,
  type ReportModel,
  type ReportSection,
  rowsOf,
  type SucceededSection,
  subjectCounts,
} from '../core/report/model';
import { type CollectedSection, SectionCollector } from '../core/report/result-set';
import { reportSubject } from '../core/report/subject';
import { renderText } from '../core/report/text';
import { REPORTS_PREFIX } from '../core/storage-layout';
import { loadReportAssets } from './assets';
import type {
  PrepareResult,
  RenderEvent,
  RenderResult,
  ReportLambdaEvent,
  ReportRequest,
  SectionOutcome,
} from './contract';
import {
  InvalidReportEventError,
  ReportArchiveError,
  ReportQueryResultsError,
  ReportRenderError,
  ReportSendError,
} from './errors';
import { prepareReport } from './prepare';
import { EMAIL, MAX_RECIPIENTS, type ReportSettings } from './settings';

export interface ReportDeps {
  readonly athena: AthenaClient;
  readonly s3: S3Client;
  readonly ses: SESClient;
  readonly clock?: () => Date;
}

/** Rows per `GetQueryResults` page (Athena's maximum). */
export const RESULTS_PAGE_SIZE = 1000;
/** At most this many CSV files are attached (SES allows 500 MIME parts per message). */
export const MAX_ATTACHMENTS = 100;
/** The archive writes at most this many objects at once. */
const ARCHIVE_CONCURRENCY = 8;
/** Room left in the size budget for what the attachment choice changes in the text (a few words each). */
const BUDGET_MARGIN = 16 * 1024;

export const ARCHIVE_FILES = {
  html: 'report.html',
  text: 'report.txt',
  chart: 'activity-per-day.png',
  eml: 'report.eml',
} as const;
export const CHART_CONTENT_ID = 'activity-per-day.png@aurora-audit';

const CSV_TYPE = 'text/csv; charset=utf-8; header=present';

function consoleHost(region: string | undefined): string {
  return region ? `https://${region}.console.aws.amazon.com` : 'https://console.aws.amazon.com';
}

/** The S3 console link of an archived object. */
export function s3ObjectUrl(bucket: string, key: string, region?: string): string {
  const r = region ? `region=${encodeURIComponent(region)}&` : '';
  return `${consoleHost(region)}/s3/object/${encodeURIComponent(bucket)}?${r}prefix=${encodeURIComponent(key)}`;
}

/** The S3 console link of an archive folder. */
export function s3FolderUrl(bucket: string, prefix: string, region?: string): string {
  const r = region ? `region=${encodeURIComponent(region)}&` : '';
  return `${consoleHost(region)}/s3/buckets/${encodeURIComponent(bucket)}?${r}prefix=${encodeURIComponent(prefix)}&showversions=false`;
}

/** `<query>.csv` for all clusters, `<query>-<cluster name>.csv` for one. */
export function csvNameOf(query: string, clusterName: string | null, cluster: string): string {
  if (cluster === '*') return `${query}.csv`;
  return `${query}-${(clusterName ?? cluster).replace(/[^A-Za-z0-9._-]/g, '_')}.csv`;
}

function checkRequest(request: unknown): ReportRequest {
  const r = request as Partial<ReportRequest> | undefined;
  const problems: string[] = [];
  if (!r || typeof r !== 'object') throw new InvalidReportEventError('render needs the prepared request');
  if (
    typeof r.archivePrefix !== 'string' ||
    !r.archivePrefix.startsWith(REPORTS_PREFIX) ||
    !r.archivePrefix.endsWith('/') ||
    r.archivePrefix.includes('..')
  )
    problems.push(`archivePrefix must be ${REPORTS_PREFIX}…/ (got ${JSON.stringify(r.archivePrefix)})`);
  if (
    !Array.isArray(r.recipients) ||
    r.recipients.length === 0 ||
    r.recipients.length > MAX_RECIPIENTS ||
    !r.recipients.every((a) => typeof a === 'string' && EMAIL.test(a))
  )
    problems.push(`recipients must be 1 to ${MAX_RECIPIENTS} email addresses`);
  if (!Array.isArray(r.clusters) || r.clusters.length === 0)
    problems.push('clusters must be a non-empty list');
  if (!r.period || typeof r.period.firstDate !== 'string' || typeof r.period.timeZone !== 'string')
    problems.push('period must be a report period');
  if (typeof r.executionName !== 'string' || r.executionName === '')
    problems.push('executionName is required');
  if (problems.length > 0)
    throw new InvalidReportEventError(`invalid render request: ${problems.join('; ')}`);
  return r as ReportRequest;
}

function checkSections(sections: unknown): SectionOutcome[] {
  if (!Array.isArray(sections) || sections.length === 0)
    throw new InvalidReportEventError('render needs the sections the Map produced');
  return sections.map((s: Partial<Record<string, unknown>>, i) => {
    const where = `sections[${i}]`;
    if (typeof s?.query !== 'string' || !REPORT_SECTIONS.some((q) => q.name === s.query))
      throw new InvalidReportEventError(
        `${where}.query: not a report query (got ${JSON.stringify(s?.query)})`,
      );
    if (typeof s.cluster !== 'string') throw new InvalidReportEventError(`${where}.cluster is required`);
    if (s.status === 'SUCCEEDED') {
      if (typeof s.queryExecutionId !== 'string' || s.queryExecutionId === '')
        throw new InvalidReportEventError(`${where}.queryExecutionId is required when SUCCEEDED`);
      return {
        query: s.query,
        cluster: s.cluster,
        status: 'SUCCEEDED',
        queryExecutionId: s.queryExecutionId,
      };
    }
    if (s.status === 'FAILED')
      return {
        query: s.query,
        cluster: s.cluster,
        status: 'FAILED',
        error: typeof s.error === 'string' && s.error ? s.error : 'UnknownError',
        cause: typeof s.cause === 'string' ? s.cause : JSON.stringify(s.cause ?? ''),
      };
    throw new InvalidReportEventError(
      `${where}.status must be SUCCEEDED or FAILED (got ${JSON.stringify(s.status)})`,
    );
  });
}

/** Reads every page of one query's results into a section (rows bounded, CSV complete). */
export async function readResults(
  athena: AthenaClient,
  queryExecutionId: string,
  maxRows: number,
  redact: Redactor,
  onRow?: (values: readonly (string | null)[], columns: readonly string[]) => void,
): Promise<CollectedSection> {
  const collector = new SectionCollector(maxRows, redact, onRow);
  let token: string | undefined;
  let pages = 0;
  do {
    let page: GetQueryResultsCommandOutput;
    try {
      page = await athena.send(
        new GetQueryResultsCommand({
          QueryExecutionId: queryExecutionId,
          NextToken: token,
          MaxResults: RESULTS_PAGE_SIZE,
        }),
      );
    } catch (err) {
      throw new ReportQueryResultsError(`GetQueryResults ${queryExecutionId} (page ${pages + 1})`, err);
    }
    try {
      collector.addPage(page.ResultSet ?? {});
    } catch (err) {
      throw new ReportQueryResultsError(`results of ${queryExecutionId} (page ${pages + 1})`, err);
    }
    pages += 1;
    const next = page.NextToken;
    if (next !== undefined && next === token)
      throw new ReportQueryResultsError(`results of ${queryExecutionId}`, new Error('NextToken repeated'));
    token = next;
  } while (token);
  return collector.result();
}

const catalogIndex = (query: string) => REPORT_SECTIONS.findIndex((q) => q.name === query);

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

export interface ArchiveObject {
  readonly key: string;
  readonly body: Uint8Array | string;
  readonly contentType: string;
}

/** Reads a succeeded section's rows (every row to `onRow`, redacted) into a collected section. */
export type SectionReader = (
  queryExecutionId: string,
  onRow?: (values: readonly (string | null)[], columns: readonly string[]) => void,
) => Promise<CollectedSection>;

/** A rendered report: the message and every file of its archive, nothing written or sent yet. */
export interface ComposedReport {
  readonly subject: string;
  /** The archive's files but the `.eml` (CSVs, chart, `report.html`, `report.txt`), keys under the prefix. */
  readonly objects: readonly ArchiveObject[];
  /** `report.eml`: the exact message, archived last. */
  readonly eml: ArchiveObject;
  readonly failedSections: number;
  readonly counts: Readonly<Record<string, number>>;
}

/**
 * Steps 1 and 2 of {@link render}: reads the sections' results with `read`, renders the chart, HTML, text
 * and the MIME message. Pure but for `read`: the CLI's preview runs it on its own results.
 */
export async function composeReport(
  request: ReportRequest,
  outcomes: readonly SectionOutcome[],
  settings: ReportSettings,
  read: SectionReader,
  clock: () => Date,
): Promise<ComposedReport> {
  const region = settings.AWS_REGION;
  const bucket = settings.BUCKET;
  const order = (cluster: string) =>
    cluster === '*'
      ? -1
      : ((i) => (i < 0 ? Number.MAX_SAFE_INTEGER : i))(
          request.clusters.findIndex((c) => c.resourceId === cluster),
        );
  const sorted = [...outcomes].sort(
    (a, b) => catalogIndex(a.query) - catalogIndex(b.query) || order(a.cluster) - order(b.cluster),
  );

  // 1. Results.
  const activityRows: (readonly (string | null)[])[] = [];
  let activityColumns: readonly string[] = [];
  const csvs = new Map<string, Buffer>();
  const sections: ReportSection[] = [];
  for (const outcome of sorted) {
    const query = reportQuery(outcome.query);
    const clusterName =
      outcome.cluster === '*'
        ? null
        : (settings.CLUSTERS.find((c) => c.resourceId === outcome.cluster)?.identifier ?? null);
    const csvName = csvNameOf(query.name, clusterName, outcome.cluster);
    const base = {
      query: query.name,
      title: query.title,
      answers: query.answers,
      ...(query.noRows ? { noRows: query.noRows } : {}),
      cluster: outcome.cluster,
      clusterName,
      csvName,
    };
    if (outcome.status === 'FAILED') {
      sections.push({ ...base, status: 'FAILED', error: outcome.error, cause: outcome.cause });
      continue;
    }
    const onRow =
      query.name === 'activity-per-day'
        ? (values: readonly (string | null)[], columns: readonly string[]) => {
            activityColumns = columns;
            activityRows.push(values);
          }
        : undefined;
    const collected = await read(outcome.queryExecutionId, onRow);
    const csvKey = `${request.archivePrefix}${csvName}`;
    if (csvs.has(csvKey)) throw new InvalidReportEventError(`two sections for ${csvName}`);
    csvs.set(csvKey, collected.csv);
    sections.push({
      ...base,
      status: 'SUCCEEDED',
      columns: collected.columns,
      rows: collected.rows,
      totalRows: collected.totalRows,
      csvKey,
      csvUrl: s3ObjectUrl(bucket, csvKey, region),
      attached: true,
    });
  }

  // 2. Chart, HTML, text, message.
  const activitySections = sections.filter((s) => s.query === 'activity-per-day');
  const activity: DayActivity[] | null =
    activitySections.length > 0 && activitySections.every((s) => s.status === 'SUCCEEDED')
      ? activityPerDay(activityColumns, activityRows, request.period)
      : null;
  let png: Uint8Array | null = null;
  if (activity !== null) {
    try {
      png = await svgToPng(
        activityChartSvg(activity, { timeZone: request.period.timeZone }),
        loadReportAssets(),
      );
    } catch (err) {
      throw new ReportRenderError(`the activity chart could not be rendered: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const generatedAt = clock();
  const allClusters =
    request.clusters.length === settings.CLUSTERS.length &&
    settings.CLUSTERS.every((c) => request.clusters.some((r) => r.resourceId === c.resourceId));
  const failedSections = sections.filter((s) => s.status === 'FAILED').length;
  const subject = reportSubject({
    prefix: settings.SUBJECT_PREFIX,
    clusterNames: request.clusters.map((c) => c.identifier),
    firstDate: request.period.firstDate,
    lastDate: request.period.lastDate,
    privilegeChanges: rowsOf({ sections }, 'privilege-changes'),
    tamperingEvents: rowsOf({ sections }, 'audit-tampering'),
    failedSections,
  });
  const senderDomain = settings.SENDER.slice(settings.SENDER.lastIndexOf('@') + 1);
  const messageId = `report.${request.executionName.replace(/[^A-Za-z0-9._-]/g, '_')}@${senderDomain}`;
  const inline = png
    ? [{ filename: ARCHIVE_FILES.chart, contentType: 'image/png', contentId: CHART_CONTENT_ID, content: png }]
    : [];

  const compose = (attach: ReadonlySet<string>) => {
    const model: ReportModel = {
      prefix: settings.SUBJECT_PREFIX,
      periodName: request.periodName,
      period: request.period,
      clusters: request.clusters,
      allClusters,
      executionName: request.executionName,
      generatedAt,
      sections: sections.map((s) =>
        s.status === 'SUCCEEDED' ? { ...s, attached: attach.has(s.csvKey) } : s,
      ),
      activity,
      chartContentId: CHART_CONTENT_ID,
      archive: {
        bucket,
        prefix: request.archivePrefix,
        url: s3FolderUrl(bucket, request.archivePrefix, region),
      },
    };
    const html = renderHtml(model);
    const text = renderText(model);
    const attachments: MimeAttachment[] = model.sections
      .filter((s): s is SucceededSection => s.status === 'SUCCEEDED' && s.attached)
      .map((s) => ({ filename: s.csvName, contentType: CSV_TYPE, content: csvs.get(s.csvKey) as Buffer }));
    const raw = buildMimeMessage({
      from: { name: settings.SUBJECT_PREFIX, address: settings.SENDER },
      to: request.recipients,
      subject,
      date: generatedAt,
      messageId,
      text,
      html,
      inline,
      attachments,
      headers: { 'X-Aurora-Audit-Report': request.executionName },
    });
    return { html, text, raw };
  };

  // Attach the CSVs (one per succeeded section, in section order) that fit in the budget; link the others.
  const candidates = sections.filter((s): s is SucceededSection => s.status === 'SUCCEEDED');
  const withoutAttachments = compose(new Set()).raw.length;
  const attach = new Set<string>();
  let size = withoutAttachments + BUDGET_MARGIN;
  for (const s of candidates) {
    const cost = base64Size((csvs.get(s.csvKey) as Buffer).length) + 400;
    if (attach.size < MAX_ATTACHMENTS && size + cost <= settings.MAX_EMAIL_BYTES) {
      attach.add(s.csvKey);
      size += cost;
    }
  }
  let message = compose(attach);
  while (message.raw.length > settings.MAX_EMAIL_BYTES && attach.size > 0) {
    attach.delete([...attach].pop() as string);
    message = compose(attach);
  }

  // The archive's files (the chart referenced by file name in the archived HTML; the .eml is the exact message).
  const objects: ArchiveObject[] = [
    ...[...csvs].map(([key, body]) => ({ key, body: new Uint8Array(body), contentType: CSV_TYPE })),
    ...(png
      ? [{ key: `${request.archivePrefix}${ARCHIVE_FILES.chart}`, body: png, contentType: 'image/png' }]
      : []),
    {
      key: `${request.archivePrefix}${ARCHIVE_FILES.html}`,
      body: message.html.split(`cid:${CHART_CONTENT_ID}`).join(ARCHIVE_FILES.chart),
      contentType: 'text/html; charset=utf-8',
    },
    {
      key: `${request.archivePrefix}${ARCHIVE_FILES.text}`,
      body: message.text,
      contentType: 'text/plain; charset=utf-8',
    },
  ];
  const eml: ArchiveObject = {
    key: `${request.archivePrefix}${ARCHIVE_FILES.eml}`,
    body: new Uint8Array(message.raw),
    contentType: 'message/rfc822',
  };
  return { subject, objects, eml, failedSections, counts: subjectCounts({ sections }) };
}

async function render(
  event: RenderEvent,
  settings: ReportSettings,
  deps: ReportDeps,
  redact: Redactor,
): Promise<RenderResult> {
  const request = checkRequest(event.request);
  const outcomes = checkSections(event.sections);
  const clock = deps.clock ?? (() => new Date());
  const bucket = settings.BUCKET;

  // 1. Results; 2. chart, HTML, text, message.
  const { subject, objects, eml, failedSections, counts } = await composeReport(
    request,
    outcomes,
    settings,
    (queryExecutionId, onRow) =>
      readResults(deps.athena, queryExecutionId, settings.MAX_ROWS_PER_SECTION, redact, onRow),
    clock,
  );

  // 3. Archive (the .eml last).
  const put = async (o: ArchiveObject) => {
    try {
      await deps.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: o.body, ContentType: o.contentType }),
      );
    } catch (err) {
      throw new ReportArchiveError(`PutObject s3://${bucket}/${o.key}`, err);
    }
    return o.key;
  };
  const archived = await mapLimit(objects, ARCHIVE_CONCURRENCY, put);
  archived.push(await put(eml));

  // 4. Send.
  let sesMessageId: string;
  try {
    const sent = await deps.ses.send(
      new SendRawEmailCommand({
        Source: settings.SENDER,
        Destinations: [...request.recipients],
        // No SourceArn: the identity is this account's (sending authorization is for other accounts'), and
        // SES checks the address's own identity or, when only its domain is verified, the domain's.
        RawMessage: { Data: eml.body as Uint8Array },
      }),
    );
    sesMessageId = sent.MessageId ?? '';
  } catch (err) {
    throw new ReportSendError(
      `SendRawEmail to ${request.recipients.length} recipient(s) failed after archiving s3://${bucket}/${request.archivePrefix}`,
      err,
    );
  }
  return { subject, messageId: sesMessageId, archived, failedSections, counts };
}

/** The Lambda's logic for both actions. */
export function createReportHandler(
  settings: ReportSettings,
  deps: ReportDeps,
): (event: ReportLambdaEvent) => Promise<PrepareResult | RenderResult> {
  const redact = createRedactor(settings.REDACTION_PATTERNS);
  const clock = deps.clock ?? (() => new Date());
  return async (event) => {
    const action = (event as { action?: unknown } | null)?.action;
    if (action === 'prepare')
      return prepareReport(event as Extract<ReportLambdaEvent, { action: 'prepare' }>, settings, clock());
    if (action === 'render') return render(event as RenderEvent, settings, deps, redact);
    throw new InvalidReportEventError(`unknown action ${JSON.stringify(action)}: expected prepare or render`);
  };
}
