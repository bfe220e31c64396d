/**
 * The cost model of docs/cost.md: monthly cost drivers for a cluster at 100 and at
 * 10,000 audited statements per second. Every figure is a measurement made here (the decrypt path's CPU time
 * per event on genuine records, the stored line's size and its GZIP size) times a stated AWS list price
 * (us-east-1, below: check the pricing pages for your region and date). Assumptions are printed with the
 * figures. Costs of the activity stream itself (its Kinesis stream, billed by RDS to the account) and of the
 * database are not aurora-audit's and are left out, except the pgAudit log volume, named separately.
 */
import { gzipSync } from 'node:zlib';
import { LocalKms } from '../cli/local/kms';
import { CLUSTER_ID } from '../cli/local/records/activity-stream';
import { auditEvent } from '../cli/local/records/audit-event';
import { DataKeyCache } from '../tasks/core/das/data-key-cache';
import { serviceUserSet } from '../tasks/core/das/normalize';
import { processActivityRecord } from '../tasks/core/das/pipeline';
import { createRedactor } from '../tasks/core/redact';
import { storedLine } from '../tasks/core/storage-layout';
import { buildCorpus, RECORDS_PER_DATA_KEY } from './decrypt.bench';
import type { Benchmark } from './harness';

/** Stated list prices, us-east-1, USD. */
export const PRICES = {
  /** Lambda on arm64, per GB-second, and per request. */
  lambdaGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  /** KMS, per request (Decrypt), after the free tier. */
  kmsRequest: 0.03 / 10_000,
  /** Firehose Direct PUT ingestion per GB, each record rounded up to 5 KB. */
  firehoseIngestGb: 0.029,
  firehoseRecordRoundingBytes: 5 * 1024,
  /** Firehose dynamic partitioning, per GB processed. */
  firehosePartitioningGb: 0.02,
  /** CloudWatch Logs ingestion (standard) per GB. */
  logsIngestGb: 0.5,
  /** S3 Standard storage per GB-month. */
  s3GbMonth: 0.023,
  /** Athena per TB scanned. */
  athenaTb: 5,
} as const;

const SECONDS_PER_MONTH = 30.4 * 86_400;
/** The decrypt Lambda's memory (infra/constructs/stream-processing.ts): 1,024 MB gets 1024/1769 of a vCPU. */
const DECRYPT_MEMORY_GB = 1024 / 1024;
const FULL_VCPU_MB = 1769;
/** The Kinesis mapping's batch size. */
const BATCH_RECORDS = 100;
/** Share of events that match an alert rule and are written as alert lines (assumption). */
const ALERT_SHARE = 0.001;
/** Real statements compress worse than generated ones: the larger of the measured size and this is used. */
const MIN_GZIP_BYTES_PER_EVENT = 100;
/** pgAudit line in the PostgreSQL log (prefix + AUDIT: …), bytes (assumption, from the reference scenario). */
const PGAUDIT_LINE_BYTES = 250;

const usd = (n: number) => (n < 10 ? `$${n.toFixed(2)}` : `$${Math.round(n).toLocaleString('en-US')}`);

async function decryptEventsPerCpuSecond(): Promise<{ perSecond: number; eventsPerRecord: number }> {
  const kms = new LocalKms();
  const corpus = await buildCorpus(kms, 500);
  const cache = new DataKeyCache();
  const redact = createRedactor();
  const users = serviceUserSet();
  const resolve = (ct: Uint8Array, b64: string, cluster: string) =>
    cache.get(cluster, b64, async () => kms.decrypt(ct, { 'aws:rds:dbc-id': CLUSTER_ID }));
  let events = 0;
  let raw = 0;
  const start = process.cpuUsage();
  for (let pass = 0; pass < 3; pass++) {
    for (const data of corpus.records) {
      const r = await processActivityRecord(data, CLUSTER_ID, {
        resolveDataKey: resolve,
        redact,
        serviceUsers: users,
      });
      events += r.lines.length;
      raw += 1;
    }
  }
  const used = process.cpuUsage(start);
  return { perSecond: events / ((used.user + used.system) / 1e6), eventsPerRecord: events / raw };
}

function storedSizes(): { line: number; gzip: number } {
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    lines.push(
      storedLine(
        auditEvent({
          statementId: i,
          commandText: `UPDATE orders SET status = 'shipped', updated_at = now() WHERE id = ${i * 7919}`,
        }),
      ).line,
    );
  }
  const text = `${lines.join('\n')}\n`;
  return { line: Buffer.byteLength(text) / lines.length, gzip: gzipSync(text).length / lines.length };
}

