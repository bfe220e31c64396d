/**
 * The compliance questions, answered by the synthesized template: who can read the records, can they be
 * altered or deleted, how do we know the pipeline runs, what happens when it breaks (README "Security and
 * operations"). Every statement of every IAM policy in the stack is checked, not a sample.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { newApp, synthExample } from '../../../cli/local/cdk-app';
import { filterPatternMatches } from '../../../cli/local/filter-pattern';
import { TemplateResolver } from '../../../cli/local/stepfunctions/template';
import { buildApp } from '../../../infra/build-app';
import { validateConfig } from '../../../infra/config/load';
import { ACTIVITY_STREAM_STOPPED_EVENT } from '../../../infra/constructs/audit-watch';
import { EXACT_CLUSTER_LIMIT } from '../../../infra/constructs/stream-processing';
import { LOGGED } from '../../../tasks/core/log-messages';
import { configDocument } from '../../builders/config';
import { fleetConfigDocument } from '../../builders/fleet';
import { matches, transform } from '../../helpers/eventbridge';

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
  Sid?: string;
};
type Resource = { Type: string; Properties?: Record<string, unknown> };

const { template, auditStack } = synthExample();
const json = template.toJSON() as { Resources: Record<string, Resource> };
const resolver = new TemplateResolver(json as never);
const resources = json.Resources;
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const id = (c: { node: { defaultChild?: unknown } }) => auditStack.getLogicalId(c.node.defaultChild as never);

/** Every identity-policy statement of the template, resolved, with the role(s) it is attached to. */
function identityStatements(res: Record<string, Resource>, r: TemplateResolver) {
  return Object.values(res)
    .filter((x) => x.Type === 'AWS::IAM::Policy')
    .flatMap((x) => {
      const roles = list((x.Properties?.Roles ?? []) as { Ref: string }[]).map((ref) => ref.Ref);
      return (x.Properties!.PolicyDocument as { Statement: Statement[] }).Statement.map((s) => ({
        roles,
        statement: r.resolve(s) as Statement,
      }));
    });
}
const statements = identityStatements(resources, resolver);
const actionsOf = (s: Statement) => list(s.Action);
const allowing = (pattern: RegExp) =>
  statements.filter(({ statement: s }) => s.Effect === 'Allow' && actionsOf(s).some((a) => pattern.test(a)));
const roleOfStateMachine = (stateMachineId: string) =>
  (resources[stateMachineId]!.Properties!.RoleArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];

