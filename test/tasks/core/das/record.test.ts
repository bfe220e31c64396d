import { gzipSync } from 'node:zlib';
import { LocalKms } from '../../../../cli/local/kms';
import {
  activityEvent,
  activityRecord,
  CLUSTER_ID,
  heartbeatEvent,
  OTHER_CLUSTER_ID,
} from '../../../../cli/local/records/activity-stream';
import {
  ClusterMismatchError,
  DataKeyRejectedError,
  InvalidRecordError,
  PayloadDecompressionError,
  PayloadDecryptionError,
} from '../../../../tasks/core/das/errors';
import {
  type DataKeyResolver,
  decodeActivityRecord,
  decodeBase64,
  parseEnvelope,
} from '../../../../tasks/core/das/record';

const kms = new LocalKms();
const resolver: DataKeyResolver = async (ciphertext, _b64, cluster) => {
  try {
    return kms.decrypt(ciphertext, { 'aws:rds:dbc-id': cluster });
  } catch (err) {
    throw new DataKeyRejectedError((err as Error).message);
  }
};
const bytes = (json: string) => Buffer.from(json);

describe('decoding an activity-stream record', () => {
  it('decrypts a genuine multi-event record built with the Encryption SDK', async () => {
    const events = [activityEvent(), activityEvent({ class: 'READ', command: 'SELECT' }), heartbeatEvent()];
    const record = await activityRecord(kms, events);
    const decoded = await decodeActivityRecord(bytes(record.json), CLUSTER_ID, resolver);
    expect(decoded.payload.clusterId).toBe(CLUSTER_ID);
    expect(decoded.payload.databaseActivityEventList).toEqual(events);
    expect(decoded.version).toBe('1.1');
    expect(decoded.warnings).toEqual([]);
  });

  it('writes an Encryption SDK message with suite 0x0178, as Aurora does', async () => {
    const record = await activityRecord(kms, [activityEvent()]);
    const message = Buffer.from(JSON.parse(record.json).databaseActivityEvents, 'base64');
    expect(message[0]).toBe(1); // format version 1
    expect(message.readUInt16BE(2)).toBe(0x0178);
  });

  it('accepts an unknown version with a warning and ignores unknown envelope fields', async () => {
    const record = await activityRecord(kms, [activityEvent()], {
      version: '1.9',
      extraEnvelope: { future: 1 },
    });
    const decoded = await decodeActivityRecord(bytes(record.json), CLUSTER_ID, resolver);
    expect(decoded.warnings).toEqual(['record version "1.9" is not one of 1.0, 1.1; decoded anyway']);
    expect(decoded.payload.databaseActivityEventList).toHaveLength(1);
  });

  it('rejects data that is not JSON as an InvalidRecordError', async () => {
    await expect(decodeActivityRecord(bytes('not json'), CLUSTER_ID, resolver)).rejects.toThrow(
      InvalidRecordError,
    );
  });

  it.each([
    [{ type: 'Other' }, 'record type is "Other", expected "DatabaseActivityMonitoringRecords"'],
    [{ key: 42 }, 'record field key must be a non-empty string, got 42'],
    [{ version: null }, 'record field version must be a non-empty string, got null'],
  ])('rejects an envelope with %j', async (override, message) => {
    const record = await activityRecord(kms, [activityEvent()]);
    const json = JSON.stringify({ ...JSON.parse(record.json), ...override });
    expect(() => parseEnvelope(bytes(json))).toThrow(new InvalidRecordError(message));
  });

  it('rejects a truncated base64 payload instead of decoding what is left', async () => {
    const record = await activityRecord(kms, [activityEvent()]);
    const env = JSON.parse(record.json);
    env.databaseActivityEvents = env.databaseActivityEvents.slice(0, -3);
    await expect(decodeActivityRecord(bytes(JSON.stringify(env)), CLUSTER_ID, resolver)).rejects.toThrow(
      /databaseActivityEvents is not valid base64/,
    );
  });

  describe('strict base64', () => {
    it.each([
      ['', ''],
      ['AA==', '00'],
      ['AAA=', '0000'],
      ['AAAA', '000000'],
      ['+/+/', 'fbffbf'],
      // Padding bits that are not zero: not canonical, but RFC 4648 base64 all the same (accepted as before).
      ['QR==', '41'],
      ['QUJ=', '4142'],
    ])('accepts %j as the bytes %s', (text, hex) => {
      expect(decodeBase64(text, 'field').toString('hex')).toBe(hex);
    });

    it.each([
      ['base64url characters', '-_-_'],
      ['a space inside', 'AA AA'],
      ['a trailing newline', 'AAAA\n'],
      ['a cut-off quantum', 'AAAAA'],
      ['padding in the middle', 'AA==AAAA'],
      ['too much padding', 'A==='],
      ['missing padding', 'AA'],
    ])('rejects %s, which Node would decode anyway', (_what, text) => {
      expect(() => decodeBase64(text, 'field')).toThrow(InvalidRecordError);
      expect(() => decodeBase64(text, 'field')).toThrow(/field is not valid base64/);
    });
  });

  it('rejects a tampered payload as a PayloadDecryptionError', async () => {
    const record = await activityRecord(kms, [activityEvent()]);
    const env = JSON.parse(record.json);
    const msg = Buffer.from(env.databaseActivityEvents, 'base64');
    msg[msg.length - 40] = (msg[msg.length - 40] ?? 0) ^ 0xff;
    env.databaseActivityEvents = msg.toString('base64');
    await expect(decodeActivityRecord(bytes(JSON.stringify(env)), CLUSTER_ID, resolver)).rejects.toThrow(
      PayloadDecryptionError,
    );
  });

  it('fails like KMS when the data key was encrypted for another cluster', async () => {
    const record = await activityRecord(kms, [activityEvent()], { keyContextClusterId: OTHER_CLUSTER_ID });
    await expect(decodeActivityRecord(bytes(record.json), CLUSTER_ID, resolver)).rejects.toThrow(
      DataKeyRejectedError,
    );
  });

  it('rejects a payload that names another cluster than its stream', async () => {
    const record = await activityRecord(kms, [activityEvent()], { payloadClusterId: OTHER_CLUSTER_ID });
    await expect(decodeActivityRecord(bytes(record.json), CLUSTER_ID, resolver)).rejects.toThrow(
      new ClusterMismatchError(
        `record is for cluster ${OTHER_CLUSTER_ID} but arrived on the stream of ${CLUSTER_ID}`,
      ),
    );
  });

  it('stops decompressing at the bound and reports the record as too large', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const record = await activityRecord(kms, [], { compressedPayload: bomb });
    await expect(
      decodeActivityRecord(bytes(record.json), CLUSTER_ID, resolver, { maxDecompressedBytes: 1024 * 1024 }),
    ).rejects.toThrow(
      new PayloadDecompressionError('activity payload decompresses to more than 1048576 bytes'),
    );
  });

  it('rejects a payload that is not gzip', async () => {
    const record = await activityRecord(kms, [], { compressedPayload: Buffer.from('plain text') });
    await expect(decodeActivityRecord(bytes(record.json), CLUSTER_ID, resolver)).rejects.toThrow(/not gzip/);
  });

  it('decodes a record whose statement is 1 MB', async () => {
    const big = `SELECT '${'x'.repeat(1024 * 1024)}'`;
    const record = await activityRecord(kms, [activityEvent({ class: 'READ', commandText: big })]);
    const decoded = await decodeActivityRecord(bytes(record.json), CLUSTER_ID, resolver);
    expect(decoded.payload.databaseActivityEventList[0]?.commandText).toBe(big);
  });

  it('passes transient resolver failures through unchanged so the record is retried', async () => {
    const record = await activityRecord(kms, [activityEvent()]);
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'DataKeyUnavailableError' });
    await expect(
      decodeActivityRecord(bytes(record.json), CLUSTER_ID, async () => {
        throw throttled;
      }),
    ).rejects.toBe(throttled);
  });
});
