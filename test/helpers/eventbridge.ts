/**
 * EventBridge, for the parts the rules use: pattern matching (value lists, `exists`, nested objects, list
 * values matched element-wise) and input transformation (a placeholder outside quotes becomes the JSON value
 * at its path, inside quotes its text).
 */
export function matches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event[key];
    if (Array.isArray(expected)) {
      const values = Array.isArray(actual) ? actual : [actual];
      return expected.some((e) =>
        e !== null && typeof e === 'object' && 'exists' in e
          ? (actual !== undefined) === (e as { exists: boolean }).exists
          : values.includes(e),
      );
    }
    return (
      actual !== null &&
      typeof actual === 'object' &&
      matches(expected as Record<string, unknown>, actual as Record<string, unknown>)
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
