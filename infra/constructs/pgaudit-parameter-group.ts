import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';

export const PGAUDIT_CLASSES = [
  'read',
  'write',
  'function',
  'role',
  'ddl',
  'misc',
  'misc_set',
  'all',
  'none',
] as const;

export interface PgAuditParameterGroupProps {
  /** The cluster's engine version, e.g. `rds.AuroraPostgresEngineVersion.VER_16_4`. */
  readonly engineVersion: rds.AuroraPostgresEngineVersion;
  /**
   * `pgaudit.log` for the whole cluster. Per-user settings (`ALTER ROLE … SET pgaudit.log`) are usually
   * better: see `aurora-audit pgaudit setup-sql`.
   * @default 'none'
   */
  readonly log?: readonly string[];
  /**
   * Further parameters, e.g. `shared_preload_libraries` additions such as `pg_stat_statements`.
   * @default none
   */
  readonly extraParameters?: Readonly<Record<string, string>>;
  /**
   * Extra libraries to preload besides pgaudit.
   * @default none
   */
  readonly extraPreloadLibraries?: readonly string[];
}

/**
 * An Aurora PostgreSQL cluster parameter group with the pgAudit settings of the reference procedure:
 * `shared_preload_libraries` includes pgaudit, `pgaudit.role` is `rds_pgaudit`, `pgaudit.log` as given.
 * For users who manage their cluster in CDK: `new rds.DatabaseCluster(…, { parameterGroup: pg.parameterGroup })`.
 * A change of `shared_preload_libraries` takes effect after a reboot.
 */
export class PgAuditParameterGroup extends Construct {
  readonly parameterGroup: rds.ParameterGroup;

  constructor(scope: Construct, id: string, props: PgAuditParameterGroupProps) {
    super(scope, id);
    const classes = props.log ?? ['none'];
    for (const c of classes) {
      const bare = c.replace(/^-/, '').toLowerCase();
      if (!(PGAUDIT_CLASSES as readonly string[]).includes(bare)) {
        throw new Error(
          `PgAuditParameterGroup: log class ${JSON.stringify(c)} is not one of ${PGAUDIT_CLASSES.join(', ')} (optionally with a leading -)`,
        );
      }
    }
    const extras = props.extraParameters ?? {};
    for (const name of ['shared_preload_libraries', 'pgaudit.role', 'pgaudit.log']) {
      if (name in extras)
        throw new Error(`PgAuditParameterGroup: set ${name} through its own property, not extraParameters`);
    }
    this.parameterGroup = new rds.ParameterGroup(this, 'ParameterGroup', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: props.engineVersion }),
      description: 'aurora-audit: pgAudit settings',
      parameters: {
        shared_preload_libraries: ['pgaudit', ...(props.extraPreloadLibraries ?? [])].join(','),
        'pgaudit.role': 'rds_pgaudit',
        'pgaudit.log': classes.join(','),
        ...extras,
      },
    });
    // ParameterGroup renders only once bound; bind it so the group exists even before a cluster uses it.
    this.parameterGroup.bindToCluster({});
  }
}
