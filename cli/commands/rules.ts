/**
 * `aurora-audit rules test`: replays events through the alert Lambda's own processing (`../alert-replay.ts`)
 * and shows the emails it would send (one per statement, however many rules it matched and sources reported
 * it), per rule the matches and the emails per throttle window, and the subscription filter patterns.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '../../infra/config/load';
import { activityStreamPattern, pgAuditPattern } from '../../tasks/core/alerts/filter-patterns';
import { InvalidRulesError, loadRules } from '../../tasks/core/alerts/rules';
import {
  AUDIT_EVENT_FIELD_NAMES,
  type AuditEvent,
  type AuditEventInput,
  createAuditEvent,
  parseAuditEvent,
} from '../../tasks/core/audit-event';
import { csvlogToStderrText, looksLikeCsvlog } from '../../tasks/core/pgaudit/csvlog';
import { parsePgAuditText } from '../../tasks/core/pgaudit/parser';
import { createRedactor } from '../../tasks/core/redact';
import { type ReplayResult, replayAlerts } from '../alert-replay';
import type { RegisterCommands } from '../io';

/**
 * Per window of a rule: the alert emails naming it (the statement matched it, whichever rule is named
 * first) and the statements counted into its digest, as the replay of the alert Lambda sent them.
 */
function ruleWindows(rule: string, windowMs: number, replay: ReplayResult) {
  const windows = new Map<number, { windowStart: number; alerts: number; suppressed: number }>();
  const window = (start: number) => {
    const w = windows.get(start) ?? { windowStart: start, alerts: 0, suppressed: 0 };
    windows.set(start, w);
    return w;
  };
  for (const a of replay.alerts)
    if ((a.notification.attributes.rules ?? [a.notification.attributes.rule]).includes(rule))
      window(Math.floor(a.at / windowMs) * windowMs).alerts += 1;
  for (const d of replay.digests) if (d.rule === rule) window(d.windowStart).suppressed += d.suppressed;
  return [...windows.values()].sort((a, b) => a.windowStart - b.windowStart);
}

/** What a file of events held. */
export interface FileEvents {
  readonly events: AuditEvent[];
  /** pgAudit entries the parser could not read (each reported through `onUnreadable`). */
  readonly unreadable: number;
  /** Hand-written JSON events completed with an id and defaults. */
  readonly completed: number;
}

const REQUIRED_OF_PARTIAL = ['time', 'class', 'command'] as const;

/**
 * A hand-written event that lacks fields: `time`, `class` and `command` are needed; `source` defaults to
 * pgaudit, every other missing field to null, and `id` and `statementKey` are computed as at ingest.
 * Undefined when nothing is missing (the event is then checked as stored).
 */
export function completeAuditEvent(value: Record<string, unknown>): AuditEvent | undefined {
  const missing = AUDIT_EVENT_FIELD_NAMES.filter((f) => f !== 'statementKey' && !(f in value));
  if (missing.length === 0) return undefined;
  const absent = REQUIRED_OF_PARTIAL.filter((f) => !(f in value));
  if (absent.length > 0) {
    throw new Error(`a partial event needs at least time, class and command; missing ${absent.join(', ')}`);
  }
  const input: Record<string, unknown> = { source: 'pgaudit' };
  for (const f of AUDIT_EVENT_FIELD_NAMES) if (f !== 'id' && f !== 'statementKey') input[f] ??= null;
  Object.assign(input, value);
  const { id: _given, statementKey: _key, ...fields } = input;
  const event = createAuditEvent(fields as unknown as AuditEventInput);
  return parseAuditEvent(event);
}

/**
 * Events of a file: JSON lines of the event model or `{"auditEvent": …}` lines (partial events completed), or
 * pgAudit log text (the stderr log with Aurora's prefix, or a csvlog).
 */
export async function eventsOfText(
  text: string,
  where: string,
  onUnreadable: (reason: string, raw: string) => void = () => {},
): Promise<FileEvents> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return { events: [], unreadable: 0, completed: 0 };
  if (!lines[0]?.trim().startsWith('{')) {
    let unreadable = 0;
    const log = looksLikeCsvlog(lines[0] ?? '') ? csvlogToStderrText(text) : text;
    const events = await parsePgAuditText(log, {
      onError: (reason, raw) => {
        unreadable++;
        onUnreadable(reason, raw);
      },
    });
    return { events, unreadable, completed: 0 };
  }
  let completed = 0;
  const events = lines.map((line, i) => {
    try {
      const value = JSON.parse(line) as Record<string, unknown>;
      const event = ('auditEvent' in value ? value.auditEvent : value) as Record<string, unknown>;
      const partial = typeof event === 'object' && event !== null ? completeAuditEvent(event) : undefined;
      if (partial) completed++;
      return partial ?? parseAuditEvent(event);
    } catch (err) {
      throw new Error(`${where} line ${i + 1}: ${(err as Error).message}`);
    }
  });
  return { events, unreadable: 0, completed };
}

/** How many matched events each rule lists (the rest are counted). */
const MATCHES_SHOWN = 20;

