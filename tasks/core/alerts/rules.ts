/**
 * Alert rules: one rule set for both audit sources. A rules file (YAML or JSON) names rules with a severity,
 * match conditions over event fields, exclusions and a per-rule throttle:
 *
 * ```yaml
 * defaults:
 *   throttle: { maxPerWindow: 20, windowMinutes: 60 }
 * rules:
 *   - name: privilege-changes
 *     severity: HIGH
 *     match: { class: [ROLE] }
 *     exclude: [{ user: [flyway] }]
 *     throttle: { maxPerWindow: 10, windowMinutes: 60 }
 * ```
 *
 * A condition holds when every field it names matches (AND); a list matches any of its values (OR), compared
 * case-insensitively; `*Pattern` fields are regular expressions (JavaScript syntax, case-insensitive).
 *
 * A rule whose `match` names `finding` is a finding rule: it never matches an audit event as such, only a
 * finding aurora-audit makes about one (`coverage-gap`: a statement one audit source recorded and the other
 * did not); its other conditions and its exclusions apply to the event the finding is about.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  COMPILED_RULES_FORMAT,
  type CompiledRulesDocument,
  type Condition,
  DEFAULT_RULES_PATH,
  FINDINGS,
  InvalidRulesError,
  type RuleDefinition,
  type RuleSet,
  ruleSetOf,
  SEVERITIES,
  SOURCES,
  type Throttle,
} from './rule-set';

// The run-time half (rule-set.ts) re-exported: importers of the rules keep one module.
export {
  COMPILED_RULES_FILE,
  COMPILED_RULES_FORMAT,
  type CompiledRulesDocument,
  type Condition,
  DEFAULT_RULES_PATH,
  FINDINGS,
  type Finding,
  InvalidRulesError,
  type ResolvedRule,
  type RuleDefinition,
  type RuleMatch,
  type RuleSet,
  SEVERITIES,
  type Severity,
  severityRank,
} from './rule-set';

const values = z.array(z.string().min(1)).min(1, 'must list at least one value');
const pattern = z.string().refine((p) => {
  try {
    new RegExp(p, 'i');
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');

const conditionSchema = z
  .strictObject({
    source: z.array(z.enum(SOURCES)).min(1).optional(),
    class: values.optional(),
    command: values.optional(),
    commandPattern: pattern.optional(),
    user: values.optional(),
    database: values.optional(),
    objectName: values.optional(),
    objectNamePattern: pattern.optional(),
    commandTextPattern: pattern.optional(),
    finding: z.array(z.enum(FINDINGS)).min(1).optional(),
  })
  .refine((c) => Object.keys(c).length > 0, 'must name at least one field');

const throttleSchema = z.strictObject({
  maxPerWindow: z.number().int().min(1),
  windowMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60),
});

const ruleSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and hyphens'),
  severity: z.enum(SEVERITIES),
  description: z.string().optional(),
  match: conditionSchema,
  exclude: z.array(conditionSchema).default([]),
  throttle: throttleSchema.optional(),
});

export const rulesFileSchema = z.strictObject({
  defaults: z
    .strictObject({ throttle: throttleSchema })
    .default({ throttle: { maxPerWindow: 20, windowMinutes: 60 } }),
  rules: z.array(ruleSchema).min(1, 'must define at least one rule'),
});

// The schema's output is the run-time types (rule-set.ts), both ways: a change to one fails the typecheck.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameCondition: Same<z.output<typeof conditionSchema>, Condition> = true;
const sameRule: Same<z.output<typeof ruleSchema>, RuleDefinition> = true;
const sameThrottle: Same<z.output<typeof throttleSchema>, Throttle> = true;
void [sameCondition, sameRule, sameThrottle];

function describeIssue(doc: unknown, issue: z.core.$ZodIssue): string {
  const [first, index, ...rest] = issue.path;
  if (first === 'rules' && typeof index === 'number') {
    const name = (doc as { rules?: { name?: unknown }[] }).rules?.[index]?.name;
    const label = typeof name === 'string' ? `rule "${name}"` : `rules[${index}]`;
    return `${label}: ${rest.length ? `${rest.map(String).join('.')}: ` : ''}${issue.message}`;
  }
  return `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`;
}

/** Validates a parsed rules document and compiles it. */
export function compileRules(doc: unknown, origin = 'rules'): RuleSet {
  const parsed = rulesFileSchema.safeParse(doc);
  if (!parsed.success) {
    throw new InvalidRulesError(
      `invalid rules (${origin}): ${parsed.error.issues.map((i) => describeIssue(doc, i)).join('; ')}`,
    );
  }
  const names = new Set<string>();
  for (const r of parsed.data.rules) {
    if (names.has(r.name))
      throw new InvalidRulesError(`invalid rules (${origin}): rule "${r.name}": name is used twice`);
    names.add(r.name);
  }
  const defaults = parsed.data.defaults.throttle;
  return ruleSetOf(parsed.data.rules.map((r) => ({ ...r, throttle: r.throttle ?? defaults })));
}

/** Parses rules text (YAML, of which JSON is a subset). */
export function parseRules(text: string, origin = 'rules'): RuleSet {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InvalidRulesError(`invalid rules (${origin}): not YAML or JSON: ${(err as Error).message}`);
  }
  return compileRules(doc, origin);
}

/** Loads a rules file; without a path, the built-in rules. */
export function loadRules(path: string = DEFAULT_RULES_PATH): RuleSet {
  return parseRules(readFileSync(path, 'utf8'), path);
}

/**
 * The rules file at `path` validated (an invalid file throws {@link InvalidRulesError}, naming the rule and the
 * field) and compiled for a Lambda bundle: JSON that `loadCompiledRules` reads without the YAML parser or the
 * schema.
 */
export function compiledRulesText(path: string = DEFAULT_RULES_PATH): string {
  const document: CompiledRulesDocument = {
    format: COMPILED_RULES_FORMAT,
    origin: basename(path),
    rules: loadRules(path).rules,
  };
  return `${JSON.stringify(document)}\n`;
}
