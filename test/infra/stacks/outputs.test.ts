/**
 * The stack outputs and the CLI read one list (`infra/outputs.ts`): every name in it is an output of the
 * synthesized stack, and every output of the stack is in it. The stack is synthesized with the optional
 * auditor role and a canary configured, so that their conditional outputs are there too.
 */

import { newApp } from '../../../cli/local/cdk-app';
import { buildApp } from '../../../infra/build-app';
import { validateConfig } from '../../../infra/config/load';
import { OUTPUTS } from '../../../infra/outputs';
import { configDocument } from '../../builders/config';

const canary = {
  secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:aurora-audit/canary-AbCdEf',
  database: 'orders',
};

function outputsOf(auditorPrincipals: string[], withCanary = auditorPrincipals.length > 0): string[] {
  const document = configDocument({ security: { auditorPrincipals } });
  const clusters = document.clusters.map((c, i) => (withCanary && i === 0 ? { ...c, canary } : c));
  const config = validateConfig({ ...document, clusters }, 'test');
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

  it('are exactly the names in infra/outputs.ts, the auditor role and a canary configured', () => {
    expect(outputsOf([auditor])).toEqual(names);
  });

  it('leave out only the auditor role and the canary workflow when neither is configured', () => {
    expect(outputsOf([])).toEqual(
      names.filter((n) => n !== OUTPUTS.auditorRole && n !== OUTPUTS.canaryWorkflow),
    );
  });

  it('leave out only the canary workflow when no cluster has a canary', () => {
    expect(outputsOf([auditor], false)).toEqual(names.filter((n) => n !== OUTPUTS.canaryWorkflow));
  });

  it('have distinct names', () => {
    expect(new Set(names).size).toBe(Object.keys(OUTPUTS).length);
  });
});
