/**
 * One run per cluster at a time: a lock item per cluster in a DynamoDB table, taken with a conditional
 * PutItem and released with a DeleteItem conditional on the owner (the execution id), so that a run never
 * releases another run's lock. A lock carries an expiry (epoch seconds): a run that was stopped, aborted
 * or timed out cannot release its lock, and the next run may take it once it has expired (DynamoDB's TTL
 * also deletes it eventually). Shared by the enable and disable workflows (pass one table to both).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/** Partition key: the DB cluster identifier. */
export const LOCK_KEY = 'ClusterIdentifier';
/** The execution id holding the lock. */
export const LOCK_OWNER = 'Owner';
/** Epoch seconds after which the lock may be taken over (also the table's TTL attribute). */
export const LOCK_EXPIRES_AT = 'ExpiresAt';

/** The lock table: on-demand, point-in-time recovery, TTL on `ExpiresAt`. Locks are ephemeral: destroyed with the stack. */
export function createLockTable(scope: Construct, id: string): dynamodb.Table {
  return new dynamodb.Table(scope, id, {
    partitionKey: { name: LOCK_KEY, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: LOCK_EXPIRES_AT,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    removalPolicy: RemovalPolicy.DESTROY,
  });
}

export interface LockPaths {
  /** Path of the cluster identifier, e.g. `$.request.clusterIdentifier`. */
  readonly cluster: string;
  /** Path of the current time, epoch seconds as a string. */
  readonly now: string;
  /** Path of the lock's expiry, epoch seconds as a string. */
  readonly expiresAt: string;
  /** Extra string attributes written into the lock item (attribute name → path), for people reading it. */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** `PutItem` that succeeds only when no live lock exists; fails with `DynamoDB.ConditionalCheckFailedException` otherwise. */
export function acquireLockTask(scope: Construct, id: string, table: dynamodb.ITable, paths: LockPaths) {
  const extra: Record<string, tasks.DynamoAttributeValue> = {};
  for (const [name, path] of Object.entries(paths.attributes ?? {})) {
    extra[name] = tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt(path));
  }
  return new tasks.DynamoPutItem(scope, id, {
    comment: 'Takes the per-cluster lock: only if there is none, or it has expired.',
    table,
    item: {
      [LOCK_KEY]: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt(paths.cluster)),
      [LOCK_OWNER]: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId),
      [LOCK_EXPIRES_AT]: tasks.DynamoAttributeValue.numberFromString(sfn.JsonPath.stringAt(paths.expiresAt)),
      ...extra,
    },
    conditionExpression: 'attribute_not_exists(#key) OR #expires < :now',
    expressionAttributeNames: { '#key': LOCK_KEY, '#expires': LOCK_EXPIRES_AT },
    expressionAttributeValues: {
      ':now': tasks.DynamoAttributeValue.numberFromString(sfn.JsonPath.stringAt(paths.now)),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
}

/** `DeleteItem` of the lock, only if this execution owns it. */
export function releaseLockTask(scope: Construct, id: string, table: dynamodb.ITable, clusterPath: string) {
  return new tasks.DynamoDeleteItem(scope, id, {
    comment: "Releases the per-cluster lock if this execution holds it (never another run's).",
    table,
    key: { [LOCK_KEY]: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt(clusterPath)) },
    conditionExpression: '#owner = :me',
    expressionAttributeNames: { '#owner': LOCK_OWNER },
    expressionAttributeValues: { ':me': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId) },
    resultPath: sfn.JsonPath.DISCARD,
  });
}

/**
 * The error name of a failed lock condition. The lock Tasks are optimized integrations (`dynamodb:putItem`),
 * named `DynamoDB.<error>`; the AWS SDK integration's spelling (`DynamoDb.ConditionalCheckFailedException`)
 * never reaches them. The wire code and the class name are the same here.
 */
export const LOCK_HELD_ERRORS = ['DynamoDB.ConditionalCheckFailedException'] as const;
