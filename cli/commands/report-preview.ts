/**
 * `aurora-audit report --preview`: the report a run would send, rendered on this machine and written to a
 * directory, without sending or archiving anything. The report Lambda's own modules do the work: `prepareReport`
 * validates the input and plans the queries, `composeReport` reads the results and renders the chart, HTML,
 * text and the message. The queries run either in Athena as the workflow runs them (`EXECUTE <prepared
 * statement>` with the planned execution parameters in the report workgroup), or with `--local DIR` on the
 * embedded engine over a stored layout. Only Athena (and CloudFormation, for the stack's outputs) is called.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  type QueryExecution,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { AuroraAuditConfig } from '../../infra/config/schema';
import { OUTPUTS } from '../../infra/outputs';
import { athenaExecutionParameters, queryParameters, querySql, reportQuery } from '../../reports/queries';
import { createRedactor } from '../../tasks/core/redact';
import { SectionCollector } from '../../tasks/core/report/result-set';
import { type QueryItem, type SectionOutcome, statementNameOf } from '../../tasks/render-report/contract';
import { prepareReport } from '../../tasks/render-report/prepare';
import { composeReport, readResults, type SectionReader } from '../../tasks/render-report/render';
import { type ReportSettings, reportSettingsSchema } from '../../tasks/render-report/settings';
import { awsClientConfig } from '../aws-settings';
import type { CliIo } from '../io';
import { athenaType, type EngineResult, toAthenaPages } from '../local/athena-results';
import { sqlEngine } from '../local/sql-engine';
import { athenaCost, formatBytes, type SearchWait, storedLayoutRoot } from './events';
import { requireOutput, stackOutputs, UsageError } from './workflows';

/** Where the preview is written without `--out-dir`. */
export const DEFAULT_PREVIEW_DIR = 'report-preview';
/** Queries run at once in Athena (the workflow's Map runs 5 by default). */
const ATHENA_CONCURRENCY = 5;

/** The classes the coverage check reconciles, as the stack passes them (none when no cluster has it on). */
function coverageClasses(config: AuroraAuditConfig): readonly string[] {
  return config.clusters.some((c) => c.coverageCheck) ? config.alerts.coverage.classes : [];
}

/**
 * The report Lambda's settings as the stack deploys them from the configuration (parsed by the Lambda's
 * own schema, so the defaults are the Lambda's), with the deployed bucket and workgroup.
 */
export function previewSettings(
  config: AuroraAuditConfig,
  deployed: { readonly bucket: string; readonly workGroup: string; readonly region?: string },
): ReportSettings {
  return reportSettingsSchema.parse({
    CLUSTERS: JSON.stringify(
      config.clusters.map((c) => ({ identifier: c.identifier, resourceId: c.resourceId })),
    ),
    RECIPIENTS: JSON.stringify(config.reports.recipients),
    SENDER: config.reports.sender,
    SUBJECT_PREFIX: config.alerts.subjectPrefix,
    TIME_ZONE: 'UTC',
    BUCKET: deployed.bucket,
    WORKGROUP: deployed.workGroup,
    REDACTION_PATTERNS: JSON.stringify(config.redaction.extraPatterns),
    COVERAGE_CLASSES: coverageClasses(config).join(','),
    AWS_REGION: deployed.region,
  });
}

interface PlannedSections {
  readonly outcomes: SectionOutcome[];
  readonly read: SectionReader;
  readonly summary: string;
  close?(): void;
}

const sectionLabel = (item: QueryItem) => `${item.query}${item.cluster === '*' ? '' : ` (${item.cluster})`}`;

/** Runs the planned queries on the embedded engine; results are served to the collector as Athena pages. */
async function localSections(
  dir: string,
  items: readonly QueryItem[],
  prepared: { period: Parameters<typeof queryParameters>[1] },
  settings: ReportSettings,
  io: CliIo,
): Promise<PlannedSections> {
  const engine = await sqlEngine(storedLayoutRoot(dir));
  const results = new Map<string, EngineResult>();
  const outcomes: SectionOutcome[] = [];
  for (const [i, item] of items.entries()) {
    const id = `local-${i + 1}`;
    try {
      const values = queryParameters(
        reportQuery(item.query),
        prepared.period,
        item.cluster,
        settings.COVERAGE_CLASSES,
      );
      const table = await engine.table(querySql(item.query), values);
      results.set(id, {
        columns: table.columns.map((c) => ({ name: c.name, type: athenaType(c.type) })),
        rows: table.rows,
      });
      outcomes.push({ query: item.query, cluster: item.cluster, status: 'SUCCEEDED', queryExecutionId: id });
      io.stderr(`${sectionLabel(item)}: ${table.rows.length} row(s)\n`);
    } catch (err) {
      const e = err as Error;
      outcomes.push({
        query: item.query,
        cluster: item.cluster,
        status: 'FAILED',
        error: e.name,
        cause: e.message,
      });
      io.stderr(`${sectionLabel(item)}: FAILED ${e.name}: ${e.message}\n`);
    }
  }
  const redact = createRedactor(settings.REDACTION_PATTERNS);
  return {
    outcomes,
    async read(id, onRow) {
      const result = results.get(id);
      if (!result) throw new Error(`no local result ${id}`);
      const collector = new SectionCollector(settings.MAX_ROWS_PER_SECTION, redact, onRow);
      for (const page of toAthenaPages(result.rows, 1000, result.columns))
        collector.addPage(page.ResultSet ?? {});
      return collector.result();
    },
    summary: `${items.length} queries on the embedded engine over ${dir}`,
    close: () => engine.close(),
  };
}

