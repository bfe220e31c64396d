/**
 * `aurora-audit pgaudit parse`: pgAudit log text (a downloaded PostgreSQL log, or stdin) → audit events as
 * JSON lines, with the same parser, redaction and service-user filter as the alert Lambda.
 */
import type { Command } from 'commander';
import { ConfigError, findCluster, loadConfig } from '../../infra/config/load';
import { toJsonLine } from '../../tasks/core/audit-event';
import { DEFAULT_SERVICE_USERS, serviceUserSet } from '../../tasks/core/das/normalize';
import { parsePgAuditLines } from '../../tasks/core/pgaudit/parser';
import { createRedactor } from '../../tasks/core/redact';
import type { CommandContext, RegisterCommands } from '../io';
import { inputLines } from '../lines';

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
      'PostgreSQL log file with the Aurora prefix %t:%r:%u@%d:[%p]: (default: standard input)',
    )
    .option('--cluster-resource-id <id>', 'set clusterId on the events (cluster-…)')
    .option('--cluster <name>', 'resolve the resource id from the configuration by cluster name')
    .option('--instance <id>', 'set instanceId on the events')
    .option('-c, --config <file>', 'configuration file (service users, redaction patterns, cluster names)')
    .action(async (file: string | undefined, opts: ParseOptions) => {
      let clusterId = opts.clusterResourceId ?? null;
      let serviceUsers: readonly string[] = DEFAULT_SERVICE_USERS;
      let patterns: readonly string[] = [];
      if (opts.cluster !== undefined || opts.config !== undefined) {
        try {
          const config = loadConfig(opts.config);
          serviceUsers = config.serviceUsers;
          patterns = config.redaction.extraPatterns;
          if (opts.cluster !== undefined) {
            const cluster = findCluster(config, opts.cluster);
            if (!cluster) {
              io.stderr(
                `cluster ${JSON.stringify(opts.cluster)} is not in the configuration (${config.origin})\n`,
              );
              setExit(2);
              return;
            }
            clusterId = cluster.resourceId;
          }
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          io.stderr(`${err.message}\n`);
          setExit(2);
          return;
        }
      }
      let unreadable = 0;
      const events = parsePgAuditLines(inputLines(io, file), {
        clusterId,
        instanceId: opts.instance ?? null,
        redact: createRedactor(patterns),
        serviceUsers: serviceUserSet(serviceUsers),
        onError: (reason, raw) => {
          unreadable++;
          io.stderr(`unreadable entry: ${reason}: ${raw.slice(0, 200)}\n`);
        },
      });
      for await (const event of events) io.stdout(toJsonLine(event));
      setExit(unreadable > 0 ? 1 : 0);
    });
}

export const register: RegisterCommands = (ctx) => {
  const group = ctx.program.command('pgaudit').description('pgAudit tools: parse logs');
  registerPgauditParse(group, ctx);
};
