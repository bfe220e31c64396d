/**
 * The enablement workflow as deployed from the embedded example configuration, ready to run locally (see
 * ./stream.ts, which it shares with the disable workflow).
 */
import {
  type ScenarioOptions,
  type StreamDeployment,
  type StreamScenario,
  streamDeployments,
  streamScenario,
} from './stream';

export { CLUSTER, KMS_KEY, RESOURCE_ID, T0 } from './stream';
export type { ScenarioOptions };
export type EnableDeployment = StreamDeployment;
export type EnableScenario = StreamScenario;

/** Synthesizes the app once per process and reads the workflow out of the template. */
export function enableDeployment(): EnableDeployment {
  return streamDeployments().enable;
}

export function enableScenario(options: ScenarioOptions = {}): EnableScenario {
  return streamScenario(enableDeployment(), options);
}
