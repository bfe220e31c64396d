/**
 * Plain ASL from a synthesized CloudFormation template: the state machine's `DefinitionString` with its
 * intrinsic functions evaluated as a deployed stack would, with deterministic fake names and ARNs:
 * a resource's `Ref` (name) is its logical id, `Fn::GetAtt [id, Arn]` the ARN of that name for its type.
 * The same resolution gives the environment of a Lambda function, so tests run a handler with the
 * configuration it would be deployed with.
 */

export interface TemplateJson {
  readonly Resources: Record<
    string,
    { readonly Type: string; readonly Properties?: Record<string, unknown> }
  >;
}

export interface ResolveOptions {
  /** @default 'aws' */
  readonly partition?: string;
  /** @default 'eu-west-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly account?: string;
  /** @default 'aurora-audit' */
  readonly stackName?: string;
  /**
   * Files bundled beside a function's code (`infra/constructs/settings-files.ts` `localSettingsFiles`), by the
   * function's logical id: `functionEnvironment` points their `<SETTING>_FILE` variables at these synth-time
   * copies, so a handler run here reads what the deployed one reads from its bundle.
   * @default none (the variables name the file in the bundle, as deployed)
   */
  readonly settingsFiles?: Readonly<
    Record<string, readonly { readonly setting: string; readonly localPath: string }[]>
  >;
}

export class TemplateResolver {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly stackName: string;
  private readonly settingsFiles: NonNullable<ResolveOptions['settingsFiles']>;

  constructor(
    readonly template: TemplateJson,
    options: ResolveOptions = {},
  ) {
    this.partition = options.partition ?? 'aws';
    this.region = options.region ?? 'eu-west-1';
    this.account = options.account ?? '123456789012';
    this.stackName = options.stackName ?? 'aurora-audit';
    this.settingsFiles = options.settingsFiles ?? {};
  }

  private type(logicalId: string): string {
    const r = this.template.Resources[logicalId];
    if (!r) throw new Error(`TemplateResolver: no resource ${logicalId} in the template`);
    return r.Type;
  }

  /** What `Ref` returns for a resource. */
  ref(logicalId: string): string {
    switch (logicalId) {
      case 'AWS::Partition':
        return this.partition;
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return this.account;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::NoValue':
        return '';
    }
    switch (this.type(logicalId)) {
      case 'AWS::SNS::Topic':
      case 'AWS::StepFunctions::StateMachine':
        return this.arn(logicalId);
      case 'AWS::S3::Bucket':
        return logicalId.toLowerCase();
      default:
        return logicalId;
    }
  }

  /** What `Fn::GetAtt [id, Arn]` returns for a resource. */
  arn(logicalId: string): string {
    const { partition: p, region: r, account: a } = this;
    const name = logicalId;
    switch (this.type(logicalId)) {
      case 'AWS::Lambda::Function':
        return `arn:${p}:lambda:${r}:${a}:function:${name}`;
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable':
        return `arn:${p}:dynamodb:${r}:${a}:table/${name}`;
      case 'AWS::SNS::Topic':
        return `arn:${p}:sns:${r}:${a}:${name}`;
      case 'AWS::SQS::Queue':
        return `arn:${p}:sqs:${r}:${a}:${name}`;
      case 'AWS::S3::Bucket':
        return `arn:${p}:s3:::${name.toLowerCase()}`;
      case 'AWS::KMS::Key':
        return `arn:${p}:kms:${r}:${a}:key/${name}`;
      case 'AWS::IAM::Role':
        return `arn:${p}:iam::${a}:role/${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:${p}:logs:${r}:${a}:log-group:${name}:*`;
      case 'AWS::KinesisFirehose::DeliveryStream':
        return `arn:${p}:firehose:${r}:${a}:deliverystream/${name}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:${p}:states:${r}:${a}:stateMachine:${name}`;
      default:
        return `arn:${p}:unknown:${r}:${a}:${name}`;
    }
  }

