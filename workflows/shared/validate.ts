/**
 * Checks the workflow constructs share, each naming the bad value and where it is. `fail` throws with the
 * construct's name in front (`CanaryWorkflow: …`).
 */
import { CLUSTER_IDENTIFIER, CLUSTER_RESOURCE_ID } from '../../tasks/core/identifiers';

export type Fail = (message: string) => never;

/**
 * A workflow's cluster list: at least one cluster (else `emptyMessage`), every identifier a DB cluster
 * identifier and listed once, and every resource id, where the list has them, `cluster-` and 26 characters.
 */
export function checkClusterList(
  clusters: readonly { readonly identifier: string; readonly resourceId?: string }[],
  fail: Fail,
  emptyMessage = 'clusters must list at least one cluster',
): void {
  if (clusters.length === 0) fail(emptyMessage);
  const seen = new Set<string>();
  clusters.forEach((c, i) => {
    if (!CLUSTER_IDENTIFIER.test(c.identifier))
      fail(`clusters[${i}].identifier must be a DB cluster identifier, got ${JSON.stringify(c.identifier)}`);
    if (seen.has(c.identifier))
      fail(`clusters[${i}].identifier ${JSON.stringify(c.identifier)} is listed twice`);
    seen.add(c.identifier);
    if (c.resourceId !== undefined && !CLUSTER_RESOURCE_ID.test(c.resourceId))
      fail(
        `clusters[${i}].resourceId must be "cluster-" and 26 upper-case letters or digits, got ${JSON.stringify(c.resourceId)}`,
      );
  });
}

/** The notices' subject prefix: 1-24 characters, default `aurora-audit`. */
export function checkSubjectPrefix(subjectPrefix: string | undefined, fail: Fail): string {
  const prefix = subjectPrefix ?? 'aurora-audit';
  if (prefix.length < 1 || prefix.length > 24)
    fail(`subjectPrefix must be 1-24 characters, got ${JSON.stringify(prefix)}`);
  return prefix;
}
