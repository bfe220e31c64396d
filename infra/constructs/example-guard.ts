import { CfnParameter, CfnRule, Fn } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** The parameter's default: the template was synthesized from the embedded example. */
export const EMBEDDED_EXAMPLE = 'embedded-example';

/**
 * Makes a template synthesized from the embedded example configuration undeployable: a template rule that
 * CloudFormation checks when it creates or updates the stack (the change set), before any resource is touched,
 * and that fails with a message saying what to do. (CDK's CLI does not tell the app whether it synthesizes
 * or deploys, so the refusal has to travel in the template.)
 */
export class ExampleConfigurationGuard extends Construct {
  readonly parameter: CfnParameter;
  readonly rule: CfnRule;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.parameter = new CfnParameter(this, 'ConfigurationSource', {
      type: 'String',
      default: EMBEDDED_EXAMPLE,
      description:
        'Where the configuration of this template came from. "embedded-example" cannot be deployed: synthesize with -c config=path/to/your.yaml.',
    });
    this.rule = new CfnRule(this, 'RefuseEmbeddedExample', {
      assertions: [
        {
          assert: Fn.conditionNot(Fn.conditionEquals(this.parameter.valueAsString, EMBEDDED_EXAMPLE)),
          assertDescription:
            'aurora-audit: this template was synthesized from the embedded example configuration (placeholder KMS key, example.com recipients). Synthesize and deploy with -c config=path/to/your.yaml.',
        },
      ],
    });
  }
}
