/**
 * The error names a disable run can end with (the execution's `error`, the failure notification's `Error:`
 * line and its `error` message attribute), when each happens and what to do. The "Disable
 * workflow" section of docs/workflows.md documents the same list; a test keeps them in step.
 */
import { COMMON_STREAM_ERRORS, type WorkflowErrorInfo } from '../shared/stream-workflow';

export const DISABLE_ERRORS = {
  ...COMMON_STREAM_ERRORS,
  UnsupportedCluster: {
    when: 'the engine is not aurora-postgresql, or the cluster resource id is not the configured one',
    advice:
      'Correct clusters[].resourceId in the configuration (was the cluster re-created?). Nothing was changed.',
  },
  ActivityStreamStarting: {
    when: 'the activity stream is still starting (an enablement is under way), so it cannot be stopped yet',
    advice:
      'Wait until the stream is started (RDS-EVENT-0179, or the enablement notification), then run the disable workflow again. Nothing was changed.',
  },
  RdsDescribeFailed: {
    when: 'DescribeDBClusters or DescribeDBInstances kept failing (permissions, throttling beyond the retries), or DescribeDBClusters answered without a member the workflow reads (Engine, DbClusterArn, DbClusterResourceId, Status; the cause names them), which the RDS API does not promise',
    advice:
      'Check the state machine role and RDS health. If the cluster state below shows the stream stopping or stopped, run the workflow again: it picks up where it is.',
  },
  ActivityStreamStopFailed: {
    when: 'StopActivityStream was refused (cluster state, permissions), or the stream went back to started while stopping',
    advice:
      'Read the cause; once the cluster is available run the workflow again. The activity stream is still running and still read by aurora-audit: nothing is lost meanwhile.',
  },
  ActivityStreamStopTimeout: {
    when: 'the stream did not report stopped before the deadline (stuck stopping)',
    advice:
      'Check the cluster events (RDS-EVENT-0180 means stopped) and its status. Once the stream is stopped, run the workflow again to remove the event source mapping: it goes straight to disconnecting.',
  },
  InstancesNotAvailableTimeout: {
    when: 'the stream stopped but not every member instance was available before the deadline',
    advice:
      'Check the instances named in the cause (console, RDS events). Once they are available, run the workflow again to remove the event source mapping.',
  },
  StreamDisconnectFailed: {
    when: "the decrypt Lambda's event source mapping of the stream could not be listed, disabled or deleted, or was listed without its UUID or State",
    advice:
      'The activity stream is stopped; only the mapping is left. Fix the cause and run the workflow again (it does not stop the stream twice), or delete the mapping named in the cause in the Lambda console.',
  },
  LockReleaseFailed: {
    when: 'the stream is stopped and disconnected, but the lock could not be released',
    advice:
      'The activity stream is stopped and disconnected. The lock expires by itself; to run again sooner delete the lock item of this cluster from the lock table.',
  },
  NotificationFailed: {
    when: 'the run succeeded but the success notification could not be published',
    advice:
      'The activity stream is stopped and disconnected. Check the topic, its key policy and the state machine role.',
  },
} as const satisfies Record<string, WorkflowErrorInfo>;

export type DisableErrorName = keyof typeof DISABLE_ERRORS;
export const DISABLE_ERROR_NAMES = Object.keys(DISABLE_ERRORS) as DisableErrorName[];
