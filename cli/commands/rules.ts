/**
 * `aurora-audit rules test`: replays events through the rules and shows, per rule, the matches and the
 * emails throttling would let through per window, and the subscription filter patterns generated from them.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '../../infra/config/load';
import { activityStreamPattern, pgAuditPattern } from '../../tasks/core/alerts/filter-patterns';
import { InvalidRulesError, loadRules } from '../../tasks/core/alerts/rules';
import { simulateThrottle } from '../../tasks/core/alerts/throttle';
import { type AuditEvent, parseAuditEvent } from '../../tasks/core/audit-event';
import { parsePgAuditText } from '../../tasks/core/pgaudit/parser';
import type { RegisterCommands } from '../io';

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
          setExit(1);
          return;
        }
        throw err;
      }
      const events: AuditEvent[] = [];
      for (const file of files) {
        try {
          events.push(...(await eventsOfText(readFileSync(file, 'utf8'), file)));
        } catch (err) {
          io.stderr(`${(err as Error).message}\n`);
          setExit(2);
          return;
        }
      }
      const eventRules = ruleSet.rules.filter((r) => !r.match.finding);
      const findingRules = ruleSet.rules.filter((r) => r.match.finding);
      io.stdout(
        `${events.length} events, ${eventRules.length} rules${findingRules.length ? ` (and ${findingRules.length} finding rule${findingRules.length === 1 ? '' : 's'})` : ''}\n`,
      );
      for (const rule of eventRules) {
        const times = events
          .filter((e) => ruleSet.evaluate(e).some((m) => m.rule === rule.name))
          .map((e) => Date.parse(e.time));
        io.stdout(
          `\n${rule.name} (${rule.severity}): ${times.length} matches; at most ${rule.throttle.maxPerWindow} alerts per ${rule.throttle.windowMinutes} min\n`,
        );
        for (const w of simulateThrottle(
          times,
          rule.throttle.maxPerWindow,
          rule.throttle.windowMinutes * 60,
        )) {
          io.stdout(
            `  ${w.windowStart}  ${w.matches} matches → ${w.emails} emails (${w.alerts} alerts${w.suppressed ? ` + 1 digest of ${w.suppressed}` : ''})\n`,
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
