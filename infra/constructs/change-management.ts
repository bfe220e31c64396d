import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { RUNBOOK_CHANGE_TICKET, RUNBOOK_CLUSTER_IDENTIFIER } from '../../tasks/core/identifiers';
import { CHANGE_ACTIONS, type ChangeAction } from '../../workflows/registry';
import { nagArnPrefix } from '../nag';

/** The documented change-ticket event (docs/change-tickets.md "Starting a workflow from a change ticket"). */
export const CHANGE_EVENT_SOURCE = 'aurora-audit.change-management';

/**
 * The change-ticket event source of a stack: `<name>.change-management`, so that each stack's rules match only
 * the tickets sent to it (the default name gives {@link CHANGE_EVENT_SOURCE}).
 */
export function changeEventSource(name: string): string {
  return `${name}.change-management`;
}

/**
 * What the Change Manager runbook accepts in each free-text parameter. Automation pastes the values into the
 * workflow's JSON input as they are, so none of these lets through a double quote, a backslash or a control
 * character: whatever is accepted leaves the input valid JSON with the value unchanged. (Patterns kept to
 * what every regular-expression flavour reads alike.)
 */
export const RUNBOOK_PATTERNS = {
  ClusterIdentifier: RUNBOOK_CLUSTER_IDENTIFIER.source,
  // The workflow's own rule for the ticket (REQUEST_TEXT), ASCII only.
  ChangeTicket: RUNBOOK_CHANGE_TICKET.source,
  AutomationAssumeRole: '^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$',
} as const;
export const CHANGE_EVENT_DETAIL_TYPE = 'Change Approved';
/** The actions a change ticket may ask for: the registry's workflows with `changeTicket` (workflows/registry.ts). */
export { CHANGE_ACTIONS, type ChangeAction } from '../../workflows/registry';

export interface ChangeManagementProps {
  /** The workflow each action starts; actions without one get no rule (yet). */
  readonly workflows: Partial<Record<ChangeAction, sfn.IStateMachine>>;
  /**
   * The bus the change-management system sends to.
   * @default the account's default event bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * The `source` of this stack's change-ticket events.
   * @default CHANGE_EVENT_SOURCE
   */
  readonly eventSource?: string;
}

/**
 * Starts the workflows from change tickets: one EventBridge rule per action on the `Change Approved` event,
 * whose `detail` is the workflow's input as it is, and an SSM Automation document (`aws:executeStateMachine`)
 * that a Systems Manager Change Manager template can run.
 *
 * The detail goes to the workflow whole (InputPath `$.detail`), not through an input transformer: a
 * transformer cannot leave out a field the event lacks, and EventBridge's `exists` does not see a field whose
 * value is an object (a `window` of `{start, end}`), so per-field rules would drop such a window silently.
 * The workflow's validation accepts `action` when it names that workflow, applies its defaults to what is
 * absent and refuses anything else with InvalidInput.
 */
export class ChangeManagement extends Construct {
  readonly rules: events.Rule[] = [];
  readonly automationDocument: ssm.CfnDocument;
  readonly automationRole: iam.Role;

  constructor(scope: Construct, id: string, props: ChangeManagementProps) {
    super(scope, id);
    const actions = CHANGE_ACTIONS.filter((a) => props.workflows[a] !== undefined);
    if (actions.length === 0) throw new Error('ChangeManagement: workflows must name at least one action');

    for (const action of actions) {
      const workflow = props.workflows[action] as sfn.IStateMachine;
      const rule = new events.Rule(this, action, {
        eventBus: props.eventBus,
        description: `aurora-audit: ${action} on an approved change ticket`,
        eventPattern: {
          source: [props.eventSource ?? CHANGE_EVENT_SOURCE],
          detailType: [CHANGE_EVENT_DETAIL_TYPE],
          // `exists` applies to leaves only: both are strings.
          detail: {
            action: [action],
            clusterIdentifier: [{ exists: true }],
            changeTicket: [{ exists: true }],
          },
        },
        // The detail is the workflow input as it is (its `action` names the workflow, which checks it): every
        // optional field reaches the workflow, and anything unexpected is refused there, loudly.
        targets: [
          new targets.SfnStateMachine(workflow, { input: events.RuleTargetInput.fromEventPath('$.detail') }),
        ],
      });
      this.rules.push(rule);
    }

    // Systems Manager Change Manager: an Automation runbook that starts the matching workflow.
    this.automationRole = new iam.Role(this, 'AutomationRole', {
      assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'aurora-audit: lets the Change Manager runbook start the activity-stream workflows',
    });
    const stack = Stack.of(this);
    for (const action of actions) {
      const workflow = props.workflows[action] as sfn.IStateMachine;
      workflow.grantStartExecution(this.automationRole);
      // aws:executeStateMachine polls the execution it started.
      workflow.grantExecution(this.automationRole, 'states:DescribeExecution');
      const cfn = workflow.node.defaultChild as CfnElement | undefined;
      if (cfn) {
        const name = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stack.getLogicalId(cfn)}"}]}]}`;
        Validations.of(this.automationRole).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${nagArnPrefix(this, 'states')}:execution:${name}:*]`,
          reason: `DescribeExecution on the executions of the ${action} workflow only: their names are chosen per run.`,
        });
      }
    }
    const input = JSON.stringify({
      clusterIdentifier: '{{ ClusterIdentifier }}',
      window: '{{ Window }}',
      changeTicket: '{{ ChangeTicket }}',
      requestedBy: 'ssm-change-manager',
    });
    const steps: Record<string, unknown>[] = [
      {
        name: 'chooseWorkflow',
        action: 'aws:branch',
        inputs: {
          Choices: actions.map((a) => ({
            NextStep: `start-${a}`,
            Variable: '{{ Action }}',
            StringEquals: a,
          })),
        },
        isEnd: false,
      },
      ...actions.map((a) => ({
        name: `start-${a}`,
        action: 'aws:executeStateMachine',
        inputs: { stateMachineArn: (props.workflows[a] as sfn.IStateMachine).stateMachineArn, input },
        isEnd: true,
      })),
    ];
    this.automationDocument = new ssm.CfnDocument(this, 'ChangeManagerRunbook', {
      documentType: 'Automation',
      documentFormat: 'JSON',
      content: {
        schemaVersion: '0.3',
        description:
          'aurora-audit: start or stop Database Activity Streams on a cluster for an approved change.',
        assumeRole: '{{ AutomationAssumeRole }}',
        parameters: {
          AutomationAssumeRole: {
            type: 'String',
            description: 'Role the runbook runs as (stack output ChangeManagerAutomationRoleArn).',
            default: this.automationRole.roleArn,
            allowedPattern: RUNBOOK_PATTERNS.AutomationAssumeRole,
          },
          Action: { type: 'String', allowedValues: [...actions], description: 'What to do.' },
          ClusterIdentifier: {
            type: 'String',
            description: 'The cluster, as named in the aurora-audit configuration.',
            allowedPattern: RUNBOOK_PATTERNS.ClusterIdentifier,
          },
          Window: {
            type: 'String',
            allowedValues: ['now', 'next'],
            default: 'next',
            description: 'Start now or in the next maintenance window.',
          },
          ChangeTicket: {
            type: 'String',
            description: 'The change ticket id: 1-128 letters, digits, spaces or ._@:/+#()-',
            allowedPattern: RUNBOOK_PATTERNS.ChangeTicket,
          },
        },
        mainSteps: steps,
      },
    });
  }
}
