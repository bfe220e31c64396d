/**
 * `aurora-audit pgaudit parse`: pgAudit log text (a downloaded PostgreSQL log, or stdin) → audit events as
 * JSON lines, with the same parser, redaction and service-user filter as the alert Lambda.
 */
import { DescribeDBClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import type { Command } from 'commander';
import { ConfigError, findCluster, loadConfig } from '../../infra/config/load';
import { toJsonLine } from '../../tasks/core/audit-event';
import { serviceUserSet } from '../../tasks/core/das/normalize';
import { csvlogToStderrLines, looksLikeCsvlog } from '../../tasks/core/pgaudit/csvlog';
import { AURORA_LOG_LINE_PREFIX, hasAuroraPrefix, parsePgAuditLines } from '../../tasks/core/pgaudit/parser';
import { InvalidSetupError, setupSql } from '../../tasks/core/pgaudit/setup-sql';
import { createRedactor } from '../../tasks/core/redact';
import { awsClientConfig } from '../aws-settings';
import type { CommandContext, RegisterCommands } from '../io';
import { inputLines } from '../lines';
import { processingOptions } from '../processing-options';
import { clusterParameters } from '../rds-parameters';

interface ParseOptions {
  clusterResourceId?: string;
  cluster?: string;
  instance?: string;
  config?: string;
}

export function registerPgauditParse(group: Command, { io, setExit }: CommandContext): void {
  group
    .command('parse')
    .description('Parse pgAudit log text (stdin without FILE) into audit events, one JSON line each')
    .argument(
      '[file]',
      'PostgreSQL log file: stderr log with the Aurora prefix %t:%r:%u@%d:[%p]:, or csvlog (default: standard input)',
    )
    .option('--cluster-resource-id <id>', 'set clusterId on the events (cluster-…)')
    .option('--cluster <name>', 'resolve the resource id from the configuration by cluster name')
    .option('--instance <id>', 'set instanceId on the events')
    .option('-c, --config <file>', 'configuration file (service users, redaction patterns, cluster names)')
    .action(async (file: string | undefined, opts: ParseOptions) => {
      const resolved = processingOptions(opts, io);
      if (!resolved) {
        setExit(2);
        return;
      }
      let unreadable = 0;
      let count = 0;
      const redact = createRedactor(resolved.redactionPatterns);
      const input = examinedLines(inputLines(io, file));
      const events = parsePgAuditLines(input.lines, {
        clusterId: resolved.clusterId ?? null,
        instanceId: opts.instance ?? null,
        redact,
        serviceUsers: serviceUserSet(resolved.serviceUsers),
        onError: (reason, raw) => {
          unreadable++;
          // The entry as logged may hold a password: shown redacted, like the events.
          io.stderr(`unreadable entry: ${reason}: ${redact(raw).slice(0, 200)}\n`);
        },
      });
      for await (const event of events) {
        count++;
        io.stdout(toJsonLine(event));
      }
      const why = count === 0 ? noEventReason(input.seen, redact) : undefined;
      if (why) io.stderr(`${why}\n`);
      setExit(unreadable > 0 || why ? 1 : 0);
    });
}

/** What the input held, to say why it yielded no event. */
interface SeenLines {
  format: 'stderr' | 'csvlog';
  lines: number;
  prefixed: number;
  audit: number;
  first?: string;
}

/** The input's lines for the parser (a csvlog turned into the stderr form), counting what they hold. */
export function examinedLines(lines: AsyncIterable<string>): {
  lines: AsyncGenerator<string>;
  seen: SeenLines;
} {
  const seen: SeenLines = { format: 'stderr', lines: 0, prefixed: 0, audit: 0 };
  async function* counted(source: AsyncIterable<string>): AsyncGenerator<string> {
    for await (const line of source) {
      if (line.trim() !== '') {
        seen.lines++;
        seen.first ??= line;
        if (hasAuroraPrefix(line)) seen.prefixed++;
        if (line.includes('AUDIT: ')) seen.audit++;
      }
      yield line;
    }
  }
  async function* detect(): AsyncGenerator<string> {
    const it = lines[Symbol.asyncIterator]();
    const head: string[] = [];
    let next = await it.next();
    while (!next.done && next.value.trim() === '') {
      head.push(next.value);
      next = await it.next();
    }
    if (!next.done) head.push(next.value);
    const rest = async function* () {
      yield* head;
      for (;;) {
        const n = await it.next();
        if (n.done) return;
        yield n.value;
      }
    };
    if (!next.done && looksLikeCsvlog(next.value)) {
      seen.format = 'csvlog';
      yield* counted(csvlogToStderrLines(rest()));
    } else yield* counted(rest());
  }
  return { lines: detect(), seen };
}

/** Why a non-empty input gave no event (undefined for an empty input). */
export function noEventReason(seen: SeenLines, redact: (s: string) => string): string | undefined {
  if (seen.lines === 0) return undefined;
  const n = `${seen.lines} line${seen.lines === 1 ? '' : 's'}`;
  if (seen.prefixed === 0) {
    return `no event in ${n}: no line starts with the Aurora prefix ${AURORA_LOG_LINE_PREFIX} (e.g. "2026-11-24 16:59:02 UTC:10.0.0.5(49182):app_user@appdb:[11660]:LOG:  AUDIT: …"); the first line is: ${redact(seen.first ?? '').slice(0, 120)}\n  a PostgreSQL log with another log_line_prefix cannot be read; a csvlog file (log_destination=csvlog) can`;
  }
  if (seen.audit === 0) {
    return `no event in ${n}: the lines have the Aurora prefix but none is a pgAudit entry ("AUDIT: ") or a failed login; is pgaudit.log set (aurora-audit pgaudit check)?`;
  }
  return `no event in ${n}: every pgAudit entry was left out (service users: see serviceUsers in the configuration) or unreadable`;
}

export function registerPgauditSetup(group: Command, { io, setExit }: CommandContext): void {
  group
    .command('setup-sql')
    .description(
      'Print the SQL that enables pgAudit for audited users (extension, rds_pgaudit role, per-user classes)',
    )
    .requiredOption('--audited-user <name...>', 'database user(s) to audit')
    .option(
      '--classes <list>',
      'pgaudit.log classes, comma-separated (read, write, function, role, ddl, misc, misc_set, all, none; -class subtracts)',
      'role,ddl',
    )
    .option('--database <name>', 'database to create the extension in')
    .action((opts: { auditedUser: string[]; classes: string; database?: string }) => {
      try {
        io.stdout(
          setupSql({ auditedUsers: opts.auditedUser, classes: opts.classes, database: opts.database }),
        );
        setExit(0);
      } catch (err) {
        if (!(err instanceof InvalidSetupError)) throw err;
        io.stderr(`${err.message}\n`);
        setExit(2);
      }
    });

  group
    .command('check')
    .description(
      "Check a cluster's pgAudit set-up: log export, shared_preload_libraries, pgaudit.log/role, pending reboot",
    )
    .requiredOption(
      '--cluster <name>',
      'cluster identifier (resolved through the configuration when listed there)',
    )
    .option('-c, --config <file>', 'configuration file (default: the embedded example)')
    .option('--json', 'print the checks as JSON')
    .action(async (opts: { cluster: string; config?: string; json?: boolean }) => {
      let identifier = opts.cluster;
      try {
        identifier = findCluster(loadConfig(opts.config), opts.cluster)?.identifier ?? opts.cluster;
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        io.stderr(`${err.message}\n`);
        setExit(2);
        return;
      }
      const checks = await checkPgAudit(new RDSClient(awsClientConfig()), identifier);
      if (opts.json)
        io.stdout(`${JSON.stringify({ cluster: identifier, ok: checks.every((c) => c.ok), checks })}\n`);
      else {
        io.stdout(`pgAudit set-up of ${identifier}\n`);
        for (const c of checks)
          io.stdout(`  ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}${c.ok ? '' : `\n      → ${c.fix}`}\n`);
      }
      setExit(checks.every((c) => c.ok) ? 0 : 1);
    });
}

export interface PgAuditCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly fix: string;
}

