/**
 * Issue 18 (18b), points 1 and 4: the alert topic and its key accept what must publish (every CloudWatch alarm,
 * the watch rules) and nothing without an account or source condition; the event-source-mapping watch sees
 * IAM users and root; the Change Manager runbook cannot be given a value that breaks the workflow's input.
 */

import { synthExample } from '../../../cli/local/cdk-app';
import { TemplateResolver } from '../../../cli/local/stepfunctions/template';
import { RUNBOOK_PATTERNS } from '../../../infra/constructs/change-management';
import { matches } from '../../helpers/eventbridge';
import { allows, type Statement } from './policy-eval';

type Resource = { Type: string; Properties?: Record<string, unknown> };
const { template, auditStack } = synthExample();
const json = template.toJSON() as { Resources: Record<string, Resource> };
const resources = json.Resources;
const resolver = new TemplateResolver(json as never);
const id = (c: { node: { defaultChild?: unknown } }) => auditStack.getLogicalId(c.node.defaultChild as never);
const ACCOUNT = '123456789012';
const topicId = id(auditStack.alerting.topic);
const keyId = id(auditStack.storage.key);

const topicPolicy = (): Statement[] => {
  const policies = Object.values(resources).filter(
    (r) => r.Type === 'AWS::SNS::TopicPolicy' && JSON.stringify(r.Properties?.Topics).includes(topicId),
  );
  expect(policies).toHaveLength(1);
  return (resolver.resolve(policies[0]!.Properties!.PolicyDocument) as { Statement: Statement[] }).Statement;
};
const keyPolicy = (): Statement[] =>
  (resolver.resolve(resources[keyId]!.Properties!.KeyPolicy) as { Statement: Statement[] }).Statement;
const alarms = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');

describe('the alert topic and its key', () => {
  it('let every alarm of the stack publish its notification (the topic policy replaces the default one)', () => {
    expect(alarms.length).toBeGreaterThanOrEqual(22);
    for (const [alarmId, alarm] of alarms) {
      expect(alarm.Properties!.AlarmActions).toEqual([{ Ref: topicId }]);
      const name = (alarm.Properties!.AlarmName as string | undefined) ?? `aurora-audit-${alarmId}-ABC123`;
      const context = {
        'aws:SourceAccount': ACCOUNT,
        'aws:SourceArn': `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:${name}`,
        'aws:SecureTransport': 'true',
      };
      expect(allows(topicPolicy(), 'cloudwatch.amazonaws.com', 'sns:Publish', context)).toBe(true);
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
        expect(allows(keyPolicy(), 'cloudwatch.amazonaws.com', action, context)).toBe(true);
      }
    }
  });

  it("refuse another account's alarms and publishes without TLS", () => {
    const foreign = {
      'aws:SourceAccount': '210987654321',
      'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:210987654321:alarm:x',
      'aws:SecureTransport': 'true',
    };
    expect(allows(topicPolicy(), 'cloudwatch.amazonaws.com', 'sns:Publish', foreign)).toBe(false);
    const plain = {
      'aws:SourceAccount': ACCOUNT,
      'aws:SourceArn': `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:x`,
      'aws:SecureTransport': 'false',
    };
    expect(allows(topicPolicy(), 'cloudwatch.amazonaws.com', 'sns:Publish', plain)).toBe(false);
  });

  it('let the watch rules publish, and no other rule, account or source', () => {
    const watchRules = Object.entries(resources).filter(
      ([, r]) =>
        r.Type === 'AWS::Events::Rule' &&
        JSON.stringify(r.Properties?.Targets ?? []).includes(`"Ref":"${topicId}"`),
    );
    expect(watchRules.length).toBe(9);
    const context = (sourceArn: string, account = ACCOUNT) => ({
      'aws:SourceAccount': account,
      'aws:SourceArn': sourceArn,
      'aws:SecureTransport': 'true',
    });
    for (const [ruleId] of watchRules) {
      expect(
        allows(topicPolicy(), 'events.amazonaws.com', 'sns:Publish', context(resolver.arn(ruleId))),
      ).toBe(true);
      expect(
        allows(keyPolicy(), 'events.amazonaws.com', 'kms:GenerateDataKey', context(resolver.arn(ruleId))),
      ).toBe(true);
    }
    const otherRule = `arn:aws:events:eu-west-1:${ACCOUNT}:rule/someone-elses-rule`;
    expect(allows(topicPolicy(), 'events.amazonaws.com', 'sns:Publish', context(otherRule))).toBe(false);
    expect(
      allows(keyPolicy(), 'events.amazonaws.com', 'kms:GenerateDataKey', context(otherRule, '210987654321')),
    ).toBe(false);
  });

  it('name no service principal without an aws:SourceAccount or aws:SourceArn condition', () => {
    for (const s of [...topicPolicy(), ...keyPolicy()]) {
      const principal = s.Principal as { Service?: unknown } | undefined;
      if (s.Effect !== 'Allow' || principal?.Service === undefined) continue;
      const keys = Object.values(s.Condition ?? {}).flatMap((c) => Object.keys(c));
      expect({
        sid: s.Sid,
        principal,
        scoped: keys.some((k) => /^aws:Source(Account|Arn)$/.test(k)),
      }).toEqual({
        sid: s.Sid,
        principal,
        scoped: true,
      });
    }
  });
});

