/**
 * The run-time half of the alert rules (tasks/core/alerts/rules.ts is the other): the rule types, the rule set
 * that evaluates events, and the rules file compiled at synth (`rules.json`, bundled beside the decrypt and
 * alert Lambdas). Validation (the schema) and YAML parsing happen at synth and in the CLI (`rules.ts`), so the
 * Lambda bundles hold neither the YAML parser nor the schema library: this module imports neither.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEvent } from '../audit-event';

export const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Findings aurora-audit makes about an event (see {@link RuleSet.evaluateFinding}). */
export const FINDINGS = ['coverage-gap'] as const;
export type Finding = (typeof FINDINGS)[number];

/** The audit sources a condition may name. */
export const SOURCES = ['das', 'pgaudit'] as const;

/** Severities from highest to lowest rank: CRITICAL is 3, LOW 0 (unknown values rank below LOW). */
export function severityRank(severity: string): number {
  return SEVERITIES.indexOf(severity as Severity);
}

/** The built-in rules, shipped beside this module. */
export const DEFAULT_RULES_PATH = join(__dirname, 'default-rules.yaml');

/** The file name of the compiled rules bundled beside a Lambda (`RULES_FILE`). */
export const COMPILED_RULES_FILE = 'rules.json';

/** The `format` of a compiled rules file: what {@link loadCompiledRules} reads. */
export const COMPILED_RULES_FORMAT = 'aurora-audit-compiled-rules/1';

/** A rule condition, validated (rules.ts holds its schema). */
export interface Condition {
  readonly source?: (typeof SOURCES)[number][];
  readonly class?: string[];
  readonly command?: string[];
  readonly commandPattern?: string;
  readonly user?: string[];
  readonly database?: string[];
  readonly objectName?: string[];
  readonly objectNamePattern?: string;
  readonly commandTextPattern?: string;
  readonly finding?: Finding[];
}

export interface Throttle {
  readonly maxPerWindow: number;
  readonly windowMinutes: number;
}

/** A rule as the rules file defines it, validated (`exclude` defaulted). */
export interface RuleDefinition {
  readonly name: string;
  readonly severity: Severity;
  readonly description?: string;
  readonly match: Condition;
  readonly exclude: Condition[];
  readonly throttle?: Throttle;
}

/** A rule with its throttle resolved (its own or the file's default). */
export type ResolvedRule = RuleDefinition & { readonly throttle: Throttle };

export interface RuleMatch {
  readonly rule: string;
  readonly severity: Severity;
  /** Alerts allowed per window; further matches go to the window's digest. */
  readonly limit: number;
  readonly windowSeconds: number;
}

export interface RuleSet {
  readonly rules: readonly ResolvedRule[];
  /** Every rule the event matches (after exclusions); finding rules never match here. */
  evaluate(event: AuditEvent): RuleMatch[];
  /** Every finding rule naming `finding` whose other conditions hold for `event` (after exclusions). */
  evaluateFinding(finding: Finding, event: AuditEvent): RuleMatch[];
}

/** A rules file compiled at synth: the validated rules, throttles resolved. */
export interface CompiledRulesDocument {
  readonly format: typeof COMPILED_RULES_FORMAT;
  /** The rules file it was compiled from (its base name). */
  readonly origin: string;
  readonly rules: readonly ResolvedRule[];
}

export class InvalidRulesError extends Error {
  override readonly name = 'InvalidRulesError';
}

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

/** The rule set of validated rules (their throttles resolved). */
export function ruleSetOf(rules: readonly ResolvedRule[]): RuleSet {
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

/**
 * Reads a rules file compiled at synth (`compiledRulesText` in rules.ts, which validated it): no schema check
 * here, only that the file is one (a YAML rules file or another document is refused, naming the file).
 */
export function loadCompiledRules(path: string): RuleSet {
  let doc: Partial<CompiledRulesDocument> | null;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as Partial<CompiledRulesDocument> | null;
  } catch (err) {
    throw new InvalidRulesError(`invalid compiled rules (${path}): ${(err as Error).message}`);
  }
  if (doc?.format !== COMPILED_RULES_FORMAT || !Array.isArray(doc.rules)) {
    throw new InvalidRulesError(
      `invalid compiled rules (${path}): not a ${COMPILED_RULES_FORMAT} document (compile rules at synth)`,
    );
  }
  return ruleSetOf(doc.rules);
}

/**
 * The rules a Lambda loads at cold start: the rules compiled at synth (`*.json`, what the bundles hold).
 * Handlers run from source (tests, the demo) may name a YAML rules file instead: it is read through the
 * validating parser (rules.ts), required here only then, and the Lambda bundles leave that branch out
 * (`LAMBDA_BUNDLE.define` makes `process.env.AURORA_AUDIT_BUNDLE` the constant "true", and esbuild drops the
 * dead branch with its `require`).
 */
export function loadRulesFile(path: string): RuleSet {
  if (path.endsWith('.json')) return loadCompiledRules(path);
  if (process.env.AURORA_AUDIT_BUNDLE !== 'true') {
    // A conditional require (not an import), so that bundles leave the YAML parser and the schema out.
    const { loadRules } = require('./rules') as typeof import('./rules');
    return loadRules(path);
  }
  throw new InvalidRulesError(`rules file ${path}: a bundled Lambda reads rules compiled at synth (*.json)`);
}