/** Runs the planned queries in Athena exactly as the workflow does, a few at once, with progress. */
async function athenaSections(
  items: readonly QueryItem[],
  period: Parameters<typeof queryParameters>[1],
  workGroup: string,
  settings: ReportSettings,
  io: CliIo,
  wait: SearchWait,
  athena: AthenaClient,
): Promise<PlannedSections> {
  const outcomes: SectionOutcome[] = new Array(items.length);
  let scanned = 0;
  let billed = 0;
  let usd = 0;
  const run = async (item: QueryItem, i: number) => {
    const { QueryExecutionId: id } = await athena.send(
      new StartQueryExecutionCommand({
        // The deployed prepared statement of the report query (the workflow runs the period summary instead).
        QueryString: `EXECUTE ${statementNameOf(item.query)}`,
        ExecutionParameters: athenaExecutionParameters(
          queryParameters(reportQuery(item.query), period, item.cluster, settings.COVERAGE_CLASSES),
        ),
        WorkGroup: workGroup,
      }),
    );
    if (!id) throw new Error('Athena StartQueryExecution returned no QueryExecutionId');
    let execution: QueryExecution | undefined;
    for (;;) {
      execution = (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution;
      const state = execution?.Status?.State;
      if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') break;
      await wait.sleep(wait.pollMs);
    }
    const state = execution?.Status?.State;
    const bytes = execution?.Statistics?.DataScannedInBytes ?? 0;
    const cost = athenaCost(bytes);
    scanned += bytes;
    billed += cost.billedBytes;
    usd += cost.usd;
    io.stderr(`${sectionLabel(item)}: ${state} ${id}, ${formatBytes(bytes)} scanned\n`);
    outcomes[i] =
      state === 'SUCCEEDED'
        ? { query: item.query, cluster: item.cluster, status: 'SUCCEEDED', queryExecutionId: id }
        : {
            query: item.query,
            cluster: item.cluster,
            status: 'FAILED',
            error: `Athena.Query${state === 'CANCELLED' ? 'Cancelled' : 'Failed'}`,
            cause: execution?.Status?.StateChangeReason ?? `query ${id} ${state}`,
          };
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(ATHENA_CONCURRENCY, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await run(items[i] as QueryItem, i);
      }
    }),
  );
  const redact = createRedactor(settings.REDACTION_PATTERNS);
  return {
    outcomes,
    read: (id, onRow) => readResults(athena, id, settings.MAX_ROWS_PER_SECTION, redact, onRow),
    summary: `${items.length} Athena queries in ${workGroup}: ${formatBytes(scanned)} scanned (${scanned} bytes), billed as ${formatBytes(billed)}: $${usd.toFixed(6)} at $5 per TB scanned (Athena's list price; 10 MB minimum per query)`,
  };
}

export interface PreviewRequest {
  readonly config: AuroraAuditConfig;
  readonly input: unknown;
  readonly executionName: string;
  readonly now: Date;
  readonly outDir?: string;
  readonly local?: string;
  readonly stack?: string;
}

/** Renders the report and writes its files; returns the exit code (1 when a section failed). */
export async function previewReport(io: CliIo, wait: SearchWait, request: PreviewRequest): Promise<number> {
  const { config } = request;
  let settings: ReportSettings;
  let athena: AthenaClient | undefined;
  let workGroup = '';
  if (request.local !== undefined) {
    storedLayoutRoot(request.local); // a usage error before anything else
    settings = previewSettings(config, { bucket: 'local-preview', workGroup: 'local-preview' });
  } else {
    const stack = request.stack ?? config.name;
    const outputs = await stackOutputs(new CloudFormationClient(awsClientConfig()), stack);
    workGroup = requireOutput(outputs, OUTPUTS.athenaWorkGroup, stack);
    athena = new AthenaClient(awsClientConfig());
    const region = await athena.config.region().catch(() => undefined);
    settings = previewSettings(config, {
      bucket: requireOutput(outputs, OUTPUTS.auditBucket, stack),
      workGroup,
      region,
    });
  }
  const prepared = prepareReport(
    { action: 'prepare', input: request.input, executionName: request.executionName },
    settings,
    request.now,
  );
  if (!prepared.valid) throw new UsageError(prepared.problem);
  const { request: reportRequest } = prepared;
  io.stderr(
    `previewing ${reportRequest.periodName} ${reportRequest.period.firstDate} to ${reportRequest.period.lastDate} (${reportRequest.period.timeZone}): ${prepared.queries.length} queries; nothing is sent or archived\n`,
  );
  const sections =
    request.local !== undefined
      ? await localSections(request.local, prepared.queries, reportRequest, settings, io)
      : await athenaSections(
          prepared.queries,
          reportRequest.period,
          workGroup,
          settings,
          io,
          wait,
          athena as AthenaClient,
        );
  try {
    const composed = await composeReport(
      reportRequest,
      sections.outcomes,
      settings,
      sections.read,
      () => request.now,
    );
    const dir = request.outDir ?? DEFAULT_PREVIEW_DIR;
    mkdirSync(dir, { recursive: true });
    for (const o of [...composed.objects, composed.eml]) {
      const path = join(dir, o.key.slice(reportRequest.archivePrefix.length));
      writeFileSync(path, o.body);
      io.stdout(`${path}\n`);
    }
    io.stderr(
      `${sections.summary}\nsubject: ${composed.subject}\nto: ${reportRequest.recipients.join(', ')} (not sent)${composed.failedSections > 0 ? `\n${composed.failedSections} section(s) failed` : ''}\n`,
    );
    return composed.failedSections > 0 ? 1 : 0;
  } finally {
    sections.close?.();
  }
}
