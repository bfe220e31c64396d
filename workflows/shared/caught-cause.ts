/**
 * A caught error's cause, read safely. The States Language makes `Cause` optional in a Catch's error output
 * (`Error` is always there): a state that reads `$.caught.Cause` when it is absent fails the run with
 * `States.Runtime`, which no Catch catches — the lock stays held and nobody is told. So a failure Pass never
 * reads `$.caught.Cause` itself: it leaves `cause` out (`CAUGHT_CAUSE`), and one Choice before the failure
 * notification fills it in, from `Cause` when present, or says that none was given.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

/** Stands for "the caught error and its cause" where a failure Pass takes its cause. */
export const CAUGHT_CAUSE: unique symbol = Symbol('the caught error and its cause');
export type FailureCause = string | typeof CAUGHT_CAUSE;

/** The `cause` field of a failure record: left out when it is to come from the caught error. */
export function causeField(cause: FailureCause): { cause?: string } {
  return cause === CAUGHT_CAUSE ? {} : { cause };
}

/** When the error output has no Cause: the cause the notification and the execution show. */
export const NO_CAUSE_GIVEN = '{} (the service gave no cause)';

export interface CaughtCauseNames {
  /** The Choice: `Cause recorded?`. */
  readonly check: string;
  /** The Pass taking `Error: Cause` from `$.caught`. */
  readonly withCause: string;
  /** The Pass taking the error alone. */
  readonly withoutCause: string;
}

/**
 * `check` (a Choice) → `next`, with `failurePath.cause` set: kept when a failure Pass recorded one, else
 * `Error: Cause` of `$.caught`, else `Error (the service gave no cause)`. `fields` are the other fields of the
 * failure record, copied as they are.
 */
export function recordCaughtCause(
  scope: Construct,
  names: CaughtCauseNames,
  failurePath: string,
  fields: readonly string[],
  next: sfn.IChainable,
): sfn.Choice {
  const copy = Object.fromEntries(fields.map((f) => [`${f}.$`, `${failurePath}.${f}`]));
  const withCause = new sfn.Pass(scope, names.withCause, {
    comment: 'The cause of the failure is the caught error and its cause.',
    resultPath: failurePath,
    parameters: {
      ...copy,
      cause: sfn.JsonPath.format(
        '{}: {}',
        sfn.JsonPath.stringAt('$.caught.Error'),
        sfn.JsonPath.stringAt('$.caught.Cause'),
      ),
    },
  }).next(next);
  const withoutCause = new sfn.Pass(scope, names.withoutCause, {
    comment: 'The caught error came without a Cause (the States Language makes it optional).',
    resultPath: failurePath,
    parameters: {
      ...copy,
      cause: sfn.JsonPath.format(NO_CAUSE_GIVEN, sfn.JsonPath.stringAt('$.caught.Error')),
    },
  }).next(next);
  return new sfn.Choice(scope, names.check)
    .when(sfn.Condition.isPresent(`${failurePath}.cause`), next)
    .when(sfn.Condition.isPresent('$.caught.Cause'), withCause)
    .otherwise(withoutCause);
}
