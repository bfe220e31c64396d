/**
 * The local workflow harness: run a synthesized state machine with `aws-local-stepfunctions` against
 * simulated AWS services in simulated time. See runner.ts (LocalWorkflow), template.ts (TemplateResolver),
 * clock.ts (SimClock) and ../aws (AwsWorld).
 */
export { reachableFrom, type TaskCheckOptions, taskProblems } from './checks';
export { SimClock } from './clock';
export {
  type ExecutionResult,
  type ExecutionStatus,
  HarnessError,
  LocalWorkflow,
  type RetryRecord,
  type TaskCall,
  type TaskDispatcher,
  type WaitRecord,
} from './runner';
export { type AslDefinition, type AslState, type TemplateJson, TemplateResolver } from './template';
