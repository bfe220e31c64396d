/**
 * DynamoDB tables with conditional writes, answering the optimized integrations
 * (`arn:aws:states:::dynamodb:putItem|deleteItem|getItem|updateItem`) with their error names
 * (`DynamoDB.ConditionalCheckFailedException`). Items are kept in DynamoDB JSON (`{"S": "…"}`, `{"N": "1"}`).
 * Condition expressions: comparisons (= <> < <= > >=), attribute_exists, attribute_not_exists, begins_with,
 * AND, OR, NOT and parentheses, with `#names` and `:values`. Update expressions: `SET a = :v, …`,
 * `ADD n :v` (numbers), `REMOVE a, …`; `ReturnValues` NONE, ALL_NEW or UPDATED_NEW.
 */
import { AwsServiceError, requestId } from './errors';

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | Record<string, unknown>;
export type Item = Record<string, AttributeValue>;

interface Table {
  readonly name: string;
  readonly key: string;
  readonly items: Map<string, Item>;
}

export class DynamoDbSimulator {
  readonly tables = new Map<string, Table>();

  addTable(name: string, partitionKey: string): void {
    this.tables.set(name, { name, key: partitionKey, items: new Map() });
  }

  /** The items of a table, for assertions. */
  items(tableName: string): Item[] {
    return [...this.table(tableName).items.values()];
  }

  /** Puts an item directly (e.g. a lock held by another run). */
  seed(tableName: string, item: Item): void {
    const table = this.table(tableName);
    table.items.set(keyOf(table, item), item);
  }

  private table(name: unknown): Table {
    const table = typeof name === 'string' ? this.tables.get(name) : undefined;
    if (!table) {
      throw new AwsServiceError(
        'DynamoDB.ResourceNotFoundException',
        `Requested resource not found: Table: ${String(name)} not found (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ResourceNotFoundException; Request ID: ${requestId()})`,
      );
    }
    return table;
  }