/** The cluster's pgAudit prerequisites, from the RDS API. */
export async function checkPgAudit(rds: RDSClient, identifier: string): Promise<PgAuditCheck[]> {
  const { DBClusters } = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }));
  const cluster = DBClusters?.[0];
  if (!cluster) {
    return [
      {
        name: 'cluster',
        ok: false,
        detail: `${identifier} not found`,
        fix: 'check the name and the region (--region, AWS_REGION)',
      },
    ];
  }
  const group = cluster.DBClusterParameterGroup ?? '';
  const params = await clusterParameters(rds, group);
  const exports = cluster.EnabledCloudwatchLogsExports ?? [];
  const preload = params.get('shared_preload_libraries') ?? '';
  const log = params.get('pgaudit.log');
  const role = params.get('pgaudit.role');
  const pending = (cluster.DBClusterMembers ?? []).filter(
    (m) => m.DBClusterParameterGroupStatus === 'pending-reboot',
  );
  return [
    {
      name: 'postgresql log exported to CloudWatch',
      ok: exports.includes('postgresql'),
      detail: exports.length ? `exports ${exports.join(', ')}` : 'exports no logs',
      fix: `aws rds modify-db-cluster --db-cluster-identifier ${identifier} --cloudwatch-logs-export-configuration '{"EnableLogTypes":["postgresql"]}'`,
    },
    {
      name: 'shared_preload_libraries includes pgaudit',
      ok: preload
        .split(',')
        .map((x) => x.trim())
        .includes('pgaudit'),
      detail: `parameter group ${group}: shared_preload_libraries = ${preload || '(default)'}`,
      fix: `set shared_preload_libraries to include pgaudit in ${group} (or use the PgAuditParameterGroup construct), then reboot`,
    },
    {
      name: 'pgaudit.role is rds_pgaudit',
      ok: role === 'rds_pgaudit',
      detail: `pgaudit.role = ${role ?? '(not set)'}`,
      fix: `set pgaudit.role = rds_pgaudit in ${group}, and CREATE ROLE rds_pgaudit (aurora-audit pgaudit setup-sql)`,
    },
    {
      name: 'pgaudit.log is set',
      ok: log !== undefined && log !== '' && log.toLowerCase() !== 'none',
      detail: `pgaudit.log = ${log ?? '(not set)'}`,
      fix: `set pgaudit.log in ${group}, or per user with ALTER ROLE … SET pgaudit.log (aurora-audit pgaudit setup-sql)`,
    },
    {
      name: 'no reboot pending',
      ok: pending.length === 0,
      detail: pending.length
        ? `pending-reboot on ${pending.map((m) => m.DBInstanceIdentifier).join(', ')}`
        : 'parameter group in sync',
      fix: 'reboot the listed instances in a maintenance window so the parameter changes take effect',
    },
  ];
}

export const register: RegisterCommands = (ctx) => {
  const group = ctx.program
    .command('pgaudit')
    .description('pgAudit tools: parse logs, set-up SQL, set-up check');
  registerPgauditParse(group, ctx);
  registerPgauditSetup(group, ctx);
};
