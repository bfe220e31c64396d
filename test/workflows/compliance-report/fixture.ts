/**
 * The compliance-report workflow as deployed from the embedded example configuration (one cluster,
 * orders-db; reports to compliance@example.com from aurora-audit@example.com), ready to run locally: the
 * synthesized definition, the simulated AWS account provisioned from the same template (the Athena
 * simulator runs the period summary and the sections' query strings on DuckDB over stored fixture events), and
 * the report Lambda's real handler running in-process with its deployed environment, the simulated clock,
 * and AWS SDK clients mocked with aws-sdk-client-mock: Athena's GetQueryResults answered from the simulator's
 * stored results, S3 PutObject and SES SendRawEmail captured.
 */

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AthenaClient, GetQueryResultsCommand } from '@aws-sdk/client-athena';
import { PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { SESClient, SendRawEmailCommand, type SendRawEmailCommandInput } from '@aws-sdk/client-ses';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { athenaResultsServer } from '../../../cli/local/athena-results';
import { AwsWorld } from '../../../cli/local/aws/world';
import { synthExample } from '../../../cli/local/cdk-app';
import { writeStoredEvents } from '../../../cli/local/records/stored-events';
import { type SqlEngine, sqlEngine } from '../../../cli/local/sql-engine';
import { SimClock } from '../../../cli/local/stepfunctions/clock';
import { type ExecutionResult, LocalWorkflow } from '../../../cli/local/stepfunctions/runner';
import { type AslDefinition, TemplateResolver } from '../../../cli/local/stepfunctions/template';
import { localSettingsFiles } from '../../../infra/constructs/settings-files';
import type { AuditEvent } from '../../../tasks/core/audit-event';
import { createReportHandler } from '../../../tasks/render-report/render';
import { readReportSettings } from '../../../tasks/render-report/settings';
import type { ComplianceReportWorkflow } from '../../../workflows/compliance-report/construct';
import { event } from '../../reports/report-fixture';

export const CLUSTER = 'orders-db';
export const RESOURCE_ID = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const WORKGROUP = 'aurora-audit';
/** Tuesday 07:00 in Berlin: the daily schedule's run for Monday 2026-11-23 (UTC+1). */
export const T0 = '2026-11-24T06:00:00.000Z';
/** The daily Berlin input the schedule sends. */
export const DAILY_BERLIN = { period: 'daily', timeZone: 'Europe/Berlin' } as const;

export interface ReportDeployment {
  readonly resolver: TemplateResolver;
  readonly definition: AslDefinition;
  readonly stateMachineId: string;
  readonly reportFunction: string;
  readonly topicArn: string;
  readonly bucket: string;
  readonly workflow: ComplianceReportWorkflow;
}

let deployment: ReportDeployment | undefined;

/** Synthesizes the app once per process and reads the workflow out of the template. */
export function reportDeployment(): ReportDeployment {
  if (deployment) return deployment;
  const { auditStack, template } = synthExample();
  const resolver = new TemplateResolver(template.toJSON() as never, {
    settingsFiles: localSettingsFiles(auditStack),
  });
  const workflow = auditStack.node.findChild('ComplianceReport') as ComplianceReportWorkflow;
  const id = (c: { node: { defaultChild?: unknown } }) =>
    auditStack.getLogicalId(c.node.defaultChild as never);
  const stateMachineId = id(workflow.stateMachine);
  deployment = {
    resolver,
    definition: resolver.stateMachineDefinition(stateMachineId),
    stateMachineId,
    reportFunction: id(workflow.reportFunction),
    topicArn: resolver.arn(id(auditStack.alerting.topic)),
    bucket: resolver.ref(id(auditStack.storage.bucket)),
    workflow,
  };
  return deployment;
}

/** Monday 2026-11-23 in Berlin on orders-db: privilege changes, DDL, a failed login, reads across the day. */
export function mondayEvents(): AuditEvent[] {
  const at = (time: string) => `2026-11-23T${time}Z`;
  return [
    // Sunday evening in Berlin (before the period) and the period's first instant (23:00Z).
    event('2026-11-22T22:59:59.999Z', { user: 'early_bird' }),
    event('2026-11-22T23:00:00.000Z', { user: 'app_user' }),
    event(at('08:00:00.000'), { user: 'app_user', remoteHost: '10.0.0.5' }),
    event(at('08:30:00.000'), { user: 'etl_user', remoteHost: '10.0.0.7', source: 'pgaudit' }),
    event(at('09:15:00.000'), {
      class: 'ROLE',
      command: 'GRANT',
      user: 'admin',
      commandText: 'GRANT rds_superuser TO analyst',
    }),
    event(at('10:00:00.000'), {
      class: 'DDL',
      command: 'CREATE TABLE',
      user: 'admin',
      objectType: 'TABLE',
      objectName: 'public.invoices',
      commandText: 'CREATE TABLE invoices (id bigint primary key, total numeric)',
    }),
    event(at('03:12:00.000'), {
      class: 'CONNECT',
      command: 'AUTH FAILURE',
      user: 'mallory',
      remoteHost: '203.0.113.9',
      commandText: null,
      errorMessage: 'password authentication failed for user "mallory"',
      exitCode: '28P01',
    }),
    event(at('22:45:00.000'), {
      class: 'MISC',
      command: 'ALTER ROLE',
      user: 'app_user',
      commandText: "ALTER ROLE app_user SET pgaudit.log = 'none'",
    }),
  ];
}

export interface ArchivedObject extends PutObjectCommandInput {
  readonly bytes: Buffer;
}

export interface SentEmail extends SendRawEmailCommandInput {
  readonly raw: string;
}

export interface ReportScenario {
  readonly world: AwsWorld;
  readonly workflow: LocalWorkflow;
  readonly deployment: ReportDeployment;
  readonly engine: SqlEngine;
  /** S3 PutObject calls of the report Lambda, by key. */
  readonly archived: Map<string, ArchivedObject>;
  /** SES SendRawEmail calls of the report Lambda. */
  readonly sent: SentEmail[];
  readonly athena: AwsClientStub<AthenaClient>;
  readonly s3: AwsClientStub<S3Client>;
  readonly ses: AwsClientStub<SESClient>;
  run(input: unknown, name?: string): Promise<ExecutionResult>;
  close(): void;
}

export interface ScenarioOptions {
  /** @default T0 */
  readonly start?: string;
  /** The stored events. @default mondayEvents() */
  readonly events?: readonly AuditEvent[];
  /** Canary run records as the canary workflow put them (key under the bucket, body). @default none */
  readonly canaryRuns?: readonly { readonly key: string; readonly body: string }[];
}

function bodyBytes(body: unknown): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  throw new Error(`unexpected PutObject body ${typeof body}`);
}

