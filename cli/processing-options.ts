import { ConfigError, findCluster, loadConfig } from '../infra/config/load';
import { DEFAULT_SERVICE_USERS } from '../tasks/core/das/normalize';
import type { CliIo } from './io';

export interface ProcessingOptions {
  /** The cluster resource id from `--cluster-resource-id`, or resolved from `--cluster NAME`. */
  readonly clusterId: string | undefined;
  readonly serviceUsers: readonly string[];
  readonly redactionPatterns: readonly string[];
}

/**
 * What `decode` and `pgaudit parse` need from the configuration: service users, redaction patterns and the
 * cluster's resource id. Without `--config` or `--cluster`, the defaults (no configuration is read).
 * Undefined after reporting a problem on stderr (the caller exits 2).
 */
export function processingOptions(
  opts: { clusterResourceId?: string; cluster?: string; config?: string },
  io: CliIo,
): ProcessingOptions | undefined {
  if (opts.cluster === undefined && opts.config === undefined) {
    return { clusterId: opts.clusterResourceId, serviceUsers: DEFAULT_SERVICE_USERS, redactionPatterns: [] };
  }
  try {
    const config = loadConfig(opts.config);
    let clusterId = opts.clusterResourceId;
    if (opts.cluster !== undefined) {
      const cluster = findCluster(config, opts.cluster);
      if (!cluster) {
        io.stderr(`cluster ${JSON.stringify(opts.cluster)} is not in the configuration (${config.origin})\n`);
        return undefined;
      }
      clusterId = cluster.resourceId;
    }
    return {
      clusterId,
      serviceUsers: config.serviceUsers,
      redactionPatterns: config.redaction.extraPatterns,
    };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr(`${err.message}\n`);
    return undefined;
  }
}
