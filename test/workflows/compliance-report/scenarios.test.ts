/**
 * The compliance-report workflow, run locally: the synthesized definition with aws-local-stepfunctions, the
 * Athena simulator running the period summary and the sections' query strings on DuckDB over stored events,
 * the real report Lambda in-process (its AWS clients mocked), simulated time, injected faults. Each scenario asserts the
 * final status, the Athena calls, what the Map passed on, the email, the archive and the notifications.
 */
import { GetQueryResultsCommand } from '@aws-sdk/client-athena';
import { PutObjectCommand, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { MessageRejected, SendRawEmailCommand } from '@aws-sdk/client-ses';
import type { ExecutionResult } from '../../../cli/local/stepfunctions/runner';
import { REPORT_QUERIES, REPORT_SECTIONS, sectionSql } from '../../../reports/queries';
import { TEXTS } from '../../../reports/templates/report';
import type { AuditEvent } from '../../../tasks/core/audit-event';
import type { RenderEvent, RenderResult, SectionOutcome } from '../../../tasks/render-report/contract';
import { STATES } from '../../../workflows/compliance-report/definition';
import { event } from '../../reports/report-fixture';
import {
  DAILY_BERLIN,
  mondayEvents,
  type ReportScenario,
  reportDeployment,
  reportScenario,
  WORKGROUP,
} from './fixture';

const PREFIX = 'reports/daily/2026-11-23_2026-11-23/';
/** The ten sections over the summary and the Control evidence (the canary's run records). */
const QUERY_COUNT = REPORT_SECTIONS.length;
/** The CTAS, the sections, the DROP. */
const CALL_COUNT = QUERY_COUNT + 2;
const isCtas = (sql: string) => /^CREATE TABLE aurora_audit\.report_summary_/.test(sql);
const isDrop = (sql: string) => /^DROP TABLE IF EXISTS aurora_audit\.report_summary_/.test(sql);
/** A section's query string (each section file starts with its own title comment). */
const isSection = (name: string) => (sql: string) =>
  sql.startsWith(sectionSql(name).split('\n')[0] as string);
const queryString = (c: { params: Record<string, unknown> }) => String(c.params.QueryString);

beforeAll(() => {
  reportDeployment();
}, 300_000);

let scenario: ReportScenario | undefined;
async function open(options?: Parameters<typeof reportScenario>[0]): Promise<ReportScenario> {
  scenario = await reportScenario(options);
  return scenario;
}
afterEach(() => {
  scenario?.close();
  scenario = undefined;
});

/** The render Lambda's event, as the state machine invoked it. */
function renderEvent(s: ReportScenario): RenderEvent {
  const calls = s.world.callsTo('lambda', 'invoke').filter((c) => c.stateName === STATES.render);
  expect(calls).toHaveLength(1);
  return calls[0]?.params.Payload as RenderEvent;
}

function archivedText(s: ReportScenario, name: string, execution = 'run-1'): string {
  const object = s.archived.get(`${PREFIX}${execution}/${name}`);
  if (!object) throw new Error(`${name} was not archived; archived: ${[...s.archived.keys()].join(', ')}`);
  return object.bytes.toString('utf8');
}

function expectFailure(run: ExecutionResult, s: ReportScenario, error: string) {
  expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error });
  expect(s.world.sns.messages).toHaveLength(1);
  const [message] = s.world.sns.messages;
  expect(message?.topicArn).toBe(s.deployment.topicArn);
  expect(message?.attributes).toEqual({ workflow: 'compliance-report', outcome: 'FAILED', error });
  expect(message?.subject).toMatch(/^\[aurora-audit\] Compliance report FAILED: .+/);
  expect(message?.message).toContain(`Error: ${error}`);
  expect(message?.message).toMatch(/^What to do: .+/m);
  expect(message?.message).toMatch(/^Step: .+/m);
  expect(message?.message).toContain(`Execution: ${run.executionArn}`);
  return message!;
}

