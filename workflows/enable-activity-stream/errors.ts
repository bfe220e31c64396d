/**
 * The error names an enablement run can end with (the execution's `error`, the failure notification's
 * `Error:` line and its `error` message attribute), when each happens and what to do. The
 * "Enablement workflow" section of docs/workflows.md documents the same list; a test keeps them in step.
 */
import { COMMON_STREAM_ERRORS, type WorkflowErrorInfo } from '../shared/stream-workflow';

export type EnableErrorInfo = WorkflowErrorInfo;

export const ENABLE_ERRORS = {
  ...COMMON_STREAM_ERRORS,
  UnsupportedCluster: {
    when: 'the engine is not aurora-postgresql, an instance is on a burstable db.t* class, the cluster has no instance, or its resource id is not the configured one',
    advice:
      'Activity streams need Aurora PostgreSQL on memory-optimized classes (db.r*, db.x2g): modify the cluster, or correct clusters[].resourceId in the configuration. Nothing was changed.',
  },
  RdsDescribeFailed: {
    when: 'DescribeDBClusters or DescribeDBInstances kept failing (permissions, throttling beyond the retries), or DescribeDBClusters answered without a member the workflow reads (Engine, DbClusterArn, DbClusterResourceId, Status; the cause names them), which the RDS API does not promise',
    advice:
      'Check the state machine role and RDS health. If the cluster state below shows the stream starting or started, run the workflow again: it picks up where it is.',
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
    when: "the stream's Kinesis stream did not become ACTIVE, the event source mapping could not be listed, created or enabled (or was listed without its UUID or State), or a mapping being deleted did not go away",
    advice:
      'The activity stream is running but nothing reads it, and Kinesis keeps records for 24 hours only: fix the cause and run the workflow again now (it does not start the stream twice nor create a second mapping).',
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