describe('least privilege, across every policy of the stack', () => {
  it('lets only the decrypt Lambda decrypt activity-stream data keys, only keys tagged for the stack, and only with the configured encryption context', () => {
    const streamKey = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const keysOfTheAccount = 'arn:aws:kms:eu-west-1:123456789012:key/*';
    const grants = allowing(/^kms:Decrypt$/).filter(({ statement }) =>
      list(statement.Resource).some((r) => r === streamKey || r === keysOfTheAccount),
    );
    expect(grants).toHaveLength(1);
    expect(grants[0]!.roles).toEqual([id(auditStack.streamProcessing.function.role as never)]);
    expect(grants[0]!.statement.Resource).toBe(keysOfTheAccount);
    expect(grants[0]!.statement.Condition).toEqual({
      StringEquals: {
        'aws:ResourceTag/aurora-audit': auditStack.stackName,
        'kms:EncryptionContext:aws:rds:dbc-id': ['cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ'],
      },
    });
    // Kinesis reads on the configured cluster's activity stream only.
    const reads = allowing(/^kinesis:GetRecords$/);
    expect(reads.map((g) => g.roles)).toEqual([[id(auditStack.streamProcessing.function.role as never)]]);
    expect(reads[0]!.statement.Resource).toBe(
      'arn:aws:kinesis:eu-west-1:123456789012:stream/aws-rds-das-cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    );
  });

  it(`keeps the decrypt Lambda's grants pinned with more than ${EXACT_CLUSTER_LIMIT} clusters: tagged keys, activity-stream contexts and streams only`, () => {
    const config = validateConfig(fleetConfigDocument(EXACT_CLUSTER_LIMIT + 1), 'fleet');
    const { app, auditStack: fleet } = buildApp(config, newApp({ bundling: false }));
    const res = (
      app.synth().getStackByName(fleet.stackName).template as { Resources: Record<string, Resource> }
    ).Resources;
    const r = new TemplateResolver({ Resources: res } as never, { stackName: fleet.stackName });
    const decryptRole = fleet.getLogicalId(fleet.streamProcessing.role.node.defaultChild as never);
    const mine = identityStatements(res, r).filter((x) => x.roles.includes(decryptRole));
    const decrypts = mine.filter(({ statement }) => actionsOf(statement).includes('kms:Decrypt'));
    expect(
      decrypts.map(({ statement }) => ({ Resource: statement.Resource, Condition: statement.Condition })),
    ).toEqual([
      {
        Resource: 'arn:aws:kms:eu-west-1:123456789012:key/*',
        Condition: {
          StringEquals: { 'aws:ResourceTag/aurora-audit': fleet.stackName },
          StringLike: { 'kms:EncryptionContext:aws:rds:dbc-id': 'cluster-*' },
        },
      },
    ]);
    const reads = mine.filter(({ statement }) => actionsOf(statement).includes('kinesis:GetRecords'));
    expect(reads.map(({ statement }) => statement.Resource)).toEqual([
      'arn:aws:kinesis:eu-west-1:123456789012:stream/aws-rds-das-cluster-*',
    ]);
    // No other role may decrypt with the activity-stream keys.
    const others = identityStatements(res, r).filter(
      ({ roles, statement }) =>
        !roles.includes(decryptRole) &&
        statement.Effect === 'Allow' &&
        actionsOf(statement).includes('kms:Decrypt') &&
        JSON.stringify(statement.Resource).includes(':key/*'),
    );
    expect(others).toEqual([]);
  });

  it('lets only the enable and disable workflows start or stop activity streams, only on clusters tagged for the stack', () => {
    const workflows = ['EnableActivityStream', 'DisableActivityStream'].map((name) =>
      roleOfStateMachine(
        Object.keys(resources).find(
          (k) =>
            k.startsWith(`${name}StateMachine`) && resources[k]!.Type === 'AWS::StepFunctions::StateMachine',
        )!,
      ),
    );
    const grants = allowing(/^rds:(start|stop)ActivityStream$/i);
    expect(grants.map((g) => g.roles)).toEqual([[workflows[0]], [workflows[1]]]);
    for (const { statement } of grants) {
      expect(list(statement.Resource)).toEqual(['arn:aws:rds:eu-west-1:123456789012:cluster:*']);
    }
    // Each role denies its activity-stream action on every cluster not tagged aurora-audit=<stack name>.
    const denies = statements.filter(({ statement: s }) => s.Effect === 'Deny');
    expect(denies.map(({ roles, statement }) => ({ roles, statement }))).toEqual(
      ['rds:StartActivityStream', 'rds:StopActivityStream'].map((action, i) => ({
        roles: [workflows[i]],
        statement: {
          Effect: 'Deny',
          Action: action,
          Resource: 'arn:aws:rds:eu-west-1:123456789012:cluster:*',
          Condition: { StringNotEquals: { 'rds:cluster-tag/aurora-audit': auditStack.stackName } },
        },
      })),
    );
    // Nothing may modify or delete the clusters, their parameter groups or their instances.
    expect(allowing(/^rds:(Modify|Delete|Reboot|Create|\*)/i)).toEqual([]);
  });

  it('lets no role delete objects of the audit bucket, nor use s3:* or iam:*', () => {
    expect(
      allowing(/^s3:(Delete|\*|PutBucketPolicy|PutLifecycle|PutBucketVersioning|BypassGovernance)/),
    ).toEqual([]);
    expect(allowing(/^(iam|kms):\*|^\*$/)).toEqual([]);
  });

  it('gives every `*` resource a reason that cdk-nag accepted (synth is nag-clean)', () => {
    const stars = statements.filter(
      ({ statement: s }) => s.Effect === 'Allow' && list(s.Resource).includes('*'),
    );
    const actions = new Set(stars.flatMap(({ statement }) => actionsOf(statement)));
    // The APIs without resource-level permissions, and nothing else; plus the retention calls CDK's LogRetention
    // provider gets on `*` from aws-cdk-lib (it sets the retention of the PostgreSQL log groups RDS creates).
    for (const a of actions) {
      expect(a).toMatch(
        /^(logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups|PutRetentionPolicy|DeleteRetentionPolicy)|xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)|lambda:(ListEventSourceMappings|listEventSourceMappings|CreateEventSourceMapping))$/,
      );
    }
    const create = stars.find(({ statement }) =>
      actionsOf(statement).includes('lambda:CreateEventSourceMapping'),
    );
    expect(create?.statement.Condition).toMatchObject({
      StringEquals: { 'lambda:FunctionArn': expect.any(String) },
    });
  });
});

