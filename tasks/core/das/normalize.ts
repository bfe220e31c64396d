/**
 * Activity-stream events → the audit-event model: heartbeats and service users are filtered, text is
 * redacted, times become ISO-8601 UTC.
 */
import { type AuditEvent, createAuditEvent } from '../audit-event';
import type { Redactor } from '../redact';
import { toIsoUtc } from '../time';
import type { ActivityEvent, ActivityPayload } from './record';

export const DEFAULT_SERVICE_USERS: readonly string[] = ['rdsadmin', 'rdsproxyadmin'];

export interface NormalizeOptions {
  readonly redact: Redactor;
  /** Database users to drop, compared case-insensitively. Default rdsadmin, rdsproxyadmin. */
  readonly serviceUsers?: readonly string[];
  /** Keep heartbeat events (the CLI's --include-heartbeats). Default false. */
  readonly includeHeartbeats?: boolean;
}

export interface NormalizedRecord {
  readonly events: AuditEvent[];
  heartbeats: number;
  serviceUserEvents: number;
  /** Events that could not be normalized, with their index in the list and the reason. */
  readonly rejected: { index: number; reason: string }[];
}

/** A lower-cased set of service users, built once per configuration. */
export function serviceUserSet(users: readonly string[] = DEFAULT_SERVICE_USERS): ReadonlySet<string> {
  return new Set(users.map((u) => u.toLowerCase()));
}

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : String(value);
}

function integer(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

function parameters(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Maps one activity event; throws on an event without a usable time. */
export function normalizeActivityEvent(
  event: ActivityEvent,
  payload: Pick<ActivityPayload, 'clusterId' | 'instanceId'>,
  redact: Redactor,
): AuditEvent {
  const when = event.logTime ?? event.startTime;
  if (typeof when !== 'string') throw new Error('event has no logTime');
  const commandText = text(event.commandText);
  const params = parameters(event.paramList);
  const errorMessage = text(event.errorMessage);
  return createAuditEvent({
    source: 'das',
    clusterId: payload.clusterId,
    instanceId: payload.instanceId,
    time: toIsoUtc(when),
    auditType: null,
    class: text(event.class) ?? 'UNKNOWN',
    command: text(event.command) ?? 'UNKNOWN',
    objectType: text(event.objectType),
    objectName: text(event.objectName),
    database: text(event.databaseName),
    user: text(event.dbUserName),
    remoteHost: text(event.remoteHost),
    remotePort: text(event.remotePort),
    sessionId: text(event.sessionId),
    pid: integer(event.pid),
    statementId: integer(event.statementId),
    substatementId: integer(event.substatementId),
    commandText: commandText === null ? null : redact(commandText),
    parameters: params === null ? null : redact(params),
    exitCode: text(event.exitCode),
    errorMessage: errorMessage === null ? null : redact(errorMessage),
    rowCount: integer(event.rowCount),
    clientApplication: text(event.clientApplication),
  });
}

/** Normalizes a decrypted payload's event list. */
export function normalizeActivityPayload(
  payload: ActivityPayload,
  options: NormalizeOptions & { readonly serviceUserSet?: ReadonlySet<string> },
): NormalizedRecord {
  const users = options.serviceUserSet ?? serviceUserSet(options.serviceUsers);
  const result: NormalizedRecord = { events: [], heartbeats: 0, serviceUserEvents: 0, rejected: [] };
  payload.databaseActivityEventList.forEach((event, index) => {
    if (typeof event !== 'object' || event === null) {
      result.rejected.push({ index, reason: 'event is not a JSON object' });
      return;
    }
    if (event.type === 'heartbeat') {
      result.heartbeats++;
      if (!options.includeHeartbeats) return;
    }
    if (typeof event.dbUserName === 'string' && users.has(event.dbUserName.toLowerCase())) {
      result.serviceUserEvents++;
      return;
    }
    try {
      result.events.push(normalizeActivityEvent(event, payload, options.redact));
    } catch (err) {
      result.rejected.push({ index, reason: (err as Error).message });
    }
  });
  return result;
}
