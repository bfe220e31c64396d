/**
 * `aurora-audit report`: start the compliance-report workflow for a period, like the scheduled runs do, and
 * follow it. The input is checked here with the same rules as the report Lambda's (`validateReportRequest`), so a
 * mistake is a usage error before anything starts; the state machine is found from the stack's outputs.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { loadConfig } from '../../infra/config/load';
import { OUTPUTS } from '../../infra/outputs';
import type { PeriodName } from '../../tasks/core/report-period';
import type { RenderResult, ReportInput } from '../../tasks/render-report/contract';
import { validateReportRequest } from '../../tasks/render-report/request';
import { awsClientConfig } from '../aws-settings';
import type { RegisterCommands } from '../io';
import { defaultSearchWait } from './events';
import { DEFAULT_PREVIEW_DIR, previewReport } from './report-preview';
import {
  defaultWait,
  guardUsage,
  requireOutput,
  stackOutputs,
  startExecution,
  UsageError,
  type WaitOptions,
} from './workflows';

export interface ReportOptions {
  period?: string;
  from?: string;
  to?: string;
  timeZone?: string;
  cluster?: string[];
  recipient?: string[];
  wait?: boolean;
  json?: boolean;
  config?: string;
  stack?: string;
  preview?: boolean;
  outDir?: string;
  local?: string;
}

/** The workflow input of the options; throws UsageError for a combination the workflow would refuse. */
export function reportInput(opts: ReportOptions): ReportInput {
  const explicit = opts.from !== undefined || opts.to !== undefined;
  if (explicit === (opts.period !== undefined)) {
    throw new UsageError('give either --period daily|weekly|monthly or --from YYYY-MM-DD --to YYYY-MM-DD');
  }
  return {
    ...(explicit ? { from: opts.from, to: opts.to } : { period: opts.period as PeriodName }),
    ...(opts.timeZone ? { timeZone: opts.timeZone } : {}),
    ...(opts.cluster?.length ? { clusters: opts.cluster } : {}),
    ...(opts.recipient?.length ? { recipients: opts.recipient } : {}),
  };
}

