/**
 * A small JSONPath reader for the reference paths Step Functions allows in Wait states and InputPath
 * (`$`, `$.a.b`, `$['a']`, `$.a[0]`, `$$.Execution.Id`). Enough for the harness to know what a Wait state
 * was given; anything richer is refused rather than guessed.
 */
export class PathError extends Error {
  override readonly name = 'PathError';
}

const TOKEN = /^(?:\.([A-Za-z_][\w-]*)|\['([^']*)'\]|\[(\d+)\])/;

export function readPath(path: string, input: unknown, context: unknown = {}): unknown {
  let rest: string;
  let value: unknown;
  if (path.startsWith('$$')) {
    value = context;
    rest = path.slice(2);
  } else if (path.startsWith('$')) {
    value = input;
    rest = path.slice(1);
  } else {
    throw new PathError(`not a reference path: ${path}`);
  }
  while (rest.length > 0) {
    const m = TOKEN.exec(rest);
    if (!m) throw new PathError(`unsupported path syntax at ${JSON.stringify(rest)} in ${path}`);
    const key = m[1] ?? m[2] ?? Number(m[3]);
    if (value === null || typeof value !== 'object' || !(key in (value as object))) {
      throw new PathError(`path ${path} does not point to a value`);
    }
    value = (value as Record<string | number, unknown>)[key];
    rest = rest.slice(m[0].length);
  }
  return value;
}
