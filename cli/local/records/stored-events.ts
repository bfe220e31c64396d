/**
 * Writes audit events exactly as the pipeline stores them: GZIP JSON lines (the real `storedLine`) in objects
 * named like Firehose's (`….json.gz`) under `events/cluster=<clusterId>/day=<UTC day>/hour=<UTC hour>/` (the real
 * `partitionOf` and `eventsPrefix`).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AuditEvent } from '../../../tasks/core/audit-event';
import { eventsPrefix, partitionOf, storedLine } from '../../../tasks/core/storage-layout';

export interface StoredEventsOptions {
  /** The bucket root to write under. Default: a new temporary directory. */
  readonly root?: string;
  /** Objects per partition, events dealt round-robin (Firehose writes one per buffer flush). Default: 1. */
  readonly objectsPerPartition?: number;
}

let objects = 0;

/** Writes the events; returns the bucket root (which holds `events/…`). */
export function writeStoredEvents(events: readonly AuditEvent[], options: StoredEventsOptions = {}): string {
  const root = options.root ?? mkdtempSync(join(tmpdir(), 'aa-bucket-'));
  const perPartition = options.objectsPerPartition ?? 1;
  const byPrefix = new Map<string, string[]>();
  for (const event of events) {
    const prefix = eventsPrefix(partitionOf(event));
    const lines = byPrefix.get(prefix) ?? [];
    lines.push(storedLine(event).line);
    byPrefix.set(prefix, lines);
  }
  for (const [prefix, lines] of byPrefix) {
    const dir = join(root, prefix);
    mkdirSync(dir, { recursive: true });
    for (let part = 0; part < Math.min(perPartition, lines.length); part++) {
      const body = lines.filter((_, i) => i % perPartition === part).join('');
      writeFileSync(
        join(dir, `aurora-audit-events-1-${String(++objects).padStart(6, '0')}.json.gz`),
        gzipSync(body),
      );
    }
  }
  return root;
}
