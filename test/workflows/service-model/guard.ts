/**
 * The guard that keeps a state machine's error names and result paths honest, against a table derived from
 * the AWS service models (service-model.json, written by generate.py from botocore's models):
 *
 * - `errorNameProblems`: every `ErrorEquals` name of every Retry and Catch must be one the called operation
 *   can raise in Step Functions' spelling (naming.ts): for an AWS SDK integration `<Service>.<Java v2 class>`
 *   of an error the operation declares, or the service's base exception; for an optimized integration
 *   `<Prefix>.<shape | code | shape+Exception>` of a declared error, the integration's base exception and its
 *   documented extras; for a Lambda invocation also the function's own error names; `States.*` errors of the
 *   States Language. A name that can never match is a problem.
 * - `spellingProblems`: an optimized integration that retries a declared error in one spelling retries it in
 *   every spelling, in the same retrier (which one arrives is not documented).
 * - `resultPathProblems`: every path a Task's `ResultSelector` reads out of the call's result must exist in
 *   the operation's output shape and be a required member (an absent one is `States.Runtime`, which no Catch
 *   catches), unless the read is listed in `ALWAYS_PRESENT` with the reason AWS always returns it.
 */
import { nestedStates } from '../../../cli/local/stepfunctions/runner';
import type { AslDefinition, AslState } from '../../../cli/local/stepfunctions/template';
import { awsSdkBaseError, awsSdkErrorName, javaV2PascalCase, optimizedErrorSpellings } from './naming';
import table from './service-model.json';

interface ModelShape {
  readonly type: string;
  readonly members?: Record<string, string>;
  readonly required?: readonly string[];
  readonly member?: string;
  readonly value?: string;
}
interface ModelOperation {
  readonly errors: readonly { readonly shape: string; readonly code: string }[];
  readonly output: string | null;
  readonly shapes: Record<string, ModelShape>;
}
interface ModelService {
  readonly serviceId: string;
  readonly operations: Record<string, ModelOperation>;
}
export const SERVICE_MODEL = table as unknown as {
  readonly source: string;
  readonly services: Record<string, ModelService>;
};

/** Error names of the States Language (https://states-language.net/spec.html#appendix-a) and Step Functions, `States.Runtime` excepted: no Retry or Catch ever matches it. */
export const STATES_ERRORS = [
  'States.ALL',
  'States.TaskFailed',
  'States.Timeout',
  'States.HeartbeatTimeout',
  'States.Permissions',
  'States.ResultPathMatchFailure',
  'States.ParameterPathFailure',
  'States.QueryEvaluationError',
  'States.BranchFailed',
  'States.NoChoiceMatched',
  'States.IntrinsicFailure',
  'States.ExceedToleratedFailureThreshold',
  'States.ItemReaderFailed',
  'States.ResultWriterFailed',
  // Step Functions' own (Developer Guide, "Handling errors"): terminal, not caught by States.ALL, caught when
  // named.
  'States.DataLimitExceeded',
];

/**
 * Optimized integrations: their error prefix, their base exception (an error the operation does not declare;
 * the AWS SDK for Java's base class, as the Step Functions documentation names them) and documented extras.
 */
export const OPTIMIZED = {
  dynamodb: { prefix: 'DynamoDB', base: ['DynamoDB.AmazonDynamoDBException'] },
  sns: { prefix: 'SNS', base: ['SNS.AmazonSNSException'] },
  athena: { prefix: 'Athena', base: ['Athena.AmazonAthenaException'] },
  lambda: {
    prefix: 'Lambda',
    // LambdaInvoke's default retry (Step Functions docs, "Handle transient Lambda service exceptions").
    base: [
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.ClientExecutionTimeoutException',
    ],
  },
} as const satisfies Record<string, { prefix: string; base: readonly string[] }>;

/**
 * Reads of members the model does not mark required, which AWS always returns when the call succeeds. Keyed
 * `<service>:<Operation> <path>`; the value says why. Anything not listed here must be required or not read.
 */
export const ALWAYS_PRESENT: Readonly<Record<string, string>> = {
  'rds:DescribeDBClusters $.DbClusters':
    'RDS returns the list on every successful DescribeDBClusters (an unknown identifier is DBClusterNotFoundFault, not an empty list)',
  'rds:DescribeDBClusters $.DbClusters[0]':
    'called with DbClusterIdentifier: the one cluster, or DBClusterNotFoundFault',
  'rds:DescribeDBInstances $.DbInstances':
    'RDS returns the list on every successful DescribeDBInstances, empty when the filter matches nothing',
  'lambda:ListEventSourceMappings $.EventSourceMappings':
    'Lambda returns the list on every successful ListEventSourceMappings, empty when there is none',
  'lambda:CreateEventSourceMapping $.Uuid': "the new mapping's identifier: Lambda always returns it",
  'lambda:UpdateEventSourceMapping $.Uuid': "the mapping's identifier (the request's own): always returned",
  'lambda:DeleteEventSourceMapping $.Uuid': "the mapping's identifier (the request's own): always returned",
  'lambda:Invoke $.Payload':
    "the function's result: LambdaInvoke always returns it (fields below it are the function's contract)",
  'athena:StartQueryExecution $.QueryExecution':
    '.sync returns GetQueryExecution of the finished query, which always has its QueryExecution',
  'athena:StartQueryExecution $.QueryExecution.QueryExecutionId':
    'the id of the query Step Functions started and waited for',
};