describe('the compliance-report workflow, happy path', () => {
  it('builds the period summary once, runs every section over it, drops it, then sends and archives one report', async () => {
    const s = await open();
    const run = await s.run(DAILY_BERLIN);

    expect(run.status).toBe('SUCCEEDED');
    const starts = s.world.callsTo('athena', 'startQueryExecution');
    expect(
      starts.every((c) => c.params.WorkGroup === WORKGROUP && c.params.ExecutionParameters === undefined),
    ).toBe(true);
    // First the CTAS into the execution's own table, the Berlin day's values rendered as literals...
    const [ctas, ...rest] = starts;
    expect(ctas?.stateName).toBe(STATES.buildSummary);
    const ctasSql = queryString(ctas!);
    const table =
      /^CREATE TABLE aurora_audit\.(report_summary_run_1_[0-9a-f]{8}) WITH \(format = 'PARQUET'/.exec(
        ctasSql,
      )?.[1];
    expect(table).toBeDefined();
    // The two periods: from hour 23 of the 21st (the previous Berlin day) to hour 22 of the 23rd.
    expect(ctasSql).toContain("e.day BETWEEN '2026-11-21' AND '2026-11-23'");
    expect(ctasSql).toContain(
      'from_iso8601_timestamp(e."time") >= from_iso8601_timestamp(\'2026-11-21T23:00:00.000Z\')',
    );
    expect(ctasSql).toContain(
      'from_iso8601_timestamp(e."time") < from_iso8601_timestamp(\'2026-11-23T23:00:00.000Z\')',
    );
    expect(ctasSql).toContain("at_timezone(f.event_ts, 'Europe/Berlin')");
    // ...then every section once, over that table, never over the events...
    const sectionCalls = rest.slice(0, QUERY_COUNT);
    expect(sectionCalls.every((c) => c.stateName === STATES.runQuery)).toBe(true);
    for (const q of REPORT_QUERIES)
      expect(sectionCalls.filter((c) => isSection(q.name)(queryString(c)))).toHaveLength(1);
    const isEvidence = (c: { params: Record<string, unknown> }) => queryString(c).includes('canary_runs');
    for (const c of sectionCalls.filter((c) => !isEvidence(c))) {
      expect(queryString(c)).toContain(`aurora_audit.${table}`);
      expect(queryString(c)).not.toContain('audit_events');
    }
    // The Control evidence reads the canary's run records of the Berlin day (UTC days 22 and 23, its instants).
    const evidence = sectionCalls.filter(isEvidence).map(queryString);
    expect(evidence).toHaveLength(1);
    expect(evidence[0]).toContain('FROM aurora_audit.canary_runs r');
    expect(evidence[0]).toContain("WHERE r.day BETWEEN '2026-11-22' AND '2026-11-23'");
    expect(evidence[0]).toContain("AND ('*' = '*' OR r.cluster = '*')");
    expect(evidence[0]).toContain(">= from_iso8601_timestamp('2026-11-22T23:00:00.000Z')");
    expect(evidence[0]).toContain("< from_iso8601_timestamp('2026-11-23T23:00:00.000Z')");
    // ...then the DROP, after the render step, and nothing else.
    expect(rest.slice(QUERY_COUNT).map((c) => [c.stateName, queryString(c)])).toEqual([
      [STATES.dropSummary, `DROP TABLE IF EXISTS aurora_audit.${table}`],
    ]);
    expect(run.states.indexOf(STATES.dropSummary)).toBeGreaterThan(run.states.indexOf(STATES.render));
    expect([...s.world.athena.tables.keys()]).toEqual([]);
    expect(s.world.athena.droppedTables.map((t) => t.name)).toEqual([`aurora_audit.${table}`]);
    expect(s.world.athena.droppedTables[0]?.location).toMatch(/athena-results\/tables\/[^/]+\/$/);

    // The Map passed ids only; the Lambda read exactly those results.
    const { sections } = renderEvent(s);
    expect(sections).toHaveLength(QUERY_COUNT);
    for (const section of sections) {
      expect(Object.keys(section).sort()).toEqual(['cluster', 'query', 'queryExecutionId', 'status']);
      expect(section).toMatchObject({ status: 'SUCCEEDED', cluster: '*' });
    }
    const read = new Set(
      s.athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input.QueryExecutionId),
    );
    expect(read).toEqual(new Set(sections.map((x) => (x as { queryExecutionId: string }).queryExecutionId)));
    // No result row ever travelled through a state's input or output.
    expect(JSON.stringify(run.events)).not.toContain('rds_superuser');

    // One email, to the configured recipient, from the configured sender.
    expect(s.sent).toHaveLength(1);
    const [email] = s.sent;
    expect(email?.Destinations).toEqual(['compliance@example.com']);
    expect(email?.raw).toMatch(/^From: .*aurora-audit@example\.com/m);
    const output = run.output as RenderResult;
    expect(output).toMatchObject({ messageId: 'ses-message-1', failedSections: 0 });
    expect(output.counts).toMatchObject({ 'privilege changes': 1, 'tampering statements': 1 });
    expect(output.subject).toMatch(/^\[aurora-audit\] /);

    // The archive: a CSV per query, the chart, HTML, text and the exact message, under the run's prefix.
    expect([...s.archived.keys()].sort()).toEqual([...output.archived].sort());
    expect(output.archived.every((key) => key.startsWith(`${PREFIX}run-1/`))).toBe(true);
    expect(output.archived).toEqual(
      expect.arrayContaining([
        ...REPORT_SECTIONS.map((q) => `${PREFIX}run-1/${q.name}.csv`),
        `${PREFIX}run-1/report.html`,
        `${PREFIX}run-1/report.txt`,
        `${PREFIX}run-1/report.eml`,
      ]),
    );
    expect(archivedText(s, 'privilege-changes.csv')).toContain('GRANT rds_superuser TO analyst');
    expect(archivedText(s, 'report.eml')).toBe(email?.raw);
    // The event before the Berlin day is not in it.
    expect(archivedText(s, 'top-users.csv')).not.toContain('early_bird');

    expect(s.world.sns.messages).toEqual([]);
    expect(run.states.filter((n) => n === STATES.sectionFailed)).toEqual([]);
    expect(run.states.at(-1)).toBe(STATES.succeeded);
  });

  it('starts the queries with an explicit period and time zone as given by hand', async () => {
    const s = await open();
    const run = await s.run({
      from: '2026-11-23',
      to: '2026-11-23',
      timeZone: 'UTC',
      clusters: ['orders-db'],
    });
    expect(run.status).toBe('SUCCEEDED');
    const [first] = s.world.callsTo('athena', 'startQueryExecution');
    expect(first?.stateName).toBe(STATES.buildSummary);
    expect(queryString(first!)).toContain("from_iso8601_timestamp('2026-11-24T00:00:00.000Z')");
    expect(queryString(first!)).toContain("from_iso8601_timestamp('2026-11-22T00:00:00.000Z')");
    expect((run.output as RenderResult).archived[0]).toMatch(
      /^reports\/custom\/2026-11-23_2026-11-23\/run-1\//,
    );
  });
});

