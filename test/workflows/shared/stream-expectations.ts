/**
 * Assertions over the stream workflows as deployed (cli/local/scenarios/stream.ts): the state machine role's
 * resolved IAM statements, and the notifications a run sends. Shared by the enable and disable workflow tests.
 */

import type { AwsWorld } from '../../../cli/local/aws/world';
import { CLUSTER, type StreamDeployment } from '../../../cli/local/scenarios/stream';
import type { ExecutionResult } from '../../../cli/local/stepfunctions/runner';
import { actionsOf, roleOf, statementsOf } from '../../helpers/iam';

/** The resolved IAM statements of a deployed state machine's role, and lookups over them. */
export function roleStatements(d: Pick<StreamDeployment, 'resolver' | 'stateMachineId'>) {
  const stateMachine = d.resolver.template.Resources[d.stateMachineId]!;
  const statements = statementsOf(d.resolver, roleOf(stateMachine, 'RoleArn'));
  return {
    stateMachine,
    statements,
    actions: actionsOf,
    withAction: (action: string) => statements.filter((s) => actionsOf(s).includes(action)),
  };
}

export interface NotificationExpectations {
  /** Exactly one message on the alert topic, from this workflow, with this outcome (and error). */
  expectOneNotification(
    world: AwsWorld,
    outcome: 'SUCCEEDED' | 'FAILED',
    error?: string,
    cluster?: string,
  ): AwsWorld['sns']['messages'][number];
  /** The run failed with `error` and told the operators: step, error, what to do, the cluster now. */
  expectFailure(
    run: ExecutionResult,
    world: AwsWorld,
    error: string,
    cluster?: string,
  ): AwsWorld['sns']['messages'][number];
}

/** Assertions on a stream workflow's notifications; `failureSubject` is e.g. `Activity stream FAILED`. */
export function notificationExpectations(
  deployment: () => StreamDeployment,
  workflow: 'enable-activity-stream' | 'disable-activity-stream',
  failureSubject: string,
): NotificationExpectations {
  const expectOneNotification: NotificationExpectations['expectOneNotification'] = (
    world,
    outcome,
    error,
    cluster = CLUSTER,
  ) => {
    expect(world.sns.messages).toHaveLength(1);
    const [message] = world.sns.messages;
    expect(message?.topicArn).toBe(deployment().topicArn);
    expect(message?.attributes).toMatchObject({ outcome, cluster, workflow });
    if (error) expect(message?.attributes.error).toBe(error);
    return message!;
  };
  return {
    expectOneNotification,
    expectFailure(run, world, error, cluster = CLUSTER) {
      expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error });
      const message = expectOneNotification(world, 'FAILED', error, cluster);
      expect(message.subject).toBe(`[aurora-audit] ${failureSubject}: ${cluster}`);
      expect(message.message).toContain(`Error: ${error}`);
      expect(message.message).toMatch(/^What to do: .+/m);
      expect(message.message).toMatch(/^Step: .+/m);
      expect(message.message).toMatch(/^Cluster now: .+/m);
      return message;
    },
  };
}
