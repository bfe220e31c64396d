/**
 * A CloudFormation custom resource (`Custom::PostgresLogRetention`): sets the retention of every configured
 * cluster's PostgreSQL log group (./retention). It answers CloudFormation itself (a PUT of the response to
 * the pre-signed `ResponseURL`), always, failures included: a custom resource that never answers holds the
 * stack for an hour. Delete does nothing: the groups belong to RDS and are kept.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { createLogger } from '../shared/logger';
import { parseRetentionProperties, setRetention } from './retention';

/** The fields of a custom resource request this handler reads (CloudFormation User Guide, "Custom resources"). */
export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties?: Record<string, unknown>;
}

/** One resource for the whole fleet: the physical id never changes (an Update never replaces it). */
export const PHYSICAL_RESOURCE_ID = 'aurora-audit-postgres-log-retention';

export interface RetentionHandlerDeps {
  readonly client: Pick<CloudWatchLogsClient, 'send'>;
  /** PUTs the response document to the pre-signed URL. */
  readonly respond: (url: string, body: string) => Promise<void>;
  readonly logger: Pick<ReturnType<typeof createLogger>, 'info' | 'error'>;
}

export function createRetentionHandler(deps: RetentionHandlerDeps) {
  return async (event: CustomResourceEvent): Promise<void> => {
    let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
    let reason = 'done';
    try {
      if (event.RequestType !== 'Delete') {
        const { names, days } = parseRetentionProperties(event.ResourceProperties);
        const result = await setRetention(deps.client, names, days);
        reason = `retention ${days} days on ${result.updated} log groups (${result.created.length} created)`;
        deps.logger.info('postgres log retention set', {
          days,
          groups: result.updated,
          created: result.created,
        });
      }
    } catch (err) {
      status = 'FAILED';
      reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      deps.logger.error('postgres log retention failed', { reason });
    }
    const body = JSON.stringify({
      Status: status,
      // CloudFormation shows the reason in the stack events; it accepts at most 4 KB of response.
      Reason: reason.slice(0, 1000),
      PhysicalResourceId: event.PhysicalResourceId ?? PHYSICAL_RESOURCE_ID,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
    });
    await deps.respond(event.ResponseURL, body);
  };
}

/** The response PUT: no content type (the URL is signed without one). */
export async function putResponse(url: string, body: string): Promise<void> {
  const response = await fetch(url, {
    method: 'PUT',
    body,
    headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
  });
  if (!response.ok) throw new Error(`the custom resource response was refused: HTTP ${response.status}`);
}

export const handler = createRetentionHandler({
  client: new CloudWatchLogsClient({}),
  respond: putResponse,
  logger: createLogger('aurora-audit-postgres-log-retention'),
});
