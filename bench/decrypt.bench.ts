import { DataKeyCache } from '../tasks/core/das/data-key-cache';
import { normalizeActivityPayload, serviceUserSet } from '../tasks/core/das/normalize';
import { type DataKeyResolver, decodeActivityRecord } from '../tasks/core/das/record';
import { createRedactor } from '../tasks/core/redact';
import { activityEvent, activityRecord, CLUSTER_ID } from '../test/builders/activity-record';
import { LocalKms } from '../test/local/kms';
import type { Benchmark } from './harness';

const RECORDS = 2000;
const EVENTS_PER_RECORD = 10;
const DATA_KEYS = 20;

export const benchmarks: Benchmark[] = [
  {
    name: 'decrypt',
    description: `decode ${RECORDS} genuine records (${EVENTS_PER_RECORD} events each, ${DATA_KEYS} data keys) through the core with the data-key cache, one core`,
    run: async () => {
      const kms = new LocalKms();
      const keys = Array.from({ length: DATA_KEYS }, (_, i) => new Uint8Array(32).fill(i + 1));
      const keyBlobs = keys.map((k) => kms.encrypt(k, { 'aws:rds:dbc-id': CLUSTER_ID }).toString('base64'));
      const records: Buffer[] = [];
      for (let i = 0; i < RECORDS; i++) {
        const events = Array.from({ length: EVENTS_PER_RECORD }, () =>
          activityEvent({ class: 'WRITE', command: 'INSERT' }),
        );
        const r = await activityRecord(kms, events, { dataKey: keys[i % DATA_KEYS] });
        // Records of one key period carry the same key ciphertext.
        records.push(Buffer.from(JSON.stringify({ ...JSON.parse(r.json), key: keyBlobs[i % DATA_KEYS] })));
      }
      const bytes = records.reduce((n, r) => n + r.length, 0);
      const lines: string[] = [];
      for (const cached of [true, false]) {
        const cache = new DataKeyCache();
        kms.decryptCalls = 0;
        const kmsDecrypt = async (ct: Uint8Array) => kms.decrypt(ct, { 'aws:rds:dbc-id': CLUSTER_ID });
        const resolve: DataKeyResolver = cached
          ? (ct, b64, cluster) => cache.get(cluster, b64, () => kmsDecrypt(ct))
          : (ct) => kmsDecrypt(ct);
        const redact = createRedactor();
        const users = serviceUserSet();
        let events = 0;
        const start = process.hrtime.bigint();
        for (const data of records) {
          const { payload } = await decodeActivityRecord(data, CLUSTER_ID, resolve);
          events += normalizeActivityPayload(payload, { redact, serviceUserSet: users }).events.length;
        }
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        lines.push(
          `${cached ? 'with cache   ' : 'without cache'}: ${Math.round(RECORDS / seconds).toLocaleString('en-US')} records/s, ` +
            `${Math.round(events / seconds).toLocaleString('en-US')} events/s, ${(bytes / seconds / 1e6).toFixed(1)} MB/s of record data; ` +
            `KMS Decrypt calls: ${kms.decryptCalls} for ${RECORDS} records`,
        );
      }
      return lines;
    },
  },
];
