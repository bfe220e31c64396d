/**
 * The normalized audit event: the one shape both audit sources (Database Activity Streams and pgAudit)
 * map to. It is the JSON line stored in S3 and read by Athena, and what the CLI prints, so its JSON field
 * names and types are a public contract. Change them only with a new major version.
 */
import { sha256Hex } from './sha256';
import { statementKey } from './statement';

export type AuditSource = 'das' | 'pgaudit';
export type AuditType = 'SESSION' | 'OBJECT';

export interface AuditEvent {
  id: string;
  source: AuditSource;
  clusterId: string | null;
  instanceId: string | null;
  time: string;
  auditType: AuditType | null;
  class: string;
  command: string;
  objectType: string | null;
  objectName: string | null;
  database: string | null;
  user: string | null;
  remoteHost: string | null;
  remotePort: string | null;
  sessionId: string | null;
  pid: number | null;
  statementId: number | null;
  substatementId: number | null;
  commandText: string | null;
  parameters: string | null;
  exitCode: string | null;
  errorMessage: string | null;
  rowCount: number | null;
  clientApplication: string | null;
  /**
   * The statement's text key (see `tasks/core/statement.ts`): equal for the two sources' events of one
   * statement. Computed at ingest; the last field, so that lines stored before it existed stay valid.
   */
  statementKey: string;
}

/** Athena/Glue column type of a field. */
export type ColumnType = 'string' | 'bigint';

export interface FieldSpec {
  readonly name: keyof AuditEvent;
  readonly type: ColumnType;
  readonly nullable: boolean;
  /** Which source fills it: `both`, `das`, `pgaudit`, or `derived` (computed by aurora-audit). */
  readonly filledBy: 'both' | 'das' | 'pgaudit' | 'derived';
  readonly description: string;
}

/**
 * Every field, in the order the JSON line and the Glue table use. The Glue table's columns, the field
 * reference in docs/event-model.md and the validator are all derived from this list.
 */
export const AUDIT_EVENT_FIELDS: readonly FieldSpec[] = [
  {
    name: 'id',
    type: 'string',
    nullable: false,
    filledBy: 'derived',
    description:
      'Hex SHA-256 of the identifying fields (see `eventId`); the same event delivered twice has the same id.',
  },
  {
    name: 'source',
    type: 'string',
    nullable: false,
    filledBy: 'derived',
    description: '`das` (Database Activity Streams) or `pgaudit` (PostgreSQL log).',
  },
  {
    name: 'clusterId',
    type: 'string',
    nullable: true,
    filledBy: 'both',
    description:
      "Cluster resource id (`cluster-…`), stable across renames. DAS: the record's `clusterId`; pgAudit: mapped from the log group's cluster name through the configuration. Null only where no mapping is known (offline CLI).",
  },
  {
    name: 'instanceId',
    type: 'string',
    nullable: true,
    filledBy: 'both',
    description:
      "DAS: the record's `instanceId` (`db-…`); pgAudit: the log stream (instance identifier) when known.",
  },
  {
    name: 'time',
    type: 'string',
    nullable: false,
    filledBy: 'both',
    description:
      "ISO-8601 UTC ending in `Z`, sub-second digits kept. DAS: the event's `logTime` (statement end); pgAudit: the `%t` prefix (seconds).",
  },
  {
    name: 'auditType',
    type: 'string',
    nullable: true,
    filledBy: 'pgaudit',
    description: '`SESSION` or `OBJECT` (pgAudit); null for DAS.',
  },
  {
    name: 'class',
    type: 'string',
    nullable: false,
    filledBy: 'both',
    description: 'READ, WRITE, FUNCTION, ROLE, DDL, MISC, MISC_SET, CONNECT, …',
  },
  {
    name: 'command',
    type: 'string',
    nullable: false,
    filledBy: 'both',
    description: 'Command tag, e.g. `GRANT`, `CREATE ROLE`, `SELECT`; `AUTH FAILURE` for failed logins.',
  },
  {
    name: 'objectType',
    type: 'string',
    nullable: true,
    filledBy: 'both',
    description: 'TABLE, INDEX, FUNCTION, … when known.',
  },
  {
    name: 'objectName',
    type: 'string',
    nullable: true,
    filledBy: 'both',
    description: 'Fully qualified object name when known.',
  },
  {
    name: 'database',
    type: 'string',
    nullable: true,
    filledBy: 'both',
    description: 'DAS `databaseName`; pgAudit `%d`.',
  },
  {
    name: 'user',
    type: 'string',
    nullable: true,
    filledBy: 'both',
    description: 'DAS `dbUserName`; pgAudit `%u`.',
  },
  {
    name: 'remoteHost',
    type: 'string',
    nullable: true,
    filledBy: 'both',
    description: 'Client address. DAS `remoteHost`; pgAudit host part of `%r` (`[local]` for sockets).',
  },
  {
    name: 'remotePort',
    type: 'string',
    nullable: true,
    filledBy: 'both',
    description: 'Client port as text. DAS `remotePort`; pgAudit port part of `%r`.',
  },
  {
    name: 'sessionId',
    type: 'string',
    nullable: true,
    filledBy: 'das',
    description: 'DAS `sessionId` (e.g. `5ce5f7f0.474b`).',
  },
  {
    name: 'pid',
    type: 'bigint',
    nullable: true,
    filledBy: 'both',
    description: 'Backend process id. DAS `pid`; pgAudit `%p`.',
  },
  {
    name: 'statementId',
    type: 'bigint',
    nullable: true,
    filledBy: 'both',
    description: 'Statement id within the session.',
  },
  {
    name: 'substatementId',
    type: 'bigint',
    nullable: true,
    filledBy: 'both',
    description: 'Sub-statement id within the statement.',
  },
  {
    name: 'commandText',
    type: 'string',
    nullable: true,
    filledBy: 'both',
    description: 'The statement, with passwords and configured secrets redacted.',
  },
  {
    name: 'parameters',
    type: 'string',
    nullable: true,
    filledBy: 'both',
    description:
      'As logged: DAS `paramList` as JSON text; pgAudit parameter column (`<not logged>`, `<none>`, CSV).',
  },
  {
    name: 'exitCode',
    type: 'string',
    nullable: true,
    filledBy: 'das',
    description: 'DAS `exitCode` (SQLSTATE-like result); null for pgAudit.',
  },
  {
    name: 'errorMessage',
    type: 'string',
    nullable: true,
    filledBy: 'both',
    description: 'DAS `errorMessage` (v1.1); pgAudit failed-login message.',
  },
  {
    name: 'rowCount',
    type: 'bigint',
    nullable: true,
    filledBy: 'both',
    description: 'DAS `rowCount`; pgAudit optional rows column (`pgaudit.log_rows`).',
  },
  {
    name: 'clientApplication',
    type: 'string',
    nullable: true,
    filledBy: 'das',
    description: 'DAS `clientApplication`.',
  },
  {
    name: 'statementKey',
    type: 'string',
    nullable: false,
    filledBy: 'derived',
    description:
      "Statement identity across the two sources: 32 hex characters of SHA-256 over cluster, lower-cased user, database, command tag (`GRANT ROLE` read as `GRANT`) and statement text (whitespace collapsed, trailing `;` dropped); equal for the activity stream's and pgAudit's event of one statement. Lines stored before this field existed lack it (null in Athena); reading them, aurora-audit computes it.",
  },
];

