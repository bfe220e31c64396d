/**
 * Just enough of IAM's resource-policy evaluation for the topic and key policies: an Allow statement for a
 * service principal and an action, with `StringEquals`, `ArnEquals` and `ArnLike` conditions on the request
 * context (IAM semantics: every operator and key must hold; a list of values is any-of; `*` and `?` are
 * wildcards in `ArnLike`; a key absent from the context fails the condition), and explicit Deny wins.
 */
export type Statement = {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
      .join('')}$`,
  );
  return re.test(value);
}

function actionMatches(pattern: string, action: string): boolean {
  return wildcard(pattern.toLowerCase(), action.toLowerCase());
}

function conditionHolds(condition: Statement['Condition'], context: Record<string, string>): boolean {
  return Object.entries(condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const actual = context[key];
      if (actual === undefined) return false;
      const values = list(expected as string | string[]).map(String);
      switch (operator) {
        case 'StringEquals':
        case 'ArnEquals':
          return values.includes(actual);
        case 'ArnLike':
        case 'StringLike':
          return values.some((v) => wildcard(v, actual));
        case 'Bool':
          return values.includes(actual);
        default:
          throw new Error(`policy-eval: unsupported condition operator ${operator}`);
      }
    }),
  );
}

function principalMatches(principal: unknown, service: string): boolean {
  if (principal === '*') return true;
  const p = principal as { Service?: string | string[]; AWS?: string | string[] } | undefined;
  return p?.Service !== undefined && list(p.Service).includes(service);
}

/** Whether the policy lets `service` perform `action` with this request context. */
export function allows(
  statements: readonly Statement[],
  service: string,
  action: string,
  context: Record<string, string>,
): boolean {
  const applicable = statements.filter(
    (s) =>
      principalMatches(s.Principal, service) &&
      list(s.Action).some((a) => actionMatches(a, action)) &&
      conditionHolds(s.Condition, context),
  );
  return applicable.some((s) => s.Effect === 'Allow') && !applicable.some((s) => s.Effect === 'Deny');
}
