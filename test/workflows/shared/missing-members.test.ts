/**
 * Guard: the RDS model marks no member of a described DB cluster required, and Lambda's none of a listed event
 * source mapping. For every member the enable and disable workflows read out of those answers, a run in which
 * AWS leaves it out must end in a named failure with the lock released and the operators notified — not in
 * `States.Runtime`, which no Catch catches. The answers are the simulators' own with the member deleted
 * (AwsWorld.after); the guard test (service-model.test.ts, documentReadProblems) proves every such read is
 * behind an IsPresent check, these runs that each check leads where it should.
 */

import { disableScenario } from '../../../cli/local/scenarios/disable-activity-stream';
import {
  CLUSTER,
  type StreamScenario,
  streamDeployments,
  streamScenario,
} from '../../../cli/local/scenarios/stream';
import { CLUSTER_MEMBERS_READ, POLLED_MEMBERS_READ } from '../../../workflows/shared/stream-workflow';

// The synth (with the Lambdas' bundling) happens once, here, not inside the first case's time limit.
beforeAll(() => {
  streamDeployments();
}, 300_000);

const INPUT = { clusterIdentifier: CLUSTER, window: 'now', changeTicket: 'CHG-9', requestedBy: 'dave' };

interface Case {
  readonly workflow: 'enable' | 'disable';
  /** Which answer loses the member. */
  readonly answer: 'Describe cluster' | 'Poll cluster' | 'List event source mappings';
  readonly member: string;
  /** The stream already started when the run begins (enable). */
  readonly started?: boolean;
  readonly failureState: string;
  readonly expected: string;
  readonly cause: RegExp;
}

const describedCases = (workflow: 'enable' | 'disable'): Case[] => [
  ...CLUSTER_MEMBERS_READ.map((member) => ({
    workflow,
    answer: 'Describe cluster' as const,
    member,
    failureState: 'Cluster description incomplete',
    expected: 'RdsDescribeFailed',
    cause: new RegExp(`^DescribeDBClusters answered without .*${member}`),
  })),
  ...POLLED_MEMBERS_READ.map((member) => ({
    workflow,
    answer: 'Poll cluster' as const,
    member,
    failureState: 'Polled cluster incomplete',
    expected: 'RdsDescribeFailed',
    cause: new RegExp(`^DescribeDBClusters answered without .*${member}`),
  })),
  ...['Uuid', 'State'].map((member) => ({
    workflow,
    answer: 'List event source mappings' as const,
    member,
    failureState: 'Mapping listed incomplete',
    expected: workflow === 'enable' ? 'StreamConnectFailed' : 'StreamDisconnectFailed',
    cause:
      /^ListEventSourceMappings listed the decrypt Lambda's mapping of the stream without its UUID or State/,
  })),
];

const CASES: Case[] = [
  ...describedCases('enable'),
  // The stream name matters once the stream is started: found started, or polled until started.
  {
    workflow: 'enable',
    answer: 'Describe cluster',
    member: 'ActivityStreamKinesisStreamName',
    started: true,
    failureState: 'Cluster description incomplete',
    expected: 'RdsDescribeFailed',
    cause: /ActivityStreamKinesisStreamName/,
  },
  {
    workflow: 'enable',
    answer: 'Poll cluster',
    member: 'ActivityStreamKinesisStreamName',
    failureState: 'Polled cluster incomplete',
    expected: 'RdsDescribeFailed',
    cause: /ActivityStreamKinesisStreamName \(the stream started\)/,
  },
  ...describedCases('disable'),
];

function scenario(c: Case): StreamScenario {
  const d = streamDeployments()[c.workflow];
  if (c.workflow === 'disable') return disableScenario({ mapping: 'Enabled' });
  const s = streamScenario(d, { cluster: c.started ? { activityStream: 'started' } : {} });
  // Enabling finds the decrypt Lambda's mapping (disabled) and would enable it.
  if (c.answer === 'List event source mappings')
    s.world.lambda.seedMapping(d.decryptFunction, d.streamArn, false);
  return s;
}

/** Deletes the member from the answers the case names (Describe cluster: the first describe; Poll cluster: every later one). */
function dropMember(s: StreamScenario, c: Case): void {
  if (c.answer === 'List event source mappings') {
    s.world.after('lambda:listEventSourceMappings', (_n, answer) => {
      for (const m of answer.EventSourceMappings as Record<string, unknown>[]) delete m[c.member];
      return answer;
    });
    return;
  }
  s.world.after('rds:describeDBClusters', (n, answer) => {
    // From the second call on: the polls (and the failure chain's own describe, which reads nothing unchecked).
    if (c.answer === 'Describe cluster' ? n === 1 : n >= 2) {
      for (const cluster of answer.DbClusters as Record<string, unknown>[]) delete cluster[c.member];
    }
    return answer;
  });
}

describe.each(
  CASES.map((c) => [c.workflow, c.answer, c.member, c.started ? ' (stream started)' : '', c] as const),
)('the %s workflow, %s answered without %s%s', (_workflow, _answer, member, _started, c: Case) => {
  it(`ends ${c.expected} at ${c.failureState}: lock released, operators notified, no States.Runtime`, async () => {
    const s = scenario(c);
    dropMember(s, c);
    const run = await s.run(INPUT);

    expect(run.states).toContain(c.failureState);
    expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: c.expected });
    expect(run.cause).toMatch(c.cause);
    expect(run.cause).toContain(member === 'Uuid' || member === 'State' ? 'UUID or State' : member);
    expect(s.locks()).toEqual([]);
    expect(s.world.sns.messages).toHaveLength(1);
    const [message] = s.world.sns.messages;
    expect(message?.attributes).toMatchObject({ outcome: 'FAILED', error: c.expected });
    expect(message?.message).toContain(`Error: ${c.expected}`);
    expect(message?.message).toMatch(/^What to do: .+/m);
    if (c.answer === 'Describe cluster') {
      // Refused before anything was changed.
      expect(s.world.callsTo('rds', 'startActivityStream')).toEqual([]);
      expect(s.world.callsTo('rds', 'stopActivityStream')).toEqual([]);
    }
    if (c.answer === 'List event source mappings') {
      expect(s.world.callsTo('lambda', 'updateEventSourceMapping')).toEqual([]);
      expect(s.world.callsTo('lambda', 'deleteEventSourceMapping')).toEqual([]);
      expect(s.world.callsTo('lambda', 'createEventSourceMapping')).toEqual([]);
    }
  });
});
