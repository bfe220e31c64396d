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
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { AuditEvent } from '../audit-event';

export const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Findings aurora-audit makes about an event (see {@link RuleSet.evaluateFinding}). */
export const FINDINGS = ['coverage-gap'] as const;
export type Finding = (typeof FINDINGS)[number];

/** Severities from highest to lowest rank: CRITICAL is 3, LOW 0 (unknown values rank below LOW). */
export function severityRank(severity: string): number {
  return SEVERITIES.indexOf(severity as Severity);
}

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
    source: z
      .array(z.enum(['das', 'pgaudit']))
      .min(1)
      .optional(),
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

export type Condition = z.output<typeof conditionSchema>;
export type RuleDefinition = z.output<typeof ruleSchema>;

export interface RuleMatch {
  readonly rule: string;
  readonly severity: Severity;
  /** Alerts allowed per window; further matches go to the window's digest. */
  readonly limit: number;
  readonly windowSeconds: number;
}

export interface RuleSet {
  readonly rules: readonly (RuleDefinition & { readonly throttle: z.output<typeof throttleSchema> })[];
  /** Every rule the event matches (after exclusions); finding rules never match here. */
  evaluate(event: AuditEvent): RuleMatch[];
  /** Every finding rule naming `finding` whose other conditions hold for `event` (after exclusions). */
  evaluateFinding(finding: Finding, event: AuditEvent): RuleMatch[];
}

export class InvalidRulesError extends Error {
  override readonly name = 'InvalidRulesError';
}

/** The built-in rules, shipped beside this module. */
export const DEFAULT_RULES_PATH = join(__dirname, 'default-rules.yaml');

interface Compiled {
  readonly test: (e: AuditEvent) => boolean;
}

function compile(c: Condition): Compiled {
  const checks: ((e: AuditEvent) => boolean)[] = [];
  const oneOf = (list: readonly string[] | undefined, get: (e: AuditEvent) => string | null) => {
    if (!list) return;
    const set = new Set(list.map((v) => v.toLowerCase()));
    checks.push((e) => {
      const v = get(e);
      return v !== null && set.has(v.toLowerCase());
    });
  };
  const regex = (p: string | undefined, get: (e: AuditEvent) => string | null) => {
    if (p === undefined) return;
    const re = new RegExp(p, 'i');
    checks.push((e) => {
      const v = get(e);
      return v !== null && re.test(v);
    });
  };
  if (c.source) {
    const sources = new Set<string>(c.source);
    checks.push((e) => sources.has(e.source));
  }
  oneOf(c.class, (e) => e.class);
  oneOf(c.command, (e) => e.command);
  regex(c.commandPattern, (e) => e.command);
  oneOf(c.user, (e) => e.user);
  oneOf(c.database, (e) => e.database);
  oneOf(c.objectName, (e) => e.objectName);
  regex(c.objectNamePattern, (e) => e.objectName);
  regex(c.commandTextPattern, (e) => e.commandText);
  return { test: (e) => checks.every((check) => check(e)) };
}

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
  const rules = parsed.data.rules.map((r) => ({ ...r, throttle: r.throttle ?? defaults }));
  const compiled = rules.map((r) => ({ rule: r, match: compile(r.match), exclude: r.exclude.map(compile) }));
  const matching = (candidates: typeof compiled, event: AuditEvent): RuleMatch[] =>
    candidates
      .filter((c) => c.match.test(event) && !c.exclude.some((x) => x.test(event)))
      .map((c) => ({
        rule: c.rule.name,
        severity: c.rule.severity,
        limit: c.rule.throttle.maxPerWindow,
        windowSeconds: c.rule.throttle.windowMinutes * 60,
      }));
  const eventRules = compiled.filter((c) => !c.rule.match.finding);
  return {
    rules,
    evaluate: (event) => matching(eventRules, event),
    evaluateFinding: (finding, event) =>
      matching(
        compiled.filter((c) => c.rule.match.finding?.includes(finding)),
        event,
      ),
  };
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
