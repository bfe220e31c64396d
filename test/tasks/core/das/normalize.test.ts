import {
  activityEvent,
  CLUSTER_ID,
  heartbeatEvent,
  INSTANCE_ID,
} from '../../../../cli/local/records/activity-stream';
import { eventId } from '../../../../tasks/core/audit-event';
import { normalizeActivityPayload } from '../../../../tasks/core/das/normalize';
import { createRedactor } from '../../../../tasks/core/redact';
import { statementKey } from '../../../../tasks/core/statement';

const redact = createRedactor();
const payload = (events: unknown[]) => ({
  type: 'DatabaseActivityMonitoringRecord',
  clusterId: CLUSTER_ID,
  instanceId: INSTANCE_ID,
  databaseActivityEventList: events as never[],
});

describe('normalizing activity events', () => {
  it('maps every field of an Aurora PostgreSQL event to the audit-event model', () => {
    const ev = activityEvent({
      class: 'DDL',
      command: 'CREATE TABLE',
      commandText: 'create table t (id int)',
      objectType: 'TABLE',
      objectName: 'public.t',
      paramList: ['a', 1],
      exitCode: 0,
      rowCount: 3,
      remotePort: 34534,
      statementId: 7,
      errorMessage: null,
    });
    const [event] = normalizeActivityPayload(payload([ev]), { redact }).events;
    const { id, statementKey: key, ...rest } = event!;
    // Computed at ingest through the core, from the mapped fields.
    expect(key).toBe(statementKey(rest));
    expect(rest).toEqual({
      source: 'das',
      clusterId: CLUSTER_ID,
      instanceId: INSTANCE_ID,
      time: '2026-11-24T10:00:00.123456Z',
      auditType: null,
      class: 'DDL',
      command: 'CREATE TABLE',
      objectType: 'TABLE',
      objectName: 'public.t',
      database: 'appdb',
      user: 'app_user',
      remoteHost: '10.0.0.5',
      remotePort: '34534',
      sessionId: '5ce5f7f0.474b',
      pid: 4242,
      statementId: 7,
      substatementId: 1,
      commandText: 'create table t (id int)',
      parameters: '["a",1]',
      exitCode: '0',
      errorMessage: null,
      rowCount: 3,
      clientApplication: 'psql',
    });
    expect(id).toBe(eventId(rest));
  });

  it('drops heartbeats and counts them', () => {
    const result = normalizeActivityPayload(payload([heartbeatEvent(), activityEvent(), heartbeatEvent()]), {
      redact,
    });
    expect(result.events).toHaveLength(1);
    expect(result.heartbeats).toBe(2);
  });

  it.each(['rdsadmin', 'RDSADMIN', 'RdsAdmin', 'rdsproxyadmin'])(
    'drops service user %s in any case',
    (user) => {
      const result = normalizeActivityPayload(payload([activityEvent({ dbUserName: user })]), { redact });
      expect(result.events).toEqual([]);
      expect(result.serviceUserEvents).toBe(1);
    },
  );

  it('uses the configured service users instead of the defaults', () => {
    const events = [activityEvent({ dbUserName: 'rdsadmin' }), activityEvent({ dbUserName: 'Batch_Loader' })];
    const result = normalizeActivityPayload(payload(events), { redact, serviceUsers: ['batch_loader'] });
    expect(result.events.map((e) => e.user)).toEqual(['rdsadmin']);
  });

  it('redacts passwords before anything leaves the function', () => {
    const ev = activityEvent({
      class: 'ROLE',
      command: 'ALTER ROLE',
      commandText: "ALTER ROLE bob PASSWORD 'hunter2'",
    });
    const [event] = normalizeActivityPayload(payload([ev]), { redact }).events;
    expect(event?.commandText).toBe('ALTER ROLE bob PASSWORD <REDACTED>');
    expect(JSON.stringify(event)).not.toContain('hunter2');
  });

  it('returns an empty result for an empty event list', () => {
    expect(normalizeActivityPayload(payload([]), { redact })).toEqual({
      events: [],
      heartbeats: 0,
      serviceUserEvents: 0,
      rejected: [],
    });
  });

  it('rejects an event without a usable time, keeping the others', () => {
    const result = normalizeActivityPayload(
      payload([activityEvent({ logTime: 'soon', startTime: null }), activityEvent(), 'junk']),
      { redact },
    );
    expect(result.events).toHaveLength(1);
    expect(result.rejected).toEqual([
      { index: 0, reason: 'not a timestamp: "soon"' },
      { index: 2, reason: 'event is not a JSON object' },
    ]);
  });

  it('keeps heartbeats when asked to', () => {
    const result = normalizeActivityPayload(payload([heartbeatEvent()]), { redact, includeHeartbeats: true });
    expect(result.events).toHaveLength(1);
    expect(result.events[0]?.class).toBe('UNKNOWN');
  });
});
