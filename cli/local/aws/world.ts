/**
 * The AWS account a local workflow run talks to: one simulated clock, the service simulators, fault
 * injection and a log of every call. `dispatch` answers the Task states of a `LocalWorkflow` by their
 * `Resource` ARN:
 * - `arn:aws:states:::aws-sdk:<service>:<action>` (AWS SDK integrations),
 * - `arn:aws:states:::<service>:<action>[.sync|.waitForTaskToken]` (optimized integrations),
 * - `arn:aws:lambda:…:function:<name>` (direct Lambda invocation, the payload as the result).
 * Faults and calls are keyed `<service>:<action>` (`rds:startActivityStream`) whichever integration is used.
 *
 * ```ts
 * const world = new AwsWorld();
 * world.provision(resolver);                       // tables, topics, functions of the template
 * world.rds.addCluster({ identifier: 'orders-db' });
 * world.faults.throttle('rds:startActivityStream', 2);
 * const workflow = new LocalWorkflow(definition, { clock: world.clock, dispatch: world.dispatch });
 * const run = await workflow.run({ clusterIdentifier: 'orders-db', window: 'now' });
 * world.actions('rds');                            // ['describeDBClusters', 'describeDBInstances', …]
 * ```
 */
import { SimClock } from '../stepfunctions/clock';
import type { TaskCall } from '../stepfunctions/runner';
import type { TemplateResolver } from '../stepfunctions/template';
import { AthenaSimulator } from './athena';
import { CloudWatchSimulator } from './cloudwatch';
import { DynamoDbSimulator } from './dynamodb';
import { FaultInjector } from './errors';
import { KinesisSimulator } from './kinesis';
import { LambdaSimulator } from './lambda';
import { RdsSimulator } from './rds';
import { RdsDataSimulator } from './rds-data';
import { S3Simulator } from './s3';
import { SnsSimulator } from './sns';
import { StatesSimulator } from './states';

export interface CallRecord {
  readonly service: string;
  readonly action: string;
  readonly stateName: string;
  readonly params: Record<string, unknown>;
  readonly at: string;
  /** The error name when the call failed. */
  readonly error?: string;
}

export interface AwsWorldOptions {
  /** @default a clock at 2026-11-24T10:00:00Z (a Tuesday) */
  readonly clock?: SimClock;
  /** @default 'eu-west-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly account?: string;
}

type Handler = (params: Record<string, unknown>) => unknown;

export class AwsWorld {
  readonly clock: SimClock;
  readonly region: string;
  readonly account: string;
  readonly faults = new FaultInjector();
  readonly calls: CallRecord[] = [];
  readonly kinesis: KinesisSimulator;
  readonly rds: RdsSimulator;
  readonly rdsData: RdsDataSimulator;
  readonly lambda: LambdaSimulator;
  readonly sns: SnsSimulator;
  readonly dynamodb: DynamoDbSimulator;
  readonly athena: AthenaSimulator;
  readonly states: StatesSimulator;
  readonly cloudwatch: CloudWatchSimulator;
  readonly s3: S3Simulator;
  private readonly handlers: Record<string, Handler>;
  private readonly changes: {
    target: string;
    change: (n: number, answer: Record<string, unknown>) => unknown;
  }[] = [];
  private readonly hooks: { target: string; hook: (n: number, params: Record<string, unknown>) => void }[] =
    [];

  constructor(options: AwsWorldOptions = {}) {
    this.clock = options.clock ?? new SimClock();
    this.region = options.region ?? 'eu-west-1';
    this.account = options.account ?? '123456789012';
    this.kinesis = new KinesisSimulator(this.clock, this.region, this.account);
    this.rds = new RdsSimulator(this.clock, this.region, this.account, this.kinesis);
    this.rdsData = new RdsDataSimulator(this.clock);
    this.lambda = new LambdaSimulator(this.clock, this.region, this.account, this.kinesis);
    this.sns = new SnsSimulator(this.clock);
    this.dynamodb = new DynamoDbSimulator();
    this.athena = new AthenaSimulator(this.clock);
    this.states = new StatesSimulator(this.clock);
    this.cloudwatch = new CloudWatchSimulator(this.clock);
    this.s3 = new S3Simulator(this.clock);
    this.handlers = {
      ...this.cloudwatch.handlers(),
      ...this.s3.handlers(),
      ...this.rds.handlers(),
      ...this.rdsData.handlers(),
      ...this.kinesis.handlers(),
      ...this.lambda.handlers(),
      ...this.sns.handlers(),
      ...this.dynamodb.handlers(),
      ...this.athena.handlers(),
      ...this.states.handlers(),
    };
  }

  /**
   * Creates the template's DynamoDB tables, SNS topics, Lambda functions (without handlers), Step Functions
   * state machines (their ARNs, for StartExecution), S3 buckets, Athena workgroups (and prepared statements,
   * none of which the stack deploys).
   */
  provision(resolver: TemplateResolver): void {
    for (const id of resolver.resourcesOfType('AWS::DynamoDB::Table')) {
      const keys = (resolver.template.Resources[id]?.Properties?.KeySchema ?? []) as {
        AttributeName: string;
        KeyType: string;
      }[];
      const hash = keys.find((k) => k.KeyType === 'HASH');
      if (hash) this.dynamodb.addTable(resolver.ref(id), hash.AttributeName);
    }
    for (const id of resolver.resourcesOfType('AWS::SNS::Topic')) this.sns.addTopic(resolver.arn(id));
    for (const id of resolver.resourcesOfType('AWS::Lambda::Function'))
      this.lambda.addFunction(resolver.ref(id));
    for (const id of resolver.resourcesOfType('AWS::StepFunctions::StateMachine'))
      this.states.stateMachines.add(resolver.arn(id));
    for (const id of resolver.resourcesOfType('AWS::S3::Bucket')) this.s3.addBucket(resolver.ref(id));
    this.athena.provision(resolver);
  }

