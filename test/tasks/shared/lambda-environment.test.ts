/**
 * A Lambda's settings are declared once (`tasks/<task>/settings.ts`): the environment type the construct fills
 * with `satisfies` is derived from the schema the cold start parses (`LambdaEnvironment`). The `@ts-expect-error`
 * lines below are checked by `npm run typecheck` (a line that stops being an error fails it): an unknown
 * variable, a missing required one, a value outside an enum, a number, and a file setting given inline are
 * refused at synth. What the type accepts, the parser reads.
 */
import { readAlertSettings } from '../../../tasks/alert/settings';
import {
  type DecryptLambdaEnvironment,
  readDecryptSettings,
} from '../../../tasks/decrypt-activity-stream/settings';
import {
  type PlanLambdaEnvironment,
  readPlanSettings,
} from '../../../tasks/plan-maintenance-window/settings';
import { type ReportLambdaEnvironment, readReportSettings } from '../../../tasks/render-report/settings';

const RESOURCE_ID = `cluster-${'A'.repeat(26)}`;
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const plan = {
  CLUSTERS_FILE: 'clusters.json',
  STREAM_ARN_PREFIX: 'arn:aws:kinesis:eu-west-1:123456789012:stream/aws-rds-das-',
  WINDOW_POLICY: 'fixed',
  FIXED_WINDOW: 'sun:03:00-sun:04:00',
  ALLOW_IMMEDIATE: 'false',
  MAX_WAIT_SECONDS: '600000',
  LOCK_TTL_SECONDS: '694800',
} satisfies PlanLambdaEnvironment;

const decrypt = {
  AUDIT_BUCKET: 'audit-bucket',
  DELIVERY_STREAM_NAME: 'events',
  CLUSTER_RESOURCE_IDS_FILE: 'cluster-resource-ids.txt',
  RULES_FILE: 'rules.yaml',
} satisfies DecryptLambdaEnvironment;

const report = {
  CLUSTERS_FILE: 'clusters.json',
  RECIPIENTS: '["compliance@example.com"]',
  SENDER: 'example.com',
  SUBJECT_PREFIX: 'aurora-audit',
  BUCKET: 'audit-bucket',
  WORKGROUP: 'aurora-audit',
} satisfies ReportLambdaEnvironment;

// Refused at synth (`npm run typecheck`): each must stay a type error.
// @ts-expect-error an unknown variable
const unknownVariable = { ...decrypt, AUDIT_BUCKETS: 'x' } satisfies DecryptLambdaEnvironment;
// @ts-expect-error a missing required variable (LOCK_TTL_SECONDS)
const missingTtl = { CLUSTERS_FILE: 'c', MAX_WAIT_SECONDS: '1' } satisfies PlanLambdaEnvironment;
// @ts-expect-error a value outside the schema's enum
const weekly = { ...plan, WINDOW_POLICY: 'weekly' } satisfies PlanLambdaEnvironment;
// @ts-expect-error a number where the environment holds strings
const notAString = { ...report, MAX_ROWS_PER_SECTION: 50 } satisfies ReportLambdaEnvironment;
// @ts-expect-error a file setting given inline (the construct bundles it as CLUSTERS_FILE)
const inline = { ...report, CLUSTERS: '[]' } satisfies ReportLambdaEnvironment;

describe('the typed Lambda environments', () => {
  it('parse, with the bundled files, as the type accepted them', () => {
    const clusters = JSON.stringify([
      { identifier: 'orders-db', resourceId: RESOURCE_ID, activityStreamKmsKeyArn: KEY, silentInstances: [] },
    ]);
    // The files' contents, as the settings parsers read them when the file variable is set.
    expect(readPlanSettings({ ...plan, CLUSTERS: clusters }).FIXED_WINDOW).toBe('sun:03:00-sun:04:00');
    expect(
      readDecryptSettings({ ...decrypt, CLUSTER_RESOURCE_IDS: RESOURCE_ID }).CLUSTER_RESOURCE_IDS,
    ).toEqual([RESOURCE_ID]);
    expect(readReportSettings({ ...report, CLUSTERS: clusters }).SENDER).toBe('aurora-audit@example.com');
    expect(
      readAlertSettings({
        ALERT_TABLE: 'state',
        AUDIT_BUCKET: 'audit-bucket',
        TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:alerts',
        DELIVERY_STREAM_NAME: 'events',
        DECRYPT_LOG_GROUP: '/aws/lambda/decrypt',
        CLUSTERS: clusters,
        SUBJECT_PREFIX: 'aurora-audit',
        GLUE_TABLE: 'db.events',
      }).CLUSTERS[0]?.resourceId,
    ).toBe(RESOURCE_ID);
  });

  it('are what the cold start refuses where the type does (a missing variable, a value outside the enum)', () => {
    expect(() => readPlanSettings({ ...missingTtl, CLUSTERS: '[]' })).toThrow(/LOCK_TTL_SECONDS/);
    expect(() => readPlanSettings({ ...weekly, CLUSTERS: '[]' })).toThrow(/WINDOW_POLICY/);
  });

  it('are what the cold start refuses where the type does (unknown variables aside: the parser ignores them)', () => {
    expect(() =>
      readDecryptSettings({ ...unknownVariable, CLUSTER_RESOURCE_IDS: RESOURCE_ID }),
    ).not.toThrow();
    const clusters = JSON.stringify([{ identifier: 'orders-db', resourceId: RESOURCE_ID }]);
    expect(() =>
      readReportSettings({ ...notAString, CLUSTERS: clusters, MAX_ROWS_PER_SECTION: 'fifty' }),
    ).toThrow(/MAX_ROWS_PER_SECTION/);
    // Inline, the list is read as given: an empty one is refused, as the file's would be.
    expect(() => readReportSettings(inline)).toThrow(/CLUSTERS/);
  });

  it('refuse a cluster resource id that is not one, with the shared pattern', () => {
    expect(() => readDecryptSettings({ ...decrypt, CLUSTER_RESOURCE_IDS: 'orders-db' })).toThrow(
      /CLUSTER_RESOURCE_IDS/,
    );
  });
});
