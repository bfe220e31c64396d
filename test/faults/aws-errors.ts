/**
 * AWS errors shaped as the SDK v3 throws them after its own retries: a service exception of the client's
 * class with `name`, `$fault`, `$metadata.httpStatusCode` (and `attempts`), `$retryable.throttling` for
 * throttling; and a socket timeout as the Node HTTP handler reports it.
 */

export interface ServiceExceptionOptions {
  name: string;
  $fault: 'client' | 'server';
  $metadata: { httpStatusCode?: number; requestId?: string; attempts?: number; totalRetryDelay?: number };
  message?: string;
}

/** A client's `XxxServiceException` class (e.g. `KMSServiceException`), so errors are `instanceof` it. */
export type ServiceExceptionClass = new (options: ServiceExceptionOptions) => Error;

export type FaultKind = 'throttling' | 'server' | 'timeout' | 'accessDenied';
export const FAULT_KINDS: readonly FaultKind[] = ['throttling', 'server', 'timeout', 'accessDenied'];

export function sdkError(
  Base: ServiceExceptionClass,
  name: string,
  httpStatusCode: number,
  options: { throttling?: boolean; message?: string } = {},
): Error {
  const err = new Base({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, requestId: 'fault-injected', attempts: 3, totalRetryDelay: 150 },
    message: options.message ?? `${name} (injected)`,
  });
  if (options.throttling) Object.assign(err, { $retryable: { throttling: true } });
  return err;
}

/** What the SDK's Node HTTP handler throws when a socket times out (retried by the SDK, then thrown). */
export function timeoutError(): Error {
  return Object.assign(new Error('Connection timed out after 5000 ms (injected)'), {
    name: 'TimeoutError',
    code: 'ETIMEDOUT',
    $metadata: { attempts: 3 },
  });
}

/** Each service's own spelling of the four faults. */
export interface ServiceFaults {
  readonly throttling: { name: string; status: number };
  readonly server: { name: string; status: number };
  readonly accessDenied: { name: string; status: number };
}

export const SERVICE_FAULTS = {
  kms: {
    throttling: { name: 'ThrottlingException', status: 400 },
    server: { name: 'KMSInternalException', status: 500 },
    accessDenied: { name: 'AccessDeniedException', status: 400 },
  },
  firehose: {
    throttling: { name: 'ServiceUnavailableException', status: 503 },
    server: { name: 'InternalFailure', status: 500 },
    accessDenied: { name: 'AccessDeniedException', status: 400 },
  },
  s3: {
    throttling: { name: 'SlowDown', status: 503 },
    server: { name: 'InternalError', status: 500 },
    accessDenied: { name: 'AccessDenied', status: 403 },
  },
  sns: {
    throttling: { name: 'ThrottledException', status: 400 },
    server: { name: 'InternalErrorException', status: 500 },
    accessDenied: { name: 'AuthorizationErrorException', status: 403 },
  },
  dynamodb: {
    throttling: { name: 'ProvisionedThroughputExceededException', status: 400 },
    server: { name: 'InternalServerError', status: 500 },
    accessDenied: { name: 'AccessDeniedException', status: 400 },
  },
  ses: {
    throttling: { name: 'Throttling', status: 400 },
    server: { name: 'ServiceUnavailable', status: 503 },
    accessDenied: { name: 'AccessDenied', status: 403 },
  },
  athena: {
    throttling: { name: 'TooManyRequestsException', status: 400 },
    server: { name: 'InternalServerException', status: 500 },
    accessDenied: { name: 'AccessDeniedException', status: 400 },
  },
  sfn: {
    throttling: { name: 'ThrottlingException', status: 400 },
    server: { name: 'InternalFailure', status: 500 },
    accessDenied: { name: 'AccessDeniedException', status: 400 },
  },
  cloudformation: {
    throttling: { name: 'Throttling', status: 400 },
    server: { name: 'InternalFailure', status: 500 },
    accessDenied: { name: 'AccessDenied', status: 403 },
  },
  rds: {
    throttling: { name: 'Throttling', status: 400 },
    server: { name: 'InternalFailure', status: 500 },
    accessDenied: { name: 'AccessDenied', status: 403 },
  },
  lambda: {
    throttling: { name: 'TooManyRequestsException', status: 429 },
    server: { name: 'ServiceException', status: 500 },
    accessDenied: { name: 'AccessDeniedException', status: 403 },
  },
} as const satisfies Record<string, ServiceFaults>;

export type ServiceName = keyof typeof SERVICE_FAULTS;

/** The fault `kind` of `service`, as its SDK client would throw it. */
export function fault(Base: ServiceExceptionClass, service: ServiceName, kind: FaultKind): Error {
  if (kind === 'timeout') return timeoutError();
  const { name, status } = SERVICE_FAULTS[service][kind];
  return sdkError(Base, name, status, { throttling: kind === 'throttling' });
}