describe('tamper-evident storage', () => {
  const bucketId = id(auditStack.storage.bucket);
  const bucketPolicy = Object.values(resources).find(
    (r) =>
      r.Type === 'AWS::S3::BucketPolicy' &&
      JSON.stringify(r.Properties?.Bucket) === JSON.stringify({ Ref: bucketId }),
  );
  const policy = (resolver.resolve(bucketPolicy?.Properties?.PolicyDocument) as { Statement: Statement[] })
    .Statement;
  const bySid = (sid: string) => policy.find((s) => s.Sid === sid);

  it('denies every principal the deletion of events and reports (only the lifecycle expires them)', () => {
    expect(bySid('DenyDeletingEvidence')).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['s3:BypassGovernanceRetention', 's3:DeleteObject', 's3:DeleteObjectVersion'],
    });
    expect(list(bySid('DenyDeletingEvidence')!.Resource)).toEqual([
      expect.stringMatching(/\/canary-runs\/\*$/),
      expect.stringMatching(/\/events\/\*$/),
      expect.stringMatching(/\/reports\/\*$/),
    ]);
  });

  it('denies uploads that ask for another encryption or another key, and requests without TLS', () => {
    expect(bySid('DenyOtherEncryption')).toMatchObject({
      Effect: 'Deny',
      Action: 's3:PutObject',
      Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
    });
    expect(bySid('DenyOtherKmsKeys')?.Condition).toEqual({
      StringNotEqualsIfExists: {
        's3:x-amz-server-side-encryption-aws-kms-key-id': expect.stringMatching(/^arn:aws:kms:.*:key\//),
      },
    });
    expect(
      policy.some(
        (s) =>
          s.Effect === 'Deny' && JSON.stringify(s.Condition) === '{"Bool":{"aws:SecureTransport":"false"}}',
      ),
    ).toBe(true);
  });

  it('lets only Firehose write events/ and only the report Lambda write reports/: nobody overwrites evidence', () => {
    const firehoseRole = resolver.arn(id(auditStack.streamProcessing.firehoseRole));
    const events = bySid('OnlyItsWritersWriteevents');
    expect(events).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:PutObject',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': [firehoseRole] } },
    });
    expect(list(events!.Resource)).toEqual([expect.stringMatching(/\/events\/\*$/)]);
    const reports = bySid('OnlyItsWritersWritereports');
    expect(reports?.Condition).toEqual({
      ArnNotEquals: { 'aws:PrincipalArn': [expect.stringMatching(/:role\/ComplianceReportReportRole/)] },
    });
    // An overwritten version is kept as long as the events, so overwriting cannot shorten their life.
    const rules = (
      resources[bucketId]!.Properties!.LifecycleConfiguration as {
        Rules: { Id: string; NoncurrentVersionExpiration?: { NoncurrentDays: number } }[];
      }
    ).Rules;
    expect(rules.find((r) => r.Id === 'events-tiering-and-retention')?.NoncurrentVersionExpiration).toEqual({
      NoncurrentDays: 2557,
    });
  });

  it('keeps the access logs undeletable too', () => {
    const logsPolicy = Object.values(resources).find(
      (r) =>
        r.Type === 'AWS::S3::BucketPolicy' &&
        JSON.stringify(r.Properties?.Bucket) ===
          JSON.stringify({ Ref: id(auditStack.storage.accessLogsBucket) }),
    );
    const statements = (
      resolver.resolve(logsPolicy?.Properties?.PolicyDocument) as { Statement: Statement[] }
    ).Statement;
    expect(statements.find((x) => x.Sid === 'DenyDeletingAccessLogs')).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
    });
  });

  it('keeps a rotating customer-managed key, access logs in a separate bucket, and lifecycle tiers and expiry', () => {
    const bucket = resources[bucketId]!.Properties as Record<string, unknown>;
    expect(resolver.resolve(bucket.LoggingConfiguration)).toMatchObject({ LogFilePrefix: 'audit-bucket/' });
    expect((bucket.LoggingConfiguration as { DestinationBucketName: unknown }).DestinationBucketName).toEqual(
      {
        Ref: id(auditStack.storage.accessLogsBucket),
      },
    );
    expect(resources[id(auditStack.storage.key)]!.Properties).toMatchObject({ EnableKeyRotation: true });
    const rules = (
      bucket.LifecycleConfiguration as {
        Rules: { Id: string; Transitions?: unknown[]; ExpirationInDays?: number }[];
      }
    ).Rules;
    expect(rules.find((r) => r.Id === 'events-tiering-and-retention')).toMatchObject({
      Transitions: [
        { StorageClass: 'STANDARD_IA', TransitionInDays: 90 },
        { StorageClass: 'GLACIER', TransitionInDays: 365 },
      ],
      ExpirationInDays: 2557,
    });
    // Object Lock is opt-in: off in the example.
    expect(bucket.ObjectLockEnabled).toBeUndefined();
  });
});

