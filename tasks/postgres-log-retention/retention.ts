/**
 * The retention of the clusters' PostgreSQL log groups, set by one CloudFormation custom resource for the whole
 * fleet (one resource per cluster would take 200 of the stack's 500 resources at 200 clusters). RDS creates a
 * group with no expiry when it first exports logs: the group is created here if it is not there yet, and its
 * retention set, without the stack owning it (deleting the stack, or removing a cluster, keeps the group).
 */
import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-cloudwatch-logs';

/** The custom resource's properties, as CloudFormation passes them (every value a string). */
export interface RetentionProperties {
  readonly LogGroupNames: readonly string[];
  readonly RetentionInDays: string;
}

export class InvalidRetentionPropertiesError extends Error {
  override readonly name = 'InvalidRetentionPropertiesError';
}

/** A group whose retention could not be set, named with the cause. */
export class LogRetentionFailedError extends Error {
  override readonly name = 'LogRetentionFailedError';
}

export function parseRetentionProperties(props: Record<string, unknown> | undefined): {
  names: string[];
  days: number;
} {
  const names = props?.LogGroupNames;
  const days = Number(props?.RetentionInDays);
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string' && n !== ''))
    throw new InvalidRetentionPropertiesError(
      `LogGroupNames must be a non-empty list of log group names, got ${JSON.stringify(names)}`,
    );
  if (!Number.isInteger(days) || days < 1)
    throw new InvalidRetentionPropertiesError(
      `RetentionInDays must be a positive whole number, got ${JSON.stringify(props?.RetentionInDays)}`,
    );
  return { names: names as string[], days };
}

/**
 * Creates each group if it is missing and sets its retention, one after the other (the SDK retries throttling);
 * the first failure stops with the group's name and the cause.
 */
export async function setRetention(
  client: Pick<CloudWatchLogsClient, 'send'>,
  names: readonly string[],
  days: number,
): Promise<{ created: string[]; updated: number }> {
  const created: string[] = [];
  for (const logGroupName of names) {
    try {
      try {
        await client.send(new CreateLogGroupCommand({ logGroupName }));
        created.push(logGroupName);
      } catch (err) {
        if (!(err instanceof ResourceAlreadyExistsException)) throw err;
      }
      await client.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: days }));
    } catch (err) {
      const cause = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new LogRetentionFailedError(`cannot set the retention of ${logGroupName}: ${cause}`);
    }
  }
  return { created, updated: names.length };
}