export async function reportScenario(options: ScenarioOptions = {}): Promise<ReportScenario> {
  const d = reportDeployment();
  const clock = new SimClock(options.start ?? T0);
  const world = new AwsWorld({ clock });
  world.provision(d.resolver);
  // The stored layout the queries read. An empty period still needs a table to read: one event elsewhere.
  const events = options.events ?? mondayEvents();
  const root = writeStoredEvents(events.length > 0 ? events : [event('2026-10-01T12:00:00.000Z')]);
  for (const run of options.canaryRuns ?? []) {
    mkdirSync(dirname(join(root, run.key)), { recursive: true });
    writeFileSync(join(root, run.key), run.body);
  }
  const engine = await sqlEngine(root);
  world.athena.useEngine(engine);

  const athenaClient = new AthenaClient({ region: 'eu-west-1' });
  const s3Client = new S3Client({ region: 'eu-west-1' });
  const sesClient = new SESClient({ region: 'eu-west-1' });
  const athena = mockClient(athenaClient);
  const s3 = mockClient(s3Client);
  const ses = mockClient(sesClient);
  athena.on(GetQueryResultsCommand).callsFake(athenaResultsServer(world.athena.results));
  const archived = new Map<string, ArchivedObject>();
  s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
    archived.set(input.Key as string, { ...input, bytes: bodyBytes(input.Body) });
    return { ETag: '"etag"' };
  });
  const sent: SentEmail[] = [];
  ses.on(SendRawEmailCommand).callsFake((input: SendRawEmailCommandInput) => {
    sent.push({ ...input, raw: Buffer.from(input.RawMessage?.Data as Uint8Array).toString('utf8') });
    return { MessageId: `ses-message-${sent.length}` };
  });

  const env = { ...d.resolver.functionEnvironment(d.reportFunction), AWS_REGION: 'eu-west-1' };
  const handler = createReportHandler(readReportSettings(env), {
    athena: athenaClient,
    s3: s3Client,
    ses: sesClient,
    clock: () => clock.now(),
  });
  world.lambda.addFunction(d.reportFunction, handler as never);
  const workflow = new LocalWorkflow(d.definition, {
    clock,
    dispatch: world.dispatch,
    stateMachineArn: d.resolver.arn(d.stateMachineId),
  });
  return {
    world,
    workflow,
    deployment: d,
    engine,
    archived,
    sent,
    athena,
    s3,
    ses,
    run: (input, name) => workflow.run(input, { name }),
    close() {
      athena.restore();
      s3.restore();
      ses.restore();
      engine.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
