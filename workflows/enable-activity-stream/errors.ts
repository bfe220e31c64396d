/**
 * The error names an enablement run can end with (the execution's `error`, the failure notification's
 * `Error:` line and its `error` message attribute), when each happens and what to do. The README's
 * "Enablement workflow" section documents the same list; a test keeps them in step.
 */
export interface EnableErrorInfo {
  /** When the run ends with this error. */
  readonly when: string;
  /** What to do: sent in the failure notification. */
  readonly advice: string;
}

export const ENABLE_ERRORS = {
  InvalidInput: {
    when: 'a field of the input is malformed, the cluster is not in the configuration, or the requested window cannot be used',
    advice: 'Fix the field named in the cause and start a new execution. Nothing was changed on the cluster.',
  },
  AlreadyRunning: {
    when: 'another run holds the lock of the cluster',
    advice:
      'Another enable or disable run is working on this cluster: let it finish (see its notification). A run that was stopped leaves its lock until the lock expires. Nothing was changed by this run.',
  },
  LockFailed: {
    when: 'the lock table could not be written (other than the lock being held)',
    advice:
      'Check the lock table and the state machine role, then start a new execution. Nothing was changed on the cluster.',
  },
  ClusterNotFound: {
    when: 'RDS has no DB cluster with this identifier in this account and region',
    advice:
      'Check clusters[].identifier in the configuration and the region the stack is deployed to. Nothing was changed.',
  },
  UnsupportedCluster: {
    when: 'the engine is not aurora-postgresql, an instance is on a burstable db.t* class, the cluster has no instance, or its resource id is not the configured one',
    advice:
      'Activity streams need Aurora PostgreSQL on memory-optimized classes (db.r*, db.x2g): modify the cluster, or correct clusters[].resourceId in the configuration. Nothing was changed.',
  },
  RdsDescribeFailed: {
    when: 'DescribeDBClusters or DescribeDBInstances kept failing (permissions, throttling beyond the retries)',
    advice:
      'Check the state machine role and RDS health. If the cluster state below shows the stream starting or started, run the workflow again: it picks up where it is.',
  },
  WindowPlanningFailed: {
    when: 'the plan Lambda failed (a bug or its settings), not the input',
    advice: "Read the plan Lambda's log group for the error. Nothing was changed on the cluster.",
  },
  ActivityStreamStartFailed: {
    when: 'StartActivityStream was refused (KMS key not accessible, cluster state, parameters), or the stream went back to stopped while starting',
    advice:
      "Read the cause: for Rds.KmsKeyNotAccessibleException give the caller's role kms:CreateGrant and kms:DescribeKey on the key and check the key is enabled. Then run the workflow again.",
  },
  ActivityStreamStartTimeout: {
    when: 'the stream did not report started before the deadline',
    advice:
      'Check the cluster events (RDS-EVENT-0179 means started) and its status. Once the stream is started, run the workflow again to connect it: it goes straight to connecting.',
  },
  InstancesNotAvailableTimeout: {
    when: 'the stream started but not every member instance was available before the deadline',
    advice:
      'Check the instances named in the cause (console, RDS events). Once they are available, run the workflow again to connect the stream.',
  },
  StreamConnectFailed: {
    when: "the stream's Kinesis stream did not become ACTIVE, or the event source mapping could not be created or enabled",
    advice:
      'The activity stream is running but nothing reads it, and Kinesis keeps records for 24 hours only: fix the cause and run the workflow again now (it does not start the stream twice nor create a second mapping).',
  },
  PlanningFunctionFailed: {
    when: 'the input could not be validated because the plan Lambda failed',
    advice: "Read the plan Lambda's log group for the error. Nothing was changed.",
  },
  LockReleaseFailed: {
    when: 'the stream is running and connected, but the lock could not be released',
    advice:
      'The activity stream is running and connected. The lock expires by itself; to run again sooner delete the lock item of this cluster from the lock table.',
  },
  NotificationFailed: {
    when: 'the run succeeded but the success notification could not be published',
    advice:
      'The activity stream is running and connected. Check the topic, its key policy and the state machine role.',
  },
} as const satisfies Record<string, EnableErrorInfo>;

export type EnableErrorName = keyof typeof ENABLE_ERRORS;
export const ENABLE_ERROR_NAMES = Object.keys(ENABLE_ERRORS) as EnableErrorName[];
