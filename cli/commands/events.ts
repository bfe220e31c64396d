/**
 * `aurora-audit events`: search the stored audit trail. One query, `reports/search/events.sql`, runs either
 * in the stack's Athena workgroup (StartQueryExecution with execution parameters: what the user typed is a
 * parameter value, never SQL text) or, with `--local DIR`, on the embedded engine over a stored layout (a
 * synced copy of the bucket's `events/` prefix, or `demo-out/`). Rows are statements, each once with the
 * sources that saw it, as in the reports; the statement text is redacted as in the reports.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type QueryExecution,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { Command } from 'commander';
import { findCluster, loadConfig } from '../../infra/config/load';
import type { AuroraAuditConfig } from '../../infra/config/schema';
import { OUTPUTS } from '../../infra/outputs';
import { athenaExecutionParameters } from '../../reports/queries';
import {
  deployedEventSearchSql,
  EVENT_SEARCH_COLUMNS,
  type EventFilters,
  eventSearchParameters,
  eventSearchRange,
  eventSearchSql,
  InvalidSearchError,
  type SearchRange,
  SOURCE_FILTERS,
} from '../../reports/search';
import { createRedactor } from '../../tasks/core/redact';
import { csvRecord } from '../../tasks/core/report/csv';
import { awsClientConfig } from '../aws-settings';
import type { CliIo, RegisterCommands } from '../io';
import { sqlEngine } from '../local/sql-engine';
import { textRecord } from '../output';
import { guardUsage, requireOutput, stackOutputs, UsageError } from './workflows';

export type EventRow = Record<(typeof EVENT_SEARCH_COLUMNS)[number], string | null>;

export interface EventsOptions {
  cluster?: string;
  user?: string;
  database?: string;
  class?: string;
  command?: string;
  object?: string;
  source?: string;
  text?: string;
  from?: string;
  to?: string;
  timeZone?: string;
  limit?: string;
  output?: string;
  local?: string;
  config?: string;
  stack?: string;
}

/** Athena's list price per TB (10^12 bytes) scanned, in USD (us-east-1 and most Regions). */
export const ATHENA_USD_PER_TB = 5;
/** Athena bills each query at least 10 MB, rounded up to the next MB (10^6 bytes). */
export const ATHENA_MIN_BILLED_BYTES = 10_000_000;
const MB = 1_000_000;

