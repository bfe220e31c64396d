import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newApp, synthExample } from '../../cli/local/cdk-app';
import { canaryConfig } from '../../cli/local/scenarios/canary-config';
import { buildProgram } from '../../cli/main';
import { buildApp } from '../../infra/build-app';
import { OUTPUTS } from '../../infra/outputs';
import { CHANGE_ACTIONS, WORKFLOWS } from '../../workflows/registry';

const ROOT = join(__dirname, '..', '..');
const { template } = synthExample();
type StackJson = {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs: Record<string, { Value: unknown }>;
};
const stack = template.toJSON() as StackJson;
/** The opt-in workflows are built only when configured: the example with a canary on orders-db. */
const withOptIns = (() => {
  const { app, auditStack } = buildApp(canaryConfig(), newApp({ bundling: false }));
  return app.synth().getStackByName(auditStack.stackName).template as StackJson;
})();

describe('the workflow registry', () => {
  it('names each workflow, CLI verb and stack output once', () => {
    for (const key of ['name', 'output', 'title'] as const) {
      const values = WORKFLOWS.map((w) => w[key]);
      expect(new Set(values).size).toBe(values.length);
    }
    const verbs = WORKFLOWS.flatMap((w) => ('cli' in w ? [w.cli.verb] : []));
    expect(new Set(verbs).size).toBe(verbs.length);
    for (const w of WORKFLOWS) expect(Object.values(OUTPUTS)).toContain(w.output);
  });

  it.each(WORKFLOWS.map((w) => [w.name, w] as const))(
    'has a folder for %s with its definition and construct',
    (name) => {
      for (const file of ['definition.ts', 'construct.ts', 'errors.ts'])
        expect(existsSync(join(ROOT, 'workflows', name, file))).toBe(true);
    },
  );

  it.each(WORKFLOWS.map((w) => [w.name, w.docs.file, w.docs.heading] as const))(
    'documents %s in %s under the heading "%s"',
    (_name, file, heading) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const escaped = heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(text).toMatch(new RegExp(`^#{1,4} ${escaped}$`, 'm'));
    },
  );

  it.each(WORKFLOWS.map((w) => [w.name, w.output, 'optIn' in w && w.optIn] as const))(
    'makes the stack write the ARN of %s to the output %s',
    (_name, output, optIn) => {
      // An opt-in workflow: in the stack configured with it, and absent (no output) from the example.
      const built = optIn ? withOptIns : stack;
      const value = built.Outputs[output]?.Value as { Ref?: string } | undefined;
      expect(value?.Ref).toBeDefined();
      expect(built.Resources[value?.Ref ?? '']?.Type).toBe('AWS::StepFunctions::StateMachine');
      if (optIn) expect(stack.Outputs[output]).toBeUndefined();
    },
  );

  it('gives change tickets a rule and a runbook branch for each workflow with changeTicket, and only those', () => {
    const actions = WORKFLOWS.filter((w) => w.changeTicket).map((w) => w.name);
    expect([...CHANGE_ACTIONS]).toEqual(actions);
    const ruleActions = Object.values(stack.Resources)
      .filter((r) => r.Type === 'AWS::Events::Rule')
      .map((r) => (r.Properties?.EventPattern as { detail?: { action?: string[] } })?.detail?.action?.[0])
      .filter((a) => a !== undefined);
    expect(ruleActions.sort()).toEqual([...actions].sort());
    const runbook = Object.values(stack.Resources).find((r) => r.Type === 'AWS::SSM::Document');
    const content = runbook?.Properties?.Content as { parameters: { Action: { allowedValues: string[] } } };
    expect(content.parameters.Action.allowedValues).toEqual(actions);
  });

  it('gives the CLI one command per workflow, described as in the registry', () => {
    const program = buildProgram(
      { stdout: () => true, stderr: () => true, stdin: () => process.stdin },
      () => {},
    );
    // Every workflow but the canary (no `cli`: it runs on its schedules) has its command.
    expect(WORKFLOWS.filter((w) => !('cli' in w)).map((w) => w.name)).toEqual(['canary']);
    for (const w of WORKFLOWS) {
      if (!('cli' in w)) continue;
      const command = program.commands.find((c) => c.name() === w.cli.verb);
      expect(command?.description()).toBe(w.cli.description);
    }
  });
});