/** The longest common prefix of S3 keys, cut after its last `/` (the run's archive folder). */
function commonFolder(keys: readonly string[]): string {
  if (keys.length === 0) return '';
  let prefix = keys[0] ?? '';
  for (const k of keys) while (!k.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix.slice(0, prefix.lastIndexOf('/') + 1);
}

/**
 * What a succeeded report run produced, from its execution output: the report Lambda's RenderResult (the
 * workflow's Succeed state outputs `$.rendered`: subject, SES message id, archived keys, failed sections, counts).
 * Undefined when the output is not that (nothing is made up).
 */
export function reportResult(
  output: string | undefined,
  bucket: string | undefined,
): { lines: string[]; json: Record<string, unknown> } | undefined {
  let rendered: Partial<RenderResult>;
  try {
    rendered = JSON.parse(output ?? '') as Partial<RenderResult>;
  } catch {
    return undefined;
  }
  if (typeof rendered?.subject !== 'string' || typeof rendered.messageId !== 'string') return undefined;
  const archived = Array.isArray(rendered.archived) ? rendered.archived : [];
  const folder = commonFolder(archived);
  const archive = folder ? (bucket ? `s3://${bucket}/${folder}` : folder) : null;
  const failed = rendered.failedSections ?? 0;
  return {
    lines: [
      `subject: ${rendered.subject}`,
      `SES message id: ${rendered.messageId}`,
      `archive: ${archive ?? '(nothing archived)'}${archived.length ? ` (${archived.length} files: ${archived.map((k) => k.slice(folder.length)).join(', ')})` : ''}`,
      ...(failed > 0 ? [`${failed} section(s) FAILED: the report names them`] : []),
    ],
    json: {
      report: {
        subject: rendered.subject,
        messageId: rendered.messageId,
        archive,
        archived,
        failedSections: failed,
        counts: rendered.counts ?? {},
      },
    },
  };
}

/** `report-<period>-<first date>-<last date>-<UTC minute>`: a retried command finds its run. */
export function reportExecutionName(periodName: string, first: string, last: string, now: Date): string {
  const minute = now.toISOString().slice(0, 16).replace(/[-:]/g, '');
  return `report-${periodName}-${first.replace(/-/g, '')}-${last.replace(/-/g, '')}-${minute}`.slice(0, 80);
}

export function registerReportCommand(
  ctx: Parameters<RegisterCommands>[0],
  waitOptions: WaitOptions = defaultWait,
): void {
  const { program, io, setExit } = ctx;
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  program
    .command('report')
    .description('Start the compliance-report workflow for a period: queries, email via SES, archive')
    .option('--period <period>', 'daily (yesterday), weekly (last Monday to Sunday) or monthly (last month)')
    .option('--from <date>', 'first local date of an explicit period, YYYY-MM-DD (with --to)')
    .option('--to <date>', 'last local date of an explicit period, YYYY-MM-DD, inclusive')
    .option('--time-zone <zone>', 'IANA time zone of the days (default UTC)')
    .option('--cluster <name>', 'report on this cluster only (repeatable; default all)', collect)
    .option(
      '--recipient <email>',
      'send to this address instead of the configured ones (repeatable)',
      collect,
    )
    .option('--wait', 'follow the run until it ends; exit 0 only on success')
    .option('--json', 'print the result as JSON')
    .option('-c, --config <file>', 'configuration file (default: the embedded example)')
    .option('--stack <name>', 'deployed stack name (default: the configuration name)')
    .option('--preview', 'render the report here (HTML, text, chart, .eml) without sending or archiving it')
    .option('--out-dir <dir>', `with --preview: where to write the files (default ./${DEFAULT_PREVIEW_DIR})`)
    .option('--local <dir>', 'with --preview: query a stored layout on the embedded engine instead of Athena')
    .action((opts: ReportOptions) =>
      guardUsage(io, setExit, async () => {
        const config = loadConfig(opts.config);
        const input = reportInput(opts);
        const now = new Date(waitOptions.now());
        if (!opts.preview && (opts.outDir !== undefined || opts.local !== undefined))
          throw new UsageError('--out-dir and --local go with --preview');
        if (opts.preview) {
          if (opts.wait || opts.json)
            throw new UsageError('--preview starts no run: leave out --wait and --json');
          // Part of the file names only (the archive prefix and the Message-ID of the .eml).
          const name = `preview-${now.toISOString().slice(0, 16).replace(/[-:]/g, '')}`;
          setExit(
            await previewReport(io, defaultSearchWait, {
              config,
              input,
              executionName: name,
              now,
              outDir: opts.outDir,
              local: opts.local,
              stack: opts.stack,
            }),
          );
          return;
        }
        // The Lambda's own validation, with the configuration's clusters and recipients (the Lambda's default
        // time zone is UTC: the stack sets no other).
        const prepared = validateReportRequest(
          input,
          {
            clusters: config.clusters.map((c) => ({ identifier: c.identifier, resourceId: c.resourceId })),
            recipients: config.reports.recipients,
            timeZone: 'UTC',
          },
          now,
        );
        if (!prepared.valid) throw new UsageError(prepared.problem);
        const stack = opts.stack ?? config.name;
        const outputs = await stackOutputs(new CloudFormationClient(awsClientConfig()), stack);
        const stateMachineArn = requireOutput(outputs, OUTPUTS.reportWorkflow, stack);
        const { periodName, period } = prepared;
        await startExecution(ctx, waitOptions, {
          stateMachineArn,
          name: reportExecutionName(periodName, period.firstDate, period.lastDate, now),
          input,
          wait: opts.wait,
          json: opts.json,
          summary: { action: 'report', period: periodName, from: period.firstDate, to: period.lastDate },
          result: (execution) => reportResult(execution.output, outputs.get(OUTPUTS.auditBucket)),
        });
      }),
    );
}

export const register: RegisterCommands = (ctx) => registerReportCommand(ctx);
