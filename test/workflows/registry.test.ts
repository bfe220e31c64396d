import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthExample } from '../../cli/local/cdk-app';
import { buildProgram } from '../../cli/main';
import { OUTPUTS } from '../../infra/outputs';
import { CHANGE_ACTIONS, WORKFLOWS } from '../../workflows/registry';

const ROOT = join(__dirname, '..', '..');
const { template } = synthExample();
const stack = template.toJSON() as {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs: Record<string, { Value: unknown }>;
};

describe('the workflow registry', () => {
  it('names each workflow, CLI verb and stack output once', () => {
    for (const key of ['name', 'output', 'title'] as const) {
      const values = WORKFLOWS.map((w) => w[key]);
      expect(new Set(values).size).toBe(values.length);
    }
    const verbs = WORKFLOWS.map((w) => w.cli.verb);
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

  it.each(WORKFLOWS.map((w) => [w.name, w.output] as const))(
    'makes the stack write the ARN of %s to the output %s',
    (_name, output) => {
      const value = stack.Outputs[output]?.Value as { Ref?: string } | undefined;
      expect(value?.Ref).toBeDefined();
      expect(stack.Resources[value?.Ref ?? '']?.Type).toBe('AWS::StepFunctions::StateMachine');
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
    for (const w of WORKFLOWS) {
      const command = program.commands.find((c) => c.name() === w.cli.verb);
      expect(command?.description()).toBe(w.cli.description);
    }
  });
});
