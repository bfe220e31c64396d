import {
  createPlanHandler,
  type PlanResult,
  UnknownActionError,
} from '../../../tasks/plan-maintenance-window/plan';
import { InvalidSettingsError, readPlanSettings } from '../../../tasks/plan-maintenance-window/settings';
import type { ValidationResult } from '../../../tasks/plan-maintenance-window/stream-request';

const CLUSTERS = [
  {
    identifier: 'orders-db',
    resourceId: 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    activityStreamKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    streamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/aws-rds-das-cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  },
];
const env = (overrides: Record<string, string | undefined> = {}) => ({
  CLUSTERS: JSON.stringify(CLUSTERS),
  MAX_WAIT_SECONDS: String(8 * 86400 - 6300),
  LOCK_TTL_SECONDS: String(8 * 86400 + 3600),
  ...overrides,
});
const NOW = new Date('2026-11-24T10:00:00Z');
const handlerWith = (overrides: Record<string, string | undefined> = {}) =>
  createPlanHandler(readPlanSettings(env(overrides)), () => NOW);
const validate = async (input: unknown, overrides: Record<string, string | undefined> = {}) =>
  (await handlerWith(overrides)({ action: 'validate', input })) as ValidationResult;

describe('the plan Lambda settings', () => {
  it('applies the defaults', () => {
    expect(readPlanSettings(env())).toMatchObject({
      MIN_MINUTES_LEFT: 30,
      WINDOW_POLICY: 'cluster-window',
      ALLOW_IMMEDIATE: true,
      CLUSTERS,
    });
  });

  it.each([
    [{ CLUSTERS: undefined }, 'CLUSTERS'],
    [{ CLUSTERS: 'not json' }, 'CLUSTERS: must be JSON'],
    [{ CLUSTERS: '[]' }, 'CLUSTERS'],
    [{ WINDOW_POLICY: 'fixed' }, 'FIXED_WINDOW: is required with WINDOW_POLICY=fixed'],
    [{ MIN_MINUTES_LEFT: '-1' }, 'MIN_MINUTES_LEFT'],
    [{ ALLOW_IMMEDIATE: 'yes' }, 'ALLOW_IMMEDIATE'],
  ])('refuses %j', (overrides, message) => {
    expect(() => readPlanSettings(env(overrides))).toThrow(InvalidSettingsError);
    expect(() => readPlanSettings(env(overrides))).toThrow(message);
  });
});

describe('the plan Lambda: validate', () => {
  it('normalizes a minimal input with the defaults (window next, mode async)', async () => {
    expect(await validate({ clusterIdentifier: 'orders-db' })).toEqual({
      valid: true,
      problem: '',
      request: {
        workflow: 'enable-activity-stream',
        clusterIdentifier: 'orders-db',
        displayName: 'orders-db',
        clusterResourceId: CLUSTERS[0]?.resourceId,
        kmsKeyId: CLUSTERS[0]?.activityStreamKmsKeyArn,
        streamArn: CLUSTERS[0]?.streamArn,
        window: { kind: 'next' },
        mode: 'async',
        changeTicket: '(none)',
        requestedBy: '(none)',
      },
      lock: { now: String(NOW.getTime() / 1000), expiresAt: String(NOW.getTime() / 1000 + 8 * 86400 + 3600) },
    });
  });

  it('keeps a full input', async () => {
    const r = await validate({
      clusterIdentifier: 'orders-db',
      window: { start: '2026-11-25T02:00:00Z', end: '2026-11-25T03:00:00Z' },
      mode: 'sync',
      changeTicket: 'CHG-1042',
      requestedBy: 'alice@example.com',
    });
    expect(r.valid).toBe(true);
    expect(r.request).toMatchObject({
      window: { kind: 'range', start: '2026-11-25T02:00:00Z', end: '2026-11-25T03:00:00Z' },
      mode: 'sync',
      changeTicket: 'CHG-1042',
      requestedBy: 'alice@example.com',
    });
  });

  it('turns "next" into now with policy immediate, and refuses "now" when not allowed', async () => {
    expect(
      (await validate({ clusterIdentifier: 'orders-db' }, { WINDOW_POLICY: 'immediate' })).request.window,
    ).toEqual({
      kind: 'now',
    });
    const refused = await validate(
      { clusterIdentifier: 'orders-db', window: 'now' },
      { ALLOW_IMMEDIATE: 'false' },
    );
    expect(refused).toMatchObject({
      valid: false,
      problem: expect.stringContaining('maintenanceWindow.allowImmediate is false'),
    });
  });

  it('keeps the display fields of an invalid request for the notification, safely', async () => {
    const r = await validate({
      clusterIdentifier: 'x'.repeat(70),
      changeTicket: 'CHG-1',
      requestedBy: 'a\nb',
    });
    expect(r.valid).toBe(false);
    expect(r.request.displayName).toHaveLength(40);
    expect(r.request.changeTicket).toBe('CHG-1');
    expect(r.request.requestedBy).toBe('(none)');
    expect(r.problem).toContain('requestedBy: must be');
  });
});

