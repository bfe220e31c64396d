import { rmSync } from 'node:fs';
import { auditEvent } from '../../../../cli/local/records/audit-event';
import { writeStoredEvents } from '../../../../cli/local/records/stored-events';
import { type SqlEngine, sqlEngine } from '../../../../cli/local/sql-engine';
import { athenaQueryFor } from '../../../../tasks/core/alerts/notification';

describe('the Athena query an alert email gives', () => {
  const alerted = auditEvent({ time: '2026-11-24T10:00:01.123456Z', statementId: 1 });
  const sameDay = auditEvent({ time: '2026-11-24T11:30:00Z', statementId: 2 });
  const otherCluster = auditEvent({
    time: '2026-11-24T10:00:01.123456Z',
    statementId: 1,
    clusterId: 'cluster-ZYXWVUTSRQPONMLKJIHGFEDCBA',
  });
  let root: string;
  let engine: SqlEngine;
  beforeAll(async () => {
    root = writeStoredEvents([alerted, sameDay, otherCluster]);
    engine = await sqlEngine(root);
  });
  afterAll(() => {
    engine?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('finds exactly the alerted event, reading only its cluster, day and hour partition', async () => {
    const sql = athenaQueryFor('aurora_audit.audit_events', alerted);
    expect(sql).toBe(
      `SELECT * FROM aurora_audit.audit_events WHERE cluster = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ' AND day = '2026-11-24' AND hour = '10' AND id = '${alerted.id}';`,
    );
    const rows = await engine.query(sql.replace(/;$/, ''));
    expect(rows.map((r) => r.id)).toEqual([alerted.id]);
    const files = await engine.filesRead(sql.replace(/;$/, ''));
    expect(files.map((f) => f.replace(/^.*\/events\//, '').replace(/[^/]+$/, ''))).toEqual([
      'cluster=cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ/day=2026-11-24/hour=10/',
    ]);
  });
});
