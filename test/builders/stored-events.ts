/**
 * Writes audit events exactly as the pipeline stores them: GZIP JSON lines (the real `storedLine`) under
 * `events/cluster=<clusterId>/day=<UTC day>/` (the real `partitionOf`/`eventsPrefix`).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AuditEvent } from '../../tasks/core/audit-event';
import { eventsPrefix, partitionOf, storedLine } from '../../tasks/core/storage-layout';

let file = 0;

/** Writes one object per partition (or several, with `objectsPerPartition`); returns the bucket root. */
export function writeStoredEvents(
  events: readonly AuditEvent[],
  root = mkdtempSync(join(tmpdir(), 'aa-bucket-')),
): string {
  const byPrefix = new Map<string, string[]>();
  for (const e of events) {
    const prefix = eventsPrefix(partitionOf(e));
    byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), storedLine(e).line]);
  }
  for (const [prefix, lines] of byPrefix) {
    const dir = join(root, prefix);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `aurora-audit-events-${++file}.json.gz`), gzipSync(lines.join('')));
  }
  return root;
}
