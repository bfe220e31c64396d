/**
 * Lambda as the workflows use it: functions invoked in-process (`arn:aws:states:::lambda:invoke`, running the
 * real handler code), and event source mappings (`aws-sdk:lambda:list|create|update|get|deleteEventSourceMapping`)
 * in Step Functions' spelling (`Uuid`, `State`, `EventSourceMappings`). Mappings pass through Creating,
 * Enabling, Disabling and Deleting for a few seconds of simulated time, as Lambda's do.
 */
import type { SimClock } from '../stepfunctions/clock';
import { AwsServiceError, requestId } from './errors';
import type { KinesisSimulator } from './kinesis';

export type LambdaHandler = (event: unknown) => unknown;

export interface SimMapping {
  readonly Uuid: string;
  readonly FunctionArn: string;
  readonly EventSourceArn: string;
  /** Parameters as given at creation or last update. */
  settings: Record<string, unknown>;
  state: 'Creating' | 'Enabling' | 'Enabled' | 'Disabling' | 'Disabled' | 'Updating' | 'Deleting';
  /** The state the transitional one settles to, and when. */
  settlesTo?: SimMapping['state'] | 'Gone';
  settlesAtMs?: number;
  lastModifiedMs: number;
}

/** Seconds a mapping spends in a transitional state. */
const TRANSITION_SECONDS = 5;

export class LambdaSimulator {
  /** Functions by name; a function without a handler exists but cannot be invoked here. */
  readonly functions = new Map<string, LambdaHandler | undefined>();
  readonly mappings: SimMapping[] = [];
  private uuids = 0;

  constructor(
    private readonly clock: SimClock,
    private readonly region: string,
    private readonly account: string,
    private readonly kinesis: KinesisSimulator,
  ) {}

  arnOf(name: string): string {
    return `arn:aws:lambda:${this.region}:${this.account}:function:${name}`;
  }

  addFunction(name: string, handler?: LambdaHandler): void {
    this.functions.set(name, handler);
  }

  /** Adds an existing mapping (e.g. one created before the run). */
  seedMapping(functionName: string, eventSourceArn: string, enabled: boolean): SimMapping {
    const mapping: SimMapping = {
      Uuid: this.nextUuid(),
      FunctionArn: this.arnOf(this.nameOf(functionName)),
      EventSourceArn: eventSourceArn,
      settings: { BatchSize: 100, StartingPosition: 'TRIM_HORIZON' },
      state: enabled ? 'Enabled' : 'Disabled',
      lastModifiedMs: this.clock.nowMs(),
    };
    this.mappings.push(mapping);
    return mapping;
  }

  /**
   * Puts a mapping into `Deleting`, as a DeleteEventSourceMapping by someone else does: it is gone after
   * `seconds` of simulated time (`Infinity`: never).
   */
  startDeleting(mapping: SimMapping, seconds: number): void {
    mapping.state = 'Deleting';
    mapping.settlesTo = 'Gone';
    mapping.settlesAtMs = Number.isFinite(seconds)
      ? this.clock.nowMs() + seconds * 1000
      : Number.POSITIVE_INFINITY;
    mapping.lastModifiedMs = this.clock.nowMs();
  }

  private nextUuid(): string {
    this.uuids += 1;
    return `a1b2c3d4-0000-4000-8000-${this.uuids.toString(16).padStart(12, '0')}`;
  }