describe('the compliance-report workflow, failing queries', () => {
  it('reports a query that failed as a FAILED section, still sends the report, and tells the operators', async () => {
    const s = await open();
    s.world.athena.failQuery(
      isSection('privilege-changes'),
      "COLUMN_NOT_FOUND: line 21:9: Column 'remotehost' cannot be resolved",
    );
    const run = await s.run(DAILY_BERLIN);

    expect(run.status).toBe('SUCCEEDED');
    const { sections } = renderEvent(s);
    const failed = sections.filter((x) => x.status === 'FAILED') as Extract<
      SectionOutcome,
      { status: 'FAILED' }
    >[];
    expect(failed).toEqual([
      {
        query: 'privilege-changes',
        cluster: '*',
        status: 'FAILED',
        error: 'States.TaskFailed',
        cause: expect.stringContaining('COLUMN_NOT_FOUND'),
      },
    ]);
    // The cause is the failed query's GetQueryExecution, as the .sync integration reports it.
    expect(JSON.parse(failed[0]?.cause ?? '{}')).toMatchObject({
      QueryExecution: { Status: { State: 'FAILED' }, WorkGroup: WORKGROUP },
    });
    expect(sections.filter((x) => x.status === 'SUCCEEDED')).toHaveLength(QUERY_COUNT - 1);

    expect(s.sent).toHaveLength(1);
    expect((run.output as RenderResult).failedSections).toBe(1);
    const text = archivedText(s, 'report.txt');
    expect(text).toContain(`FAILED. ${TEXTS.failedIntro}`);
    expect(text).toContain('Error: States.TaskFailed');
    expect(text).toMatch(/NOTE: 1 section could not be produced: Privilege changes/);

    expect(s.world.sns.messages).toHaveLength(1);
    const [notice] = s.world.sns.messages;
    expect(notice?.attributes).toEqual({ workflow: 'compliance-report', outcome: 'INCOMPLETE' });
    expect(notice?.subject).toBe(
      '[aurora-audit] Compliance report INCOMPLETE: daily report 2026-11-23 to 2026-11-23',
    );
    expect(notice?.message).toContain('1 of its sections failed');
    expect(notice?.message).toContain('"query":"privilege-changes"');
    expect(notice?.message).not.toContain('"status":"SUCCEEDED"');
    // The summary table is dropped all the same, before the notice.
    expect(run.states.filter((n) => n === STATES.dropSummary)).toHaveLength(1);
    expect(run.states.indexOf(STATES.dropSummary)).toBeLessThan(run.states.indexOf(STATES.notifyIncomplete));
    expect([...s.world.athena.tables.keys()]).toEqual([]);
  });

  it('reports a query whose error came without a Cause as a FAILED section saying so (no States.Runtime)', async () => {
    const s = await open();
    s.world.faults.inject({
      target: 'athena:startQueryExecution',
      error: 'Athena.InvalidRequestException',
      cause: null,
      when: (p) => isSection('top-users')(String(p.QueryString)),
    });
    const run = await s.run(DAILY_BERLIN);
    expect(run.status).toBe('SUCCEEDED');
    const failed = renderEvent(s).sections.filter((x) => x.status === 'FAILED');
    expect(failed).toEqual([
      expect.objectContaining({
        status: 'FAILED',
        error: 'Athena.InvalidRequestException',
        cause: '(no cause given)',
      }),
    ]);
    expect(run.states).toContain(STATES.sectionFailedWithoutCause);
    expect(s.sent).toHaveLength(1);
  });

  it('fails SummaryFailed when Athena fails the period summary: no section runs, the table is dropped, nothing is sent', async () => {
    const s = await open();
    s.world.athena.failQuery(
      isCtas,
      'EXCEEDED_BYTES_SCANNED_LIMIT: Query exhausted the bytes scanned cutoff',
    );
    const run = await s.run(DAILY_BERLIN);
    const message = expectFailure(run, s, 'SummaryFailed');
    expect(message.message).toMatch(/^Step: Build period summary$/m);
    expect(message.message).toContain('EXCEEDED_BYTES_SCANNED_LIMIT');
    expect(s.world.callsTo('athena', 'startQueryExecution').map((c) => c.stateName)).toEqual([
      STATES.buildSummary,
      STATES.dropSummary,
    ]);
    expect(s.sent).toEqual([]);
  });

  it('tells the operators when the summary table cannot be dropped, and still succeeds with the report sent', async () => {
    const s = await open();
    s.world.athena.failQuery(isDrop, 'AccessDeniedException: glue:DeleteTable');
    const run = await s.run(DAILY_BERLIN);
    expect(run.status).toBe('SUCCEEDED');
    expect(s.sent).toHaveLength(1);
    expect(run.states).toContain(STATES.notifyNotDropped);
    expect(s.world.sns.messages).toHaveLength(1);
    const [notice] = s.world.sns.messages;
    expect(notice?.attributes).toEqual({ workflow: 'compliance-report', outcome: 'SUMMARY_NOT_DROPPED' });
    expect(notice?.subject).toMatch(
      /^\[aurora-audit\] Compliance report: summary table report_summary_run_1_[0-9a-f]{8} not dropped$/,
    );
    expect(notice?.message).toContain('glue:DeleteTable');
    expect(notice?.message).toMatch(/DROP TABLE IF EXISTS aurora_audit\.report_summary_run_1_[0-9a-f]{8}/);
    expect(s.world.athena.tables.size).toBe(1);
  });

  it('retries Athena throttling with backoff and runs every query', async () => {
    const s = await open();
    s.world.faults.throttle('athena:startQueryExecution', 3);
    const run = await s.run(DAILY_BERLIN);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.retries.map((r) => r.error)).toEqual([
      'Athena.TooManyRequestsException',
      'Athena.TooManyRequestsException',
      'Athena.TooManyRequestsException',
    ]);
    // The first calls are the summary's.
    expect(run.retries.every((r) => r.state === STATES.buildSummary && r.delaySeconds >= 5)).toBe(true);
    const starts = s.world.callsTo('athena', 'startQueryExecution');
    expect(starts.filter((c) => c.error === 'Athena.TooManyRequestsException')).toHaveLength(3);
    expect(starts.filter((c) => c.error === undefined)).toHaveLength(CALL_COUNT);
    expect(renderEvent(s).sections.every((x) => x.status === 'SUCCEEDED')).toBe(true);
    expect(s.world.sns.messages).toEqual([]);
  });

  it('turns throttling that outlasts the retries into a FAILED section, not a failed run', async () => {
    const s = await open();
    s.world.faults.inject({
      target: 'athena:startQueryExecution',
      error: 'Athena.TooManyRequestsException',
      cause: 'Rate exceeded',
      times: Number.POSITIVE_INFINITY,
      when: (p) => isSection('failures')(String(p.QueryString)),
    });
    const run = await s.run(DAILY_BERLIN);
    expect(run.status).toBe('SUCCEEDED');
    expect(renderEvent(s).sections.filter((x) => x.status === 'FAILED')).toEqual([
      expect.objectContaining({ query: 'failures', error: 'Athena.TooManyRequestsException' }),
    ]);
    expect(s.world.sns.messages.map((m) => m.attributes.outcome)).toEqual(['INCOMPLETE']);
  });
});

