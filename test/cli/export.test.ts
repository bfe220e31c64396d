import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandInput,
} from '@aws-sdk/client-firehose';
import {
  GetObjectCommand,
  type GetObjectCommandInput,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { deliveredLines, partitionedPrefix, partitionKeys } from '../../cli/local/aws/firehose';
import { auditEvent } from '../../cli/local/records/audit-event';
import { writeStoredEvents } from '../../cli/local/records/stored-events';
import type { AuditEvent } from '../../tasks/core/audit-event';
import { FIREHOSE_EVENTS_PREFIX, storedLine } from '../../tasks/core/storage-layout';
import { runCli } from '../helpers/cli';

const A = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const B = 'cluster-ZYXWVUTSRQPONMLKJIHGFEDCBA';

/**
 * The stored events: every 50 minutes from 2026-11-21 20:00Z to 2026-11-24 04:00Z on two clusters (hourly
 * layout), and a day stored in the daily layout before the hour partition existed (2026-11-23, cluster A,
 * one object directly under day=…/), with one event of the hourly layout stored a second time (at-least-once).
 */
const hourly: AuditEvent[] = [];
for (
  let t = Date.parse('2026-11-21T20:00:00Z'), i = 0;
  t < Date.parse('2026-11-24T04:00:00Z');
  t += 50 * 60_000, i++
)
  for (const clusterId of [A, B])
    hourly.push(
      auditEvent({
        clusterId,
        time: new Date(t).toISOString().replace('Z', '123Z'),
        statementId: i,
        commandText: `UPDATE t SET n = ${i}`,
      }),
    );
const legacy: AuditEvent[] = [
  '2026-11-23T00:15:00.000001Z',
  '2026-11-23T12:00:00Z',
  '2026-11-23T23:59:59.999999Z',
].map((time, i) =>
  auditEvent({ clusterId: A, time, statementId: 1000 + i, commandText: `GRANT r${i} TO u` }),
);
const duplicated = hourly.find((e) => e.clusterId === A && e.time.startsWith('2026-11-23T10')) as AuditEvent;

let root: string;
beforeAll(() => {
  root = writeStoredEvents(hourly, { objectsPerPartition: 2 });
  const dayDir = join(root, 'events', `cluster=${A}`, 'day=2026-11-23');
  mkdirSync(dayDir, { recursive: true });
  writeFileSync(
    join(dayDir, 'aurora-audit-events-1-2026-11-23-legacy.json.gz'),
    gzipSync([...legacy, duplicated].map((e) => storedLine(e).line).join('')),
  );
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What an export must print: the stored lines of the events in [start, end), each once, in time order. */
function expectedLines(events: readonly AuditEvent[], start: string, end: string): string {
  const inRange = events.filter(
    (e) => Date.parse(e.time) >= Date.parse(start) && Date.parse(e.time) < Date.parse(end),
  );
  const once = [...new Map(inRange.map((e) => [e.id, e])).values()];
  once.sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || (a.id < b.id ? -1 : 1));
  return once.map((e) => storedLine(e).line).join('');
}

describe('aurora-audit export --local', () => {
  it('exports a Berlin day of every cluster as the stored lines, both layouts, each event once, in time order', async () => {
    const run = await runCli(
      'export',
      '--local',
      root,
      '--from',
      '2026-11-23',
      '--to',
      '2026-11-23',
      '--time-zone',
      'Europe/Berlin',
    );
    expect(run.code).toBe(0);
    // The Berlin day 2026-11-23 is 2026-11-22T23:00Z to 2026-11-23T23:00Z.
    const expected = expectedLines([...hourly, ...legacy], '2026-11-22T23:00:00Z', '2026-11-23T23:00:00Z');
    expect(run.stdout).toBe(expected);
    // Every 50 minutes from 20:00Z on the 21st: indices 33 (22T23:30Z) to 61 (23T22:50Z), 29 per cluster; and
    // the daily layout's 00:15Z and 12:00Z events (its 23:59:59Z one belongs to the next Berlin day).
    expect(run.stdout.split('\n').filter((l) => l !== '')).toHaveLength(2 * 29 + 2);
    expect(run.stdout).toContain(storedLine(legacy[1] as AuditEvent).line);
    expect(run.stdout).not.toContain(storedLine(legacy[2] as AuditEvent).line); // 23:59Z: the next Berlin day
    expect(run.stderr).toContain('in the daily layout, before the hour partition');
    expect(run.stderr).toContain('1 stored copy(ies) of an exported event left out (same id)');
  });

  it('exports one cluster to a file, from an instant to an instant', async () => {
    const out = join(root, '..', `export-${process.pid}.jsonl`);
    try {
      const run = await runCli(
        'export',
        '--local',
        root,
        '--cluster',
        B,
        '--from',
        '2026-11-21T23:30:00Z',
        '--to',
        '2026-11-22T02:00:00+01:00',
        '--out',
        out,
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toBe('');
      const expected = expectedLines(
        hourly.filter((e) => e.clusterId === B),
        '2026-11-21T23:30:00Z',
        '2026-11-22T01:00:00Z',
      );
      expect(expected).not.toBe('');
      expect(readFileSync(out, 'utf8')).toBe(expected);
    } finally {
      rmSync(out, { force: true });
    }
  });

  it('refuses a missing --from and a directory without stored events, before reading anything', async () => {
    expect((await runCli('export', '--local', root)).code).toBe(2);
    const run = await runCli('export', '--local', tmpdir(), '--from', '2026-11-23');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('holds no stored events');
  });
});

describe('aurora-audit export --redeliver (migration of the daily layout)', () => {
  const firehose = mockClient(FirehoseClient);
  let delivered: { stream: string; line: string }[];

  beforeEach(() => {
    process.env.AWS_REGION = 'eu-west-1';
    firehose.reset();
    delivered = [];
    firehose.on(PutRecordBatchCommand).callsFake((input: PutRecordBatchCommandInput) => {
      for (const r of input.Records ?? [])
        for (const line of deliveredLines(r.Data as Uint8Array))
          delivered.push({ stream: input.DeliveryStreamName as string, line });
      return {
        FailedPutCount: 0,
        RequestResponses: (input.Records ?? []).map((_, i) => ({ RecordId: `r${i}` })),
      };
    });
  });

  it('sends the daily layout’s lines of the period to the delivery stream, which stores them under their hours', async () => {
    const run = await runCli(
      'export',
      '--local',
      root,
      '--cluster',
      A,
      '--from',
      '2026-11-23',
      '--to',
      '2026-11-23',
      '--redeliver',
      '--delivery-stream',
      'aurora-audit-events',
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    // The daily layout's 2026-11-23 events, as stored; not the hourly event it also held (already in place).
    expect(delivered.map((d) => d.line)).toEqual(legacy.map((e) => storedLine(e).line));
    expect(new Set(delivered.map((d) => d.stream))).toEqual(new Set(['aurora-audit-events']));
    expect(delivered.map((d) => partitionedPrefix(FIREHOSE_EVENTS_PREFIX, partitionKeys(d.line)))).toEqual([
      `events/cluster=${A}/day=2026-11-23/hour=00/`,
      `events/cluster=${A}/day=2026-11-23/hour=12/`,
      `events/cluster=${A}/day=2026-11-23/hour=23/`,
    ]);
    expect(run.stderr).toContain('3 event(s) of 1 daily-layout object(s) redelivered to aurora-audit-events');
  });

  it('refuses to redeliver every cluster, or more days than stay under Firehose’s 500 active partitions', async () => {
    const all = await runCli(
      'export',
      '--local',
      root,
      '--from',
      '2026-11-23',
      '--redeliver',
      '--delivery-stream',
      's',
    );
    expect(all.code).toBe(2);
    expect(all.stderr).toContain(
      '--redeliver needs --cluster and at most 14 UTC days per run (got every cluster)',
    );
    const long = await runCli(
      'export',
      '--local',
      root,
      '--cluster',
      A,
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-15',
      '--redeliver',
      '--delivery-stream',
      's',
    );
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('(got 15 days)');
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(0);
  });

  it('exits 1 and says to run again when the stream refuses a record', async () => {
    firehose.on(PutRecordBatchCommand).resolves({
      FailedPutCount: 1,
      RequestResponses: [{ ErrorCode: 'InvalidArgumentException', ErrorMessage: 'refused' }],
    });
    const run = await runCli(
      'export',
      '--local',
      root,
      '--cluster',
      A,
      '--from',
      '2026-11-23T12:00:00Z',
      '--to',
      '2026-11-23T13:00:00Z',
      '--redeliver',
      '--delivery-stream',
      'aurora-audit-events',
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('1 not accepted: run the same command again');
  });
});

describe('aurora-audit export (the audit bucket)', () => {
  const cfn = mockClient(CloudFormationClient);
  const s3 = mockClient(S3Client);
  const bucket = new Map<string, Buffer>();

  beforeAll(() => {
    // The same objects as on disk, as keys of the audit bucket.
    const walk = (dir: string, prefix: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path, `${prefix}${name}/`);
        else bucket.set(`${prefix}${name}`, readFileSync(path));
      }
    };
    walk(join(root, 'events'), 'events/');
  });

  beforeEach(() => {
    process.env.AWS_REGION = 'eu-west-1';
    cfn.reset();
    s3.reset();
    cfn.on(DescribeStacksCommand, { StackName: 'aurora-audit' }).resolves({
      Stacks: [
        {
          StackName: 'aurora-audit',
          CreationTime: new Date(),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: [{ OutputKey: 'AuditBucketName', OutputValue: 'audit-bucket' }],
        },
      ],
    });
    // ListObjectsV2 as S3 answers it: keys in order, pages of at most 3 here, common prefixes with a delimiter.
    s3.on(ListObjectsV2Command).callsFake((input: ListObjectsV2CommandInput) => {
      if (input.Bucket !== 'audit-bucket') throw new Error(`unexpected bucket ${input.Bucket}`);
      const keys = [...bucket.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
      if (input.Delimiter === '/') {
        const prefixes = [
          ...new Set(keys.map((k) => k.slice(0, k.indexOf('/', (input.Prefix ?? '').length) + 1))),
        ];
        return { CommonPrefixes: prefixes.map((Prefix) => ({ Prefix })), IsTruncated: false };
      }
      const from = Number(input.ContinuationToken ?? 0);
      const page = keys.slice(from, from + 3);
      const more = from + 3 < keys.length;
      return {
        Contents: page.map((Key) => ({ Key })),
        IsTruncated: more,
        NextContinuationToken: more ? String(from + 3) : undefined,
      };
    });
    s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
      const body = bucket.get(input.Key as string);
      if (!body) throw new Error(`NoSuchKey ${input.Key}`);
      return { Body: { transformToByteArray: async () => new Uint8Array(body) } as never };
    });
  });

  it('reads the bucket’s objects of the period’s hours and the daily layout, and prints the same lines as locally', async () => {
    const run = await runCli(
      'export',
      '--from',
      '2026-11-23',
      '--to',
      '2026-11-23',
      '--time-zone',
      'Europe/Berlin',
    );
    expect(run.stderr).toContain('from s3://audit-bucket');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      expectedLines([...hourly, ...legacy], '2026-11-22T23:00:00Z', '2026-11-23T23:00:00Z'),
    );
    // Only the hours of the period were read: hour 22 of 2026-11-22 holds events but lies before the range.
    const read = s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key as string);
    expect(read.some((k) => k.includes('/day=2026-11-22/hour=22/'))).toBe(false);
    expect(read.some((k) => k.includes('/day=2026-11-22/hour=23/'))).toBe(true);
    expect(read).toContain(
      `events/cluster=${A}/day=2026-11-23/aurora-audit-events-1-2026-11-23-legacy.json.gz`,
    );
  });

  it('fails with the object and line of a stored line that is not JSON, exit 1', async () => {
    const key = `events/cluster=${A}/day=2026-11-23/hour=05/broken.json.gz`;
    bucket.set(key, gzipSync('{"id":"x","time":"2026-11-23T05:00:00Z"}\nnot json\n'));
    try {
      const run = await runCli(
        'export',
        '--cluster',
        A,
        '--from',
        '2026-11-23T05:00:00Z',
        '--to',
        '2026-11-23T06:00:00Z',
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`s3://audit-bucket/${key} line 2 is not JSON`);
    } finally {
      bucket.delete(key);
    }
  });
});
