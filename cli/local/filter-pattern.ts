/**
 * A small evaluator of the CloudWatch Logs filter-pattern subset aurora-audit generates: JSON patterns
 * (`{ … }` with `$.path = "string"`, `= "*"`, numbers, `[n]` indexes, `&&`, `||`, parentheses) and text
 * patterns (terms, "exact phrases", `?term` alternatives). Filter patterns are case sensitive.
 */

type Json = unknown;

function lookup(root: Json, path: string): Json {
  let current: Json = root;
  for (const part of path.replace(/^\$\.?/, '').match(/[^.[\]]+|\[\d+\]/g) ?? []) {
    if (current === null || typeof current !== 'object') return undefined;
    current = part.startsWith('[')
      ? (current as Json[])[Number(part.slice(1, -1))]
      : (current as Record<string, Json>)[part];
  }
  return current;
}

function tokenize(expr: string): string[] {
  return expr.match(/\??"(?:[^"\\]|\\.)*"|&&|\|\||!=|=|\(|\)|[^\s()=!&|"]+/g) ?? [];
}

function jsonMatches(pattern: string, event: Json): boolean {
  const tokens = tokenize(pattern.trim().replace(/^\{|\}$/g, ''));
  let i = 0;
  const or = (): boolean => {
    let v = and();
    while (tokens[i] === '||') {
      i++;
      const r = and();
      v = v || r;
    }
    return v;
  };
  const and = (): boolean => {
    let v = atom();
    while (tokens[i] === '&&') {
      i++;
      const r = atom();
      v = v && r;
    }
    return v;
  };
  const atom = (): boolean => {
    if (tokens[i] === '(') {
      i++;
      const v = or();
      i++; // )
      return v;
    }
    const path = tokens[i++] as string;
    const op = tokens[i++] as string;
    const raw = tokens[i++] as string;
    const actual = lookup(event, path);
    let equal: boolean;
    if (raw.startsWith('"')) {
      const expected = JSON.parse(raw) as string;
      if (typeof actual !== 'string') equal = false;
      else if (expected === '*') equal = true;
      else if (expected.endsWith('*')) equal = actual.startsWith(expected.slice(0, -1));
      else equal = actual === expected;
    } else {
      equal = typeof actual === 'number' ? actual === Number(raw) : actual === raw;
    }
    return op === '=' ? equal : !equal;
  };
  const result = or();
  if (i !== tokens.length) throw new Error(`unexpected token ${tokens[i]}`);
  return result;
}

function textMatches(pattern: string, message: string): boolean {
  const terms = tokenize(pattern).map((t) => ({ optional: t.startsWith('?'), text: t.replace(/^\?/, '') }));
  const contains = (t: string) => message.includes(t.startsWith('"') ? (JSON.parse(t) as string) : t);
  const optional = terms.filter((t) => t.optional);
  const required = terms.filter((t) => !t.optional);
  return (
    required.every((t) => contains(t.text)) &&
    (optional.length === 0 || optional.some((t) => contains(t.text)))
  );
}

/** Whether a log event message matches a filter pattern (JSON patterns only match JSON messages). */
export function filterPatternMatches(pattern: string, message: string): boolean {
  if (pattern.trim().startsWith('{')) {
    let event: Json;
    try {
      event = JSON.parse(message);
    } catch {
      return false;
    }
    return jsonMatches(pattern, event);
  }
  return textMatches(pattern, message);
}