describe('the compliance-report workflow, what the report holds', () => {
  it('sends a report for a period without any event, every section succeeded and empty', async () => {
    const s = await open({ events: [] });
    const run = await s.run(DAILY_BERLIN);
    expect(run.status).toBe('SUCCEEDED');
    expect(renderEvent(s).sections.every((x) => x.status === 'SUCCEEDED')).toBe(true);
    expect(s.sent).toHaveLength(1);
    const output = run.output as RenderResult;
    expect(output.failedSections).toBe(0);
    expect(Object.values(output.counts).every((n) => n === 0)).toBe(true);
    expect(archivedText(s, 'report.txt')).toContain(TEXTS.noRows);
    // The results had no rows, but their columns: each CSV has its header.
    expect(archivedText(s, 'privilege-changes.csv').trim().split(/\r?\n/)).toHaveLength(1);
  });

  it('shows the first rows of a long section, says how many more, and archives every row (paged results)', async () => {
    const grants: AuditEvent[] = Array.from({ length: 1100 }, (_, i) =>
      event(
        `2026-11-23T10:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000Z`,
        {
          class: 'ROLE',
          command: 'GRANT',
          user: 'admin',
          commandText: `GRANT SELECT ON table_${i} TO reader`,
        },
      ),
    );
    const s = await open({ events: [...mondayEvents(), ...grants] });
    const run = await s.run(DAILY_BERLIN);
    expect(run.status).toBe('SUCCEEDED');
    const id = (
      renderEvent(s).sections.find((x) => x.query === 'privilege-changes') as { queryExecutionId: string }
    ).queryExecutionId;
    // 1101 rows and the header: two GetQueryResults pages of at most 1000.
    const pages = s.athena
      .commandCalls(GetQueryResultsCommand)
      .filter((c) => c.args[0].input.QueryExecutionId === id);
    expect(pages.map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'page-2']);
    const text = archivedText(s, 'report.txt');
    expect(text).toContain('the first 50 shown');
    expect(text).toContain('… and 1,051 more');
    const csv = archivedText(s, 'privilege-changes.csv');
    expect(csv).toContain('GRANT SELECT ON table_1099 TO reader');
    expect(csv.trim().split(/\r?\n/)).toHaveLength(1 + 1101);
    expect((run.output as RenderResult).counts['privilege changes']).toBe(1101);
  });
});

