/**
 * An in-memory DynamoDB table behind the document client's commands (Put, Update, BatchGet, Query on a
 * GSI), with the expression subset aurora-audit uses: conditions (`attribute_exists`, `attribute_not_exists`,
 * comparisons, AND, OR, parentheses) and updates (`SET a = :v`, `SET a = if_not_exists(a, :v)`, `ADD n :k`,
 * `ADD set :s`, `REMOVE a`). Conditional failures throw `ConditionalCheckFailedException` as the SDK does.
 * Faults can be injected per command.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  DynamoDBDocumentClient,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

type Item = Record<string, unknown>;

// Realm-safe (structuredClone makes Sets of the host realm, tests run in a vm context).
const isSet = (value: unknown): value is Set<unknown> =>
  Object.prototype.toString.call(value) === '[object Set]';
type Names = Record<string, string> | undefined;
type Values = Record<string, unknown> | undefined;

export interface TableIndex {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

function tokenize(expr: string): string[] {
  return (
    expr.match(
      /attribute_not_exists|attribute_exists|if_not_exists|<>|<=|>=|[=<>(),]|[#:]?[A-Za-z_][\w.]*/g,
    ) ?? []
  );
}

class ConditionParser {
  private i = 0;
  constructor(
    private readonly tokens: string[],
    private readonly item: Item | undefined,
    private readonly names: Names,
    private readonly values: Values,
  ) {}

  private name(token: string): string {
    return token.startsWith('#') ? (this.names?.[token] ?? token) : token;
  }

  private operand(token: string): unknown {
    if (token.startsWith(':')) {
      if (!this.values || !(token in this.values)) throw new Error(`missing value ${token}`);
      return this.values[token];
    }
    return this.item?.[this.name(token)];
  }

  parse(): boolean {
    const v = this.or();
    if (this.i !== this.tokens.length) throw new Error(`unexpected ${this.tokens[this.i]}`);
    return v;
  }

  private or(): boolean {
    let v = this.and();
    while (this.tokens[this.i] === 'OR') {
      this.i++;
      const r = this.and();
      v = v || r;
    }
    return v;
  }

  private and(): boolean {
    let v = this.factor();
    while (this.tokens[this.i] === 'AND') {
      this.i++;
      const r = this.factor();
      v = v && r;
    }
    return v;
  }

  private factor(): boolean {
    const t = this.tokens[this.i++];
    if (t === '(') {
      const v = this.or();
      this.i++; // )
      return v;
    }
    if (t === 'attribute_exists' || t === 'attribute_not_exists') {
      this.i++; // (
      const attr = this.name(this.tokens[this.i++] as string);
      this.i++; // )
      const exists = this.item !== undefined && this.item[attr] !== undefined;
      return t === 'attribute_exists' ? exists : !exists;
    }
    const left = this.operand(t as string);
    const op = this.tokens[this.i++];
    const right = this.operand(this.tokens[this.i++] as string);
    if (left === undefined || right === undefined) return op === '<>' ? left !== right : false;
    switch (op) {
      case '=':
        return left === right;
      case '<>':
        return left !== right;
      case '<':
        return (left as number) < (right as number);
      case '<=':
        return (left as number) <= (right as number);
      case '>':
        return (left as number) > (right as number);
      case '>=':
        return (left as number) >= (right as number);
      default:
        throw new Error(`unsupported operator ${op}`);
    }
  }
}

export function evaluateCondition(
  expr: string | undefined,
  item: Item | undefined,
  names: Names,
  values: Values,
): boolean {
  if (!expr) return true;
  return new ConditionParser(tokenize(expr), item, names, values).parse();
}