/** The bytes Athena bills for a query that scanned `bytes`, and their price at {@link ATHENA_USD_PER_TB}. */
export function athenaCost(bytes: number): { billedBytes: number; usd: number } {
  const billedBytes = Math.max(ATHENA_MIN_BILLED_BYTES, Math.ceil(bytes / MB) * MB);
  return { billedBytes, usd: (billedBytes / 1e12) * ATHENA_USD_PER_TB };
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `1.2 MB (1234567 bytes)`, or `514 bytes`. */
const bytesText = (bytes: number) =>
  bytes < 1000 ? `${bytes} bytes` : `${formatBytes(bytes)} (${bytes} bytes)`;

const usd = (n: number) => `$${n < 0.01 ? n.toFixed(6) : n.toFixed(2)}`;

/** How often the Athena query is polled (AURORA_AUDIT_ATHENA_POLL_MS, default 1 s). */
export interface SearchWait {
  readonly pollMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

export const defaultSearchWait: SearchWait = {
  get pollMs() {
    return Number(process.env.AURORA_AUDIT_ATHENA_POLL_MS ?? 1000);
  },
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => Date.now(),
};

export const DEFAULT_LIMIT = 100;
const OUTPUT_FORMATS = ['table', 'text', 'json', 'csv'] as const;

interface SearchResult {
  readonly rows: EventRow[];
  /** Whether more rows matched than the limit. */
  readonly more: boolean;
  readonly summary: string;
}

function toRow(values: readonly (string | null)[]): EventRow {
  const row = {} as EventRow;
  EVENT_SEARCH_COLUMNS.forEach((c, i) => {
    row[c] = values[i] ?? null;
  });
  return row;
}

/** Runs the search in Athena: start, poll with progress on stderr, then read result pages up to `limit`. */
async function searchAthena(
  io: CliIo,
  wait: SearchWait,
  request: { workGroup: string; table: string; parameters: string[]; limit: number },
): Promise<SearchResult> {
  const athena = new AthenaClient(awsClientConfig());
  const started = await athena.send(
    new StartQueryExecutionCommand({
      QueryString: deployedEventSearchSql(request.table),
      WorkGroup: request.workGroup,
      ExecutionParameters: athenaExecutionParameters(request.parameters),
    }),
  );
  const id = started.QueryExecutionId;
  if (!id) throw new Error('Athena StartQueryExecution returned no QueryExecutionId');
  const begun = wait.now();
  let execution: QueryExecution | undefined;
  let shown = '';
  for (;;) {
    execution = (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution;
    const state = execution?.Status?.State ?? 'UNKNOWN';
    const scanned = execution?.Statistics?.DataScannedInBytes ?? 0;
    const line = `athena ${id}: ${state}, ${formatBytes(scanned)} scanned`;
    if (line !== shown) {
      io.stderr(`${line} (${Math.round((wait.now() - begun) / 1000)} s)\n`);
      shown = line;
    }
    if (state === 'SUCCEEDED') break;
    if (state === 'FAILED' || state === 'CANCELLED')
      throw new SearchFailedError(
        `Athena query ${id} ${state}: ${execution?.Status?.StateChangeReason ?? 'no reason given'}`,
      );
    await wait.sleep(wait.pollMs);
  }
  const rows: EventRow[] = [];
  const pageSize = Math.min(1000, request.limit + 2);
  let token: string | undefined;
  let first = true;
  let more = false;
  do {
    const page = await athena.send(
      new GetQueryResultsCommand({
        QueryExecutionId: id,
        NextToken: token,
        // One size for every page (a NextToken continues the pages cut at that size): up to one row more
        // than wanted, which tells whether more matched; the header row counts on the first page.
        MaxResults: pageSize,
      }),
    );
    let data = page.ResultSet?.Rows ?? [];
    if (first) {
      const names = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name);
      if (names.join(',') !== EVENT_SEARCH_COLUMNS.join(','))
        throw new SearchFailedError(`unexpected result columns from Athena: ${names.join(', ')}`);
      // The first page starts with the header row (the column names).
      if (data[0]?.Data?.map((d) => d.VarCharValue).join(',') === EVENT_SEARCH_COLUMNS.join(','))
        data = data.slice(1);
      first = false;
    }
    for (const r of data) {
      if (rows.length === request.limit) {
        more = true;
        break;
      }
      rows.push(toRow((r.Data ?? []).map((d) => d.VarCharValue ?? null)));
    }
    if (more) break;
    if (page.NextToken !== undefined && page.NextToken === token)
      throw new SearchFailedError(`Athena results of ${id}: NextToken repeated`);
    token = page.NextToken;
  } while (token);
  const bytes = execution?.Statistics?.DataScannedInBytes ?? 0;
  const cost = athenaCost(bytes);
  return {
    rows,
    more,
    summary: `Athena query ${id}: ${bytesText(bytes)} scanned, billed as ${formatBytes(cost.billedBytes)}: ${usd(cost.usd)} at $${ATHENA_USD_PER_TB} per TB scanned (Athena's list price; 10 MB minimum per query)`,
  };
}

/** The bucket root of a stored layout: DIR holding `events/`, or `demo-out/` (its `bucket/`). */
export function storedLayoutRoot(dir: string): string {
  for (const root of [dir, join(dir, 'bucket')])
    if (existsSync(join(root, 'events')) && statSync(join(root, 'events')).isDirectory()) return root;
  throw new UsageError(
    `${dir} holds no stored events: give a directory with events/cluster=…/day=…/hour=…/ (a synced copy of the bucket's events/ prefix, e.g. aws s3 sync s3://<bucket>/events/ DIR/events/) or demo-out/`,
  );
}

/** Runs the same SQL on the embedded engine; the summary names the stored files the scan read. */
async function searchLocal(dir: string, parameters: string[], limit: number): Promise<SearchResult> {
  const root = storedLayoutRoot(dir);
  const engine = await sqlEngine(root);
  try {
    const sql = eventSearchSql();
    const table = await engine.table(sql, parameters);
    const files = await engine.filesRead(sql, parameters);
    const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
    const cost = athenaCost(bytes);
    const rows = table.rows
      .slice(0, limit)
      .map((r) => toRow(EVENT_SEARCH_COLUMNS.map((c) => (r[c] === null ? null : String(r[c])))));
    return {
      rows,
      more: table.rows.length > limit,
      summary: `local ${root}: ${files.length} stored file(s) read after partition pruning, ${bytesText(bytes)}; in Athena about ${usd(cost.usd)} at $${ATHENA_USD_PER_TB} per TB scanned (Athena's list price; 10 MB minimum per query)`,
    };
  } finally {
    engine.close();
  }
}

export class SearchFailedError extends Error {
  override readonly name = 'SearchFailedError';
}

/** The cluster filter: a configured cluster's name or resource id, or any `cluster-…` resource id. */
function clusterFilter(config: AuroraAuditConfig, cluster: string | undefined): string {
  if (cluster === undefined) return '*';
  const known = findCluster(config, cluster);
  if (known) return known.resourceId;
  if (/^cluster-[A-Za-z0-9]+$/.test(cluster)) return cluster;
  throw new UsageError(
    `cluster ${JSON.stringify(cluster)} is neither a configured cluster (${config.clusters.map((c) => c.identifier).join(', ')}) nor a cluster resource id (cluster-…)`,
  );
}

/** The search's range and parameters from the options; throws UsageError for bad input. */
export function eventSearch(
  opts: EventsOptions,
  config: AuroraAuditConfig,
  now: Date,
): { range: SearchRange; parameters: string[]; limit: number; output: string } {
  const limit = Number(opts.limit ?? DEFAULT_LIMIT);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000)
    throw new UsageError(
      `--limit must be a whole number from 1 to 100000, got ${JSON.stringify(opts.limit)}`,
    );
  const output = opts.output ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(output))
    throw new UsageError(
      `--output must be one of ${OUTPUT_FORMATS.join(', ')}, got ${JSON.stringify(output)}`,
    );
  const filters: EventFilters = {
    cluster: clusterFilter(config, opts.cluster),
    user: opts.user,
    database: opts.database,
    class: opts.class,
    command: opts.command,
    object: opts.object,
    source: opts.source,
    text: opts.text,
  };
  try {
    const range = eventSearchRange({ from: opts.from, to: opts.to, timeZone: opts.timeZone }, now);
    return { range, parameters: eventSearchParameters(range, filters), limit, output };
  } catch (err) {
    if (err instanceof InvalidSearchError) throw new UsageError(err.message);
    throw err;
  }
}

