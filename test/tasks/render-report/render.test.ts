/**
 * The render action end to end: prepare, the REAL report SQL run on the embedded engine over events stored
 * in the pipeline's layout, its rows served as Athena GetQueryResults pages, then render, archive and send
 * (S3 and SES stubbed at the SDK boundary). The email is parsed back with an independent MIME reader.
 */
import { GetQueryResultsCommand, type GetQueryResultsCommandInput } from '@aws-sdk/client-athena';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendRawEmailCommand } from '@aws-sdk/client-ses';
import { parse } from 'csv-parse/sync';
import { decodeWords, leaves, type MimeNode, parseMime, structure } from '../../../cli/local/mime';
import { REPORT_QUERIES, REPORT_SECTIONS } from '../../../reports/queries';
import type { AuditEvent } from '../../../tasks/core/audit-event';
import type { PrepareResult, RenderResult } from '../../../tasks/render-report/contract';
import {
  auditDay,
  CLUSTER_A,
  CLUSTER_B,
  event,
  type ReportWorld,
  reportWorld,
  SCRIPT,
  SECRET,
} from './report-world';

const PREFIX = 'reports/daily/2026-11-23_2026-11-23/';
const csvRows = (bytes: Buffer) => parse(bytes, { record_delimiter: '\r\n' }) as string[][];

/** Every decoded text of the sent message: what any mail client can show. */
function decodedTexts(message: MimeNode): string[] {
  return leaves(message).map((l) => l.body.toString('utf8'));
}

