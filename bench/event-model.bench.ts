import { auditEventInput } from '../cli/local/records/audit-event';
import { createAuditEvent, toJsonLine } from '../tasks/core/audit-event';
import { type Benchmark, opsPerSecond } from './harness';

export const benchmarks: Benchmark[] = [
  {
    name: 'event-model',
    description: 'build an audit event (SHA-256 id) and serialize it as a JSON line, one core',
    run: async () => {
      const base = auditEventInput();
      let bytes = 0;
      const { ops, perSecond } = opsPerSecond((i) => {
        bytes += toJsonLine(createAuditEvent({ ...base, statementId: i })).length;
      });
      return [
        `${Math.round(perSecond).toLocaleString('en-US')} events/s (${ops} events, ${Math.round(bytes / ops)} bytes/line)`,
      ];
    },
  },
];
