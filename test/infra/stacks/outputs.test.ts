/**
 * The stack outputs and the CLI read one list (`infra/outputs.ts`): every name in it is an output of the
 * synthesized stack, and every output of the stack is in it. The stack is synthesized with the optional
 * auditor role configured, so that its conditional output is there too.
 */

import { newApp } from '../../../cli/local/cdk-app';
import { buildApp } from '../../../infra/build-app';
import { validateConfig } from '../../../infra/config/load';
import { OUTPUTS } from '../../../infra/outputs';
import { configDocument } from '../../builders/config';

function outputsOf(auditorPrincipals: string[]): string[] {
  const config = validateConfig(configDocument({ security: { auditorPrincipals } }), 'test');
  // No bundling: this is about the template.
  const { app, auditStack } = buildApp(config, newApp({ bundling: false }));
  const template = app.synth().getStackByName(auditStack.stackName).template as {
    Outputs?: Record<string, unknown>;
  };
  return Object.keys(template.Outputs ?? {}).sort();
}

const auditor = 'arn:aws:iam::210987654321:role/external-auditor';

describe('the stack outputs', () => {
  const names = Object.values(OUTPUTS).sort();

  it('are exactly the names in infra/outputs.ts, the auditor role configured', () => {
    expect(outputsOf([auditor])).toEqual(names);
  });

  it('leave out only the auditor role when none is configured', () => {
    expect(outputsOf([])).toEqual(names.filter((n) => n !== OUTPUTS.auditorRole));
  });

  it('have distinct names', () => {
    expect(new Set(names).size).toBe(Object.keys(OUTPUTS).length);
  });
});