describe('render: the daily report of a busy day', () => {
  let world: ReportWorld;
  let result: RenderResult;
  let runPrefix: string;
  let message: MimeNode;
  let html: string;
  let text: string;

  beforeAll(async () => {
    world = await reportWorld(auditDay());
    const { render } = await world.prepareAndRun({ period: 'daily' }, { executionName: 'daily-2026-11-24' });
    runPrefix = render.request.archivePrefix;
    result = await world.render(render);
    message = parseMime(world.sent[0]!.raw);
    html = leaves(message)[1]!.body.toString('utf8');
    text = leaves(message)[0]!.body.toString('utf8');
  });
  afterAll(() => world.close());

  it('returns the subject, the SES message id, the archived keys, the failures and the counts', () => {
    expect(result).toEqual({
      subject:
        '[aurora-audit] Aurora audit orders-db, billing-db 2026-11-23–2026-11-23: 4 privilege changes, 1 tampering statement',
      messageId: 'ses-1',
      archived: [
        ...REPORT_SECTIONS.map((q) => `${runPrefix}${q.name}.csv`),
        `${runPrefix}activity-per-day.png`,
        `${runPrefix}report.html`,
        `${runPrefix}report.txt`,
        `${runPrefix}report.eml`,
      ],
      failedSections: 0,
      counts: { 'privilege changes': 4, 'tampering statements': 1 },
    });
    expect(runPrefix).toBe(`${PREFIX}daily-2026-11-24/`);
  });

  it('sends one raw message from the configured identity to the recipients', () => {
    expect(world.ses.commandCalls(SendRawEmailCommand)).toHaveLength(1);
    expect(world.sent[0]).toMatchObject({
      Source: 'aurora-audit@reports.example.com',
      Destinations: ['compliance@example.com', 'dba@example.com'],
    });
    expect(world.sent[0]).not.toHaveProperty('SourceArn');
    expect(decodeWords(message.headers.get('subject') ?? '')).toBe(result.subject);
    expect(message.headers.get('message-id')).toBe('<report.daily-2026-11-24@reports.example.com>');
    expect(message.headers.get('date')).toBe('Tue, 24 Nov 2026 07:00:00 +0000');
  });

  it('is multipart/mixed { related { alternative { text, html }, chart }, one CSV per section }', () => {
    expect(structure(message)).toBe(
      `multipart/mixed[multipart/related[multipart/alternative[text/plain, text/html], image/png], ${REPORT_SECTIONS.map(() => 'text/csv').join(', ')}]`,
    );
    const attachments = message.parts.slice(1).map((p) => p.params.name);
    expect(attachments).toEqual(REPORT_SECTIONS.map((q) => `${q.name}.csv`));
  });

  it('shows the chart inline: the image Content-ID is the one the HTML refers to, and it is the archived PNG', () => {
    const image = leaves(message)[2]!;
    const cid = /<img src="cid:([^"]+)"/.exec(html)?.[1];
    expect(image.headers.get('content-id')).toBe(`<${cid}>`);
    expect(image.body.equals(world.objects.get(`${runPrefix}activity-per-day.png`)!.bytes)).toBe(true);
    expect(image.body.subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('attaches CSVs that decode to exactly the archived CSVs, holding the rows the real SQL returned', async () => {
    for (const part of message.parts.slice(1)) {
      const archived = world.objects.get(`${runPrefix}${part.params.name}`)!;
      expect(part.body.equals(archived.bytes)).toBe(true);
      expect(archived.ContentType).toBe('text/csv; charset=utf-8; header=present');
    }
    const rows = csvRows(world.objects.get(`${runPrefix}privilege-changes.csv`)!.bytes);
    expect(rows[0]).toEqual([
      'time',
      'cluster',
      'user',
      'database',
      'command',
      'objecttype',
      'objectname',
      'remotehost',
      'clientapplication',
      'sources',
      'commandtext',
    ]);
    expect(rows.slice(1).map((r) => [r[0], r[1], r[2], r[4]])).toEqual([
      ['2026-11-23T09:15:00.120Z', CLUSTER_A, 'admin', 'CREATE ROLE'],
      ['2026-11-23T09:16:00.000Z', CLUSTER_A, 'admin', 'GRANT'],
      ['2026-11-23T12:01:00.000Z', CLUSTER_B, 'billing_admin', 'REVOKE'],
      ['2026-11-23T14:02:11.500Z', CLUSTER_A, `o'brien"admin`, 'GRANT ROLE'],
    ]);
  });

  it('guards the CSV against formula injection', () => {
    const rows = csvRows(world.objects.get(`${runPrefix}schema-changes.csv`)!.bytes);
    expect(rows.find((r) => r[4] === 'DROP TABLE')?.at(-1)).toBe(
      `'=HYPERLINK("http://evil.example/","click") DROP TABLE tmp_import`,
    );
  });

  it('never lets a statement containing <script> and quotes out unescaped in the HTML', () => {
    expect(html).not.toContain(SCRIPT);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain(
      'GRANT SELECT ON &quot;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&quot; TO analyst -- it&#39;s &#39;quoted&#39; &amp; &lt;b&gt;bold&lt;/b&gt;',
    );
    expect(html).toContain('o&#39;brien&quot;admin');
    const archivedHtml = world.objects.get(`${runPrefix}report.html`)!.bytes.toString('utf8');
    expect(archivedHtml).not.toContain(SCRIPT);
  });

  it('redacts the password and the configured secret patterns everywhere: email parts, archive, CSVs', () => {
    expect(html).toContain('CREATE ROLE analyst LOGIN PASSWORD &lt;REDACTED&gt;');
    expect(text).toContain('CREATE ROLE analyst LOGIN PASSWORD <REDACTED>');
    expect(text).toContain('token=<REDACTED>');
    for (const body of decodedTexts(message)) {
      expect(body).not.toContain(SECRET);
      expect(body).not.toContain('abc123');
    }
    for (const [, o] of world.objects)
      expect(o.bytes.toString('utf8')).not.toMatch(new RegExp(`${SECRET}|abc123`));
  });

  it('writes a plain-text alternative with the same facts', () => {
    expect(text).toMatch(/Privilege changes:\s+4 {2}<-- review/);
    expect(text).toMatch(/Audit tampering:\s+1 {2}<-- review/);
    expect(text).toContain("ALTER ROLE app_user SET pgaudit.log = 'none'");
    expect(text).toContain('2026-11-23         91  (Activity Streams 79, pgAudit 12)');
    expect(text).toContain(`s3://aurora-audit-bucket-123456789012/${runPrefix}`);
    expect(world.objects.get(`${runPrefix}report.txt`)!.bytes.toString('utf8')).toBe(
      text.replace(/\r\n/g, '\n'),
    );
  });

  it('archives the exact message sent as report.eml and the HTML with the chart beside it', () => {
    expect(world.objects.get(`${runPrefix}report.eml`)!.bytes.toString('utf8')).toBe(world.sent[0]!.raw);
    expect(world.objects.get(`${runPrefix}report.eml`)!.ContentType).toBe('message/rfc822');
    const archivedHtml = world.objects.get(`${runPrefix}report.html`)!.bytes.toString('utf8');
    expect(archivedHtml).toContain('<img src="activity-per-day.png"');
    expect(
      archivedHtml.replace('src="activity-per-day.png"', 'src="cid:activity-per-day.png@aurora-audit"'),
    ).toBe(html.replace(/\r\n/g, '\n'));
    for (const put of world.s3.commandCalls(PutObjectCommand))
      expect(put.args[0].input.Bucket).toBe('aurora-audit-bucket-123456789012');
  });

  it('archives everything before it sends', () => {
    const lastPut = world.s3.commandCalls(PutObjectCommand).at(-1)!;
    const send = world.ses.commandCalls(SendRawEmailCommand)[0]!;
    expect(lastPut.args[0].input.Key).toBe(`${runPrefix}report.eml`);
    expect(lastPut.calledBefore(send)).toBe(true);
  });
});

describe('render: failures, empty periods, large sections', () => {
  it('renders a failed section as failed, with its error, and still sends the rest', async () => {
    const world = await reportWorld(auditDay());
    try {
      const { render } = await world.prepareAndRun(
        { period: 'daily' },
        {
          fail: (q) =>
            q === 'audit-tampering'
              ? {
                  error: 'Athena.AmazonAthenaException',
                  cause: 'Query exhausted resources at this scale factor',
                }
              : undefined,
        },
      );
      const result = await world.render(render);
      expect(result.failedSections).toBe(1);
      expect(result.counts).toEqual({ 'privilege changes': 4 });
      expect(result.subject).toMatch(/: 4 privilege changes, 1 section failed$/);
      expect(result.archived).not.toContain(`${render.request.archivePrefix}audit-tampering.csv`);
      const html = leaves(parseMime(world.sent[0]!.raw))[1]!.body.toString('utf8');
      expect(html).toContain('Athena.AmazonAthenaException');
      expect(html).toContain('Query exhausted resources at this scale factor');
      expect(html).toContain('1 section could not be produced');
      expect(html).toContain('Privilege changes');
    } finally {
      world.close();
    }
  });

  it('says clearly that nothing was audited in an empty period', async () => {
    const world = await reportWorld([event('2026-11-21T10:00:00.000Z')]);
    try {
      const { render } = await world.prepareAndRun({ period: 'daily' });
      const result = await world.render(render);
      expect(result.subject).toBe(
        '[aurora-audit] Aurora audit orders-db, billing-db 2026-11-23–2026-11-23: no findings',
      );
      expect(result.counts).toEqual({ 'privilege changes': 0, 'tampering statements': 0 });
      const [textPart, htmlPart] = leaves(parseMime(world.sent[0]!.raw));
      const html = htmlPart!.body.toString('utf8');
      expect(html).toContain('No audited activity was recorded in this period');
      expect(textPart!.body.toString('utf8')).toContain('No audited activity was recorded in this period');
      expect(html.match(/None in this period\./g)).toHaveLength(REPORT_QUERIES.length);
      // Each section's (header-only) CSV is still attached: the evidence that the query ran and found nothing.
      expect(
        parseMime(world.sent[0]!.raw)
          .parts.slice(1)
          .map((p) => p.params.name),
      ).toEqual(REPORT_SECTIONS.map((q) => `${q.name}.csv`));
      expect(html).not.toContain('too large to attach');
      expect(
        world.objects.get(`${render.request.archivePrefix}privilege-changes.csv`)!.bytes.toString(),
      ).toBe(
        'time,cluster,user,database,command,objecttype,objectname,remotehost,clientapplication,sources,commandtext\r\n',
      );
    } finally {
      world.close();
    }
  });

  it('shows the first rows, says "and N more" and links the CSV, which holds every row', async () => {
    const world = await reportWorld(auditDay(), { MAX_ROWS_PER_SECTION: '3' });
    try {
      const { render } = await world.prepareAndRun({ period: 'daily' });
      await world.render(render);
      const html = leaves(parseMime(world.sent[0]!.raw))[1]!.body.toString('utf8');
      const key = `${render.request.archivePrefix}top-users.csv`;
      expect(csvRows(world.objects.get(key)!.bytes)).toHaveLength(1 + 7);
      expect(html).toContain('7 rows, the first 3 shown.');
      expect(html).toContain(
        '… and 4 more</strong>: every row is in <a href="https://eu-west-1.console.aws.amazon.com/s3/object/aurora-audit-bucket-123456789012?region=eu-west-1&amp;prefix=',
      );
      expect(html).toContain(`${encodeURIComponent(key)}" style`);
    } finally {
      world.close();
    }
  });

  it('reads results across several GetQueryResults pages and counts every row', async () => {
    const failures: AuditEvent[] = Array.from({ length: 2600 }, (_, i) =>
      event(
        `2026-11-23T${String(Math.floor(i / 120)).padStart(2, '0')}:${String(Math.floor(i / 2) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000Z`,
        {
          class: 'CONNECT',
          command: 'AUTH FAILURE',
          user: `bot${i}`,
          remoteHost: '203.0.113.50',
          commandText: null,
          errorMessage: `password authentication failed for user "bot${i}"`,
        },
      ),
    );
    const world = await reportWorld([...auditDay(), ...failures]);
    try {
      const { render } = await world.prepareAndRun({ period: 'daily' });
      const result = await world.render(render);
      const id = render.sections.find((s) => s.query === 'failures' && s.status === 'SUCCEEDED');
      const calls = world.athena
        .commandCalls(GetQueryResultsCommand)
        .map((c) => c.args[0].input as GetQueryResultsCommandInput)
        .filter((i) => id?.status === 'SUCCEEDED' && i.QueryExecutionId === id.queryExecutionId);
      expect(calls.map((c) => c.NextToken)).toEqual([undefined, 'page-2', 'page-3']);
      expect(calls.every((c) => c.MaxResults === 1000)).toBe(true);
      const rows = csvRows(world.objects.get(`${render.request.archivePrefix}failures.csv`)!.bytes);
      expect(rows).toHaveLength(1 + 2602);
      expect(new Set(rows.slice(1).map((r) => r[3])).size).toBe(2602);
      const html = leaves(parseMime(world.sent[0]!.raw))[1]!.body.toString('utf8');
      expect(html).toContain('2,602 rows, the first 50 shown.');
      expect(html).toContain('… and 2,552 more');
      expect(result.subject).toMatch(/4 privilege changes, 1 tampering statement$/);
    } finally {
      world.close();
    }
  });

  it('links instead of attaching the CSVs that do not fit the email size budget, and says so', async () => {
    const failures = Array.from({ length: 3000 }, (_, i) =>
      event(
        `2026-11-23T12:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}Z`,
        {
          class: 'READ',
          user: 'reporting',
          commandText: `SELECT * FROM missing_${i} WHERE ${'x = 1 AND '.repeat(10)}true`,
          errorMessage: `relation "missing_${i}" does not exist`,
          exitCode: '42P01',
        },
      ),
    );
    const world = await reportWorld([...auditDay(), ...failures], { MAX_EMAIL_BYTES: '400000' });
    try {
      const { render } = await world.prepareAndRun({ period: 'daily' });
      const result = await world.render(render);
      const raw = world.sent[0]!.raw;
      expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(400_000);
      const message = parseMime(raw);
      const attached = message.parts.slice(1).map((p) => p.params.name);
      expect(attached).not.toContain('failures.csv');
      expect(attached).toContain('privilege-changes.csv');
      const html = leaves(message)[1]!.body.toString('utf8');
      expect(html).toContain(
        '1 CSV file is too large to attach to this email within its size limit: failures.csv.',
      );
      expect(html).toContain('failures.csv</a> (archived, not attached)');
      expect(result.archived).toContain(`${render.request.archivePrefix}failures.csv`);
      expect(world.objects.get(`${render.request.archivePrefix}failures.csv`)!.bytes.length).toBeGreaterThan(
        400_000,
      );
    } finally {
      world.close();
    }
  });

  it('reports on a subset of clusters with per-cluster sections and file names', async () => {
    const world = await reportWorld(auditDay());
    try {
      const { prepared, render } = await world.prepareAndRun({ period: 'daily', clusters: ['billing-db'] });
      expect(prepared.queries.every((q) => q.cluster === CLUSTER_B)).toBe(true);
      const result = await world.render(render);
      expect(result.subject).toBe(
        '[aurora-audit] Aurora audit billing-db 2026-11-23–2026-11-23: 1 privilege change',
      );
      expect(result.archived).toContain(`${render.request.archivePrefix}privilege-changes-billing-db.csv`);
      const html = leaves(parseMime(world.sent[0]!.raw))[1]!.body.toString('utf8');
      expect(html).toContain('— billing-db</span>');
      expect(html).not.toContain('orders-db');
    } finally {
      world.close();
    }
  });
});

describe('render: errors the state machine retries or catches by name', () => {
  it('throws ReportSendError when SES fails, after the archive is complete', async () => {
    const world = await reportWorld(auditDay());
    try {
      const { render } = await world.prepareAndRun({ period: 'daily' });
      const err = Object.assign(new Error('Email address is not verified.'), { name: 'MessageRejected' });
      world.ses.on(SendRawEmailCommand).rejects(err);
      await expect(world.render(render)).rejects.toMatchObject({
        name: 'ReportSendError',
        awsError: 'MessageRejected',
        message: expect.stringContaining('MessageRejected: Email address is not verified.'),
      });
      const keys = [...world.objects.keys()];
      expect(keys).toContain(`${render.request.archivePrefix}report.eml`);
      expect(keys).toHaveLength(REPORT_SECTIONS.length + 4);
    } finally {
      world.close();
    }
  });

  it('throws ReportArchiveError when a write fails, and sends nothing', async () => {
    const world = await reportWorld(auditDay());
    try {
      const { render } = await world.prepareAndRun({ period: 'daily' });
      world.s3
        .on(PutObjectCommand)
        .rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
      await expect(world.render(render)).rejects.toMatchObject({
        name: 'ReportArchiveError',
        awsError: 'AccessDenied',
        retryable: false,
      });
      expect(world.ses.commandCalls(SendRawEmailCommand)).toHaveLength(0);
    } finally {
      world.close();
    }
  });

  it('wraps Athena throttling in ReportQueryResultsError, marked retryable, with the AWS name kept', async () => {
    const world = await reportWorld(auditDay());
    try {
      const { render } = await world.prepareAndRun({ period: 'daily' });
      world.athena.on(GetQueryResultsCommand).rejects(
        Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $retryable: { throttling: true },
        }),
      );
      await expect(world.render(render)).rejects.toMatchObject({
        name: 'ReportQueryResultsError',
        awsError: 'ThrottlingException',
        retryable: true,
      });
      expect(world.s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    } finally {
      world.close();
    }
  });

  it('refuses an unknown action and a malformed render event with InvalidReportEventError', async () => {
    const world = await reportWorld([event('2026-11-23T10:00:00.000Z')]);
    try {
      await expect(world.handler({ action: 'publish' } as never)).rejects.toMatchObject({
        name: 'InvalidReportEventError',
      });
      const prepared = (await world.handler({
        action: 'prepare',
        input: { period: 'daily' },
        executionName: 'r',
      })) as PrepareResult;
      await expect(
        world.render({
          action: 'render',
          request: { ...prepared.request, archivePrefix: 'events/' },
          sections: [],
        }),
      ).rejects.toMatchObject({ name: 'InvalidReportEventError' });
      await expect(
        world.render({
          action: 'render',
          request: prepared.request,
          sections: [{ query: 'drop-tables', cluster: '*', status: 'SUCCEEDED', queryExecutionId: 'x' }],
        }),
      ).rejects.toThrow('sections[0].query: not a report query');
    } finally {
      world.close();
    }
  });
});
