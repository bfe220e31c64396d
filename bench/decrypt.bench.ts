/**
 * The activity-stream decode path on one core, on genuine records (real Encryption SDK messages, suite
 * 0x0178, gzip, a few hundred bytes to tens of KB, data keys reused across records as Aurora does), compared
 * in the same run with two references on the same payloads:
 * - "SDK reference": what the public samples do per record (KMS aside): Encryption SDK decrypt + gunzip +
 *   JSON.parse;
 * - "floor": node:crypto AES-256-GCM + zlib.gunzipSync + JSON.parse on the same compressed payloads.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { LocalKms } from '../cli/local/kms';
import {
  activityEvent,
  activityRecord,
  CLUSTER_ID,
  heartbeatEvent,
} from '../cli/local/records/activity-stream';
import { DataKeyCache } from '../tasks/core/das/data-key-cache';
import { serviceUserSet } from '../tasks/core/das/normalize';
import { processActivityRecord } from '../tasks/core/das/pipeline';
import { type DataKeyResolver, decryptPayload, sdkDecrypt } from '../tasks/core/das/record';
import { type PackItem, packForFirehose } from '../tasks/core/firehose-packing';
import { createRedactor } from '../tasks/core/redact';
import type { Benchmark } from './harness';

const UNIQUE_RECORDS = 2000;
const PASSES = 5; // 10,000 records processed
/** Records encrypted under one data key (the cost model uses the same ratio). */
export const RECORDS_PER_DATA_KEY = 100;
/** The Kinesis event source mapping's batch size (infra): one Firehose packing per batch. */
const KINESIS_BATCH_RECORDS = 100;

export interface Corpus {
  readonly records: Buffer[];
  readonly messages: Buffer[];
  readonly dataKeys: Uint8Array[];
  readonly floor: { iv: Buffer; tag: Buffer; body: Buffer; key: Buffer }[];
  readonly bytes: number;
  readonly distinctKeys: number;
}

/** Genuine records as Aurora writes them (exported for the cost model, which measures the same path). */
export async function buildCorpus(kms: LocalKms, uniqueRecords = UNIQUE_RECORDS): Promise<Corpus> {
  const records: Buffer[] = [];
  const messages: Buffer[] = [];
  const dataKeys: Uint8Array[] = [];
  const floor: Corpus['floor'] = [];
  let key = new Uint8Array(32);
  let keyBlob = '';
  let seed = 1;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = 0; i < uniqueRecords; i++) {
    if (i % RECORDS_PER_DATA_KEY === 0) {
      key = new Uint8Array(randomBytes(32));
      keyBlob = kms.encrypt(key, { 'aws:rds:dbc-id': CLUSTER_ID }).toString('base64');
    }
    // 1 to 60 events: a few hundred bytes to tens of KB per record.
    const count = 1 + Math.floor(rand() ** 2 * 60);
    const events = Array.from({ length: count }, (_, j) =>
      j % 17 === 16
        ? heartbeatEvent()
        : activityEvent({
            class: j % 5 === 0 ? 'ROLE' : 'WRITE',
            command: j % 5 === 0 ? 'GRANT' : 'INSERT',
            // Incompressible notes of 0–600 characters, so records range from a few hundred bytes to tens of KB.
            commandText: `INSERT INTO orders (id, customer, note) VALUES (${i * 100 + j}, 'c${j}', '${randomBytes(Math.floor(rand() * 450)).toString('base64')}')`,
            dbUserName: j % 11 === 0 ? 'rdsadmin' : 'app_user',
          }),
    );
    const r = await activityRecord(kms, events, { dataKey: key });
    const env = { ...JSON.parse(r.json), key: keyBlob };
    records.push(Buffer.from(JSON.stringify(env)));
    messages.push(Buffer.from(env.databaseActivityEvents, 'base64'));
    dataKeys.push(key);
    // The floor: the same gzip payload under plain AES-256-GCM.
    const { gzipSync } = await import('node:zlib');
    const compressed = gzipSync(
      Buffer.from(
        JSON.stringify({
          type: 'DatabaseActivityMonitoringRecord',
          clusterId: CLUSTER_ID,
          instanceId: 'db-X',
          databaseActivityEventList: events,
        }),
      ),
    );
    const fk = Buffer.from(key);
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', fk, iv);
    const body = Buffer.concat([c.update(compressed), c.final()]);
    floor.push({ iv, tag: c.getAuthTag(), body, key: fk });
  }
  return {
    records,
    messages,
    dataKeys,
    floor,
    bytes: records.reduce((n, r) => n + r.length, 0),
    distinctKeys: Math.ceil(uniqueRecords / RECORDS_PER_DATA_KEY),
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function timed(fn: () => Promise<number>): Promise<{ seconds: number; events: number }> {
  const start = process.hrtime.bigint();
  const events = await fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, events };
}

