/**
 * EventBridge, for the parts the rules use: pattern matching (value lists, `exists`, nested objects, list
 * values matched element-wise) and input transformation (a placeholder outside quotes becomes the JSON value
 * at its path, inside quotes its text).
 */
/** A leaf: what EventBridge's content filters (`exists`, `prefix`, …) apply to; objects are not leaves. */
function isLeaf(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

/** One element of a pattern's value list against one value of the event. */
function matchesValue(e: unknown, actual: unknown): boolean {
  if (e === null || typeof e !== 'object') return isLeaf(actual) && actual === e;
  const filter = e as Record<string, unknown>;
  if ('prefix' in filter) return typeof actual === 'string' && actual.startsWith(String(filter.prefix));
  if ('equals-ignore-case' in filter)
    return (
      typeof actual === 'string' &&
      actual.toLowerCase() === String(filter['equals-ignore-case']).toLowerCase()
    );
  if ('anything-but' in filter) {
    const but = filter['anything-but'];
    const values = Array.isArray(but) ? but : [but];
    return isLeaf(actual) && actual !== undefined && !values.includes(actual);
  }
  throw new Error(`eventbridge helper: unsupported filter ${JSON.stringify(e)}`);
}

/**
 * Whether an event matches a pattern, with EventBridge's semantics for what the rules use: value lists
 * (an event array matches when any element does), `exists` (true only for a leaf: a field holding an object
 * is not "existing" for a filter), `prefix`, `equals-ignore-case`, `anything-but` (which, like every filter
 * but `exists: false`, needs the field to be there), nested objects, and `$or` (any of its patterns, at the
 * level where it stands). EventBridge matches the leaves' paths: a nested pattern over an object the event
 * lacks sees only absent leaves, which `exists: false` matches.
 */
export function matches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === '$or') {
      if (!Array.isArray(expected) || expected.length < 2)
        throw new Error('eventbridge helper: $or needs a list of at least two patterns');
      return expected.some((p) => matches(p as Record<string, unknown>, event));
    }
    const actual = event[key];
    if (Array.isArray(expected)) {
      const values = Array.isArray(actual) ? actual : [actual];
      return expected.some((e) => {
        if (e !== null && typeof e === 'object' && 'exists' in e) {
          const present = actual !== undefined && values.some((v) => v !== undefined && isLeaf(v));
          return present === (e as { exists: boolean }).exists;
        }
        return values.some((v) => matchesValue(e, v));
      });
    }
    // A nested pattern: the event's value is an object, or an array of objects any of which matches; a missing
    // object has only absent leaves.
    const candidates = Array.isArray(actual) ? actual : [actual];
    return candidates.some((c) =>
      matches(
        expected as Record<string, unknown>,
        c !== null && typeof c === 'object' ? (c as Record<string, unknown>) : {},
      ),
    );
  });
}

export interface InputTransformer {
  readonly InputPathsMap: Record<string, string>;
  readonly InputTemplate: string;
}

function valueAt(event: Record<string, unknown>, path: string): unknown {
  return path
    .replace(/^\$\./, '')
    .split('.')
    .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], event);
}

/** The target input of an event, parsed as JSON. */
export function transform(t: InputTransformer, event: Record<string, unknown>): unknown {
  let inString = false;
  let out = '';
  const template = t.InputTemplate;
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (c === '"' && template[i - 1] !== '\\') inString = !inString;
    const m = c === '<' ? /^<([\w-]+)>/.exec(template.slice(i)) : null;
    const path = m ? t.InputPathsMap[m[1] as string] : undefined;
    if (m && path !== undefined) {
      const value = valueAt(event, path);
      out += inString
        ? JSON.stringify(typeof value === 'string' ? value : JSON.stringify(value)).slice(1, -1)
        : JSON.stringify(value);
      i += m[0].length - 1;
    } else out += c;
  }
  return JSON.parse(out);
}