describe('watching the watchers', () => {
  const rules = Object.values(resources).filter(
    (r) =>
      r.Type === 'AWS::Events::Rule' &&
      /"aws\.(rds|s3|kms|logs|lambda)"/.test(JSON.stringify(r.Properties?.EventPattern ?? {})),
  );
  const rdsEvent = (detailType: string, detail: Record<string, unknown>, source = 'aws.rds') => ({
    version: '0',
    id: 'e',
    source,
    'detail-type': detailType,
    account: '123456789012',
    time: '2026-12-01T10:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail,
  });
  const matching = (event: Record<string, unknown>) =>
    rules.filter((r) =>
      matches(resolver.resolve(r.Properties!.EventPattern) as Record<string, unknown>, event),
    );
  const bucketName = resolver.ref(id(auditStack.storage.bucket));
  const keyArn = resolver.arn(id(auditStack.storage.key));
  const topicArn = { Ref: id(auditStack.alerting.topic) };
  const message = (rule: Resource, event: Record<string, unknown>) => {
    const [target] = rule.Properties!.Targets as { Arn: unknown; InputTransformer: never }[];
    expect(target!.Arn).toEqual(topicArn);
    return transform(target!.InputTransformer, event) as string;
  };

  it(`tells the ops topic, as CRITICAL, when an audited cluster's activity stream stops (${ACTIVITY_STREAM_STOPPED_EVENT})`, () => {
    const event = rdsEvent('RDS DB Cluster Event', {
      EventCategories: ['configuration change'],
      SourceType: 'CLUSTER',
      SourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:orders-db',
      Date: '2026-12-01T10:00:00.000Z',
      Message: 'Activity stream stopped for DB cluster',
      SourceIdentifier: 'orders-db',
      EventID: 'RDS-EVENT-0180',
    });
    const [rule, ...others] = matching(event);
    expect(others).toEqual([]);
    const text = message(rule!, event);
    expect(text).toContain('[aurora-audit] CRITICAL: Database Activity Streams stopped on cluster orders-db');
    expect(text).toContain('RDS says: Activity stream stopped for DB cluster');
    expect(matching({ ...event, detail: { ...event.detail, SourceIdentifier: 'other-db' } })).toEqual([]);
    // Identifiers match whatever their case.
    expect(matching({ ...event, detail: { ...event.detail, SourceIdentifier: 'Orders-DB' } })).toHaveLength(
      1,
    );
    expect(matching({ ...event, detail: { ...event.detail, EventID: 'RDS-EVENT-0179' } })).toEqual([]);
  });

  it.each([
    ['ModifyDBClusterParameterGroup', { dBClusterParameterGroupName: 'orders-pgaudit' }],
    ['ResetDBParameterGroup', { dBParameterGroupName: 'orders-instances' }],
    ['ModifyDBCluster', { dBClusterIdentifier: 'orders-db', dBClusterParameterGroupName: 'no-audit' }],
    [
      'ModifyDBCluster',
      {
        dBClusterIdentifier: 'orders-db',
        cloudwatchLogsExportConfiguration: { disableLogTypes: ['postgresql'] },
      },
    ],
    ['ModifyDBCluster', { dBClusterIdentifier: 'ORDERS-DB', dBClusterParameterGroupName: 'no-audit' }],
    ['ModifyDBInstance', { dBInstanceIdentifier: 'orders-db-1', dBParameterGroupName: 'no-audit' }],
    ['s3:PutBucketPolicy', { bucketName: 'AUDIT_BUCKET', policy: '{}' }],
    ['s3:PutBucketLifecycle', { bucketName: 'AUDIT_BUCKET' }],
    ['kms:ScheduleKeyDeletion', { keyId: 'AUDIT_KEY', pendingWindowInDays: 7 }],
    ['kms:DisableKey', { keyId: 'AUDIT_KEY' }],
    [
      'logs:DeleteSubscriptionFilter',
      { logGroupName: '/aws/rds/cluster/orders-db/postgresql', filterName: 'x' },
    ],
  ])('tells the ops topic, as CRITICAL, about %s %j', (call, params) => {
    const [service, eventName] = call.includes(':') ? (call.split(':') as [string, string]) : ['rds', call];
    const requestParameters = JSON.parse(
      JSON.stringify(params).replace('AUDIT_BUCKET', bucketName).replace('AUDIT_KEY', keyArn),
    ) as Record<string, unknown>;
    const event = rdsEvent(
      'AWS API Call via CloudTrail',
      {
        eventSource: `${service}.amazonaws.com`,
        eventName,
        eventTime: '2026-12-01T10:00:00Z',
        eventID: 'ct-1',
        userIdentity: { arn: 'arn:aws:sts::123456789012:assumed-role/dba/mallory' },
        requestParameters,
        ...(service === 'kms'
          ? { resources: [{ accountId: '123456789012', type: 'AWS::KMS::Key', ARN: keyArn }] }
          : {}),
      },
      `aws.${service}`,
    );
    const [rule, ...others] = matching(event);
    expect(others).toEqual([]);
    const text = message(rule!, event);
    expect(text).toMatch(/^\[aurora-audit\] CRITICAL: /);
    expect(text).toContain(`${eventName} by arn:aws:sts::123456789012:assumed-role/dba/mallory`);
    expect(text).toContain('CloudTrail event id: ct-1');
  });

  it('ignores other cluster changes and other clusters', () => {
    const event = (requestParameters: Record<string, unknown>) =>
      rdsEvent('AWS API Call via CloudTrail', {
        eventSource: 'rds.amazonaws.com',
        eventName: 'ModifyDBCluster',
        requestParameters,
      });
    expect(matching(event({ dBClusterIdentifier: 'orders-db', backupRetentionPeriod: 7 }))).toEqual([]);
    // A log-export change that only enables more logs is not a way to switch auditing off.
    expect(
      matching(
        event({
          dBClusterIdentifier: 'orders-db',
          cloudwatchLogsExportConfiguration: { enableLogTypes: ['upgrade'] },
        }),
      ),
    ).toEqual([]);
    const other = (source: string, detail: Record<string, unknown>) =>
      matching(
        rdsEvent(
          'AWS API Call via CloudTrail',
          { eventSource: `${source}.amazonaws.com`, ...detail },
          `aws.${source}`,
        ),
      );
    expect(
      other('s3', {
        eventName: 'PutBucketPolicy',
        requestParameters: { bucketName: 'someone-elses-bucket' },
      }),
    ).toEqual([]);
    expect(
      other('logs', { eventName: 'DeleteSubscriptionFilter', requestParameters: { logGroupName: '/other' } }),
    ).toEqual([]);
    expect(
      other('kms', {
        eventName: 'DisableKey',
        resources: [{ ARN: 'arn:aws:kms:eu-west-1:123456789012:key/other' }],
      }),
    ).toEqual([]);
    expect(matching(event({ dBClusterIdentifier: 'other-db', dBClusterParameterGroupName: 'x' }))).toEqual(
      [],
    );
  });

  it('alerts when an event source mapping is disabled or deleted by anyone but the workflows', () => {
    const roleOf = (name: string) =>
      resolver.arn(
        roleOfStateMachine(
          Object.keys(resources).find(
            (k) =>
              k.startsWith(`${name}StateMachine`) &&
              resources[k]!.Type === 'AWS::StepFunctions::StateMachine',
          )!,
        ),
      );
    const call = (eventName: string, issuer: string) =>
      rdsEvent(
        'AWS API Call via CloudTrail',
        {
          eventSource: 'lambda.amazonaws.com',
          eventName,
          eventTime: '2026-12-01T10:00:00Z',
          eventID: 'ct-9',
          userIdentity: { arn: `${issuer}/session`, sessionContext: { sessionIssuer: { arn: issuer } } },
          requestParameters: { uUID: 'a1b2c3d4-0000-4000-8000-000000000001', enabled: false },
        },
        'aws.lambda',
      );
    const mallory = 'arn:aws:iam::123456789012:role/dba';
    const [rule, ...others] = matching(call('UpdateEventSourceMapping20150331', mallory));
    expect(others).toEqual([]);
    expect(message(rule!, call('UpdateEventSourceMapping20150331', mallory))).toContain(
      'CRITICAL: an event source mapping was changed or deleted outside the workflows',
    );
    expect(matching(call('DeleteEventSourceMapping20150331', mallory))).toHaveLength(1);
    // The workflows' own changes (a disable run) are approved changes.
    expect(matching(call('DeleteEventSourceMapping20150331', roleOf('DisableActivityStream')))).toEqual([]);
    expect(matching(call('UpdateEventSourceMapping20150331', roleOf('EnableActivityStream')))).toEqual([]);
  });

  it('lets EventBridge publish to the encrypted topic', () => {
    const keyPolicy = resolver.resolve(resources[id(auditStack.storage.key)]!.Properties!.KeyPolicy) as {
      Statement: Statement[];
    };
    expect(
      keyPolicy.Statement.find((s) => s.Sid === 'AllowEventBridgeToPublishToEncryptedTopics'),
    ).toMatchObject({
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
    });
  });

  it('marks the tampering rule CRITICAL in the default rules', () => {
    const rules = readFileSync(
      join(__dirname, '..', '..', '..', 'tasks', 'core', 'alerts', 'default-rules.yaml'),
      'utf8',
    );
    expect(rules).toMatch(/- name: audit-tampering\n\s+severity: CRITICAL/);
  });
});

