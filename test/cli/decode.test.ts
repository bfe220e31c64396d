import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { LocalKms } from '../../cli/local/kms';
import {
  activityEvent,
  activityRecord,
  CLUSTER_ID,
  heartbeatEvent,
  OTHER_CLUSTER_ID,
} from '../../cli/local/records/activity-stream';
import { parseAuditEvent } from '../../tasks/core/audit-event';
import { runCli, runCliWith } from '../helpers/cli';
import { cliTranscript, documentedTranscript } from '../helpers/transcript';

const kms = new LocalKms();
const kmsMock = mockClient(KMSClient);

beforeEach(() => {
  kmsMock.reset();
  kmsMock.on(DecryptCommand).callsFake((input) => ({
    Plaintext: kms.decrypt(input.CiphertextBlob, input.EncryptionContext ?? {}),
  }));
  process.env.AWS_REGION = 'eu-west-1';
});

function tempFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'aa-decode-')), 'records.txt');
  writeFileSync(file, content);
  return file;
}

describe('aurora-audit decode', () => {
  it('prints the normalized, redacted events of raw JSON and base64 lines from a file', async () => {
    const a = await activityRecord(kms, [
      activityEvent({ command: 'ALTER ROLE', commandText: "ALTER ROLE x PASSWORD 'cli-secret-1'" }),
    ]);
    const b = await activityRecord(kms, [
      activityEvent({ class: 'READ', command: 'SELECT' }),
      heartbeatEvent(),
    ]);
    const run = await runCli(
      'decode',
      '--cluster-resource-id',
      CLUSTER_ID,
      tempFile(`${a.json}\n${b.data}\n`),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((l) => parseAuditEvent(JSON.parse(l)));
    expect(events.map((e) => e.command)).toEqual(['ALTER ROLE', 'SELECT']);
    expect(events[0]?.commandText).toBe('ALTER ROLE x PASSWORD <REDACTED>');
    expect(run.stdout).not.toContain('cli-secret-1');
  });

  it('reads standard input without FILE and drops rdsadmin in any case', async () => {
    const r = await activityRecord(kms, [
      activityEvent({ dbUserName: 'RDSADMIN' }),
      activityEvent({ dbUserName: 'alice' }),
    ]);
    const run = await runCliWith({ stdin: `${r.data}\n` }, 'decode', '--cluster-resource-id', CLUSTER_ID);
    expect(run.code).toBe(0);
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).user),
    ).toEqual(['alice']);
  });

  it('prints heartbeats with --include-heartbeats', async () => {
    const r = await activityRecord(kms, [heartbeatEvent()]);
    const without = await runCliWith({ stdin: r.json }, 'decode', '--cluster-resource-id', CLUSTER_ID);
    const withHb = await runCliWith(
      { stdin: r.json },
      'decode',
      '--cluster-resource-id',
      CLUSTER_ID,
      '--include-heartbeats',
    );
    expect(without.stdout).toBe('');
    expect(withHb.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('prints the decrypted payload unchanged with --raw', async () => {
    const events = [activityEvent(), heartbeatEvent()];
    const r = await activityRecord(kms, events);
    const run = await runCliWith({ stdin: r.json }, 'decode', '--cluster-resource-id', CLUSTER_ID, '--raw');
    expect(JSON.parse(run.stdout)).toEqual({
      type: 'DatabaseActivityMonitoringRecord',
      clusterId: CLUSTER_ID,
      instanceId: expect.any(String),
      databaseActivityEventList: events,
    });
  });

  it('reports a failing line on stderr, still prints the others, and exits 1', async () => {
    const good = await activityRecord(kms, [activityEvent()]);
    const foreign = await activityRecord(kms, [activityEvent()], { keyContextClusterId: OTHER_CLUSTER_ID });
    const input = `${good.json}\nnot base64 at all!\n${foreign.json}\n\n${good.data}\n`;
    const run = await runCliWith({ stdin: input }, 'decode', '--cluster-resource-id', CLUSTER_ID);
    expect(run.code).toBe(1);
    expect(run.stdout.trim().split('\n')).toHaveLength(2);
    expect(run.stderr.split('\n').filter(Boolean)).toEqual([
      'line 2: InvalidRecordError: line is not valid base64 (length 18, not a multiple of 4)',
      expect.stringMatching(
        /^line 3: DataKeyRejectedError: KMS rejected the data key for cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ \(InvalidCiphertextException\)/,
      ),
    ]);
  });

  it('prints the transcript docs/cli.md shows (from these stubs): events redacted, a foreign record named', async () => {
    const grant = await activityRecord(kms, [
      activityEvent({
        statementId: 7,
        command: 'ALTER ROLE',
        commandText: "ALTER ROLE app_user PASSWORD 'hunter2'",
      }),
      heartbeatEvent(),
    ]);
    const drop = await activityRecord(kms, [
      activityEvent({
        statementId: 8,
        class: 'DDL',
        command: 'DROP TABLE',
        commandText: 'DROP TABLE scratch',
        objectType: 'TABLE',
        objectName: 'public.scratch',
      }),
    ]);
    const foreign = await activityRecord(kms, [activityEvent({ statementId: 9 })], {
      keyContextClusterId: OTHER_CLUSTER_ID,
    });
    const file = tempFile(`${grant.json}\n${foreign.data}\n${drop.data}\n`);
    const shown = await cliTranscript(['decode', '--cluster', 'orders-db', file], {
      shown: 'aurora-audit decode --cluster orders-db records.txt',
    });
    expect(shown).toContain('PASSWORD <REDACTED>');
    expect(shown).not.toContain('hunter2');
    expect(shown).toBe(documentedTranscript('decode'));
  });

  it('resolves the cluster resource id from the configuration with --cluster', async () => {
    const r = await activityRecord(kms, [activityEvent()]);
    const run = await runCliWith({ stdin: r.json }, 'decode', '--cluster', 'orders-db');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).clusterId).toBe(CLUSTER_ID);
    expect(kmsMock.commandCalls(DecryptCommand)[0]?.args[0].input.EncryptionContext).toEqual({
      'aws:rds:dbc-id': CLUSTER_ID,
    });
  });

  it('names an unknown cluster and a missing cluster option with exit 2', async () => {
    expect(await runCli('decode', '--cluster', 'nope')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('cluster "nope" is not in the configuration'),
    });
    expect(await runCliWith({ stdin: '' }, 'decode')).toMatchObject({
      code: 2,
      stderr: 'decode needs --cluster-resource-id cluster-… or --cluster NAME\n',
    });
  });

  it('makes one KMS call for many records that share a data key', async () => {
    const dataKey = new Uint8Array(32).fill(9);
    const records = await Promise.all(
      Array.from({ length: 5 }, () => activityRecord(kms, [activityEvent()], { dataKey })),
    );
    const key = JSON.parse(records[0]!.json).key;
    const input = records.map((r) => JSON.stringify({ ...JSON.parse(r.json), key })).join('\n');
    const run = await runCliWith({ stdin: input }, 'decode', '--cluster-resource-id', CLUSTER_ID);
    expect(run.code).toBe(0);
    expect(kmsMock.commandCalls(DecryptCommand)).toHaveLength(1);
  });
});
