import { gzipSync } from 'node:zlib';
import type { SubscriptionEvent } from '../../../tasks/core/cloudwatch-logs';

let nextId = 1;

export interface PayloadOptions {
  readonly logGroup: string;
  readonly logStream?: string;
  readonly messageType?: 'DATA_MESSAGE' | 'CONTROL_MESSAGE';
  readonly timestamp?: number;
}

/** A CloudWatch Logs subscription event, as Lambda receives it, around log messages. */
export function subscriptionEvent(messages: readonly string[], options: PayloadOptions): SubscriptionEvent {
  const payload = {
    messageType: options.messageType ?? 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: options.logGroup,
    logStream: options.logStream ?? '2026/11/24/[$LATEST]abcdef',
    subscriptionFilters: ['aurora-audit-alerts'],
    logEvents: messages.map((message) => ({
      id: String(nextId++).padStart(56, '3'),
      timestamp: options.timestamp ?? 1_795_000_000_000,
      message,
    })),
  };
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload))).toString('base64') } };
}

/**
 * One CloudWatch Logs event per entry of a PostgreSQL server log (continuation lines, which start with a tab,
 * stay with their entry, as RDS exports them).
 */
export function logEntries(log: string): string[] {
  return log.split('\n').reduce<string[]>((entries, line) => {
    if (line.startsWith('\t') && entries.length > 0) entries[entries.length - 1] += `\n${line}`;
    else if (line.trim() !== '') entries.push(line);
    return entries;
  }, []);
}
