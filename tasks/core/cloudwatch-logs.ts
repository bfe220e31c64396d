/**
 * CloudWatch Logs subscription payloads: Lambda receives `{"awslogs": {"data": base64(gzip(JSON))}}` whose
 * JSON is `{messageType, owner, logGroup, logStream, subscriptionFilters, logEvents: [{id, timestamp,
 * message}]}`. `CONTROL_MESSAGE`s (sent when a subscription is created) carry no log events.
 */
import { gunzipSync } from 'node:zlib';

export interface LogEvent {
  readonly id: string;
  readonly timestamp: number;
  readonly message: string;
}

export interface LogsPayload {
  readonly messageType: 'DATA_MESSAGE' | 'CONTROL_MESSAGE';
  readonly owner: string;
  readonly logGroup: string;
  readonly logStream: string;
  readonly subscriptionFilters: readonly string[];
  readonly logEvents: readonly LogEvent[];
}

export interface SubscriptionEvent {
  readonly awslogs: { readonly data: string };
}

export class InvalidLogsPayloadError extends Error {
  override readonly name = 'InvalidLogsPayloadError';
}

/** Most bytes a payload may decompress to (CloudWatch sends at most about 1 MB). */
export const MAX_LOGS_PAYLOAD_BYTES = 16 * 1024 * 1024;

export function decodeSubscriptionEvent(event: SubscriptionEvent): LogsPayload {
  const data = event?.awslogs?.data;
  if (typeof data !== 'string') throw new InvalidLogsPayloadError('event has no awslogs.data');
  let json: string;
  try {
    json = gunzipSync(Buffer.from(data, 'base64'), { maxOutputLength: MAX_LOGS_PAYLOAD_BYTES }).toString(
      'utf8',
    );
  } catch (err) {
    throw new InvalidLogsPayloadError(`awslogs.data is not base64 gzip: ${(err as Error).message}`);
  }
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(json) as Record<string, unknown>;
  } catch (err) {
    throw new InvalidLogsPayloadError(`awslogs.data is not JSON: ${(err as Error).message}`);
  }
  if (value.messageType !== 'DATA_MESSAGE' && value.messageType !== 'CONTROL_MESSAGE') {
    throw new InvalidLogsPayloadError(`unknown messageType ${JSON.stringify(value.messageType)}`);
  }
  if (typeof value.logGroup !== 'string' || !Array.isArray(value.logEvents)) {
    throw new InvalidLogsPayloadError('payload lacks logGroup or logEvents');
  }
  return value as unknown as LogsPayload;
}

/** The cluster name of an Aurora PostgreSQL log group `/aws/rds/cluster/<name>/postgresql`, or undefined. */
export function clusterOfLogGroup(logGroup: string): string | undefined {
  return /^\/aws\/rds\/cluster\/([^/]+)\/postgresql$/.exec(logGroup)?.[1];
}

/** The log group Aurora PostgreSQL exports a cluster's log to. */
export const postgresLogGroupName = (clusterIdentifier: string): string =>
  `/aws/rds/cluster/${clusterIdentifier}/postgresql`;
