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
 * - `documentReadProblems`: the same for every later read of what a Task left in the document (Choice rules,
 *   Parameters, ItemsPath, …): a member AWS may leave out must be proved present by an `IsPresent` Choice rule
 *   on every way to the read (the rule is spelled out on the function).
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
  // The canary's failed-run streak: UpdateItem with ReturnValues UPDATED_NEW returns the attributes the update
  // expression set or added, as they are after the update (DynamoDB API reference, ReturnValues).
  'dynamodb:UpdateItem $.Attributes':
    'the canary streak updates set failedRuns (ADD or SET) with ReturnValues UPDATED_NEW: Attributes is returned',
  'dynamodb:UpdateItem $.Attributes.failedRuns':
    'both canary streak updates set failedRuns (ADD failedRuns :one / SET failedRuns = :zero), UPDATED_NEW returns it',
  'dynamodb:UpdateItem $.Attributes.failedRuns.N': 'failedRuns is ADDed or SET as a number',
  'dynamodb:UpdateItem $.Attributes.lastError':
    'Count failed run SETs lastError (read only there; Reset failed runs REMOVEs it and does not read it)',
  'dynamodb:UpdateItem $.Attributes.lastError.S': 'lastError is SET to a string (the failure error name)',
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

/** A prefix of a read that AWS may leave out: a member the model does not mark required, or an index into a list that may be empty. */
interface OptionalPrefix {
  readonly prefix: string;
  readonly why: string;
}

/**
 * Walks `path` through `called`'s output shape: a hard `error` (no such member, a wrong kind), or the
 * prefixes of the path that may be absent from a successful answer (not required, not in ALWAYS_PRESENT).
 */
function walkResultPath(
  called: CalledOperation,
  path: string,
): { readonly error?: string; readonly optional: OptionalPrefix[] } {
  const { shapes, output } = called.model;
  if (!output) return { error: `${path}: the operation has no output`, optional: [] };
  const memberName = (m: string) => (called.integration === 'aws-sdk' ? javaV2PascalCase(m) : m);
  const optional: OptionalPrefix[] = [];
  let shape: ModelShape | undefined = shapes[output];
  let projected = false;
  let sofar = '$';
  for (const segment of parsePath(path)) {
    if (!shape) break;
    if ('index' in segment) {
      sofar += `[${segment.index}]`;
      if (shape.type !== 'list') return { error: `${path}: ${sofar} indexes a ${shape.type}`, optional };
      if (segment.index === '*') projected = true;
      else if (!projected && !ALWAYS_PRESENT[`${called.service}:${called.operation} ${sofar}`]) {
        optional.push({ prefix: sofar, why: `the list at ${sofar.replace(/\[\d+\]$/, '')} may be empty` });
      }
      shape = shapes[shape.member as string];
      continue;
    }
    sofar += `.${segment.name}`;
    // Below a blob (a Lambda's Payload): the function's own contract, not the model's.
    if (shape.type === 'blob') break;
    // A map (DynamoDB's Item, Attributes): any key may be absent unless listed as always present.
    if (shape.type === 'map') {
      if (!projected && !ALWAYS_PRESENT[`${called.service}:${called.operation} ${sofar}`])
        optional.push({ prefix: sofar, why: `${sofar} is a key of a map, which may be absent` });
      shape = shapes[shape.value as string];
      continue;
    }
    if (shape.type !== 'structure')
      return { error: `${path}: ${sofar} reads into a ${shape.type}`, optional };
    const member = Object.keys(shape.members ?? {}).find((m) => memberName(m) === segment.name);
    if (!member) {
      const members = Object.keys(shape.members ?? {})
        .map(memberName)
        .join(', ');
      return { error: `${path}: no member ${segment.name} (members: ${members})`, optional };
    }
    const required = (shape.required ?? []).includes(member);
    if (!required && !projected && !ALWAYS_PRESENT[`${called.service}:${called.operation} ${sofar}`]) {
      optional.push({
        prefix: sofar,
        why: `${sofar} is not a required member of ${called.operation}'s result`,
      });
    }
    shape = shapes[shape.members?.[member] as string];
  }
  return { optional };
}

