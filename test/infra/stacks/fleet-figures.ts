/**
 * Prints what fleets of clusters synthesize against each limit (docs/deploying.md "Fleet ceiling"):
 *   npx tsx test/infra/stacks/fleet-figures.ts 1 50 200 [--ceiling] [--canary=team|one]
 * With --ceiling, also the largest count every limit holds for, and the limit the next count breaks. With
 * --canary, a canary on every cluster (test/builders/fleet.ts `FleetOptions`).
 */
import { type FleetOptions, fleetFigures } from '../../builders/fleet';
import { FLEET_LIMITS, fleetLimitBroken } from '../../builders/fleet-limits';

const args = process.argv.slice(2);
const counts = args.filter((a) => /^\d+$/.test(a)).map(Number);
const canaryArg = args.find((a) => a.startsWith('--canary'));
const options: FleetOptions = canaryArg ? { canary: canaryArg === '--canary=one' ? 'one' : 'team' } : {};
const max = (o: Record<string, number>) => Math.max(...Object.values(o));
const top = (o: Record<string, number>) => Object.entries(o).sort((a, b) => b[1] - a[1])[0];
for (const count of counts.length ? counts : [200]) {
  let f: ReturnType<typeof fleetFigures>;
  try {
    f = fleetFigures(count, options);
  } catch (err) {
    console.log(JSON.stringify({ clusters: count, broken: (err as Error).message.split('\n')[0] }));
    continue;
  }
  console.log(
    JSON.stringify({
      clusters: count,
      resources: `${f.resources} / ${FLEET_LIMITS.resources}`,
      templateBytes: `${f.templateBytes} / ${FLEET_LIMITS.templateBytes}`,
      descriptionBytes: `${f.descriptionBytes} / ${FLEET_LIMITS.descriptionBytes}`,
      largestRolePolicy: `${top(f.rolePolicyChars)?.join(': ')} / ${FLEET_LIMITS.rolePolicyChars}`,
      largestDefinitionBytes: `${max(f.definitions)} / ${FLEET_LIMITS.stateMachineDefinitionBytes}`,
      largestEnvironment: `${top(f.environments)?.join(': ')} / ${FLEET_LIMITS.lambdaEnvironmentBytes}`,
      largestSettingsFile: top(f.settingsFiles)?.join(': '),
      ...(options.canary
        ? {
            canary: options.canary,
            schedules: Object.keys(f.scheduleInputs).length,
            largestScheduleInput: `${top(f.scheduleInputs)?.join(': ')} / ${FLEET_LIMITS.scheduleInputBytes}`,
          }
        : {}),
      broken: fleetLimitBroken(f) ?? 'none',
    }),
  );
}
/** The first limit `count` clusters break (aws-cdk-lib refuses some at synth), or undefined. */
function brokenAt(count: number): string | undefined {
  try {
    return fleetLimitBroken(fleetFigures(count, options));
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}
if (args.includes('--ceiling')) {
  // Doubling, then bisection, on the first limit to break.
  let ok = 200;
  let bad = 400;
  while (!brokenAt(bad)) {
    ok = bad;
    bad *= 2;
  }
  while (bad - ok > 1) {
    const mid = Math.floor((ok + bad) / 2);
    if (brokenAt(mid)) bad = mid;
    else ok = mid;
  }
  console.log(`ceiling: ${ok} clusters; at ${bad}: ${brokenAt(bad)}`);
}