describe('the compliance-report workflow, failures', () => {
  it('refuses bad input with InvalidInput, runs no query, sends nothing and tells the operators', async () => {
    const s = await open();
    const run = await s.run({ period: 'hourly', timeZone: 'Mars/Olympus' });
    const message = expectFailure(run, s, 'InvalidInput');
    expect(message.subject).toBe('[aurora-audit] Compliance report FAILED: input rejected');
    expect(message.message).toMatch(/^Cause: .*period.*hourly/m);
    expect(message.message).toMatch(/^Cause: .*timeZone.*Mars\/Olympus/m);
    expect(message.message).toContain('Input: {"period":"hourly","timeZone":"Mars/Olympus"}');
    expect(run.cause).toMatch(/period/);
    expect(s.world.callsTo('athena')).toEqual([]);
    expect(s.sent).toEqual([]);
    expect(s.archived.size).toBe(0);
  });

  it('fails with RenderFailed and tells the operators when SES refuses the report', async () => {
    const s = await open();
    s.ses
      .on(SendRawEmailCommand)
      .rejects(new MessageRejected({ message: 'Email address is not verified.', $metadata: {} }));
    const run = await s.run(DAILY_BERLIN);
    const message = expectFailure(run, s, 'RenderFailed');
    expect(message.subject).toBe(
      '[aurora-audit] Compliance report FAILED: daily report 2026-11-23 to 2026-11-23',
    );
    expect(message.message).toMatch(/^Step: Render and send report$/m);
    expect(message.message).toContain('Email address is not verified.');
    // The queries ran; the archive was written before sending; the summary table was dropped before the notice.
    expect(s.world.callsTo('athena', 'startQueryExecution')).toHaveLength(CALL_COUNT);
    expect(s.world.callsTo('athena', 'startQueryExecution').at(-1)?.stateName).toBe(STATES.dropSummary);
    expect(s.world.athena.tables.size).toBe(0);
    expect(s.archived.has(`${PREFIX}run-1/report.eml`)).toBe(true);
  });

  it('retries the render step when archiving meets S3 throttling, and sends the report once', async () => {
    const s = await open();
    let failures = 0;
    const put = s.s3.commandCalls(PutObjectCommand).length;
    s.s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
      if (failures < 1) {
        failures += 1;
        throw Object.assign(new Error('Please reduce your request rate.'), {
          name: 'SlowDown',
          $fault: 'server',
          $metadata: { httpStatusCode: 503 },
        });
      }
      s.archived.set(input.Key as string, { ...input, bytes: Buffer.from(String(input.Body ?? '')) });
      return { ETag: '"etag"' };
    });
    const run = await s.run(DAILY_BERLIN);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.retries.filter((r) => r.state === STATES.render).map((r) => r.error)).toEqual([
      'ReportArchiveError',
    ]);
    expect(s.sent).toHaveLength(1);
    expect(s.s3.commandCalls(PutObjectCommand).length).toBeGreaterThan(put + 1);
  });

  it.each([
    [STATES.prepare, 1, 'PreparationFailed'],
    [STATES.render, 2, 'RenderFailed'],
  ])(
    'fails %s (Lambda call %i) without a Cause as %s, and tells the operators (no States.Runtime)',
    async (_state, nth, expected) => {
      const s = await open();
      s.world.before('lambda:invoke', (n) => {
        if (n === nth) {
          s.world.faults.inject({
            target: 'lambda:invoke',
            error: 'Lambda.ResourceNotFoundException',
            cause: null,
          });
        }
      });
      const run = await s.run(DAILY_BERLIN);
      const message = expectFailure(run, s, expected);
      expect(message.message).toContain(
        'Cause: Lambda.ResourceNotFoundException (the service gave no cause)',
      );
      expect(run.cause).toBe('Lambda.ResourceNotFoundException (the service gave no cause)');
    },
  );

  it('fails QueriesFailed when the Map fails as a whole with an error without a Cause, and tells the operators (no States.Runtime)', async () => {
    // The iteration's `States.ALL` Catch does not catch States.DataLimitExceeded (terminal in AWS): the Map
    // fails as a whole, and only a Catch of the Map naming it sends the run to QueriesFailed.
    const s = await open();
    s.world.before('athena:startQueryExecution', (n) => {
      if (n === 3) {
        s.world.faults.inject({
          target: 'athena:startQueryExecution',
          error: 'States.DataLimitExceeded',
          cause: null,
        });
      }
    });
    const run = await s.run(DAILY_BERLIN);
    const calls = s.world.callsTo('athena', 'startQueryExecution');
    const [firstError, ...laterErrors] = calls.filter((c) => c.error !== undefined);
    expect(firstError).toEqual(
      expect.objectContaining({ error: 'States.DataLimitExceeded', stateName: STATES.runQuery }),
    );
    // The failure path drops the summary table. The local executor lets the Map's other iterations run on
    // (AWS stops them): a section still running when the table is dropped fails, on the dropped table and
    // for no other reason.
    const dropAt = calls.findIndex((c) => c.stateName === STATES.dropSummary);
    expect(dropAt).toBeGreaterThan(0);
    for (const later of laterErrors)
      expect(later).toMatchObject({ error: 'States.TaskFailed', stateName: STATES.runQuery });
    const failedReasons = [...s.world.athena.executions.values()]
      .filter((e) => e.state === 'FAILED')
      .map((e) => e.stateChangeReason ?? '');
    expect(failedReasons).toHaveLength(laterErrors.length);
    const dropped = s.world.athena.droppedTables.map((t) => t.name.split('.')[1] as string);
    expect(dropped).toHaveLength(1);
    for (const reason of failedReasons) expect(reason).toContain(dropped[0]);
    expect(run.states).toContain('Queries failed');
    expect(run.states).toContain(STATES.caughtWithoutCause);
    const message = expectFailure(run, s, 'QueriesFailed');
    expect(message.subject).toBe(
      '[aurora-audit] Compliance report FAILED: daily report 2026-11-23 to 2026-11-23',
    );
    expect(message.message).toMatch(/^Step: Run report queries$/m);
    expect(message.message).toContain('Cause: States.DataLimitExceeded (the service gave no cause)');
    expect(run.cause).toBe('States.DataLimitExceeded (the service gave no cause)');
    // Nothing was rendered or sent.
    expect(s.world.callsTo('lambda', 'invoke').map((c) => c.stateName)).toEqual([STATES.prepare]);
    expect(s.sent).toEqual([]);
  });

  it('fails NotificationFailed when the incomplete-report notice fails without a Cause', async () => {
    const s = await open();
    s.world.athena.failQuery(isSection('privilege-changes'), 'COLUMN_NOT_FOUND');
    s.world.faults.inject({
      target: 'sns:publish',
      error: 'SNS.AuthorizationErrorException',
      cause: null,
      times: 3,
    });
    const run = await s.run(DAILY_BERLIN);
    const message = expectFailure(run, s, 'NotificationFailed');
    expect(message.message).toContain('Cause: SNS.AuthorizationErrorException (the service gave no cause)');
    expect(s.sent).toHaveLength(1);
  });

  it('fails with PreparationFailed and tells the operators when the report Lambda keeps failing', async () => {
    const s = await open();
    s.world.faults.inject({
      target: 'lambda:invoke',
      error: 'Lambda.ServiceException',
      cause: 'Lambda is unavailable',
      times: Number.POSITIVE_INFINITY,
    });
    const run = await s.run(DAILY_BERLIN);
    const message = expectFailure(run, s, 'PreparationFailed');
    expect(message.subject).toBe('[aurora-audit] Compliance report FAILED: input not prepared');
    expect(message.message).toContain('Cause: Lambda.ServiceException: Lambda is unavailable');
    expect(message.message).toContain('Input: {"period":"daily","timeZone":"Europe/Berlin"}');
    // LambdaInvoke's own retries of service errors ran first.
    expect(run.retries.length).toBeGreaterThanOrEqual(5);
    expect(s.world.callsTo('athena')).toEqual([]);
  });
});
