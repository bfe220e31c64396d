/** IAM policies of a synthesized template, resolved, for least-privilege assertions. */
import type { TemplateResolver } from '../../cli/local/stepfunctions/template';

export type PolicyStatement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
};

/** The logical id of the role a resource property names (`Fn::GetAtt [role, Arn]`). */
export function roleOf(resource: { Properties?: Record<string, unknown> } | undefined, key: string): string {
  const ref = resource?.Properties?.[key] as { 'Fn::GetAtt': [string, string] } | undefined;
  if (!ref) throw new Error(`no ${key} to read the role of`);
  return ref['Fn::GetAtt'][0];
}

/** Every statement of the identity policies attached to a role, resolved. */
export function statementsOf(resolver: TemplateResolver, roleId: string): PolicyStatement[] {
  return Object.values(resolver.template.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes(roleId))
    .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: PolicyStatement[] }).Statement)
    .map((s) => resolver.resolve(s) as PolicyStatement);
}

/** A statement's actions, as a list. */
export const actionsOf = (s: PolicyStatement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