export interface CalledOperation {
  readonly integration: 'aws-sdk' | 'optimized' | 'lambda-function';
  /** botocore's service name: `rds`, `dynamodb`. */
  readonly service: string;
  /** The API operation: `DescribeDBClusters`. */
  readonly operation: string;
  /** The table's operation whose output describes the result (`.sync` Athena: GetQueryExecution's shape is returned, but StartQueryExecution is listed for the errors). */
  readonly model: ModelOperation;
  readonly serviceId: string;
}

/** What a Task's `Resource` calls, looked up in the table; `undefined` for a resource that calls no AWS API. */
export function calledOperation(resource: string): CalledOperation {
  const sdk = /^arn:[^:]+:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(resource);
  const optimized =
    /^arn:[^:]+:states:::([a-z0-9-]+):([A-Za-z0-9]+)(\.sync(?::\d+)?|\.waitForTaskToken)?$/.exec(resource);
  const direct = /^arn:[^:]+:lambda:[^:]+:[^:]+:function:/.test(resource);
  const [service, action] = sdk
    ? [sdk[1] as string, sdk[2] as string]
    : optimized
      ? [optimized[1] as string, optimized[2] as string]
      : direct
        ? ['lambda', 'invoke']
        : ['', ''];
  const entry = SERVICE_MODEL.services[service];
  const operation = Object.keys(entry?.operations ?? {}).find(
    (o) => o.toLowerCase() === action.toLowerCase(),
  );
  if (!entry || !operation) {
    throw new Error(
      `${resource}: ${service}:${action} is not in service-model.json — add it to OPERATIONS in test/workflows/service-model/generate.py and run the script`,
    );
  }
  let model = entry.operations[operation] as ModelOperation;
  // `.sync` of StartQueryExecution returns what GetQueryExecution returns.
  if (service === 'athena' && operation === 'StartQueryExecution' && optimized?.[3]?.startsWith('.sync')) {
    const get = entry.operations.GetQueryExecution as ModelOperation;
    model = { ...model, output: get.output, shapes: get.shapes };
  }
  return {
    integration: sdk ? 'aws-sdk' : direct ? 'lambda-function' : 'optimized',
    service,
    operation,
    model,
    serviceId: entry.serviceId,
  };
}

/** The error names a Retry or Catch of a Task calling `called` can match. */
export function matchableErrors(
  called: CalledOperation,
  functionErrors: readonly string[] = [],
): Set<string> {
  const names = new Set(STATES_ERRORS);
  if (called.integration === 'aws-sdk') {
    names.add(awsSdkBaseError(called.serviceId));
    for (const e of called.model.errors) names.add(awsSdkErrorName(called.serviceId, e.shape));
    return names;
  }
  const integration = OPTIMIZED[called.service as keyof typeof OPTIMIZED];
  if (!integration) throw new Error(`no naming rule for the optimized ${called.service} integration`);
  for (const n of integration.base) names.add(n);
  for (const e of called.model.errors)
    for (const n of optimizedErrorSpellings(integration.prefix, e)) names.add(n);
  if (called.service === 'lambda') for (const n of functionErrors) names.add(n);
  return names;
}

/** Every state of a definition, those of Map iterators and Parallel branches included. */
export function allStates(definition: AslDefinition): [string, AslState][] {
  return [...Object.entries(definition.States), ...nestedStates(definition).entries()];
}

/**
 * ErrorEquals names that can never match. `functionErrors`: the error names (`name`) of the Lambda functions
 * the definition invokes, which Step Functions reports as the error.
 */
export function errorNameProblems(
  definition: AslDefinition,
  functionErrors: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  for (const [name, state] of allStates(definition)) {
    const handlers = [
      ...(state.Retry ?? []).map((r) => ({ kind: 'Retry', errors: r.ErrorEquals })),
      ...(state.Catch ?? []).map((c) => ({ kind: 'Catch', errors: c.ErrorEquals })),
    ];
    if (handlers.length === 0) continue;
    const matchable =
      state.Type === 'Task' && state.Resource
        ? matchableErrors(calledOperation(state.Resource), functionErrors)
        : new Set(STATES_ERRORS);
    for (const h of handlers) {
      for (const error of h.errors) {
        if (!matchable.has(error)) problems.push(`${name}: ${h.kind} ${error} can never match`);
      }
    }
  }
  return problems;
}