describe('monitoring', () => {
  const alarms = Object.values(resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .map((r) => r.Properties as Record<string, unknown>);
  const topicArn = { Ref: id(auditStack.alerting.topic) };
  const alarmOn = (metricName: string) =>
    alarms.filter(
      (a) =>
        a.MetricName === metricName ||
        JSON.stringify(a.Metrics ?? '').includes(`"MetricName":"${metricName}"`),
    );

  it('has one dashboard', () => {
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
  });

  it.each([
    ['Errors', 'the decrypt and alert Lambdas fail'],
    ['Throttles', 'a Lambda is throttled'],
    ['IteratorAge', 'the decrypt Lambda falls behind the stream'],
    ['QuarantinedActivityRecords', 'activity-stream records are quarantined'],
    ['QuarantinedPgAuditEntries', 'pgAudit entries are quarantined'],
    ['DeliveryToS3.Success', 'Firehose fails to deliver'],
    ['DeliveryToS3.DataFreshness', 'stored events go stale'],
    ['AlertPublishFailures', 'alerts wait unpublished (the digest backlog)'],
    ['ExecutionsFailed', 'a workflow run fails'],
    ['ExecutionsTimedOut', 'a workflow run times out'],
    ['ExecutionsAborted', 'a workflow run is aborted'],
  ])('alarms to the ops topic on %s (%s)', (metricName) => {
    const found = alarmOn(metricName);
    expect(found.length).toBeGreaterThanOrEqual(1);
    for (const a of found) expect(a.AlarmActions).toEqual([topicArn]);
  });

  it('alarms on errors and throttles of both the decrypt and the alert Lambda, at the first one', () => {
    for (const fn of [auditStack.streamProcessing.function, auditStack.alertProcessing.function]) {
      const ref = JSON.stringify({ Ref: id(fn) });
      for (const metric of ['Errors', 'Throttles']) {
        const mine = alarmOn(metric).filter((a) => JSON.stringify(a).includes(ref));
        expect(mine.length).toBeGreaterThanOrEqual(1);
        for (const a of mine) expect(a.ComparisonOperator).toBe('GreaterThanThreshold');
        for (const a of mine) expect(a.Threshold).toBe(0);
      }
    }
    const delivery = alarmOn('DeliveryToS3.Success')[0]!;
    expect({ op: delivery.ComparisonOperator, threshold: delivery.Threshold }).toEqual({
      op: 'LessThanThreshold',
      threshold: 1,
    });
    expect(JSON.stringify(delivery)).toMatch(/"Stat(istic)?":"Minimum"/);
  });

  it('alarms on failed, timed-out and aborted runs of every workflow, once each', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
      expect(alarmOn(metric)).toHaveLength(3);
    }
  });

  it('counts quarantine writes and publish failures from the JSON logs the Lambdas write', () => {
    const filters = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Logs::MetricFilter')
      .map(
        (r) =>
          r.Properties as {
            FilterPattern: string;
            MetricTransformations: { MetricName: string; MetricValue: string }[];
          },
      );
    const byMetric = Object.fromEntries(filters.map((f) => [f.MetricTransformations[0]!.MetricName, f]));
    expect(byMetric.QuarantinedActivityRecords?.FilterPattern).toBe('{ $.message = "record quarantined" }');
    expect(byMetric.QuarantinedPgAuditEntries?.FilterPattern).toBe(
      '{ $.message = "unreadable pgAudit entry quarantined" }',
    );
    expect(byMetric.AlertPublishFailures).toMatchObject({ FilterPattern: '{ $.message = "flush" }' });
    expect(byMetric.AlertPublishFailures!.MetricTransformations[0]!.MetricValue).toBe('$.publishFailures');
    // Lines as the Lambdas' Powertools logger writes them (the messages are the shared LOGGED constants).
    const line = (message: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        level: 'WARN',
        message,
        service: 'aurora-audit',
        timestamp: '2026-12-01T10:00:00.000Z',
        ...extra,
      });
    expect(
      filterPatternMatches(
        byMetric.QuarantinedActivityRecords!.FilterPattern,
        line(LOGGED.activityRecordQuarantined),
      ),
    ).toBe(true);
    expect(
      filterPatternMatches(
        byMetric.QuarantinedPgAuditEntries!.FilterPattern,
        line(LOGGED.pgAuditEntryQuarantined),
      ),
    ).toBe(true);
    expect(
      filterPatternMatches(
        byMetric.AlertPublishFailures!.FilterPattern,
        line(LOGGED.alertFlush, { publishFailures: 2 }),
      ),
    ).toBe(true);
    expect(
      filterPatternMatches(byMetric.QuarantinedActivityRecords!.FilterPattern, line('batch processed')),
    ).toBe(false);
  });
});