export const AUDIT_EVENT_FIELD_NAMES: readonly (keyof AuditEvent)[] = AUDIT_EVENT_FIELDS.map((f) => f.name);

/** The fields hashed into `id`, in this order, as a JSON array prefixed with the id scheme version. */
export const ID_FIELDS = [
  'source',
  'clusterId',
  'instanceId',
  'time',
  'pid',
  'sessionId',
  'statementId',
  'substatementId',
  'auditType',
  'class',
  'command',
  'objectType',
  'objectName',
  'database',
  'user',
  'commandText',
] as const satisfies readonly (keyof AuditEvent)[];

const ID_SCHEME = 'aurora-audit/event-id/v1';

/** An event's fields before aurora-audit derives `id` and `statementKey`. */
export type AuditEventInput = Omit<AuditEvent, 'id' | 'statementKey'>;

/**
 * The event id: hex SHA-256 of `JSON.stringify([ID_SCHEME, ...ID_FIELDS values])`. These fields identify an
 * event within its source; delivery metadata (Kinesis sequence numbers, CloudWatch event ids) is excluded,
 * so a redelivered event keeps its id.
 * @param commandTextJson `JSON.stringify(event.commandText ?? null)`, when the caller has it already (the
 *   statement is most of the bytes; createAuditEvent serializes it once for the id and the statement key).
 */