export const benchmarks: Benchmark[] = [
  {
    name: 'cost',
    description:
      'monthly cost drivers at 100 and 10,000 statements/s: measured here × stated us-east-1 prices',
    run: async () => {
      const decrypt = await decryptEventsPerCpuSecond();
      const sizes = storedSizes();
      const gzipBytes = Math.max(sizes.gzip, MIN_GZIP_BYTES_PER_EVENT);
      const out = [
        `measured: decrypt path ${Math.round(decrypt.perSecond).toLocaleString('en-US')} events per CPU-second, ${decrypt.eventsPerRecord.toFixed(1)} events per record; ` +
          `stored line ${Math.round(sizes.line)} B, GZIP ${Math.round(sizes.gzip)} B/event (costed at ${gzipBytes} B)`,
        `assumed: ${RECORDS_PER_DATA_KEY} records per data key, batches of ${BATCH_RECORDS} records, ${ALERT_SHARE * 100}% of events alerted, a daily report reading 2 days 9 times, pgAudit line ${PGAUDIT_LINE_BYTES} B`,
        '| driver | how it scales | 100 statements/s | 10,000 statements/s |',
        '| --- | --- | ---: | ---: |',
      ];
      const rows: [string, string, (rate: number) => number][] = [
        [
          'Lambda decrypt (compute)',
          'events ÷ events per CPU-s × GB per vCPU × GB-s price',
          (r) =>
            ((r * SECONDS_PER_MONTH) / decrypt.perSecond) *
            (FULL_VCPU_MB / 1024) *
            DECRYPT_MEMORY_GB *
            PRICES.lambdaGbSecond,
        ],
        [
          'Lambda decrypt (requests)',
          'records ÷ batch size (at least one per 5 s batching window)',
          (r) =>
            Math.max(r / decrypt.eventsPerRecord / BATCH_RECORDS, 1 / 5) *
            SECONDS_PER_MONTH *
            PRICES.lambdaRequest,
        ],
        [
          'KMS Decrypt, with the data-key cache',
          'one call per data key',
          (r) => (r / decrypt.eventsPerRecord / RECORDS_PER_DATA_KEY) * SECONDS_PER_MONTH * PRICES.kmsRequest,
        ],
        [
          '(KMS Decrypt without a cache, for comparison)',
          'one call per record',
          (r) => (r / decrypt.eventsPerRecord) * SECONDS_PER_MONTH * PRICES.kmsRequest,
        ],
        [
          'Firehose ingestion',
          'one record per event, each rounded up to 5 KB',
          (r) =>
            ((r * SECONDS_PER_MONTH * Math.max(sizes.line, PRICES.firehoseRecordRoundingBytes)) / 1024 ** 3) *
            PRICES.firehoseIngestGb,
        ],
        [
          'Firehose dynamic partitioning',
          'bytes processed',
          (r) => ((r * SECONDS_PER_MONTH * sizes.line) / 1024 ** 3) * PRICES.firehosePartitioningGb,
        ],
        [
          'CloudWatch Logs (alert lines)',
          'alerted events × alert-line size',
          (r) => ((r * ALERT_SHARE * SECONDS_PER_MONTH * sizes.line) / 1024 ** 3) * PRICES.logsIngestGb,
        ],
        [
          'S3 storage, per month of events kept',
          'GZIP bytes, Standard (IA and Glacier later are cheaper)',
          (r) => ((r * SECONDS_PER_MONTH * gzipBytes) / 1024 ** 3) * PRICES.s3GbMonth,
        ],
        [
          'Athena, daily reports',
          '9 queries × 2 days of GZIP bytes, 30 reports',
          (r) => ((r * 86_400 * 2 * 9 * 30 * gzipBytes) / 1024 ** 4) * PRICES.athenaTb,
        ],
        [
          '(pgAudit logging every statement to CloudWatch Logs: the source, not aurora-audit)',
          'statements × pgAudit line',
          (r) => ((r * SECONDS_PER_MONTH * PGAUDIT_LINE_BYTES) / 1024 ** 3) * PRICES.logsIngestGb,
        ],
      ];
      for (const [name, how, cost] of rows)
        out.push(`| ${name} | ${how} | ${usd(cost(100))} | ${usd(cost(10_000))} |`);
      const athenaGbPerQuery = (10_000 * 86_400 * 2 * gzipBytes) / 1024 ** 3;
      out.push(
        `at 10,000 statements/s a daily query reads ${athenaGbPerQuery.toFixed(0)} GB: raise reports.bytesScannedCutoffPerQuery above it (default 10 GiB)`,
      );
      return out;
    },
  },
];
