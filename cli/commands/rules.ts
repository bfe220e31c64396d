/**
 * `aurora-audit rules test`: replays events through the alert Lambda's own processing (`../alert-replay.ts`)
 * and shows the emails it would send (one per statement, however many rules it matched and sources reported
 * it), per rule the matches and the emails per throttle window, and the subscription filter patterns.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '../../infra/config/load';
import { activityStreamPattern, pgAuditPattern } from '../../tasks/core/alerts/filter-patterns';
import { InvalidRulesError, loadRules } from '../../tasks/core/alerts/rules';
import { type AuditEvent, parseAuditEvent } from '../../tasks/core/audit-event';
import { parsePgAuditText } from '../../tasks/core/pgaudit/parser';
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

/** Events of a file: JSON lines of the event model or `{"auditEvent": …}` lines, or pgAudit log text. */
export async function eventsOfText(text: string, where: string): Promise<AuditEvent[]> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  if (!lines[0]?.trim().startsWith('{')) return parsePgAuditText(text);
  return lines.map((line, i) => {
    try {
      const value = JSON.parse(line) as Record<string, unknown>;
      return parseAuditEvent('auditEvent' in value ? value.auditEvent : value);
    } catch (err) {
      throw new Error(`${where} line ${i + 1}: ${(err as Error).message}`);
    }
  });
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
      for (const file of files) {
        try {
          events.push(...(await eventsOfText(readFileSync(file, 'utf8'), file)));
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
        `${events.length} events, ${eventRules.length} rules${findingRules.length ? ` (and ${findingRules.length} finding rule${findingRules.length === 1 ? '' : 's'})` : ''}\n`,
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
        const matched = events.filter((e) => ruleSet.evaluate(e).some((m) => m.rule === rule.name)).length;
        io.stdout(
          `\n${rule.name} (${rule.severity}): ${matched} matches; at most ${rule.throttle.maxPerWindow} alerts per ${rule.throttle.windowMinutes} min; ${statementsOf(rule.name)}\n`,
        );
        for (const w of ruleWindows(rule.name, rule.throttle.windowMinutes * 60_000, replay)) {
          const digest = w.suppressed ? ` + 1 digest of ${w.suppressed}` : '';
          io.stdout(
            `  ${new Date(w.windowStart).toISOString()}  ${w.alerts + w.suppressed} matches → ${w.alerts + (w.suppressed ? 1 : 0)} emails (${w.alerts} alerts${digest})\n`,
          );
        }
      }
      for (const rule of findingRules)
        io.stdout(
          `\n${rule.name} (${rule.severity}): a finding rule (${rule.match.finding?.join(', ')}): matched by the alert Lambda's coverage check, not by events\n`,
        );
      io.stdout(
        `\nSubscription filter patterns:\n  decrypt Lambda log: ${activityStreamPattern(ruleSet.rules)}\n  PostgreSQL log:     ${pgAuditPattern()}\n`,
      );
      setExit(0);
    });
};
