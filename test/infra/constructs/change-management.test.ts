import { synthExample } from '../../../cli/local/cdk-app';
import { disableScenario } from '../../../cli/local/scenarios/disable-activity-stream';
import { enableScenario } from '../../../cli/local/scenarios/enable-activity-stream';
import { streamDeployments } from '../../../cli/local/scenarios/stream';
import { matches } from '../../helpers/eventbridge';

const { template } = synthExample();
type Rule = {
  Properties: {
    EventPattern: Record<string, unknown>;
    Targets: {
      Arn: unknown;
      InputPath?: string;
      InputTransformer?: unknown;
    }[];
  };
};
const rules = Object.values(template.findResources('AWS::Events::Rule')).filter((r) =>
  JSON.stringify((r as Rule).Properties.EventPattern ?? {}).includes('aurora-audit.change-management'),
) as Rule[];

const changeEvent = (detail: Record<string, unknown>) => ({
  version: '0',
  id: 'e1',
  source: 'aurora-audit.change-management',
  'detail-type': 'Change Approved',
  account: '123456789012',
  time: '2026-11-24T10:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail,
});

/** The target's input: the event at its InputPath. */
function inputOf(rule: Rule, event: Record<string, unknown>): Record<string, unknown> {
  const path = rule.Properties.Targets[0]!.InputPath ?? '$';
  return path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], event) as Record<string, unknown>;
}

describe('the change-ticket rules', () => {
  it('define one rule per wired action, passing the detail as it is (no input transformer)', () => {
    expect(rules).toHaveLength(2);
    for (const r of rules) {
      expect(r.Properties.Targets[0]?.InputPath).toBe('$.detail');
      expect(r.Properties.Targets[0]?.InputTransformer).toBeUndefined();
    }
    for (const r of rules)
      expect(r.Properties.EventPattern).toMatchObject({
        source: ['aurora-audit.change-management'],
        'detail-type': ['Change Approved'],
      });
  });

  it.each([
    [
      {
        action: 'enable-activity-stream',
        clusterIdentifier: 'orders-db',
        changeTicket: 'CHG0042',
        window: 'now',
        requestedBy: 'servicenow',
      },
    ],
    [
      {
        action: 'enable-activity-stream',
        clusterIdentifier: 'orders-db',
        changeTicket: 'CHG0043',
        window: 'now',
      },
    ],
    [
      {
        action: 'enable-activity-stream',
        clusterIdentifier: 'orders-db',
        changeTicket: 'CHG0044',
        requestedBy: 'jira',
      },
    ],
    [{ action: 'enable-activity-stream', clusterIdentifier: 'orders-db', changeTicket: 'CHG0045' }],
  ])(
    'match %j with exactly one rule whose input starts a successful enablement run',
    async (detail) => {
      const event = changeEvent(detail);
      const matching = rules.filter((r) => matches(r.Properties.EventPattern, event));
      expect(matching).toHaveLength(1);
      expect(matching[0]!.Properties.Targets[0]!.Arn).toEqual({
        Ref: streamDeployments().enable.stateMachineId,
      });
      const input = inputOf(matching[0]!, event);
      expect(input).toEqual(detail);
      const run = await enableScenario().run(input, `ticket-${detail.changeTicket}`);
      expect(run.status).toBe('SUCCEEDED');
    },
    60_000,
  );

  it.each([
    [
      {
        ...changeEvent({
          action: 'enable-activity-stream',
          clusterIdentifier: 'orders-db',
          changeTicket: 'X',
        }),
        source: 'someone.else',
      },
    ],
    [changeEvent({ action: 'enable-activity-stream', clusterIdentifier: 'orders-db' })],
    [changeEvent({ action: 'drop-database', clusterIdentifier: 'orders-db', changeTicket: 'X' })],
  ])('do not match %j', (event) => {
    expect(rules.filter((r) => matches(r.Properties.EventPattern, event))).toHaveLength(0);
  });

  it.each([
    [
      {
        action: 'disable-activity-stream',
        clusterIdentifier: 'orders-db',
        changeTicket: 'CHG0050',
        window: 'now',
      },
    ],
    [
      {
        action: 'disable-activity-stream',
        clusterIdentifier: 'orders-db',
        changeTicket: 'CHG0051',
        window: { start: '2026-11-24T11:00:00Z', end: '2026-11-24T13:00:00Z' },
        requestedBy: 'jira',
      },
    ],
  ])(
    'match %j with exactly one rule whose input starts a successful disable run',
    async (detail) => {
      const event = changeEvent(detail);
      const matching = rules.filter((r) => matches(r.Properties.EventPattern, event));
      expect(matching).toHaveLength(1);
      expect(matching[0]!.Properties.Targets[0]!.Arn).toEqual({
        Ref: streamDeployments().disable.stateMachineId,
      });
      const input = inputOf(matching[0]!, event);
      expect(input).toEqual(detail);
      const s = disableScenario();
      const run = await s.run(input, `ticket-${detail.changeTicket}`);
      expect(run.status).toBe('SUCCEEDED');
      expect(s.world.callsTo('rds', 'stopActivityStream')).toHaveLength(1);
    },
    60_000,
  );

  it('offer a Change Manager runbook that starts the workflow with the ticket', () => {
    const docs = Object.values(template.findResources('AWS::SSM::Document')) as {
      Properties: { DocumentType: string; Content: Record<string, unknown> };
    }[];
    expect(docs).toHaveLength(1);
    const content = docs[0]!.Properties.Content as {
      schemaVersion: string;
      parameters: Record<string, unknown>;
      mainSteps: { action: string; inputs: Record<string, unknown> }[];
    };
    expect(docs[0]!.Properties.DocumentType).toBe('Automation');
    expect(content.schemaVersion).toBe('0.3');
    expect(Object.keys(content.parameters).sort()).toEqual([
      'Action',
      'AutomationAssumeRole',
      'ChangeTicket',
      'ClusterIdentifier',
      'Window',
    ]);
    const starts = content.mainSteps.filter((s) => s.action === 'aws:executeStateMachine');
    expect(starts.map((s) => JSON.stringify(s.inputs.stateMachineArn))).toEqual([
      expect.stringContaining('EnableActivityStreamStateMachine'),
      expect.stringContaining('DisableActivityStreamStateMachine'),
    ]);
    const [start] = starts as [(typeof starts)[number]];
    expect(JSON.parse(start.inputs.input as string)).toEqual({
      clusterIdentifier: '{{ ClusterIdentifier }}',
      window: '{{ Window }}',
      changeTicket: '{{ ChangeTicket }}',
      requestedBy: 'ssm-change-manager',
    });
  });
});
