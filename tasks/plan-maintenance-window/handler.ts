/**
 * Plan Lambda of the enablement workflow: validates the input and plans the maintenance window. A thin
 * adapter: settings are read once per execution environment; the work is in ./plan and ../core.
 */
import { createLogger } from '../shared/logger';
import type { PlanLambdaEvent } from './contract';
import { createPlanHandler } from './plan';
import { readPlanSettings } from './settings';

const logger = createLogger('aurora-audit-plan-window');
const plan = createPlanHandler(readPlanSettings());

export const handler = async (event: PlanLambdaEvent) => {
  const result = await plan(event);
  logger.info('planned', { action: event?.action, result });
  return result;
};
