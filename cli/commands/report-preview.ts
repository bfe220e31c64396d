/**
 * `aurora-audit report --preview`: the report a run would send, rendered on this machine and written to a
 * directory, without sending or archiving anything. The report Lambda's own modules do the work: `prepareReport`
 * validates the input and plans the queries, `composeReport` reads the results and renders the chart, HTML,
 * text and the message. The plan runs as the workflow runs it (the period summary's CTAS into the run's own
 * table, the sections' query strings over it, its DROP on every path; canary statements left out), either in
 * Athena in the report workgroup (which needs what the workflow's role has: Glue create, read and delete of
 * `report_summary_*` tables, S3 under `athena-results/`), or with `--local DIR` on the embedded engine over a
 * stored layout through the Athena simulator. Only Athena (and CloudFormation, for the stack's outputs) is called.
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
import { createRedactor } from '../../tasks/core/redact';
import { SectionCollector } from '../../tasks/core/report/result-set';
import type { PrepareResult, QueryItem, SectionOutcome } from '../../tasks/render-report/contract';
import { prepareReport } from '../../tasks/render-report/prepare';
import { composeReport, readResults, type SectionReader } from '../../tasks/render-report/render';
import { type ReportSettings, reportSettingsSchema } from '../../tasks/render-report/settings';
import { awsClientConfig } from '../aws-settings';
import type { CliIo } from '../io';
import { toAthenaPages } from '../local/athena-results';
import { AthenaSimulator } from '../local/aws/athena';
import { sqlEngine } from '../local/sql-engine';
import { SimClock } from '../local/stepfunctions/clock';
import { athenaCost, formatBytes, type SearchWait, storedLayoutRoot } from './events';
import { requireOutput, stackOutputs, UsageError } from './workflows';

/** Where the preview is written without `--out-dir`. */
export const DEFAULT_PREVIEW_DIR = 'report-preview';
/** Queries run at once in Athena (the workflow's Map runs 5 by default). */
const ATHENA_CONCURRENCY = 5;
/** The workgroup name of the local preview (the simulator's). */
const LOCAL_WORKGROUP = 'local-preview';

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
  deployed: {
    readonly bucket: string;
    readonly workGroup: string;
    readonly region?: string;
    /** The stack's events table, `<database>.<table>` (its `GlueTable` output). @default aurora_audit.audit_events */
    readonly eventsTable?: string;
  },
): ReportSettings {
  return reportSettingsSchema.parse({
    // As the stack writes the report Lambda's cluster file: the canary users' canary statements are left out.
    CLUSTERS: JSON.stringify(
      config.clusters.map((c) => ({
        identifier: c.identifier,
        resourceId: c.resourceId,
        ...(c.canary ? { canaryUser: c.canary.user } : {}),
      })),
    ),
    RECIPIENTS: JSON.stringify(config.reports.recipients),
    SENDER: config.reports.sender,
    SUBJECT_PREFIX: config.alerts.subjectPrefix,
    TIME_ZONE: 'UTC',
    BUCKET: deployed.bucket,
    WORKGROUP: deployed.workGroup,
    ...(deployed.eventsTable ? { EVENTS_TABLE: deployed.eventsTable } : {}),
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

/** One query string run to its end: its id, its state, why it failed, what it scanned. */
interface QueryOutcome {
  readonly id: string;
  readonly state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  readonly reason?: string;
  readonly bytes: number;
}

/** Where the plan's query strings run: the embedded engine (through the Athena simulator) or Athena. */
interface QueryRunner {
  run(queryString: string): Promise<QueryOutcome>;
  read: SectionReader;
  close?(): void;
}

export class PreviewSummaryError extends Error {
  override readonly name = 'PreviewSummaryError';
}

/**
 * Runs the plan as the workflow does: the period summary's CTAS into the run's table, every section's query
 * string over it (a few at once), then the DROP on every path. A failed summary fails the preview
 * (the workflow's SummaryFailed); a failed section is a FAILED section.
 */
async function runPlan(
  prepared: Pick<PrepareResult, 'summary' | 'queries'>,
  runner: QueryRunner,
  io: CliIo,
): Promise<{ outcomes: SectionOutcome[]; bytes: number[] }> {
  const bytes: number[] = [];
  const outcomes: SectionOutcome[] = new Array(prepared.queries.length);
  try {
    const summary = await runner.run(prepared.summary.createQuery);
    bytes.push(summary.bytes);
    io.stderr(
      `period summary ${prepared.summary.table}: ${summary.state} ${summary.id}, ${formatBytes(summary.bytes)} scanned\n`,
    );
    if (summary.state !== 'SUCCEEDED')
      throw new PreviewSummaryError(
        `the period summary ${summary.state}: ${summary.reason ?? `query ${summary.id}`} (no section can run without it)`,
      );
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(ATHENA_CONCURRENCY, prepared.queries.length) }, async () => {
        while (next < prepared.queries.length) {
          const i = next++;
          const item = prepared.queries[i] as QueryItem;
          let o: QueryOutcome;
          try {
            o = await runner.run(item.queryString);
          } catch (err) {
            const e = err as Error;
            o = { id: '', state: 'FAILED', reason: `${e.name}: ${e.message}`, bytes: 0 };
          }
          bytes.push(o.bytes);
          io.stderr(`${sectionLabel(item)}: ${o.state} ${o.id}, ${formatBytes(o.bytes)} scanned\n`);
          outcomes[i] =
            o.state === 'SUCCEEDED'
              ? { query: item.query, cluster: item.cluster, status: 'SUCCEEDED', queryExecutionId: o.id }
              : {
                  query: item.query,
                  cluster: item.cluster,
                  status: 'FAILED',
                  error: `Athena.Query${o.state === 'CANCELLED' ? 'Cancelled' : 'Failed'}`,
                  cause: o.reason ?? `query ${o.id} ${o.state}`,
                };
        }
      }),
    );
  } finally {
    // On every path, as the workflow does; a failed drop is told, and the preview goes on.
    const dropped = await runner.run(prepared.summary.dropQuery).catch((err: Error) => ({
      id: '',
      state: 'FAILED' as const,
      reason: err.message,
      bytes: 0,
    }));
    if (dropped.state !== 'SUCCEEDED')
      io.stderr(
        `the summary table ${prepared.summary.table} was not dropped (${dropped.reason ?? dropped.state}): run ${prepared.summary.dropQuery}\n`,
      );
  }
  return { outcomes, bytes };
}