/** Why reading `path` out of `called`'s result may fail, or undefined when it cannot. */
export function pathProblem(called: CalledOperation, path: string): string | undefined {
  const { error, optional } = walkResultPath(called, path);
  if (error) return error;
  const [first] = optional;
  if (!first) return undefined;
  return first.why.startsWith('the list')
    ? `${path}: ${first.why}`
    : `${path}: ${first.why}: when absent the read is States.Runtime, which no Catch catches`;
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

// ---------------------------------------------------------------- reads of SDK results through the document

/**
 * Where a Task leaves (part of) an SDK call's result in the document: the document path `at` holds what the
 * result has at `modelPath` (`$.described.cluster` ← DescribeDBClusters `$.DbClusters[0]`).
 */
interface ResultAlias {
  readonly task: string;
  readonly at: string;
  readonly called: CalledOperation;
  readonly modelPath: string;
}

const PURE_PATH = /^\$(?:\.[A-Za-z_]\w*|\[(?:\d+|\*)\])*$/;

/** True when `path` is `prefix` or lies below it. */
function within(path: string, prefix: string): boolean {
  return prefix === '$' || path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/**
 * The aliases of one graph's AWS API Tasks. A Lambda invocation's result is the function's contract (a blob
 * to the model), not an alias. A Task that writes an SDK result over the whole document is refused: the guard
 * could not follow it.
 */
function resultAliases(states: Record<string, AslState>): { aliases: ResultAlias[]; problems: string[] } {
  const aliases: ResultAlias[] = [];
  const problems: string[] = [];
  for (const [task, state] of Object.entries(states)) {
    if (state.Type !== 'Task' || !state.Resource) continue;
    const called = calledOperation(state.Resource);
    if (called.service === 'lambda' && called.operation === 'Invoke') continue;
    const resultPath = state.ResultPath as string | null | undefined;
    if (resultPath === null) continue;
    if (resultPath === undefined || resultPath === '$' || state.OutputPath !== undefined) {
      problems.push(
        `${task}: its result replaces the document (ResultPath $ or OutputPath): give it a ResultPath`,
      );
      continue;
    }
    const selector = state.ResultSelector as Record<string, unknown> | undefined;
    if (!selector) {
      aliases.push({ task, at: resultPath, called, modelPath: '$' });
      continue;
    }
    for (const [key, value] of Object.entries(selector)) {
      // A value computed by an intrinsic is there whenever the selector succeeded: no alias.
      if (key.endsWith('.$') && typeof value === 'string' && PURE_PATH.test(value)) {
        aliases.push({ task, at: `${resultPath}.${key.slice(0, -2)}`, called, modelPath: value });
      }
    }
  }
  return { aliases, problems };
}

/** Document paths known to be present. `undefined` stands for "not reached yet" (every path). */
type Facts = ReadonlySet<string> | undefined;

const intersect = (a: Facts, b: Facts): Facts =>
  a === undefined ? b : b === undefined ? a : new Set([...a].filter((f) => b.has(f)));
const union = (...sets: ReadonlySet<string>[]): ReadonlySet<string> => new Set(sets.flatMap((s) => [...s]));
/** What is left of `facts` once `path` is written (`undefined`: the whole document is replaced). */
const kill = (facts: ReadonlySet<string>, path: string | undefined): ReadonlySet<string> =>
  path === undefined ? new Set() : new Set([...facts].filter((f) => !within(f, path) && !within(path, f)));

type Rule = Record<string, unknown>;
const COMPARISON_PATH_KEYS =
  /^(String|Numeric|Boolean|Timestamp)(Equals|LessThan|GreaterThan|LessThanEquals|GreaterThanEquals|Matches)Path$/;

/** The paths a Choice rule proves present when it is true, and when it is false. */
function whenTrue(rule: Rule): ReadonlySet<string> {
  if (Array.isArray(rule.And)) return union(...(rule.And as Rule[]).map(whenTrue));
  if (Array.isArray(rule.Or))
    return (rule.Or as Rule[]).map(whenTrue).reduce((a, b) => intersect(a, b) as ReadonlySet<string>);
  if (rule.Not) return whenFalse(rule.Not as Rule);
  if (rule.IsPresent === false) return new Set();
  // IsPresent: true, or a comparison that held: the Variable was there.
  return typeof rule.Variable === 'string' ? new Set([rule.Variable]) : new Set();
}
function whenFalse(rule: Rule): ReadonlySet<string> {
  if (Array.isArray(rule.And))
    return (rule.And as Rule[]).map(whenFalse).reduce((a, b) => intersect(a, b) as ReadonlySet<string>);
  if (Array.isArray(rule.Or)) return union(...(rule.Or as Rule[]).map(whenFalse));
  if (rule.Not) return whenTrue(rule.Not as Rule);
  if (rule.IsPresent === false && typeof rule.Variable === 'string') return new Set([rule.Variable]);
  return new Set();
}

/** The reads of a Choice rule, each with what is known when it is evaluated (And and Or evaluate in order). */
function ruleReads(rule: Rule, facts: ReadonlySet<string>, out: [string, ReadonlySet<string>][]): void {
  if (Array.isArray(rule.And)) {
    let known = facts;
    for (const r of rule.And as Rule[]) {
      ruleReads(r, known, out);
      known = union(known, whenTrue(r));
    }
    return;
  }
  if (Array.isArray(rule.Or)) {
    let known = facts;
    for (const r of rule.Or as Rule[]) {
      ruleReads(r, known, out);
      known = union(known, whenFalse(r));
    }
    return;
  }
  if (rule.Not) {
    ruleReads(rule.Not as Rule, facts, out);
    return;
  }
  if ('IsPresent' in rule) return; // IsPresent never fails: it is the check, not a read.
  if (typeof rule.Variable === 'string') out.push([rule.Variable, facts]);
  for (const [key, value] of Object.entries(rule)) {
    if (COMPARISON_PATH_KEYS.test(key) && typeof value === 'string') out.push([value, facts]);
  }
}

/** The `$.…` paths a state reads from the document, apart from Choice rules and a Task's own ResultSelector. */
function stateReads(state: AslState): string[] {
  const paths: string[] = [];
  for (const field of ['Parameters', 'ItemSelector', 'Arguments']) {
    if (state[field] !== undefined) paths.push(...resultSelectorPaths(state[field]));
  }
  for (const field of ['ItemsPath', 'InputPath', 'SecondsPath', 'TimestampPath', 'ErrorPath', 'CausePath']) {
    const value = state[field];
    if (typeof value === 'string') paths.push(value);
  }
  // A Task's OutputPath reads its result merged into the document; others read the document.
  if (state.Type !== 'Task' && typeof state.OutputPath === 'string') paths.push(state.OutputPath);
  return paths.filter((p) => p !== '$');
}

/** The document path a state writes on success (`undefined`: the whole document), or null for nothing. */
function written(state: AslState): string | null | undefined {
  if (state.Type === 'Choice' || state.Type === 'Wait' || state.Type === 'Succeed' || state.Type === 'Fail')
    return null;
  if (typeof state.OutputPath === 'string' && state.OutputPath !== '$') return undefined;
  const resultPath = state.ResultPath as string | null | undefined;
  if (state.Type === 'Pass') {
    const produces = state.Parameters !== undefined || state.Result !== undefined;
    if (resultPath === null) return null;
    if (resultPath === undefined || resultPath === '$') return produces || state.InputPath ? undefined : null;
    return resultPath;
  }
  if (resultPath === null) return null;
  return resultPath === undefined || resultPath === '$' ? undefined : resultPath;
}

/** The problems of one graph (a definition's top level, a Map's iterator, a Parallel branch). */
function graphReadProblems(
  graph: { StartAt: string; States: Record<string, AslState> },
  scope: string,
): string[] {
  const { aliases, problems } = resultAliases(graph.States);
  // Known-present paths on entry to each state: a must-analysis (intersection over the ways in), to a fixpoint.
  const entry = new Map<string, Facts>([[graph.StartAt, new Set()]]);
  const flow = (to: string, facts: ReadonlySet<string>): boolean => {
    const before = entry.get(to);
    const after = entry.has(to) ? intersect(before, facts) : facts;
    if (entry.has(to) && before !== undefined && after !== undefined && after.size === before.size)
      return false;
    entry.set(to, after);
    return true;
  };
  const queue = [graph.StartAt];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    const state = graph.States[name];
    const facts = entry.get(name);
    if (!state || facts === undefined) continue;
    const edges: [string, ReadonlySet<string>][] = [];
    if (state.Type === 'Choice') {
      let known = facts;
      for (const rule of (state.Choices ?? []) as unknown as Rule[]) {
        edges.push([rule.Next as string, union(known, whenTrue(rule))]);
        known = union(known, whenFalse(rule));
      }
      if (state.Default) edges.push([state.Default, known]);
    } else {
      const w = written(state);
      if (state.Next) edges.push([state.Next, w === null ? facts : kill(facts, w)]);
    }
    for (const c of state.Catch ?? []) edges.push([c.Next, kill(facts, c.ResultPath ?? undefined)]);
    for (const [to, f] of edges) if (flow(to, f)) queue.push(to);
  }

  const check = (where: string, path: string, facts: ReadonlySet<string>) => {
    const alias = aliases.filter((a) => within(path, a.at)).sort((a, b) => b.at.length - a.at.length)[0];
    if (!alias) return;
    const modelPath = `${alias.modelPath}${path.slice(alias.at.length)}`;
    const { error, optional } = walkResultPath(alias.called, modelPath);
    if (error) {
      problems.push(`${where}: ${path} (${alias.task}'s ${modelPath}): ${error}`);
      return;
    }
    for (const o of optional) {
      // Prefixes inside the alias itself were the selector's to check (resultPathProblems).
      if (o.prefix.length <= alias.modelPath.length) continue;
      const documentPrefix = `${alias.at}${o.prefix.slice(alias.modelPath.length)}`;
      if (![...facts].some((f) => within(f, documentPrefix))) {
        problems.push(
          `${where}: ${path} (${alias.task}'s ${o.prefix}): ${o.why}, and no IsPresent check on every way here: when absent the read is States.Runtime, which no Catch catches`,
        );
        return;
      }
    }
  };
  for (const [name, state] of Object.entries(graph.States)) {
    const facts = entry.get(name);
    if (facts === undefined) continue; // unreachable
    const where = `${scope}${name}`;
    for (const path of stateReads(state)) check(where, path, facts);
    if (state.Type === 'Choice') {
      let known = facts;
      for (const rule of (state.Choices ?? []) as unknown as Rule[]) {
        const reads: [string, ReadonlySet<string>][] = [];
        ruleReads(rule, known, reads);
        for (const [path, f] of reads) check(where, path, f);
        known = union(known, whenFalse(rule));
      }
    }
    const processor = (state.ItemProcessor ?? state.Iterator) as
      | { StartAt: string; States: Record<string, AslState> }
      | undefined;
    if (processor) problems.push(...graphReadProblems(processor, `${name} › `));
    for (const branch of (state.Branches ?? []) as { StartAt: string; States: Record<string, AslState> }[])
      problems.push(...graphReadProblems(branch, `${name} › `));
  }
  return problems;
}

/**
 * Reads of SDK results through the document that may point at nothing. Every `$.…` path a state reads (a
 * Choice rule's Variable and `…Path` operand, Parameters/ItemSelector `.$` values and the paths inside their
 * intrinsics, ItemsPath, InputPath, a Wait's or a Fail's paths, a non-Task's OutputPath) that lies in a part
 * of the document an AWS API Task wrote (its ResultPath, or a ResultSelector field copied by a plain path) is
 * followed into the operation's output shape. Each prefix of it that AWS may leave out (a member the model
 * does not mark required and ALWAYS_PRESENT does not list, an index into a list that may be empty) must be
 * known present on every way into the read: proved by an `IsPresent` rule of a Choice on the way (a rule
 * that held, or an `IsPresent: false` / `Not(IsPresent)` rule that did not; inside And and Or the operands
 * count in order: evaluation is assumed to stop at the first false / true operand, as aws-local-stepfunctions
 * does and the workflows' `streamIs` already relies on, not verified on AWS), of that prefix or a path below
 * it, with no state writing over it since. A comparison that held also proves its Variable present. Anything else is a problem: when the
 * member is absent the read is `States.Runtime`, which no Catch catches.
 */
export function documentReadProblems(definition: AslDefinition): string[] {
  return graphReadProblems(definition, '');
}