describe('the event-source-mapping watch', () => {
  const [ruleId, rule] = Object.entries(resources).find(([k]) =>
    k.startsWith('AuditWatchEventSourceMappingChanged'),
  )!;
  const pattern = resolver.resolve(rule.Properties!.EventPattern) as Record<string, unknown>;
  const decryptArn = resolver.arn(id(auditStack.streamProcessing.function));
  const workflowRole = resolver.arn(
    (
      resources[
        Object.keys(resources).find(
          (k) =>
            k.startsWith('DisableActivityStreamStateMachine') &&
            resources[k]!.Type === 'AWS::StepFunctions::StateMachine',
        )!
      ]!.Properties!.RoleArn as { 'Fn::GetAtt': [string] }
    )['Fn::GetAtt'][0],
  );
  const call = (
    userIdentity: Record<string, unknown>,
    extra: { responseElements?: unknown; requestParameters?: Record<string, unknown> } = {},
    eventName = 'DeleteEventSourceMapping20150331',
  ) => ({
    source: 'aws.lambda',
    'detail-type': 'AWS API Call via CloudTrail',
    detail: {
      eventSource: 'lambda.amazonaws.com',
      eventName,
      userIdentity,
      requestParameters: { uUID: 'a1b2c3d4-0000-4000-8000-000000000001', ...(extra.requestParameters ?? {}) },
      ...('responseElements' in extra
        ? { responseElements: extra.responseElements }
        : { responseElements: { uUID: 'a1b2c3d4-0000-4000-8000-000000000001', functionArn: decryptArn } }),
    },
  });

  it(`alerts on changes by IAM users and root, which have no session issuer (${ruleId})`, () => {
    const iamUser = { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/mallory`, userName: 'mallory' };
    const root = { type: 'Root', arn: `arn:aws:iam::${ACCOUNT}:root` };
    const consoleUser = { ...iamUser, sessionContext: { attributes: { mfaAuthenticated: 'true' } } };
    for (const who of [iamUser, root, consoleUser]) {
      expect(matches(pattern, call(who))).toBe(true);
      expect(matches(pattern, call(who, {}, 'UpdateEventSourceMapping20150331'))).toBe(true);
    }
  });

  it("ignores the workflows' own changes, and other functions' mappings, but not a mapping repointed or a failed call", () => {
    const assumed = (issuer: string) => ({
      type: 'AssumedRole',
      arn: `${issuer}/s`,
      sessionContext: { sessionIssuer: { type: 'Role', arn: issuer } },
    });
    expect(matches(pattern, call(assumed(workflowRole)))).toBe(false);
    const dba = assumed(`arn:aws:iam::${ACCOUNT}:role/dba`);
    expect(matches(pattern, call(dba))).toBe(true);
    expect(matches(pattern, call(dba, { responseElements: { functionArn: `${decryptArn}:live` } }))).toBe(
      true,
    );
    const other = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:someone-elses`;
    expect(matches(pattern, call(dba, { responseElements: { functionArn: other } }))).toBe(false);
    // The decrypt Lambda's mapping pointed at another function: the response names the other one.
    expect(
      matches(
        pattern,
        call(
          dba,
          { responseElements: { functionArn: other }, requestParameters: { functionName: other } },
          'UpdateEventSourceMapping20150331',
        ),
      ),
    ).toBe(true);
    // No responseElements (a failed call, or a record without them): alert rather than miss it.
    expect(matches(pattern, call(dba, { responseElements: undefined }))).toBe(true);
  });
});

describe('the Change Manager runbook', () => {
  const doc = Object.values(resources).find((r) => r.Type === 'AWS::SSM::Document')!;
  const content = doc.Properties!.Content as {
    parameters: Record<string, { allowedPattern?: string; allowedValues?: string[] }>;
    mainSteps: { action: string; inputs: { input?: string } }[];
  };
  const input = content.mainSteps.find((s) => s.action === 'aws:executeStateMachine')!.inputs.input!;
  const substitute = (values: Record<string, string>) =>
    input.replace(/\{\{ (\w+) \}\}/g, (_m, name: string) => values[name] ?? '');

  it('constrains every parameter pasted into the input with allowedValues or an allowedPattern', () => {
    const pasted = [...input.matchAll(/\{\{ (\w+) \}\}/g)].map((m) => m[1]!);
    expect(pasted.sort()).toEqual(['ChangeTicket', 'ClusterIdentifier', 'Window']);
    for (const name of [...pasted, 'AutomationAssumeRole', 'Action']) {
      const p = content.parameters[name]!;
      expect({ name, constrained: p.allowedPattern !== undefined || p.allowedValues !== undefined }).toEqual({
        name,
        constrained: true,
      });
    }
    expect(content.parameters.ClusterIdentifier?.allowedPattern).toBe(RUNBOOK_PATTERNS.ClusterIdentifier);
    expect(content.parameters.ChangeTicket?.allowedPattern).toBe(RUNBOOK_PATTERNS.ChangeTicket);
  });

  it('accepts real tickets and cluster names and keeps the input valid JSON carrying them unchanged', () => {
    const ok = {
      ClusterIdentifier: 'orders-db',
      ChangeTicket: 'CHG0042 (db/ops) #7 @alice+bob: v1.2',
      Window: 'next',
    };
    for (const [name, value] of Object.entries(ok)) {
      const p = content.parameters[name]!;
      if (p.allowedPattern) expect(new RegExp(p.allowedPattern).test(value)).toBe(true);
    }
    expect(JSON.parse(substitute(ok))).toEqual({
      clusterIdentifier: 'orders-db',
      window: 'next',
      changeTicket: 'CHG0042 (db/ops) #7 @alice+bob: v1.2',
      requestedBy: 'ssm-change-manager',
    });
  });

  it('refuses every value that would break the JSON or smuggle a field in, and every accepted value parses', () => {
    const hostile = [
      'CHG1", "window": "now',
      'CHG1\\',
      'CHG1\n',
      'CHG1\t',
      '"',
      '{{ Window }}',
      'orders-db","clusterIdentifier":"other-db',
      '',
      'x'.repeat(129),
    ];
    for (const name of ['ClusterIdentifier', 'ChangeTicket'] as const) {
      const re = new RegExp(content.parameters[name]!.allowedPattern!);
      for (const value of hostile)
        expect({ name, value, accepted: re.test(value) }).toEqual({ name, value, accepted: false });
      // Every printable ASCII character the pattern accepts, alone and in a longer value, keeps the input JSON.
      for (let c = 0; c < 128; c++) {
        const ch = String.fromCharCode(c);
        for (const value of [`A${ch}`, `A${ch}b${ch}9`]) {
          if (!re.test(value)) continue;
          const values = {
            ClusterIdentifier: 'orders-db',
            ChangeTicket: 'CHG1',
            Window: 'next',
            [name]: value,
          };
          const parsed = JSON.parse(substitute(values)) as Record<string, string>;
          expect(parsed[name === 'ClusterIdentifier' ? 'clusterIdentifier' : 'changeTicket']).toBe(value);
          expect(Object.keys(parsed).sort()).toEqual([
            'changeTicket',
            'clusterIdentifier',
            'requestedBy',
            'window',
          ]);
        }
      }
    }
  });
});