  /** `my-function`, `arn:…:function:my-function` or `arn:…:function:my-function:alias` → `my-function`. */
  nameOf(functionName: unknown): string {
    const text = String(functionName ?? '');
    const m = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::.+)?$/.exec(text);
    return m ? (m[1] as string) : text;
  }

  private settle(mapping: SimMapping): void {
    if (mapping.settlesTo && mapping.settlesAtMs !== undefined && this.clock.nowMs() >= mapping.settlesAtMs) {
      if (mapping.settlesTo === 'Gone') {
        this.mappings.splice(this.mappings.indexOf(mapping), 1);
      } else {
        mapping.state = mapping.settlesTo;
      }
      mapping.settlesTo = undefined;
      mapping.settlesAtMs = undefined;
    }
  }

  /** Current mappings, settled to the simulated time. */
  currentMappings(): SimMapping[] {
    for (const m of [...this.mappings]) this.settle(m);
    return [...this.mappings];
  }

  private transition(
    mapping: SimMapping,
    now: SimMapping['state'],
    then: SimMapping['state'] | 'Gone',
  ): void {
    mapping.state = now;
    mapping.settlesTo = then;
    mapping.settlesAtMs = this.clock.nowMs() + TRANSITION_SECONDS * 1000;
    mapping.lastModifiedMs = this.clock.nowMs();
  }

  private view(m: SimMapping) {
    return {
      Uuid: m.Uuid,
      FunctionArn: m.FunctionArn,
      EventSourceArn: m.EventSourceArn,
      State: m.state,
      StateTransitionReason: 'USER_INITIATED',
      LastModified: new Date(m.lastModifiedMs).toISOString(),
      ...m.settings,
    };
  }

  private find(uuid: unknown): SimMapping {
    const mapping = this.currentMappings().find((m) => m.Uuid === uuid);
    if (!mapping) {
      throw new AwsServiceError(
        'Lambda.ResourceNotFoundException',
        `The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: ${requestId()})`,
      );
    }
    return mapping;
  }

  private existingFunction(functionName: unknown): string {
    const name = this.nameOf(functionName);
    if (!this.functions.has(name)) {
      throw new AwsServiceError(
        'Lambda.ResourceNotFoundException',
        `Function not found: ${this.arnOf(name)} (Service: Lambda, Status Code: 404, Request ID: ${requestId()})`,
      );
    }
    return name;
  }

  handlers(): Record<string, (params: Record<string, unknown>) => unknown> {
    return {
      'lambda:invoke': async (params) => {
        const name = this.existingFunction(params.FunctionName);
        const handler = this.functions.get(name);
        if (!handler) throw new Error(`LambdaSimulator: function ${name} has no handler to run in this test`);
        let payload: unknown;
        try {
          payload = await handler(JSON.parse(JSON.stringify(params.Payload ?? {})));
        } catch (err) {
          const e = err instanceof Error ? err : new Error(String(err));
          // A function error: Step Functions names it after the errorType; the cause is Lambda's JSON.
          throw new AwsServiceError(
            e.name,
            JSON.stringify({
              errorType: e.name,
              errorMessage: e.message,
              trace: (e.stack ?? '').split('\n'),
            }),
          );
        }
        return {
          ExecutedVersion: '$LATEST',
          Payload: JSON.parse(JSON.stringify(payload ?? null)),
          SdkHttpMetadata: { HttpStatusCode: 200 },
          SdkResponseMetadata: { RequestId: requestId() },
          StatusCode: 200,
        };
      },
      'lambda:listEventSourceMappings': (params) => {
        const fn = params.FunctionName === undefined ? undefined : this.nameOf(params.FunctionName);
        return {
          EventSourceMappings: this.currentMappings()
            .filter((m) => params.EventSourceArn === undefined || m.EventSourceArn === params.EventSourceArn)
            .filter((m) => fn === undefined || this.nameOf(m.FunctionArn) === fn)
            .map((m) => this.view(m)),
        };
      },
      'lambda:getEventSourceMapping': (params) => this.view(this.find(params.Uuid)),
      'lambda:createEventSourceMapping': (params) => {
        const { FunctionName, EventSourceArn, Enabled, ...settings } = params;
        if (typeof EventSourceArn !== 'string' || typeof FunctionName !== 'string') {
          throw new AwsServiceError(
            'Lambda.InvalidParameterValueException',
            'FunctionName and EventSourceArn are required',
          );
        }
        if (settings.StartingPosition === undefined) {
          throw new AwsServiceError(
            'Lambda.InvalidParameterValueException',
            'StartingPosition is required for a Kinesis event source',
          );
        }
        const name = this.existingFunction(FunctionName);
        const streamName = EventSourceArn.split('/').pop() ?? '';
        const stream = this.kinesis.streams.get(streamName);
        if (!stream || stream.arn !== EventSourceArn || this.kinesis.status(stream) === 'DELETING') {
          throw new AwsServiceError(
            'Lambda.InvalidParameterValueException',
            `Stream not found: ${EventSourceArn} (Service: Lambda, Status Code: 400, Request ID: ${requestId()})`,
          );
        }
        const existing = this.currentMappings().find(
          (m) => m.EventSourceArn === EventSourceArn && this.nameOf(m.FunctionArn) === name,
        );
        if (existing) {
          throw new AwsServiceError(
            'Lambda.ResourceConflictException',
            `The event source arn (" ${EventSourceArn} ") and function (" ${name} ") provided mapping already exists. Please update or delete the existing mapping with UUID ${existing.Uuid} (Service: Lambda, Status Code: 409, Request ID: ${requestId()})`,
          );
        }
        const mapping: SimMapping = {
          Uuid: this.nextUuid(),
          FunctionArn: this.arnOf(name),
          EventSourceArn,
          settings,
          state: 'Creating',
          lastModifiedMs: this.clock.nowMs(),
        };
        this.mappings.push(mapping);
        this.transition(mapping, 'Creating', Enabled === false ? 'Disabled' : 'Enabled');
        return this.view(mapping);
      },
      'lambda:updateEventSourceMapping': (params) => {
        const mapping = this.find(params.Uuid);
        if (mapping.settlesTo) {
          throw new AwsServiceError(
            'Lambda.ResourceInUseException',
            `Cannot update the event source mapping because it is in use (state ${mapping.state}) (Service: Lambda, Status Code: 400, Request ID: ${requestId()})`,
          );
        }
        const { Uuid: _uuid, Enabled, FunctionName: _fn, ...settings } = params;
        mapping.settings = { ...mapping.settings, ...settings };
        if (Enabled === true && mapping.state === 'Disabled') this.transition(mapping, 'Enabling', 'Enabled');
        else if (Enabled === false && mapping.state === 'Enabled')
          this.transition(mapping, 'Disabling', 'Disabled');
        else this.transition(mapping, 'Updating', mapping.state);
        return this.view(mapping);
      },
      'lambda:deleteEventSourceMapping': (params) => {
        const mapping = this.find(params.Uuid);
        if (mapping.settlesTo) {
          throw new AwsServiceError(
            'Lambda.ResourceInUseException',
            `Cannot delete the event source mapping because it is in use (state ${mapping.state}) (Service: Lambda, Status Code: 400, Request ID: ${requestId()})`,
          );
        }
        this.transition(mapping, 'Deleting', 'Gone');
        return this.view(mapping);
      },
    };
  }
}
