/** RDS reads shared by the CLI's checks (`pgaudit check`, `doctor`). */
import { DescribeDBClusterParametersCommand, type RDSClient } from '@aws-sdk/client-rds';

/** Every parameter of a cluster parameter group (all pages). */
export async function clusterParameters(
  rds: RDSClient,
  group: string,
): Promise<Map<string, string | undefined>> {
  const params = new Map<string, string | undefined>();
  let marker: string | undefined;
  do {
    const page = await rds.send(
      new DescribeDBClusterParametersCommand({ DBClusterParameterGroupName: group, Marker: marker }),
    );
    for (const p of page.Parameters ?? []) if (p.ParameterName) params.set(p.ParameterName, p.ParameterValue);
    marker = page.Marker;
  } while (marker);
  return params;
}
