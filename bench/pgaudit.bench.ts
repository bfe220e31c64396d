/**
 * The pgAudit parser's throughput on one core, over a generated log as Aurora writes it: audit entries
 * (simple and quoted statements, multi-line statements with continuation tabs, OBJECT lines), failed logins
 * and the other lines a server logs. Target: ≥ 200,000 lines/s.
 */

import { auditEntry, failedLogin, prefix } from '../cli/local/records/pgaudit-log';
import { parsePgAuditLines, parsePgAuditLinesSync } from '../tasks/core/pgaudit/parser';
import type { Benchmark } from './harness';

const LINES = 400_000;

function generateLog(): string[] {
  const lines: string[] = [];
  for (let i = 0; lines.length < LINES; i++) {
    const p = {
      pid: 1000 + (i % 50),
      time: `2026-11-24 10:${String(Math.floor(i / 6000) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} UTC`,
    };
    switch (i % 10) {
      case 0:
        lines.push(
          ...auditEntry(
            {
              class: 'WRITE',
              command: 'INSERT',
              statement: `INSERT INTO orders (id, note)\nVALUES (${i}, 'a, "b"'),\n       (${i + 1}, 'it''s')`,
            },
            p,
          ).split('\n'),
        );
        break;
      case 1:
        lines.push(
          auditEntry(
            {
              auditType: 'OBJECT',
              class: 'READ',
              command: 'SELECT',
              objectName: 'public.orders',
              statement: '<previously logged>',
              parameterField: '<previously logged>',
            },
            p,
          ),
        );
        break;
      case 2:
        lines.push(`${prefix({ ...p })}connection authorized: user=app_user database=appdb SSL enabled`);
        break;
      case 3:
        lines.push(failedLogin('mallory', p));
        break;
      case 4:
        lines.push(
          auditEntry(
            { class: 'ROLE', command: 'GRANT', statement: `GRANT SELECT, INSERT ON t${i} TO app_user_new` },
            p,
          ),
        );
        break;
      default:
        lines.push(
          auditEntry(
            { class: 'READ', command: 'SELECT', statement: `SELECT id FROM orders WHERE id = ${i}` },
            p,
          ),
        );
    }
  }
  return lines.slice(0, LINES);
}

export const benchmarks: Benchmark[] = [
  {
    name: 'pgaudit',
    description: `parse ${LINES.toLocaleString('en-US')} generated log lines with the streaming parser, one core (target ≥ 200,000 lines/s)`,
    run: async () => {
      const lines = generateLog();
      const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
      const out: string[] = [];
      for (const mode of ['sync', 'async'] as const) {
        // Warm up, then measure.
        for (const _ of parsePgAuditLinesSync(lines.slice(0, 20_000))) void _;
        const start = process.hrtime.bigint();
        let events = 0;
        if (mode === 'sync') for (const _ of parsePgAuditLinesSync(lines)) events++;
        else for await (const _ of parsePgAuditLines(lines)) events++;
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        out.push(
          `${mode === 'sync' ? 'parsePgAuditLinesSync (files, arrays)' : 'parsePgAuditLines (async streams)   '}: ` +
            `${Math.round(LINES / seconds).toLocaleString('en-US')} lines/s, ${(bytes / seconds / 1e6).toFixed(1)} MB/s, ` +
            `${Math.round(events / seconds).toLocaleString('en-US')} events/s (${events.toLocaleString('en-US')} events from ${(bytes / 1e6).toFixed(1)} MB)`,
        );
      }
      return out;
    },
  },
];