/** The embedded engine over a stored layout, through the Athena simulator: CTAS, query strings, DROP as Athena. */
async function localRunner(dir: string, now: Date, settings: ReportSettings): Promise<QueryRunner> {
  const redact = createRedactor(settings.REDACTION_PATTERNS);
  const engine = await sqlEngine(storedLayoutRoot(dir));
  const simulator = new AthenaSimulator(new SimClock(now));
  simulator.addWorkGroup(LOCAL_WORKGROUP);
  simulator.useEngine(engine);
  const start = simulator.handlers()['athena:startQueryExecution'] as (
    params: Record<string, unknown>,
  ) => Promise<{ QueryExecution: { QueryExecutionId: string } }>;
  return {
    async run(queryString) {
      try {
        const r = await start({ QueryString: queryString, WorkGroup: LOCAL_WORKGROUP });
        return { id: r.QueryExecution.QueryExecutionId, state: 'SUCCEEDED', bytes: 0 };
      } catch (err) {
        // The simulator fails a query as the .sync integration does: the cause is its GetQueryExecution.
        const cause = JSON.parse((err as Error).message) as {
          QueryExecution?: { QueryExecutionId?: string; Status?: { StateChangeReason?: string } };
        };
        return {
          id: cause.QueryExecution?.QueryExecutionId ?? '',
          state: 'FAILED',
          reason: cause.QueryExecution?.Status?.StateChangeReason,
          bytes: 0,
        };
      }
    },
    async read(id, onRow) {
      const result = simulator.results.get(id);
      if (!result) throw new Error(`no local result ${id}`);
      const collector = new SectionCollector(settings.MAX_ROWS_PER_SECTION, redact, onRow);
      for (const page of toAthenaPages(result.rows, 1000, result.columns))
        collector.addPage(page.ResultSet ?? {});
      return collector.result();
    },
    close: () => engine.close(),
  };
}

/** Athena: each query string started in the report workgroup and polled to its end. */
function athenaRunner(
  athena: AthenaClient,
  workGroup: string,
  wait: SearchWait,
  settings: ReportSettings,
): QueryRunner {
  const redact = createRedactor(settings.REDACTION_PATTERNS);
  return {
    async run(queryString) {
      const { QueryExecutionId: id } = await athena.send(
        new StartQueryExecutionCommand({ QueryString: queryString, WorkGroup: workGroup }),
      );
      if (!id) throw new Error('Athena StartQueryExecution returned no QueryExecutionId');
      let execution: QueryExecution | undefined;
      for (;;) {
        execution = (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id })))
          .QueryExecution;
        const state = execution?.Status?.State;
        if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') break;
        await wait.sleep(wait.pollMs);
      }
      return {
        id,
        state: execution?.Status?.State as QueryOutcome['state'],
        reason: execution?.Status?.StateChangeReason,
        bytes: execution?.Statistics?.DataScannedInBytes ?? 0,
      };
    },
    read: (id, onRow) => readResults(athena, id, settings.MAX_ROWS_PER_SECTION, redact, onRow),
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
    settings = previewSettings(config, { bucket: 'local-preview', workGroup: LOCAL_WORKGROUP });
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
      eventsTable: requireOutput(outputs, OUTPUTS.glueTable, stack),
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
  const runner =
    request.local !== undefined
      ? await localRunner(request.local, request.now, settings)
      : athenaRunner(athena as AthenaClient, workGroup, wait, settings);
  let sections: PlannedSections;
  try {
    const { outcomes, bytes } = await runPlan(prepared, runner, io);
    const scanned = bytes.reduce((a, b) => a + b, 0);
    const costs = bytes.map(athenaCost);
    const billed = costs.reduce((a, c) => a + c.billedBytes, 0);
    const usd = costs.reduce((a, c) => a + c.usd, 0);
    sections = {
      outcomes,
      read: runner.read,
      summary:
        request.local !== undefined
          ? `the period summary and ${prepared.queries.length} sections on the embedded engine over ${request.local}`
          : `the period summary and ${prepared.queries.length} sections in ${workGroup}: ${formatBytes(scanned)} scanned (${scanned} bytes), billed as ${formatBytes(billed)}: $${usd.toFixed(6)} at $5 per TB scanned (Athena's list price; 10 MB minimum per query)`,
      close: runner.close,
    };
  } catch (err) {
    runner.close?.();
    throw err;
  }
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
