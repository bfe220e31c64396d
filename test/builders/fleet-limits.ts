import type { fleetFigures } from './fleet';

/** The limits (AWS documentation; FACTS.md "CloudFormation and IAM limits"). */
export const FLEET_LIMITS = {
  resources: 500,
  templateBytes: 1_000_000,
  descriptionBytes: 1024,
  /** aws-cdk-lib refuses a longer stack description. */
  descriptionChars: 512,
  stateMachineDefinitionBytes: 1_000_000,
  rolePolicyChars: 10_240,
  lambdaEnvironmentBytes: 4096,
  /**
   * A schedule's target input is the input of the StartExecution it makes: at most 262,144 bytes (botocore
   * stepfunctions StartExecution `input`, shape SensitiveData max); the canary keeps far below by design.
   */
  scheduleInputBytes: 262_144,
  /** Not an AWS limit: a cluster file read at every cold start should stay small (250 KB unzipped code is far). */
  settingsFileBytes: 256 * 1024,
} as const;

/** The first limit the figures break, named with the figure; undefined when all hold. */
export function fleetLimitBroken(f: ReturnType<typeof fleetFigures>): string | undefined {
  const over = (what: string, value: number, limit: number) =>
    value > limit ? `${what} ${value} > ${limit}` : undefined;
  const worst = (o: Record<string, number>) => Object.entries(o).sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
  const [role, roleChars] = worst(f.rolePolicyChars);
  const [fn, envBytes] = worst(f.environments);
  const [file, fileBytes] = worst(f.settingsFiles);
  const [schedule, inputBytes] = worst(f.scheduleInputs);
  return (
    over('resources', f.resources, FLEET_LIMITS.resources) ??
    over('template bytes', f.templateBytes, FLEET_LIMITS.templateBytes) ??
    over('description bytes', f.descriptionBytes, FLEET_LIMITS.descriptionBytes) ??
    over('description characters', f.descriptionChars, FLEET_LIMITS.descriptionChars) ??
    over(`role ${role} policy characters`, roleChars, FLEET_LIMITS.rolePolicyChars) ??
    over(
      'state machine definition bytes',
      Math.max(...Object.values(f.definitions)),
      FLEET_LIMITS.stateMachineDefinitionBytes,
    ) ??
    over(`function ${fn} environment bytes`, envBytes, FLEET_LIMITS.lambdaEnvironmentBytes) ??
    over(`settings file ${file} bytes`, fileBytes, FLEET_LIMITS.settingsFileBytes) ??
    over(`schedule ${schedule} input bytes`, inputBytes, FLEET_LIMITS.scheduleInputBytes) ??
    (f.managedPolicies > 0 ? `managed policies ${f.managedPolicies} > 0` : undefined)
  );
}