/** One line of a matched event: time, who, where, the statement (cut). */
function eventLine(e: AuditEvent): string {
  const who = `${e.user ?? '?'}@${e.database ?? '?'}`;
  const text = (e.commandText ?? '').replace(/\s+/g, ' ');
  return `${e.time}  ${e.source.padEnd(7)} ${who}  ${e.class} ${e.command}${text ? `: ${text.length > 80 ? `${text.slice(0, 79)}…` : text}` : ''}`;
}

export const register: RegisterCommands = ({ program, io, setExit }) => {
  const rules = program.command('rules').description('Alert rules: try them on events');
  rules
    .command('test')
    .description(
      'Replay events (JSON lines or pgAudit log text) through the rules: matches, emails per window, filter patterns',
    )
    .argument(
      '[events...]',
      'files of events (JSON lines of the event model, {"auditEvent": …} lines, or pgAudit log text)',
    )
    .option(
      '--rules <file>',
      "rules file (default: the configuration's alerts.rulesFile, else the built-in rules)",
    )
    .option('-c, --config <file>', 'configuration file')
    .action(async (files: string[], opts: { rules?: string; config?: string }) => {
      let ruleSet: ReturnType<typeof loadRules>;
      try {
        const path = opts.rules ?? (opts.config ? loadConfig(opts.config).rulesFilePath : undefined);
        ruleSet = loadRules(path);
      } catch (err) {
        if (err instanceof InvalidRulesError || err instanceof ConfigError) {
          io.stderr(`${err.message}\n`);
          setExit(1);
          return;
        }
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          io.stderr(`rules file not found: ${opts.rules}\n`);
          setExit(2);
          return;
        }
        throw err;
      }
      const events: AuditEvent[] = [];
      let unreadable = 0;
      for (const file of files) {
        try {
          const read = await eventsOfText(readFileSync(file, 'utf8'), file, (reason, raw) =>
            io.stderr(`${file}: unreadable entry: ${reason}: ${createRedactor()(raw).slice(0, 200)}\n`),
          );
          events.push(...read.events);
          unreadable += read.unreadable;
          if (read.completed > 0) {
            io.stderr(
              `${file}: ${read.completed} partial event${read.completed === 1 ? '' : 's'} completed: id computed, source "pgaudit" where missing, other missing fields null\n`,
            );
          }
        } catch (err) {
          const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
          io.stderr(`${missing ? `file not found: ${file}` : (err as Error).message}\n`);
          setExit(2);
          return;
        }
      }
      const eventRules = ruleSet.rules.filter((r) => !r.match.finding);
      const findingRules = ruleSet.rules.filter((r) => r.match.finding);
      io.stdout(
        `${events.length} events${unreadable ? ` (and ${unreadable} unreadable entr${unreadable === 1 ? 'y' : 'ies'}, not replayed)` : ''}, ${eventRules.length} rules${findingRules.length ? ` (and ${findingRules.length} finding rule${findingRules.length === 1 ? '' : 's'})` : ''}\n`,
      );
      // The alert Lambda's own processing, replayed at the events' times: one email per statement.
      const replay = await replayAlerts(events, ruleSet);
      const digestEmails = replay.digests.length;
      const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
      io.stdout(
        `${count(replay.statements.length, 'statement')} matched rules → ${count(replay.alerts.length + digestEmails, 'email')}: ${count(replay.alerts.length, 'alert')} (one per statement, naming every rule it matched)${digestEmails ? ` + ${count(digestEmails, 'digest')}` : ''}\n`,
      );
      const statementsOf = (rule: string) =>
        count(replay.statements.filter((rules) => rules.includes(rule)).length, 'statement');
      for (const rule of eventRules) {
        const matched = events.filter((e) => ruleSet.evaluate(e).some((m) => m.rule === rule.name));
        io.stdout(
          `\n${rule.name} (${rule.severity}): ${matched.length} matches; at most ${rule.throttle.maxPerWindow} alerts per ${rule.throttle.windowMinutes} min; ${statementsOf(rule.name)}\n`,
        );
        for (const w of ruleWindows(rule.name, rule.throttle.windowMinutes * 60_000, replay)) {
          const digest = w.suppressed ? ` + 1 digest of ${w.suppressed}` : '';
          io.stdout(
            `  ${new Date(w.windowStart).toISOString()}  ${w.alerts + w.suppressed} matches → ${w.alerts + (w.suppressed ? 1 : 0)} emails (${w.alerts} alerts${digest})\n`,
          );
        }
        const shown = matched.slice(0, MATCHES_SHOWN);
        if (shown.length) io.stdout('  matched events:\n');
        for (const e of shown) io.stdout(`    ${eventLine(e)}\n`);
        if (matched.length > shown.length) io.stdout(`    … and ${matched.length - shown.length} more\n`);
      }
      for (const rule of findingRules)
        io.stdout(
          `\n${rule.name} (${rule.severity}): a finding rule (${rule.match.finding?.join(', ')}): matched by the alert Lambda's coverage check, not by events\n`,
        );
      io.stdout(
        `\nSubscription filter patterns:\n  decrypt Lambda log: ${activityStreamPattern(ruleSet.rules)}\n  PostgreSQL log:     ${pgAuditPattern()}\n`,
      );
      setExit(unreadable > 0 ? 1 : 0);
    });
};