  /** Evaluates intrinsic functions (Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, Fn::Sub) in a value. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1) {
      const [fn] = keys as [string];
      const arg = obj[fn];
      switch (fn) {
        case 'Ref':
          return this.ref(arg as string);
        case 'Fn::GetAtt': {
          const [id, attr] = (typeof arg === 'string' ? arg.split('.') : arg) as [string, string];
          if (attr === 'Arn' || attr === 'TopicArn') return this.arn(id);
          if (attr === 'Name' || attr === 'TopicName') return id;
          throw new Error(`TemplateResolver: Fn::GetAtt ${id}.${attr} is not supported`);
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).map(String).join(sep);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number | string, unknown];
          return (this.resolve(list) as unknown[])[Number(index)];
        }
        case 'Fn::Split': {
          const [sep, source] = arg as [string, unknown];
          return String(this.resolve(source)).split(sep);
        }
        case 'Fn::Sub': {
          const [text, vars] = (typeof arg === 'string' ? [arg, {}] : arg) as [
            string,
            Record<string, unknown>,
          ];
          return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (name in vars) return String(this.resolve(vars[name]));
            const [id, attr] = name.split('.') as [string, string | undefined];
            return attr ? String(this.resolve({ 'Fn::GetAtt': [id, attr] })) : this.ref(id);
          });
        }
      }
      if (fn.startsWith('Fn::')) throw new Error(`TemplateResolver: ${fn} is not supported`);
    }
    return Object.fromEntries(keys.map((k) => [k, this.resolve(obj[k])]));
  }

  /** The state machine's definition (ASL) as deployed. */
  stateMachineDefinition(logicalId: string): AslDefinition {
    const resource = this.template.Resources[logicalId];
    if (resource?.Type !== 'AWS::StepFunctions::StateMachine') {
      throw new Error(`TemplateResolver: ${logicalId} is not a state machine`);
    }
    const text = this.resolve(resource.Properties?.DefinitionString);
    if (typeof text !== 'string') throw new Error(`TemplateResolver: ${logicalId} has no DefinitionString`);
    return JSON.parse(text) as AslDefinition;
  }

  /**
   * A Lambda function's environment variables as deployed, its settings-file variables pointed at the local
   * copies given in the options.
   */
  functionEnvironment(logicalId: string): Record<string, string> {
    const resource = this.template.Resources[logicalId];
    if (resource?.Type !== 'AWS::Lambda::Function')
      throw new Error(`TemplateResolver: ${logicalId} is not a function`);
    const env = (resource.Properties?.Environment as { Variables?: unknown } | undefined)?.Variables ?? {};
    const resolved = this.resolve(env) as Record<string, string>;
    for (const file of this.settingsFiles[logicalId] ?? []) {
      const name = `${file.setting}_FILE`;
      if (!(name in resolved)) throw new Error(`TemplateResolver: ${logicalId} has no ${name} variable`);
      resolved[name] = file.localPath;
    }
    return resolved;
  }

  /** Logical ids of the resources of a type. */
  resourcesOfType(type: string): string[] {
    return Object.entries(this.template.Resources)
      .filter(([, r]) => r.Type === type)
      .map(([id]) => id);
  }
}

/** The parts of an Amazon States Language document the harness and the definition tests read. */
export interface AslState {
  readonly Type: 'Task' | 'Pass' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Map' | 'Parallel';
  readonly Resource?: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Choices?: readonly { readonly Next: string }[];
  readonly Retry?: readonly {
    readonly ErrorEquals: readonly string[];
    readonly IntervalSeconds?: number;
    readonly MaxAttempts?: number;
    readonly BackoffRate?: number;
    readonly MaxDelaySeconds?: number;
  }[];
  readonly Catch?: readonly {
    readonly ErrorEquals: readonly string[];
    readonly Next: string;
    readonly ResultPath?: string;
  }[];
  readonly InputPath?: string | null;
  readonly Seconds?: number;
  readonly Timestamp?: string;
  readonly SecondsPath?: string;
  readonly TimestampPath?: string;
  readonly QueryLanguage?: string;
  readonly [other: string]: unknown;
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly TimeoutSeconds?: number;
  readonly QueryLanguage?: string;
  readonly Comment?: string;
}