  private checkCondition(params: Record<string, unknown>, existing: Item | undefined): void {
    const expression = params.ConditionExpression;
    if (typeof expression !== 'string') return;
    const ok = evaluateCondition(
      expression,
      existing,
      (params.ExpressionAttributeNames ?? {}) as Record<string, string>,
      (params.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>,
    );
    if (!ok) {
      throw new AwsServiceError(
        'DynamoDB.ConditionalCheckFailedException',
        `The conditional request failed (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: ${requestId()})`,
      );
    }
  }

  handlers(): Record<string, (params: Record<string, unknown>) => unknown> {
    const meta = () => ({
      SdkHttpMetadata: { HttpStatusCode: 200 },
      SdkResponseMetadata: { RequestId: requestId() },
    });
    return {
      'dynamodb:putItem': (params) => {
        const table = this.table(params.TableName);
        const item = params.Item as Item;
        const key = keyOf(table, item);
        this.checkCondition(params, table.items.get(key));
        table.items.set(key, item);
        return meta();
      },
      'dynamodb:deleteItem': (params) => {
        const table = this.table(params.TableName);
        const key = keyOf(table, params.Key as Item);
        this.checkCondition(params, table.items.get(key));
        table.items.delete(key);
        return meta();
      },
      'dynamodb:updateItem': (params) => {
        const table = this.table(params.TableName);
        const key = keyOf(table, params.Key as Item);
        const existing = table.items.get(key);
        this.checkCondition(params, existing);
        const updated: Item = { ...(existing ?? (params.Key as Item)) };
        const changed = applyUpdate(
          updated,
          String(params.UpdateExpression ?? ''),
          (params.ExpressionAttributeNames ?? {}) as Record<string, string>,
          (params.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>,
        );
        table.items.set(key, updated);
        const returnValues = params.ReturnValues ?? 'NONE';
        if (returnValues === 'ALL_NEW') return { Attributes: updated, ...meta() };
        if (returnValues === 'UPDATED_NEW') {
          const attributes = Object.fromEntries(
            changed.filter((n) => n in updated).map((n) => [n, updated[n] as AttributeValue]),
          );
          return Object.keys(attributes).length > 0 ? { Attributes: attributes, ...meta() } : meta();
        }
        return meta();
      },
      'dynamodb:getItem': (params) => {
        const table = this.table(params.TableName);
        const item = table.items.get(keyOf(table, params.Key as Item));
        return item ? { Item: item, ...meta() } : meta();
      },
    };
  }
}

/** Applies `SET a = :v, …`, `ADD n :v` and `REMOVE a, …` clauses to `item`; returns the names changed. */
function applyUpdate(
  item: Item,
  expression: string,
  names: Record<string, string>,
  values: Record<string, AttributeValue>,
): string[] {
  const invalid = () =>
    new AwsServiceError('DynamoDB.AmazonDynamoDBException', `Invalid UpdateExpression: ${expression}`);
  const name = (n: string) =>
    (n.startsWith('#') ? names[n] : n) ??
    (() => {
      throw invalid();
    })();
  const value = (v: string) =>
    values[v] ??
    (() => {
      throw invalid();
    })();
  const changed: string[] = [];
  const clauses = expression.split(/\b(SET|ADD|REMOVE)\b/i).map((c) => c.trim());
  if (clauses[0] !== '') throw invalid();
  for (let i = 1; i < clauses.length; i += 2) {
    const verb = (clauses[i] as string).toUpperCase();
    for (const part of (clauses[i + 1] ?? '').split(',').map((p) => p.trim())) {
      if (verb === 'SET') {
        const m = /^([#\w]+)\s*=\s*(:\w+)$/.exec(part);
        if (!m) throw invalid();
        item[name(m[1] as string)] = value(m[2] as string);
        changed.push(name(m[1] as string));
      } else if (verb === 'ADD') {
        const m = /^([#\w]+)\s+(:\w+)$/.exec(part);
        const added = m ? (value(m[2] as string) as { N?: string }) : undefined;
        if (!m || added?.N === undefined) throw invalid();
        const attribute = name(m[1] as string);
        const before = (item[attribute] as { N?: string } | undefined)?.N ?? '0';
        item[attribute] = { N: String(Number(before) + Number(added.N)) };
        changed.push(attribute);
      } else {
        if (!/^[#\w]+$/.test(part)) throw invalid();
        delete item[name(part)];
      }
    }
  }
  return changed;
}

function keyOf(table: Table, item: Item): string {
  const value = item?.[table.key];
  if (!value) {
    throw new AwsServiceError(
      'DynamoDB.AmazonDynamoDBException',
      `One of the required keys was not given a value (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ValidationException; Request ID: ${requestId()})`,
    );
  }
  return JSON.stringify(value);
}

// ---------------------------------------------------------------- condition expressions

type Token = { kind: 'name' | 'value' | 'op' | 'word' | 'paren' | 'comma'; text: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(#[\w]+)|(:[\w]+)|(<>|<=|>=|=|<|>)|([A-Za-z_][\w.]*)|([()])|(,))/y;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < expression.length) {
    re.lastIndex = pos;
    m = re.exec(expression);
    if (!m) {
      if (expression.slice(pos).trim() === '') break;
      throw new AwsServiceError(
        'DynamoDB.AmazonDynamoDBException',
        `Invalid ConditionExpression: ${expression}`,
      );
    }
    pos = re.lastIndex;
    if (m[1]) tokens.push({ kind: 'name', text: m[1] });
    else if (m[2]) tokens.push({ kind: 'value', text: m[2] });
    else if (m[3]) tokens.push({ kind: 'op', text: m[3] });
    else if (m[4]) tokens.push({ kind: 'word', text: m[4] });
    else if (m[5]) tokens.push({ kind: 'paren', text: m[5] });
    else if (m[6]) tokens.push({ kind: 'comma', text: m[6] });
  }
  return tokens;
}

/** Evaluates a condition expression against the existing item (undefined when there is none). */
export function evaluateCondition(
  expression: string,
  item: Item | undefined,
  names: Record<string, string>,
  values: Record<string, AttributeValue>,
): boolean {
  const tokens = tokenize(expression);
  let i = 0;
  const invalid = (why: string): never => {
    throw new AwsServiceError(
      'DynamoDB.AmazonDynamoDBException',
      `Invalid ConditionExpression (${why}): ${expression}`,
    );
  };
  const peek = () => tokens[i];
  const next = () => tokens[i++] ?? invalid('unexpected end');
  const isWord = (t: Token | undefined, w: string) => t?.kind === 'word' && t.text.toUpperCase() === w;

  const attributeName = (t: Token): string => {
    if (t.kind === 'name') return names[t.text] ?? invalid(`${t.text} is not defined`);
    if (t.kind === 'word') return t.text;
    return invalid(`expected an attribute, got ${t.text}`);
  };
  const operand = (): AttributeValue | undefined => {
    const t = next();
    if (t.kind === 'value') return values[t.text] ?? invalid(`${t.text} is not defined`);
    return item?.[attributeName(t)];
  };
  const compare = (a: AttributeValue | undefined, op: string, b: AttributeValue | undefined): boolean => {
    if (a === undefined || b === undefined) return op === '<>' ? a !== b : false;
    if ('N' in a && 'N' in b) {
      const x = Number(a.N);
      const y = Number(b.N);
      return op === '='
        ? x === y
        : op === '<>'
          ? x !== y
          : op === '<'
            ? x < y
            : op === '<='
              ? x <= y
              : op === '>'
                ? x > y
                : x >= y;
    }
    const x = JSON.stringify(a);
    const y = JSON.stringify(b);
    if ('S' in a && 'S' in b) {
      const s = String(a.S);
      const t = String(b.S);
      return op === '='
        ? s === t
        : op === '<>'
          ? s !== t
          : op === '<'
            ? s < t
            : op === '<='
              ? s <= t
              : op === '>'
                ? s > t
                : s >= t;
    }
    return op === '=' ? x === y : op === '<>' ? x !== y : invalid('ordering needs numbers or strings');
  };

  const primary = (): boolean => {
    const t = peek();
    if (isWord(t, 'NOT')) {
      i++;
      return !primary();
    }
    if (t?.kind === 'paren' && t.text === '(') {
      i++;
      const v = or();
      const close = next();
      if (close.text !== ')') invalid('missing )');
      return v;
    }
    if (t?.kind === 'word' && ['attribute_exists', 'attribute_not_exists', 'begins_with'].includes(t.text)) {
      i++;
      if (next().text !== '(') invalid('missing (');
      const attr = attributeName(next());
      let result: boolean;
      if (t.text === 'begins_with') {
        if (next().kind !== 'comma') invalid('missing ,');
        const prefix = operand();
        const v = item?.[attr];
        result = !!v && 'S' in v && !!prefix && 'S' in prefix && String(v.S).startsWith(String(prefix.S));
      } else {
        const exists = item !== undefined && attr in item;
        result = t.text === 'attribute_exists' ? exists : !exists;
      }
      if (next().text !== ')') invalid('missing )');
      return result;
    }
    const left = operand();
    const op = next();
    if (op.kind !== 'op') invalid(`expected a comparison, got ${op.text}`);
    return compare(left, op.text, operand());
  };
  const and = (): boolean => {
    let v = primary();
    while (isWord(peek(), 'AND')) {
      i++;
      const r = primary();
      v = v && r;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (isWord(peek(), 'OR')) {
      i++;
      const r = and();
      v = v || r;
    }
    return v;
  };
  const result = or();
  if (i !== tokens.length) invalid(`unexpected ${tokens[i]?.text}`);
  return result;
}