export function applyUpdate(expr: string, item: Item, names: Names, values: Values): void {
  const name = (t: string) => (t.startsWith('#') ? (names?.[t] ?? t) : t);
  const value = (t: string) => {
    if (!values || !(t in values)) throw new Error(`missing value ${t}`);
    return values[t];
  };
  const sections = expr
    .split(/\b(SET|ADD|REMOVE)\b/)
    .map((s) => s.trim())
    .filter(Boolean);
  for (let s = 0; s < sections.length; s += 2) {
    const action = sections[s];
    const body = sections[s + 1] ?? '';
    const clauses = body
      .split(/,(?![^(]*\))/)
      .map((c) => c.trim())
      .filter(Boolean);
    for (const clause of clauses) {
      if (action === 'SET') {
        const [lhs, rhs] = clause.split('=').map((x) => x.trim()) as [string, string];
        const attr = name(lhs);
        const fn = /^if_not_exists\(\s*([#\w]+)\s*,\s*(:\w+)\s*\)$/.exec(rhs);
        if (fn) {
          if (item[name(fn[1] as string)] === undefined) item[attr] = value(fn[2] as string);
        } else {
          item[attr] = value(rhs);
        }
      } else if (action === 'ADD') {
        const [lhs, rhs] = clause.split(/\s+/) as [string, string];
        const attr = name(lhs);
        const v = value(rhs);
        if (isSet(v)) {
          const current = isSet(item[attr]) ? item[attr] : new Set();
          item[attr] = new Set([...current, ...v]);
        } else {
          item[attr] = ((item[attr] as number | undefined) ?? 0) + (v as number);
        }
      } else if (action === 'REMOVE') {
        delete item[name(clause)];
      } else {
        throw new Error(`unsupported update action ${action}`);
      }
    }
  }
}

const clone = <T>(v: T): T => structuredClone(v);

export class DynamoTable {
  readonly items = new Map<string, Item>();
  readonly mock = mockClient(DynamoDBDocumentClient);
  /** Return an error to throw it instead of answering (fault injection). */
  fault: ((command: string, input: unknown) => Error | undefined) | undefined;

  constructor(
    readonly hashKey: string,
    readonly indexes: readonly TableIndex[] = [],
  ) {
    this.mock.on(PutCommand).callsFake((input: PutCommandInput) => this.put(input));
    this.mock.on(UpdateCommand).callsFake((input: UpdateCommandInput) => this.update(input));
    this.mock.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => this.batchGet(input));
    this.mock.on(QueryCommand).callsFake((input: QueryCommandInput) => this.query(input));
  }

  restore(): void {
    this.mock.restore();
  }

  private check(command: string, input: unknown): void {
    const err = this.fault?.(command, input);
    if (err) throw err;
  }

  private failCondition(): never {
    throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
  }

  put(input: PutCommandInput) {
    this.check('Put', input);
    const item = input.Item as Item;
    const key = String(item[this.hashKey]);
    const existing = this.items.get(key);
    if (
      !evaluateCondition(
        input.ConditionExpression,
        existing,
        input.ExpressionAttributeNames,
        input.ExpressionAttributeValues,
      )
    ) {
      this.failCondition();
    }
    this.items.set(key, clone(item));
    return {};
  }

  update(input: UpdateCommandInput) {
    this.check('Update', input);
    const key = String((input.Key as Item)[this.hashKey]);
    const existing = this.items.get(key);
    if (
      !evaluateCondition(
        input.ConditionExpression,
        existing,
        input.ExpressionAttributeNames,
        input.ExpressionAttributeValues,
      )
    ) {
      this.failCondition();
    }
    const item = clone(existing ?? { ...(input.Key as Item) });
    applyUpdate(
      input.UpdateExpression as string,
      item,
      input.ExpressionAttributeNames,
      input.ExpressionAttributeValues,
    );
    this.items.set(key, item);
    return { Attributes: input.ReturnValues && input.ReturnValues !== 'NONE' ? clone(item) : undefined };
  }

  batchGet(input: BatchGetCommandInput) {
    this.check('BatchGet', input);
    const responses: Record<string, Item[]> = {};
    for (const [table, request] of Object.entries(input.RequestItems ?? {})) {
      responses[table] = (request.Keys ?? [])
        .map((k) => this.items.get(String((k as Item)[this.hashKey])))
        .filter((i): i is Item => i !== undefined)
        .map(clone);
    }
    return { Responses: responses };
  }

  query(input: QueryCommandInput) {
    this.check('Query', input);
    const index = this.indexes.find((i) => i.name === input.IndexName);
    if (!index) throw new Error(`no index ${input.IndexName}`);
    const items = [...this.items.values()]
      .filter((i) => i[index.partitionKey] !== undefined && i[index.sortKey] !== undefined)
      .filter((i) =>
        evaluateCondition(
          input.KeyConditionExpression,
          i,
          input.ExpressionAttributeNames,
          input.ExpressionAttributeValues,
        ),
      )
      .sort((a, b) => (a[index.sortKey] as number) - (b[index.sortKey] as number))
      .map(clone);
    return { Items: items };
  }
}
