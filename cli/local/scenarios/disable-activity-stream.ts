/**
 * The disable workflow as deployed from the embedded example configuration, ready to run locally (see
 * ./stream.ts, which it shares with the enablement workflow). By default the cluster's
 * stream is started and the decrypt Lambda reads it through an enabled mapping, as enablement leaves it.
 */
import type { SimMapping } from '../aws/lambda';
import {
  type ScenarioOptions,
  type StreamDeployment,
  type StreamScenario,
  streamDeployments,
  streamScenario,
} from './stream';

export { CLUSTER, RESOURCE_ID, rdsActions, T0 } from './stream';

export function disableDeployment(): StreamDeployment {
  return streamDeployments().disable;
}

export interface DisableScenarioOptions extends ScenarioOptions {
  /** The decrypt Lambda's mapping of the stream before the run: `null` for none. @default 'Enabled' */
  readonly mapping?: 'Enabled' | 'Disabled' | null;
}

export interface DisableScenario extends StreamScenario {
  /** The mapping seeded before the run, if any. */
  readonly mapping?: SimMapping;
}

export function disableScenario(options: DisableScenarioOptions = {}): DisableScenario {
  const d = disableDeployment();
  const s = streamScenario(d, {
    ...options,
    cluster: options.cluster === null ? null : { activityStream: 'started', ...options.cluster },
  });
  const state = options.mapping === undefined ? 'Enabled' : options.mapping;
  const mapping =
    state === null
      ? undefined
      : s.world.lambda.seedMapping(d.decryptFunction, d.streamArn, state === 'Enabled');
  return { ...s, mapping };
}