describe('the plan Lambda: validate for the disable workflow', () => {
  const validateDisable = async (input: unknown) =>
    (await handlerWith()({
      action: 'validate',
      workflow: 'disable-activity-stream',
      input,
    })) as ValidationResult;

  it('normalizes the same fields and names the workflow in the request', async () => {
    const r = await validateDisable({ clusterIdentifier: 'orders-db', window: 'now', changeTicket: 'CHG-7' });
    expect(r.valid).toBe(true);
    expect(r.request).toMatchObject({
      workflow: 'disable-activity-stream',
      clusterIdentifier: 'orders-db',
      streamArn: CLUSTERS[0]?.streamArn,
      window: { kind: 'now' },
      changeTicket: 'CHG-7',
    });
  });

  it('refuses mode, which only enabling has', async () => {
    const r = await validateDisable({ clusterIdentifier: 'orders-db', mode: 'sync' });
    expect(r.valid).toBe(false);
    expect(r.problem).toBe(
      'mode: is not a known field (known: clusterIdentifier, window, changeTicket, requestedBy, action)',
    );
    expect(r.request.workflow).toBe('disable-activity-stream');
  });

  it("accepts a change event's action when it names this workflow, and refuses another", async () => {
    const ok = await validateDisable({ action: 'disable-activity-stream', clusterIdentifier: 'orders-db' });
    expect(ok.valid).toBe(true);
    const wrong = await validateDisable({ action: 'enable-activity-stream', clusterIdentifier: 'orders-db' });
    expect(wrong.valid).toBe(false);
    expect(wrong.problem).toBe(
      'action: must be "disable-activity-stream" for this workflow (got "enable-activity-stream")',
    );
  });

  it('throws on an unknown workflow (a bug in the state machine, not bad input)', async () => {
    await expect(
      handlerWith()({ action: 'validate', workflow: 'reboot' as never, input: {} }),
    ).rejects.toMatchObject({ name: 'UnknownActionError', message: expect.stringContaining('"reboot"') });
  });
});

describe('the plan Lambda: plan', () => {
  const planWith = async (request: unknown, cluster: unknown, overrides: Record<string, string> = {}) =>
    (await handlerWith(overrides)({ action: 'plan', request, cluster } as never)) as PlanResult;

  it("plans the cluster's next window", async () => {
    expect(
      await planWith({ window: { kind: 'next' } }, { PreferredMaintenanceWindow: 'sun:03:00-sun:04:00' }),
    ).toMatchObject({
      valid: true,
      immediate: false,
      startAt: '2026-11-29T03:00:00.000Z',
      endAt: '2026-11-29T04:00:00.000Z',
    });
  });

  it('plans the configured fixed window instead with policy fixed', async () => {
    const r = await planWith(
      { window: { kind: 'next' } },
      { PreferredMaintenanceWindow: 'sun:03:00-sun:04:00' },
      { WINDOW_POLICY: 'fixed', FIXED_WINDOW: 'wed:01:00-wed:02:00' },
    );
    expect(r).toMatchObject({ valid: true, startAt: '2026-11-25T01:00:00.000Z' });
    expect(r.description).toContain('maintenanceWindow.fixedWindow');
  });

  it('returns a problem, not an error, for a cluster without a window', async () => {
    expect(await planWith({ window: { kind: 'next' } }, {})).toMatchObject({
      valid: false,
      problem: expect.stringMatching(/^window: "next" needs a maintenance window/),
    });
  });

  it('refuses unknown actions', async () => {
    await expect(handlerWith()({ action: 'stop' } as never)).rejects.toThrow(UnknownActionError);
  });
});

describe('the plan Lambda handler module', () => {
  it('reads its settings from the environment and answers', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, env(), { POWERTOOLS_LOG_LEVEL: 'SILENT' });
    try {
      let handler: ((event: unknown) => Promise<unknown>) | undefined;
      jest.isolateModules(() => {
        handler = (require('../../../tasks/plan-maintenance-window/handler') as { handler: typeof handler })
          .handler;
      });
      const r = (await handler!({
        action: 'validate',
        input: { clusterIdentifier: 'orders-db', window: 'now' },
      })) as ValidationResult;
      expect(r).toMatchObject({ valid: true, request: { window: { kind: 'now' } } });
    } finally {
      process.env = saved;
    }
  });
});