  /** How many calls of each `service:action` were made (answered or not). */
  private readonly started = new Map<string, number>();

  /**
   * Runs `hook` before each call of `target` (`rds:describeDBClusters`), with the call's number (1 for the
   * first) and its parameters: to change the world behind the workflow's back at a given moment.
   */
  before(target: string, hook: (n: number, params: Record<string, unknown>) => void): this {
    this.hooks.push({ target, hook });
    return this;
  }

  /**
   * Runs `change` on the answer of each successful call of `target`, with the call's number (1 for the first)
   * and a copy of the answer; what it returns is the answer. For answers AWS may give and the simulators do
   * not, e.g. without a member the service model does not promise (`delete answer.DbClusters[0].Engine`).
   */
  after(target: string, change: (n: number, answer: Record<string, unknown>) => unknown): this {
    this.changes.push({ target, change });
    return this;
  }

  /** Answers a Task state. */
  readonly dispatch = async (call: TaskCall): Promise<unknown> => {
    const { service, action, direct } = parseResource(call.resource);
    const key = `${service}:${action}`;
    const params = (
      direct ? { FunctionName: call.resource, Payload: call.input } : (call.input ?? {})
    ) as Record<string, unknown>;
    const record = (error?: string) =>
      this.calls.push({ service, action, stateName: call.stateName, params, at: this.clock.iso(), error });
    const handler = this.handlers[key];
    if (!handler) {
      record('Harness.NoSimulator');
      throw new Error(`AwsWorld: no simulator answers ${key} (state ${JSON.stringify(call.stateName)})`);
    }
    // Numbered when made, not when answered: concurrent calls (a Map's iterations) each get their own number.
    const n = (this.started.get(key) ?? 0) + 1;
    this.started.set(key, n);
    for (const h of this.hooks) if (h.target === key) h.hook(n, params);
    try {
      this.faults.check(key, params);
      let result = await handler(params);
      for (const c of this.changes) {
        if (c.target === key) result = c.change(n, structuredClone(result) as Record<string, unknown>);
      }
      record();
      return direct ? (result as { Payload: unknown }).Payload : result;
    } catch (err) {
      record(err instanceof Error ? err.name : 'Error');
      throw err;
    }
  };

  /** Calls made to a service, optionally one action: `world.callsTo('rds', 'startActivityStream')`. */
  callsTo(service: string, action?: string): CallRecord[] {
    return this.calls.filter((c) => c.service === service && (action === undefined || c.action === action));
  }

  /** The actions called on a service, in order. */
  actions(service: string): string[] {
    return this.callsTo(service).map((c) => c.action);
  }
}

function parseResource(resource: string): { service: string; action: string; direct: boolean } {
  const sdk = /^arn:[^:]+:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(resource);
  if (sdk) return { service: sdk[1] as string, action: sdk[2] as string, direct: false };
  const optimized =
    /^arn:[^:]+:states:::([a-z0-9-]+):([A-Za-z0-9]+)(?:\.(?:sync(?::\d+)?|waitForTaskToken))?$/.exec(
      resource,
    );
  if (optimized) return { service: optimized[1] as string, action: optimized[2] as string, direct: false };
  if (/^arn:[^:]+:lambda:[^:]+:[^:]+:function:/.test(resource))
    return { service: 'lambda', action: 'invoke', direct: true };
  throw new Error(`AwsWorld: unsupported Task resource ${resource}`);
}
