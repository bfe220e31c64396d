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
import { seededRandom } from '../cli/local/random';
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

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** A shuffled copy (Fisher–Yates). */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** One timed pass of a path over the corpus: seconds and events. */
interface Pass {
  readonly seconds: number;
  readonly events: number;
}

async function timed(fn: () => Promise<number>): Promise<Pass> {
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
      const cache = new DataKeyCache();
      let kmsCalls = { cached: 0, uncached: 0 };
      const kmsDecrypt = async (ct: Uint8Array) => kms.decrypt(ct, { 'aws:rds:dbc-id': CLUSTER_ID });
      const cachedResolver: DataKeyResolver = (ct, b64, cluster) =>
        cache.get(cluster, b64, () => kmsDecrypt(ct));
      const uncachedResolver: DataKeyResolver = (ct) => kmsDecrypt(ct);
      // Each path runs over one Kinesis batch of records [from, to) at a time.
      const wholePath = async (cached: boolean, from: number, to: number): Promise<number> => {
        const before = kms.decryptCalls;
        let events = 0;
        // The Lambda's batch (the mapping's batch size): its events packed into Firehose records at the end.
        const batch: PackItem<number>[] = [];
        for (let i = from; i < to; i++) {
          const r = await processActivityRecord(corpus.records[i]!, CLUSTER_ID, {
            resolveDataKey: cached ? cachedResolver : uncachedResolver,
            redact,
            serviceUsers: users,
          });
          events += r.lines.length;
          for (const line of r.lines) batch.push({ line, owner: i });
        }
        packed += packForFirehose(batch).batches.length;
        const calls = kms.decryptCalls - before;
        kmsCalls = cached
          ? { ...kmsCalls, cached: kmsCalls.cached + calls }
          : { ...kmsCalls, uncached: kmsCalls.uncached + calls };
        return events;
      };
      const sdkReference = async (from: number, to: number): Promise<number> => {
        let events = 0;
        for (let i = from; i < to; i++) {
          // The SDK's decrypt with a fresh keyring per record, as the samples do.
          const plain = await sdkDecrypt(corpus.messages[i]!, corpus.dataKeys[i]!);
          events += JSON.parse(gunzipSync(plain).toString('utf8')).databaseActivityEventList.length;
        }
        return events;
      };
      const fastPath = async (from: number, to: number): Promise<number> => {
        let events = 0;
        for (let i = from; i < to; i++) {
          // decryptPayload: the fast path (data key used directly), the SDK as fallback.
          const plain = await decryptPayload(corpus.messages[i]!, corpus.dataKeys[i]!);
          events += JSON.parse(gunzipSync(plain).toString('utf8')).databaseActivityEventList.length;
        }
        return events;
      };
      const floorPath = async (from: number, to: number): Promise<number> => {
        let events = 0;
        for (let i = from; i < to; i++) {
          const f = corpus.floor[i]!;
          const d = createDecipheriv('aes-256-gcm', f.key, f.iv);
          d.setAuthTag(f.tag);
          const plain = Buffer.concat([d.update(f.body), d.final()]);
          events += JSON.parse(gunzipSync(plain).toString('utf8')).databaseActivityEventList.length;
        }
        return events;
      };

      // The paths take turns batch by batch (100 records, tens of milliseconds each), so that the machine's
      // changing load weighs on all of them alike; a round is one pass of every path over the corpus. Each
      // figure is the median of the rounds, and a ratio the median of the rounds' ratios.
      const paths = {
        sdk: sdkReference,
        fast: fastPath,
        floor: floorPath,
        withCache: (from: number, to: number) => wholePath(true, from, to),
        withoutCache: (from: number, to: number) => wholePath(false, from, to),
      };
      const names = Object.keys(paths) as (keyof typeof paths)[];
      const passes: Record<keyof typeof paths, Pass[]> = {
        sdk: [],
        fast: [],
        floor: [],
        withCache: [],
        withoutCache: [],
      };
      const random = seededRandom(20261205);
      for (let round = 0; round < PASSES; round++) {
        const spent = Object.fromEntries(names.map((n) => [n, { seconds: 0, events: 0 }])) as Record<
          keyof typeof paths,
          { seconds: number; events: number }
        >;
        for (let from = 0; from < UNIQUE_RECORDS; from += KINESIS_BATCH_RECORDS) {
          const to = Math.min(from + KINESIS_BATCH_RECORDS, UNIQUE_RECORDS);
          // A new order every turn (seeded): a path pays for garbage the one before it left, so each path
          // follows every other one about equally often.
          const order = shuffled(names, random);
          for (const name of order) {
            const t = await timed(() => paths[name](from, to));
            spent[name].seconds += t.seconds;
            spent[name].events += t.events;
          }
        }
        for (const name of names) passes[name].push(spent[name]);
      }
      const rateOf = (p: Pass) => UNIQUE_RECORDS / p.seconds;
      const summary = (name: keyof typeof paths) => ({
        rate: median(passes[name].map(rateOf)),
        events: median(passes[name].map((p) => p.events / p.seconds)),
      });
      const withCache = { ...summary('withCache'), kmsCalls: kmsCalls.cached };
      const withoutCache = { ...summary('withoutCache'), kmsCalls: kmsCalls.uncached };
      const sdk = summary('sdk');
      const fast = summary('fast');
      const floor = summary('floor');
      const ratio = (a: keyof typeof paths, b: keyof typeof paths) =>
        median(passes[a].map((p, i) => (100 * rateOf(p)) / rateOf(passes[b][i] as Pass)));
      const spread = (name: keyof typeof paths) =>
        `${fmt(Math.min(...passes[name].map(rateOf)))}–${fmt(Math.max(...passes[name].map(rateOf)))}`;

      lines.push(
        `| path | records/s (median of ${PASSES} rounds; range) | events/s | KMS Decrypt calls per ${fmt(total)} records |`,
        '| --- | ---: | ---: | ---: |',
        `| aurora-audit, whole path (decode → filter → normalize → redact → serialize → pack Firehose records), data-key cache | ${fmt(withCache.rate)} (${spread('withCache')}) | ${fmt(withCache.events)} | ${fmt(withCache.kmsCalls)} |`,
        `| aurora-audit, whole path, no cache | ${fmt(withoutCache.rate)} (${spread('withoutCache')}) | ${fmt(withoutCache.events)} | ${fmt(withoutCache.kmsCalls)} |`,
        `| SDK reference: Encryption SDK decrypt + gunzip + JSON.parse (KMS aside) | ${fmt(sdk.rate)} (${spread('sdk')}) | ${fmt(sdk.events)} (incl. heartbeats, service users) | – |`,
        `| fast path: decrypt (fast path, SDK fallback) + gunzip + JSON.parse | ${fmt(fast.rate)} (${spread('fast')}) | ${fmt(fast.events)} (incl. heartbeats, service users) | – |`,
        `| floor: node:crypto AES-256-GCM + gunzipSync + JSON.parse | ${fmt(floor.rate)} (${spread('floor')}) | ${fmt(floor.events)} | – |`,
        `whole path with cache = ${ratio('withCache', 'sdk').toFixed(0)}% of the SDK reference (median of the rounds' ratios; target ≥ 124%, and ≥ 1,686 records/s on the machine that measured it); ` +
          `KMS calls with cache = ${withCache.kmsCalls} for ${corpus.distinctKeys} distinct data keys (target: equal); ` +
          `rounds' ratios: ${passes.withCache.map((p, i) => `${((100 * rateOf(p)) / rateOf(passes.sdk[i] as Pass)).toFixed(0)}%`).join(', ')}; ` +
          `fast path = ${ratio('fast', 'floor').toFixed(0)}% of the floor (goal ≥ 33%); ` +
          `${fmt(packed / 2)} PutRecordBatch calls per ${fmt(total)} records (batches of ${KINESIS_BATCH_RECORDS}); peak RSS ${fmt(process.resourceUsage().maxRSS / 1024)} MiB`,
      );
      return lines;
    },
  },
];
