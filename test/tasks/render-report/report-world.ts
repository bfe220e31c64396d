/**
 * The report Lambda's test world: the real handler logic (`createReportHandler`) with Athena, S3 and SES
 * stubbed at the SDK boundary. Athena's results are the REAL report SQL run on the embedded engine over
 * events stored in the pipeline's layout, served as `GetQueryResults` pages; S3 keeps what is written; SES
 * records what is sent.
 */
import { AthenaClient, GetQueryResultsCommand } from '@aws-sdk/client-athena';
import { PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { SESClient, SendRawEmailCommand, type SendRawEmailCommandInput } from '@aws-sdk/client-ses';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { athenaResultsServer, type EngineResult, runReportQuery } from '../../../cli/local/athena-results';
import type { AuditEvent } from '../../../tasks/core/audit-event';
import type {
  PrepareResult,
  RenderEvent,
  RenderResult,
  ReportLambdaEvent,
  SectionOutcome,
} from '../../../tasks/render-report/contract';
import { createReportHandler } from '../../../tasks/render-report/render';
import { readReportSettings } from '../../../tasks/render-report/settings';
import { CLUSTER_A, CLUSTER_B, event, type ReportFixture, reportFixture } from '../../reports/report-fixture';

export { CLUSTER_A, CLUSTER_B, event };

export const BUCKET = 'aurora-audit-bucket-123456789012';
export const SECRET = 'Sup3r-Secret-pw';
export const SCRIPT = '<script>alert("x")</script>';

export const ENV: Record<string, string> = {
  CLUSTERS: JSON.stringify([
    { identifier: 'orders-db', resourceId: CLUSTER_A },
    { identifier: 'billing-db', resourceId: CLUSTER_B },
  ]),
  RECIPIENTS: JSON.stringify(['compliance@example.com', 'dba@example.com']),
  SENDER: 'reports.example.com',
  SUBJECT_PREFIX: 'aurora-audit',
  TIME_ZONE: 'UTC',
  BUCKET,
  WORKGROUP: 'aurora-audit',
  MAX_ROWS_PER_SECTION: '50',
  REDACTION_PATTERNS: JSON.stringify(['token=(\\w+)']),
  POWERTOOLS_SERVICE_NAME: 'aurora-audit-report',
  AWS_REGION: 'eu-west-1',
};

/** 07:00 UTC on Tuesday 2026-11-24: a daily report is about Monday 2026-11-23. */
export const NOW = new Date('2026-11-24T07:00:00.000Z');

const at = (time: string) => `2026-11-23T${time}Z`;

/**
 * A realistic day on two clusters: routine reads and writes from both sources, privilege changes (one with
 * an unredacted password, one naming a `<script>` object, one by a user with quotes in the name), schema
 * changes, failures, an audit-tampering attempt; and the day before, for "first seen".
 */
export function auditDay(): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let h = 0; h < 24; h += 1) {
    const hh = String(h).padStart(2, '0');
    for (let i = 0; i < 1 + (h % 5); i += 1)
      events.push(event(at(`${hh}:0${i}:00.000`), { user: 'app_user', remoteHost: '10.0.0.5' }));
    if (h >= 8 && h <= 18)
      events.push(
        event(at(`${hh}:30:00.000`), {
          source: 'pgaudit',
          auditType: 'SESSION',
          class: 'WRITE',
          command: 'INSERT',
          user: 'etl_user',
          remoteHost: '10.0.0.7',
          commandText: `INSERT INTO orders VALUES (${h})`,
        }),
      );
  }
  events.push(
    event(at('09:15:00.120'), {
      class: 'ROLE',
      command: 'CREATE ROLE',
      user: 'admin',
      remoteHost: '10.0.0.9',
      commandText: `CREATE ROLE analyst LOGIN PASSWORD '${SECRET}'`,
    }),
    event(at('09:16:00.000'), {
      class: 'ROLE',
      command: 'GRANT',
      user: 'admin',
      remoteHost: '10.0.0.9',
      objectType: 'TABLE',
      objectName: SCRIPT,
      commandText: `GRANT SELECT ON "${SCRIPT}" TO analyst -- it's 'quoted' & <b>bold</b>`,
    }),
    event(at('14:02:11.500'), {
      source: 'pgaudit',
      auditType: 'SESSION',
      class: 'ROLE',
      command: 'GRANT ROLE',
      user: `o'brien"admin`,
      remoteHost: '[local]',
      clientApplication: null,
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
    event(at('10:05:00.000'), {
      class: 'DDL',
      command: 'DROP TABLE',
      user: 'admin',
      objectType: 'TABLE',
      objectName: 'public.tmp_import',
      commandText: '=HYPERLINK("http://evil.example/","click") DROP TABLE tmp_import',
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
    event(at('11:40:00.000'), {
      class: 'READ',
      command: 'SELECT',
      user: 'app_user',
      commandText: 'SELECT * FROM orderz WHERE token=abc123',
      errorMessage: 'relation "orderz" does not exist',
      exitCode: '42P01',
    }),
    event(at('22:45:00.000'), {
      class: 'MISC',
      command: 'ALTER ROLE',
      user: 'app_user',
      commandText: "ALTER ROLE app_user SET pgaudit.log = 'none'",
    }),
    // The other cluster.
    event(at('12:00:00.000'), { clusterId: CLUSTER_B, user: 'billing_app', remoteHost: '10.1.0.3' }),
    event(at('12:01:00.000'), {
      clusterId: CLUSTER_B,
      class: 'ROLE',
      command: 'REVOKE',
      user: 'billing_admin',
      remoteHost: '10.1.0.4',
      commandText: 'REVOKE ALL ON invoices FROM billing_app',
    }),
    // The day before: these users and hosts are not new.
    event('2026-11-22T12:00:00.000Z', { user: 'app_user', remoteHost: '10.0.0.5' }),
    event('2026-11-22T12:00:01.000Z', { user: 'etl_user', remoteHost: '10.0.0.7', source: 'pgaudit' }),
  );
  return events;
}

export interface SentEmail extends SendRawEmailCommandInput {
  readonly raw: string;
}

export interface ReportWorld {
  readonly fixture: ReportFixture;
  readonly handler: (event: ReportLambdaEvent) => Promise<PrepareResult | RenderResult>;
  readonly objects: Map<string, PutObjectCommandInput & { readonly bytes: Buffer }>;
  readonly sent: SentEmail[];
  readonly athena: AwsClientStub<AthenaClient>;
  readonly s3: AwsClientStub<S3Client>;
  readonly ses: AwsClientStub<SESClient>;
  readonly results: Map<string, EngineResult>;
  /** prepare, run every query on the engine, and the render event the Map would produce. */
  prepareAndRun(
    input: unknown,
    options?: {
      executionName?: string;
      fail?: (query: string) => { error: string; cause: string } | undefined;
    },
  ): Promise<{ prepared: PrepareResult; render: RenderEvent }>;
  render(event: RenderEvent): Promise<RenderResult>;
  close(): void;
}

function bodyBytes(body: unknown): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  throw new Error(`unexpected PutObject body ${typeof body}`);
}

export async function reportWorld(
  events: readonly AuditEvent[],
  env: Record<string, string> = {},
  duplicates: readonly AuditEvent[] = [],
): Promise<ReportWorld> {
  const fixture = await reportFixture(events, duplicates);
  const athenaClient = new AthenaClient({ region: 'eu-west-1' });
  const s3Client = new S3Client({ region: 'eu-west-1' });
  const sesClient = new SESClient({ region: 'eu-west-1' });
  const athena = mockClient(athenaClient);
  const s3 = mockClient(s3Client);
  const ses = mockClient(sesClient);
  const results = new Map<string, EngineResult>();
  const objects = new Map<string, PutObjectCommandInput & { readonly bytes: Buffer }>();
  const sent: SentEmail[] = [];
  const serve = athenaResultsServer(results);
  athena.on(GetQueryResultsCommand).callsFake(serve);
  s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
    objects.set(input.Key as string, { ...input, bytes: bodyBytes(input.Body) });
    return { ETag: '"etag"' };
  });
  ses.on(SendRawEmailCommand).callsFake((input: SendRawEmailCommandInput) => {
    sent.push({ ...input, raw: Buffer.from(input.RawMessage?.Data as Uint8Array).toString('utf8') });
    return { MessageId: `ses-${sent.length}` };
  });
  const settings = readReportSettings({ ...ENV, ...env });
  const handler = createReportHandler(settings, {
    athena: athenaClient,
    s3: s3Client,
    ses: sesClient,
    clock: () => NOW,
  });
  let run = 0;
  return {
    fixture,
    handler,
    objects,
    sent,
    athena,
    s3,
    ses,
    results,
    async prepareAndRun(input, options = {}) {
      run += 1;
      const executionName = options.executionName ?? `daily-2026-11-24-run${run}`;
      const prepared = (await handler({ action: 'prepare', input, executionName })) as PrepareResult;
      if (!prepared.valid) throw new Error(`invalid input: ${prepared.problem}`);
      const sections: SectionOutcome[] = [];
      for (const item of prepared.queries) {
        const failure = options.fail?.(item.query);
        if (failure) {
          sections.push({ query: item.query, cluster: item.cluster, status: 'FAILED', ...failure });
          continue;
        }
        const id = `qe-${run}-${item.query}-${item.cluster}`;
        results.set(
          id,
          await runReportQuery(fixture.engine, item.query, prepared.request.period, item.cluster),
        );
        sections.push({
          query: item.query,
          cluster: item.cluster,
          status: 'SUCCEEDED',
          queryExecutionId: id,
        });
      }
      return { prepared, render: { action: 'render', request: prepared.request, sections } };
    },
    render: async (e) => (await handler(e)) as RenderResult,
    close() {
      athena.restore();
      s3.restore();
      ses.restore();
      fixture.close();
    },
  };
}