const TABLE_COLUMNS: readonly { header: string; value: (r: EventRow) => string; max: number }[] = [
  { header: 'TIME (UTC)', value: (r) => r.time ?? '', max: 27 },
  { header: 'CLUSTER', value: (r) => r.cluster ?? '', max: 40 },
  { header: 'USER', value: (r) => r.user ?? '', max: 24 },
  { header: 'DATABASE', value: (r) => r.database ?? '', max: 20 },
  { header: 'CLASS', value: (r) => r.class ?? '', max: 10 },
  { header: 'COMMAND', value: (r) => r.command ?? '', max: 20 },
  { header: 'OBJECT', value: (r) => r.objectname ?? '', max: 30 },
  { header: 'SOURCES', value: (r) => r.sources ?? '', max: 11 },
  { header: 'STATEMENT', value: (r) => r.commandtext ?? '', max: 80 },
];

const cut = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/**
 * The rows as `output` (table, text, json or csv); the table names clusters by their configured names. Text is the
 * AWS CLI's: one `EVENT` record per statement, every column in the CSV's order, tab-separated, no header.
 */
export function formatRows(
  rows: readonly EventRow[],
  output: string,
  clusterNames: ReadonlyMap<string, string> = new Map(),
): string {
  if (output === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  if (output === 'csv')
    return [
      csvRecord(EVENT_SEARCH_COLUMNS),
      ...rows.map((r) => csvRecord(EVENT_SEARCH_COLUMNS.map((c) => r[c]))),
    ].join('');
  if (output === 'text')
    return rows.map((r) => textRecord('EVENT', ...EVENT_SEARCH_COLUMNS.map((c) => r[c]))).join('');
  if (rows.length === 0) return '';
  const named = rows.map((r) => ({ ...r, cluster: r.cluster && (clusterNames.get(r.cluster) ?? r.cluster) }));
  const cells = named.map((r) => TABLE_COLUMNS.map((c) => cut(c.value(r), c.max)));
  const widths = TABLE_COLUMNS.map((c, i) =>
    Math.max(c.header.length, ...cells.map((row) => row[i]?.length ?? 0)),
  );
  const line = (values: readonly string[]) =>
    `${values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()}\n`;
  return [line(TABLE_COLUMNS.map((c) => c.header)), ...cells.map(line)].join('');
}

export function registerEventsCommand(
  ctx: Parameters<RegisterCommands>[0],
  wait: SearchWait = defaultSearchWait,
): void {
  const { program, io, setExit } = ctx;
  program
    .command('events')
    .description(
      'Search the stored audit trail: statements (each once, with the sources that saw it) by cluster, user, database, class, command, object, source, text and time range, in Athena or locally',
    )
    .option('--cluster <name>', 'a configured cluster name or a cluster resource id (default: all)')
    .option('--user <name>', 'database user (case-insensitive)')
    .option('--database <name>', 'database name')
    .option(
      '--class <class>',
      'statement class: READ, WRITE, DDL, ROLE, FUNCTION, MISC, CONNECT … (case-insensitive)',
    )
    .option('--command <command>', "command tag, e.g. 'GRANT', 'CREATE TABLE' (case-insensitive)")
    .option('--object <text>', 'part of the object name (case-insensitive)')
    .option(
      '--source <source>',
      `seen by: ${Object.keys(SOURCE_FILTERS).join(', ')} (das and pgaudit: by that source, alone or not)`,
    )
    .option('--text <text>', 'part of the statement text (case-insensitive)')
    .option(
      '--from <time>',
      'start, inclusive: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] in --time-zone, or an instant with Z/offset (default: 24 h before --to)',
    )
    .option(
      '--to <time>',
      'end: a date is inclusive (its whole day), a date and time exclusive (default: now)',
    )
    .option('--time-zone <zone>', 'IANA time zone of --from and --to (default UTC)')
    .option('--limit <n>', `at most this many statements (default ${DEFAULT_LIMIT})`)
    .option(
      '--local <dir>',
      'run on the embedded engine over a stored layout (a synced events/ prefix, or demo-out/)',
    )
    .option('-c, --config <file>', 'configuration file (default: the embedded example)')
    .option('--stack <name>', 'deployed stack name (default: the configuration name)')
    .action((local: EventsOptions, cmd: Command) =>
      guardUsage(io, setExit, async () => {
        // `--output` (table, text, json or csv) is the program's global option.
        const opts: EventsOptions = { ...local, output: cmd.optsWithGlobals<EventsOptions>().output };
        const config = loadConfig(opts.config);
        const search = eventSearch(opts, config, new Date(wait.now()));
        io.stderr(
          `searching ${search.range.start} to ${search.range.end} (UTC; end exclusive), partitions ${search.range.fromDay} hour ${search.range.fromHour} to ${search.range.toDay} hour ${search.range.toHour}\n`,
        );
        let result: SearchResult;
        if (opts.local !== undefined) {
          result = await searchLocal(opts.local, search.parameters, search.limit);
        } else {
          const stack = opts.stack ?? config.name;
          const outputs = await stackOutputs(new CloudFormationClient(awsClientConfig()), stack);
          result = await searchAthena(io, wait, {
            workGroup: requireOutput(outputs, OUTPUTS.athenaWorkGroup, stack),
            table: requireOutput(outputs, OUTPUTS.glueTable, stack),
            parameters: search.parameters,
            limit: search.limit,
          });
        }
        const redact = createRedactor(config.redaction.extraPatterns);
        const rows = result.rows.map((r) => ({
          ...r,
          commandtext: r.commandtext === null ? null : redact(r.commandtext),
        }));
        io.stdout(
          formatRows(rows, search.output, new Map(config.clusters.map((c) => [c.resourceId, c.identifier]))),
        );
        io.stderr(
          `${rows.length} statement(s)${result.more ? `; more matched: raise --limit (${search.limit}) or narrow the search` : ''}\n${result.summary}\n`,
        );
        setExit(0);
      }).catch((err: unknown) => {
        if (!(err instanceof SearchFailedError)) throw err;
        io.stderr(`${err.message}\n`);
        setExit(1);
      }),
    );
}

export const register: RegisterCommands = (ctx) => registerEventsCommand(ctx);