export const benchmarks: Benchmark[] = [
  {
    name: 'decrypt',
    description: `activity-stream decode path vs the SDK reference and the floor, ${UNIQUE_RECORDS * PASSES} genuine records, one core`,
    run: async () => {
      const kms = new LocalKms();
      const corpus = await buildCorpus(kms);
      const total = UNIQUE_RECORDS * PASSES;
      const redact = createRedactor();
      const users = serviceUserSet();
      const lines: string[] = [
        `corpus: ${UNIQUE_RECORDS} records (x${PASSES} passes), ${fmt(corpus.bytes / UNIQUE_RECORDS)} bytes/record on average ` +
          `(${fmt(Math.min(...corpus.records.map((r) => r.length)))}–${fmt(Math.max(...corpus.records.map((r) => r.length)))}), ` +
          `${corpus.distinctKeys} distinct data keys`,
      ];

      let packed = 0;
      const path = async (cached: boolean) => {
        const cache = new DataKeyCache();
        kms.decryptCalls = 0;
        const kmsDecrypt = async (ct: Uint8Array) => kms.decrypt(ct, { 'aws:rds:dbc-id': CLUSTER_ID });
        const resolve: DataKeyResolver = cached
          ? (ct, b64, cluster) => cache.get(cluster, b64, () => kmsDecrypt(ct))
          : (ct) => kmsDecrypt(ct);
        const t = await timed(async () => {
          let events = 0;
          // The Lambda's batch (the mapping's batch size): its events packed into Firehose records at the end.
          let batch: PackItem<number>[] = [];
          for (let p = 0; p < PASSES; p++) {
            for (let i = 0; i < corpus.records.length; i++) {
              const r = await processActivityRecord(corpus.records[i]!, CLUSTER_ID, {
                resolveDataKey: resolve,
                redact,
                serviceUsers: users,
              });
              events += r.lines.length;
              for (const line of r.lines) batch.push({ line, owner: i });
              if ((i + 1) % KINESIS_BATCH_RECORDS === 0) {
                packed += packForFirehose(batch).batches.length;
                batch = [];
              }
            }
          }
          packed += packForFirehose(batch).batches.length;
          return events;
        });
        return { ...t, kmsCalls: kms.decryptCalls };
      };

      const sdk = await timed(async () => {
        let events = 0;
        for (let p = 0; p < PASSES; p++) {
          for (let i = 0; i < corpus.messages.length; i++) {
            // The SDK's decrypt with a fresh keyring per record, as the samples do.
            const plain = await sdkDecrypt(corpus.messages[i]!, corpus.dataKeys[i]!);
            events += JSON.parse(gunzipSync(plain).toString('utf8')).databaseActivityEventList.length;
          }
        }
        return events;
      });
      const fast = await timed(async () => {
        let events = 0;
        for (let p = 0; p < PASSES; p++) {
          for (let i = 0; i < corpus.messages.length; i++) {
            // decryptPayload: the fast path (keyring reused per data key), the SDK as fallback.
            const plain = await decryptPayload(corpus.messages[i]!, corpus.dataKeys[i]!);
            events += JSON.parse(gunzipSync(plain).toString('utf8')).databaseActivityEventList.length;
          }
        }
        return events;
      });
      const floor = await timed(async () => {
        let events = 0;
        for (let p = 0; p < PASSES; p++) {
          for (const f of corpus.floor) {
            const d = createDecipheriv('aes-256-gcm', f.key, f.iv);
            d.setAuthTag(f.tag);
            const plain = Buffer.concat([d.update(f.body), d.final()]);
            events += JSON.parse(gunzipSync(plain).toString('utf8')).databaseActivityEventList.length;
          }
        }
        return events;
      });
      const withCache = await path(true);
      const withoutCache = await path(false);

      const rate = (t: { seconds: number }) => total / t.seconds;
      lines.push(
        `| path | records/s | events/s | KMS Decrypt calls per ${fmt(total)} records |`,
        '| --- | ---: | ---: | ---: |',
        `| aurora-audit, whole path (decode → filter → normalize → redact → serialize → pack Firehose records), data-key cache | ${fmt(rate(withCache))} | ${fmt(withCache.events / withCache.seconds)} | ${fmt(withCache.kmsCalls)} |`,
        `| aurora-audit, whole path, no cache | ${fmt(rate(withoutCache))} | ${fmt(withoutCache.events / withoutCache.seconds)} | ${fmt(withoutCache.kmsCalls)} |`,
        `| SDK reference: Encryption SDK decrypt + gunzip + JSON.parse (KMS aside) | ${fmt(rate(sdk))} | ${fmt(sdk.events / sdk.seconds)} (incl. heartbeats, service users) | – |`,
        `| fast path: decrypt (fast path, SDK fallback) + gunzip + JSON.parse | ${fmt(rate(fast))} | ${fmt(fast.events / fast.seconds)} (incl. heartbeats, service users) | – |`,
        `| floor: node:crypto AES-256-GCM + gunzipSync + JSON.parse | ${fmt(rate(floor))} | ${fmt(floor.events / floor.seconds)} | – |`,
        `whole path with cache = ${((100 * rate(withCache)) / rate(sdk)).toFixed(0)}% of the SDK reference (target ≥ 80%); ` +
          `KMS calls with cache = ${withCache.kmsCalls} for ${corpus.distinctKeys} distinct data keys (target: equal); ` +
          `fast path = ${((100 * rate(fast)) / rate(floor)).toFixed(0)}% of the floor (goal ≥ 33%); ` +
          `${fmt(packed / 2)} PutRecordBatch calls per ${fmt(total)} records (batches of ${KINESIS_BATCH_RECORDS}); peak RSS ${fmt(process.resourceUsage().maxRSS / 1024)} MiB`,
      );
      return lines;
    },
  },
];
