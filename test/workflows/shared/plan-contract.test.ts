/**
 * The stream workflows read the plan Lambda's results by JSONPath: the `Validate input` result kept whole
 * (`$.valid`, `$.problem`, `$.request.*`, `$.lock.*`) and the `Plan window` result under `$.plan` (its
 * `ResultSelector` names fields of `PlanResult`, checked by the compiler through `payloadFields`). A JSONPath is
 * a string the compiler cannot check: this test reads every path of the synthesized enable and disable
 * definitions and checks each field against what the plan task's own validation returns (valid and invalid
 * input: the failure path reads the request too) and against the plan state's `ResultSelector`. It is also run
 * on a definition that reads a field the contract does not have, so it is known to be able to fail.
 */
import { disableDeployment } from '../../../cli/local/scenarios/disable-activity-stream';
import { enableDeployment } from '../../../cli/local/scenarios/enable-activity-stream';
import type { AslDefinition } from '../../../cli/local/stepfunctions/template';
import type { ValidationResult } from '../../../tasks/plan-maintenance-window/contract';
import {
  type StreamRequestRules,
  validateStreamRequest,
} from '../../../tasks/plan-maintenance-window/stream-request';

const NOW = new Date('2026-06-01T10:00:00Z');
const RULES: StreamRequestRules = {
  clusters: [
    {
      identifier: 'orders-db',
      resourceId: `cluster-${'A'.repeat(26)}`,
      activityStreamKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      streamArn: `arn:aws:kinesis:eu-west-1:123456789012:stream/aws-rds-das-cluster-${'A'.repeat(26)}`,
    },
  ],
  windowPolicy: 'cluster-window',
  allowImmediate: true,
  minMinutesLeft: 30,
  maxWaitSeconds: 7 * 24 * 3600,
  lockTtlSeconds: 8 * 24 * 3600,
};

/** What `Validate input` returns for a valid and for an invalid input of `workflow`. */
function validationResults(
  workflow: 'enable-activity-stream' | 'disable-activity-stream',
): ValidationResult[] {
  const input = {
    clusterIdentifier: 'orders-db',
    window: 'now',
    changeTicket: 'CHG-1',
    requestedBy: 'alice',
  };
  const valid = validateStreamRequest(input, RULES, NOW, workflow);
  const invalid = validateStreamRequest({ clusterIdentifier: 'nope', window: 7 }, RULES, NOW, workflow);
  expect(valid.valid).toBe(true);
  expect(invalid.valid).toBe(false);
  return [valid, invalid];
}

/** Every string of the definition that may read a path (a `ResultPath` writes one), however deep. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([key, v]) => (key === 'ResultPath' ? [] : strings(v)));
  return [];
}

/** The `ResultSelector` field names of the state that writes `$.plan`. */
function planFields(definition: AslDefinition): string[] {
  const writers = Object.values(definition.States).filter(
    (s) => (s as { ResultPath?: string }).ResultPath === '$.plan',
  ) as { ResultSelector?: Record<string, string> }[];
  expect(writers).toHaveLength(1);
  return Object.keys(writers[0]?.ResultSelector ?? {}).map((k) => k.replace(/\.\$$/, ''));
}

/**
 * The paths of the definition that read a field the contract does not have: `$.valid`/`$.problem`/`$.request.x`/
 * `$.lock.x` missing from any of `results`, `$.plan.x` missing from the plan state's `ResultSelector`.
 */
function contractMismatches(definition: AslDefinition, results: readonly ValidationResult[]): string[] {
  const plan = new Set(planFields(definition));
  const problems = new Set<string>();
  for (const text of strings(definition.States)) {
    for (const [path, root, field] of text.matchAll(
      /(?<![\w$.])\$\.(valid|problem|request|lock|plan)(?:\.(\w+))?/g,
    )) {
      const known =
        root === 'plan'
          ? field === undefined || plan.has(field) // `$.plan` whole: `IsPresent` (was it planned?)
          : results.every((r) => {
              if (root === 'valid' || root === 'problem') return field === undefined && root in r;
              const part = r[root as 'request' | 'lock'] as Record<string, unknown>;
              return field === undefined || field in part;
            });
      if (!known) problems.add(path);
    }
  }
  return [...problems].sort();
}

describe.each([
  ['enable-activity-stream', enableDeployment] as const,
  ['disable-activity-stream', disableDeployment] as const,
])('the %s definition and the plan contract', (workflow, deployment) => {
  const { definition } = deployment();
  const results = validationResults(workflow);

  it('reads the validation and plan results by paths (sanity)', () => {
    const paths = strings(definition.States).join('\n');
    for (const path of [
      '$.valid',
      '$.problem',
      '$.request.clusterIdentifier',
      '$.lock.expiresAt',
      '$.plan.startAt',
    ])
      expect(paths).toContain(path);
  });

  it('reads only fields the plan Lambda returns', () => {
    expect(contractMismatches(definition, results)).toEqual([]);
  });

  it('reports a path to a field the contract does not have', () => {
    const planted: AslDefinition = {
      ...definition,
      States: {
        ...definition.States,
        Planted: {
          Type: 'Pass',
          Parameters: {
            'a.$': '$.request.clusterName',
            'b.$': "States.Format('{} {}', $.lock.owner, $.plan.endsAt)",
            'c.$': '$.request.clusterIdentifier',
          },
          End: true,
        } as AslDefinition['States'][string],
      },
    };
    expect(contractMismatches(planted, results)).toEqual([
      '$.lock.owner',
      '$.plan.endsAt',
      '$.request.clusterName',
    ]);
  });
});