export function eventId(
  event: AuditEventInput,
  commandTextJson: string = JSON.stringify(event.commandText ?? null),
): string {
  // The statement is the array's last element: its JSON text is appended to the JSON of the others.
  const head = JSON.stringify([
    ID_SCHEME,
    event.source,
    event.clusterId,
    event.instanceId,
    event.time,
    event.pid,
    event.sessionId,
    event.statementId,
    event.substatementId,
    event.auditType,
    event.class,
    event.command,
    event.objectType,
    event.objectName,
    event.database,
    event.user,
  ]);
  return sha256Hex(`${head.slice(0, -1)},${commandTextJson}]`);
}

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/** Builds a complete event from its fields: fixes the field order and computes `id`. */
export function createAuditEvent(input: AuditEventInput): AuditEvent {
  const commandTextJson = JSON.stringify(input.commandText ?? null);
  // An object literal in contract order: one hidden class for every event, and the stored key order.
  return {
    id: eventId(input, commandTextJson),
    source: input.source,
    clusterId: orNull(input.clusterId),
    instanceId: orNull(input.instanceId),
    time: input.time,
    auditType: orNull(input.auditType),
    class: input.class,
    command: input.command,
    objectType: orNull(input.objectType),
    objectName: orNull(input.objectName),
    database: orNull(input.database),
    user: orNull(input.user),
    remoteHost: orNull(input.remoteHost),
    remotePort: orNull(input.remotePort),
    sessionId: orNull(input.sessionId),
    pid: orNull(input.pid),
    statementId: orNull(input.statementId),
    substatementId: orNull(input.substatementId),
    commandText: orNull(input.commandText),
    parameters: orNull(input.parameters),
    exitCode: orNull(input.exitCode),
    errorMessage: orNull(input.errorMessage),
    rowCount: orNull(input.rowCount),
    clientApplication: orNull(input.clientApplication),
    statementKey: statementKey(input, commandTextJson),
  };
}

export class InvalidAuditEventError extends Error {
  override readonly name = 'InvalidAuditEventError';
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/**
 * Checks a parsed JSON value against the contract (every field present, right type, no extras) and returns it
 * typed. Used by the CLI and tests on stored lines.
 * @throws InvalidAuditEventError naming the first bad field.
 */
export function parseAuditEvent(value: unknown): AuditEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidAuditEventError('an audit event must be a JSON object');
  }
  let record = value as Record<string, unknown>;
  for (const spec of AUDIT_EVENT_FIELDS) {
    // A line stored before statementKey existed: derived here, as the Lambdas derive it at ingest.
    if (spec.name === 'statementKey' && !(spec.name in record)) continue;
    if (!(spec.name in record)) throw new InvalidAuditEventError(`field ${spec.name} is missing`);
    const v = record[spec.name];
    if (v === null) {
      if (!spec.nullable) throw new InvalidAuditEventError(`field ${spec.name} must not be null`);
      continue;
    }
    const ok = spec.type === 'bigint' ? Number.isInteger(v) : typeof v === 'string';
    if (!ok) {
      throw new InvalidAuditEventError(
        `field ${spec.name} must be ${spec.type === 'bigint' ? 'an integer' : 'a string'}${spec.nullable ? ' or null' : ''}, got ${JSON.stringify(v)}`,
      );
    }
  }
  const extra = Object.keys(record).filter((k) => !AUDIT_EVENT_FIELD_NAMES.includes(k as keyof AuditEvent));
  if (extra.length > 0) throw new InvalidAuditEventError(`unknown field ${extra[0]}`);
  if (record.source !== 'das' && record.source !== 'pgaudit') {
    throw new InvalidAuditEventError(
      `field source must be "das" or "pgaudit", got ${JSON.stringify(record.source)}`,
    );
  }
  if (record.auditType !== null && record.auditType !== 'SESSION' && record.auditType !== 'OBJECT') {
    throw new InvalidAuditEventError(
      `field auditType must be "SESSION", "OBJECT" or null, got ${JSON.stringify(record.auditType)}`,
    );
  }
  if (!ISO_UTC.test(record.time as string)) {
    throw new InvalidAuditEventError(
      `field time must be ISO-8601 UTC ending in Z, got ${JSON.stringify(record.time)}`,
    );
  }
  if (!('statementKey' in record)) {
    const fields = record as unknown as AuditEventInput;
    record = { ...record, statementKey: statementKey(fields) };
  }
  return record as unknown as AuditEvent;
}

/**
 * The stored JSON object of an event, fields in contract order, without a newline: what a Firehose record
 * carries (the delivery stream appends the newline).
 */
export function toJson(event: AuditEvent): string {
  // Events from createAuditEvent already have the contract's key order: stringify them as they are (the
  // fast path); anything else (parsed or hand-built) is rebuilt in order, without extra keys.
  let i = 0;
  let ordered = true;
  for (const key in event) {
    if (key !== AUDIT_EVENT_FIELD_NAMES[i++]) {
      ordered = false;
      break;
    }
  }
  if (ordered && i === AUDIT_EVENT_FIELD_NAMES.length) return JSON.stringify(event);
  return JSON.stringify(event, AUDIT_EVENT_FIELD_NAMES as string[]);
}

/** The stored form: one JSON object per line, fields in contract order. */
export function toJsonLine(event: AuditEvent): string {
  return `${toJson(event)}\n`;
}