/** Retriers of optimized integrations that name a declared error in some of its spellings but not all. */
export function spellingProblems(definition: AslDefinition): string[] {
  const problems: string[] = [];
  for (const [name, state] of allStates(definition)) {
    if (state.Type !== 'Task' || !state.Resource) continue;
    const called = calledOperation(state.Resource);
    if (called.integration !== 'optimized') continue;
    const prefix = OPTIMIZED[called.service as keyof typeof OPTIMIZED].prefix;
    for (const retrier of state.Retry ?? []) {
      for (const e of called.model.errors) {
        const spellings = optimizedErrorSpellings(prefix, e);
        const present = spellings.filter((s) => retrier.ErrorEquals.includes(s));
        if (present.length > 0 && present.length < spellings.length) {
          const missing = spellings.filter((s) => !present.includes(s));
          problems.push(`${name}: retries ${present.join(', ')} but not ${missing.join(', ')}`);
        }
      }
    }
  }
  return problems;
}

type Segment = { readonly name: string } | { readonly index: string };

function parsePath(path: string): Segment[] {
  const segments: Segment[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const m = /^(?:\.([A-Za-z_][\w]*)|\[(\d+|\*)\])/.exec(rest);
    if (!m) throw new Error(`unsupported path syntax in ${path} at ${rest}`);
    segments.push(m[1] !== undefined ? { name: m[1] } : { index: m[2] as string });
    rest = rest.slice(m[0].length);
  }
  return segments;
}

/** The `$.…` paths (not `$$.`) in a ResultSelector, including those inside intrinsic functions. */
export function resultSelectorPaths(selector: unknown): string[] {
  const paths: string[] = [];
  const visit = (value: unknown, key?: string) => {
    if (Array.isArray(value)) {
      for (const v of value) visit(v);
    } else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, k);
    else if (typeof value === 'string' && key?.endsWith('.$')) {
      for (const m of value.matchAll(/(?<![$\w])\$(?:\.[A-Za-z_]\w*|\[(?:\d+|\*)\])*/g)) paths.push(m[0]);
    }
  };
  visit(selector);
  return paths;
}

/** Why reading `path` out of `called`'s result may fail, or undefined when it cannot. */
export function pathProblem(called: CalledOperation, path: string): string | undefined {
  const { shapes, output } = called.model;
  if (!output) return `${path}: the operation has no output`;
  const memberName = (m: string) => (called.integration === 'aws-sdk' ? javaV2PascalCase(m) : m);
  let shape: ModelShape | undefined = shapes[output];
  let projected = false;
  let sofar = '$';
  for (const segment of parsePath(path)) {
    if (!shape) return undefined;
    if ('index' in segment) {
      sofar += `[${segment.index}]`;
      if (shape.type !== 'list') return `${path}: ${sofar} indexes a ${shape.type}`;
      if (segment.index === '*') projected = true;
      else if (!projected && !ALWAYS_PRESENT[`${called.service}:${called.operation} ${sofar}`]) {
        return `${path}: the list at ${sofar.replace(/\[\d+\]$/, '')} may be empty`;
      }
      shape = shapes[shape.member as string];
      continue;
    }
    sofar += `.${segment.name}`;
    // Below a blob (a Lambda's Payload): the function's own contract, not the model's.
    if (shape.type === 'blob') return undefined;
    if (shape.type !== 'structure') return `${path}: ${sofar} reads into a ${shape.type}`;
    const member = Object.keys(shape.members ?? {}).find((m) => memberName(m) === segment.name);
    if (!member) {
      return `${path}: no member ${segment.name} (members: ${Object.keys(shape.members ?? {})
        .map(memberName)
        .join(', ')})`;
    }
    const required = (shape.required ?? []).includes(member);
    if (!required && !projected && !ALWAYS_PRESENT[`${called.service}:${called.operation} ${sofar}`]) {
      return `${path}: ${sofar} is not a required member of ${called.operation}'s result: when absent the read is States.Runtime, which no Catch catches`;
    }
    shape = shapes[shape.members?.[member] as string];
  }
  return undefined;
}

/** Reads of SDK results (ResultSelector) that may point at nothing. */
export function resultPathProblems(definition: AslDefinition): string[] {
  const problems: string[] = [];
  for (const [name, state] of allStates(definition)) {
    if (state.Type !== 'Task' || !state.Resource || !state.ResultSelector) continue;
    const called = calledOperation(state.Resource);
    for (const path of resultSelectorPaths(state.ResultSelector)) {
      const problem = pathProblem(called, path);
      if (problem) problems.push(`${name}: ${problem}`);
    }
  }
  return problems;
}