describe('with Object Lock and an auditor role configured', () => {
  const config = validateConfig(
    configDocument({
      security: {
        objectLock: { mode: 'COMPLIANCE', days: 2557 },
        auditorPrincipals: ['arn:aws:iam::210987654321:role/external-auditor'],
      },
    }),
    'test',
  );
  // No bundling: this is about the template.
  const built = buildApp(config, newApp({ bundling: false }));
  const t = Template.fromStack(built.auditStack);
  const res = (t.toJSON() as { Resources: Record<string, Resource> }).Resources;
  const r = new TemplateResolver(t.toJSON() as never);

  it('locks every object version of a new audit bucket in the configured mode', () => {
    const bucket =
      res[built.auditStack.getLogicalId(built.auditStack.storage.bucket.node.defaultChild as never)]!
        .Properties!;
    expect(bucket.ObjectLockEnabled).toBe(true);
    expect(bucket.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2557 } },
    });
  });

  it('gives the auditor read-only access: Athena in the report workgroup, events/ and reports/, nothing else', () => {
    const [roleId] = Object.entries(res).find(
      ([k, v]) => k.startsWith('AuditorRole') && v.Type === 'AWS::IAM::Role',
    )!;
    expect(JSON.stringify(res[roleId]!.Properties!.AssumeRolePolicyDocument)).toContain(
      'arn:aws:iam::210987654321:role/external-auditor',
    );
    const mine = identityStatements(res, r)
      .filter((s) => s.roles.includes(roleId))
      .map((s) => s.statement);
    const actions = mine.flatMap(actionsOf);
    expect(
      actions.filter((a) =>
        /Delete|Put(?!Object$)|Update|Create|Start(?!QueryExecution)|Invoke|rds:|lambda:|states:|sns:|dynamodb:/.test(
          a,
        ),
      ),
    ).toEqual([]);
    const writes = mine.filter((s) => actionsOf(s).includes('s3:PutObject'));
    expect(writes.flatMap((s) => list(s.Resource))).toEqual([expect.stringMatching(/\/athena-results\/\*$/)]);
    const reads = mine.filter((s) => actionsOf(s).includes('s3:GetObject')).flatMap((s) => list(s.Resource));
    expect(reads.map((x) => String(x).replace(/^.*?:::[^/]+/, '')).sort()).toEqual([
      '/athena-results/*',
      // The canary's run records (the report's Control evidence), read through Athena.
      '/canary-runs/*',
      '/events/*',
      '/events/*',
      '/reports/*',
    ]);
    expect(JSON.stringify(mine)).not.toContain('quarantine');
    // The stack key only through S3: not to read the topic's or the logs' data.
    expect(mine.filter((x) => actionsOf(x).includes('kms:Decrypt')).map((x) => x.Condition)).toEqual([
      { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
    ]);
    t.hasOutput('AuditorRoleArn', {});
  });

  it('refuses a lock longer than the events are kept, naming the field', () => {
    expect(() =>
      validateConfig(
        configDocument({ security: { objectLock: { mode: 'GOVERNANCE', days: 4000 } } }),
        'test',
      ),
    ).toThrow(/security\.objectLock\.days: must be at most retention\.auditEventsDays \(2557\)/);
  });
});
