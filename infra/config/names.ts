/**
 * Every name the stack gives a resource (or a shared namespace) derives from the configuration's `name`, so
 * that two stacks (staging beside prod) can live in one account and region. The default name, `aurora-audit`,
 * gives exactly the names of earlier releases: upgrading an existing deployment renames nothing.
 */
import { changeEventSource } from '../constructs/change-management';

export interface PhysicalNames {
  /** The stack's name (CloudFormation); its generated resource names start with it. */
  readonly stack: string;
  /** Glue database of the events table (`aurora_audit` for the default name). */
  readonly glueDatabase: string;
  /** Athena workgroup of the report queries. */
  readonly athenaWorkGroup: string;
  /** Prefix of the dashboard's and the pipeline alarms' names. */
  readonly monitoringPrefix: string;
  /** CloudWatch namespace of the metrics derived from the Lambdas' logs. */
  readonly metricNamespace: string;
  /** Subscription filter names on the decrypt Lambda's log group and on the PostgreSQL log groups. */
  readonly activityStreamFilter: string;
  readonly pgAuditFilter: string;
  /** The `source` of the change-ticket events this stack's rules match. */
  readonly changeEventSource: string;
}

/** The physical names of the stack called `name`. */
export function physicalNames(name: string): PhysicalNames {
  return {
    stack: name,
    // Glue and Athena want lower-case letters, digits and underscores in database names.
    glueDatabase: name.replace(/-/g, '_'),
    athenaWorkGroup: name,
    monitoringPrefix: name,
    metricNamespace: name,
    activityStreamFilter: `${name}-alerts`,
    pgAuditFilter: `${name}-pgaudit`,
    changeEventSource: changeEventSource(name),
  };
}
