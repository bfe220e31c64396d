/**
 * Simulated AWS for the demo, at the SDK boundary only, exactly as the tests stub it (aws-sdk-client-mock on
 * the client classes, so the real handler modules' own clients are answered):
 * - KMS Decrypt by the local KMS stand-in (`cli/local/kms.ts`, real AES-GCM with the encryption context);
 * - Firehose PutRecordBatch: each batch's records deaggregated (`cli/local/aws/firehose.ts`) and written as
 *   Firehose's dynamic partitioning writes them,
 *   one GZIP object per partition under `events/cluster=…/day=…/hour=…/` of the local bucket (the delivery
 *   stream's prefix and partition-key query, as cli/local/aws/firehose.ts evaluates them);
 * - S3 PutObject (quarantine, report archive): files under the local bucket;
 * - DynamoDB (the alert Lambda's state table): the in-memory table of `cli/local/dynamodb-table.ts`;
 * - SNS Publish and SES SendRawEmail: captured for the `.eml` files;
 * - Athena GetQueryResults: served from the Athena simulator's results (set by the report run).
 * The real decrypt and alert handler modules are loaded with their deployed environments.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  AthenaClient,
  GetQueryResultsCommand,
  type GetQueryResultsCommandInput,
} from '@aws-sdk/client-athena';
import {
  FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandInput,
} from '@aws-sdk/client-firehose';
import { DecryptCommand, type DecryptCommandInput, KMSClient } from '@aws-sdk/client-kms';
import { PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { SESClient, SendRawEmailCommand, type SendRawEmailCommandInput } from '@aws-sdk/client-ses';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { FlushResult, SubscriptionResult } from '../../tasks/alert/process';
import { DUE_INDEX } from '../../tasks/alert/store';
import { parseAuditEvent } from '../../tasks/core/audit-event';
import type { SubscriptionEvent } from '../../tasks/core/cloudwatch-logs';
import { FIREHOSE_EVENTS_PREFIX, FIREHOSE_PARTITION_QUERY } from '../../tasks/core/storage-layout';
import {
  deliveredLines,
  partitionedPrefix,
  partitionKeys,
  SIMULATED_PARTITION_QUERY,
} from '../local/aws/firehose';
import { DynamoTable } from '../local/dynamodb-table';
import type { LocalKms } from '../local/kms';

export interface PublishedAlert {
  readonly subject: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly at: Date;
}

export interface SentEmail {
  readonly raw: string;
  readonly destinations: readonly string[];
  readonly source: string | undefined;
}

type DecryptHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;
type AlertHandler = (event: SubscriptionEvent | { flush: true }) => Promise<SubscriptionResult | FlushResult>;

export interface SimulatedAwsOptions {
  /** The local audit bucket's root (holds `events/…`, `quarantine/…`, `reports/…`). */
  readonly bucketDir: string;
  readonly kms: LocalKms;
}

export class SimulatedAws {
  readonly published: PublishedAlert[] = [];
  readonly sent: SentEmail[] = [];
  /** Objects written to the local bucket, by key. */
  readonly objects = new Map<string, Buffer>();
  /** Events Firehose accepted, and the calls that delivered them. */
  storedEvents = 0;
  firehoseCalls = 0;
  kmsCalls = 0;
  athenaResults: ((input: GetQueryResultsCommandInput) => unknown) | undefined;
  private readonly mocks = [
    mockClient(KMSClient),
    mockClient(FirehoseClient),
    mockClient(S3Client),
    mockClient(SNSClient),
    mockClient(SESClient),
    mockClient(AthenaClient),
  ] as const;
  private readonly table = new DynamoTable('pk', [
    { name: DUE_INDEX, partitionKey: 'dueKey', sortKey: 'dueAt' },
  ]);
  private objectCount = 0;

  constructor(private readonly options: SimulatedAwsOptions) {
    if (FIREHOSE_PARTITION_QUERY !== SIMULATED_PARTITION_QUERY)
      throw new Error(
        `the Firehose simulator evaluates ${SIMULATED_PARTITION_QUERY}, the delivery stream is configured with ${FIREHOSE_PARTITION_QUERY}`,
      );
    const [kms, firehose, s3, sns, ses, athena] = this.mocks;
    kms.on(DecryptCommand).callsFake((input: DecryptCommandInput) => {
      this.kmsCalls++;
      return {
        Plaintext: options.kms.decrypt(input.CiphertextBlob as Uint8Array, input.EncryptionContext ?? {}),
      };
    });
    firehose
      .on(PutRecordBatchCommand)
      .callsFake((input: PutRecordBatchCommandInput) => this.putRecords(input));
    s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
      this.writeObject(input.Key as string, bodyBytes(input.Body));
      return { ETag: '"local"' };
    });
    sns.on(PublishCommand).callsFake((input: PublishCommandInput) => {
      this.published.push({
        subject: input.Subject ?? '',
        message: input.Message ?? '',
        attributes: Object.fromEntries(
          Object.entries(input.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
        ),
        at: new Date(),
      });
      return { MessageId: `local-${this.published.length}` };
    });
    ses.on(SendRawEmailCommand).callsFake((input: SendRawEmailCommandInput) => {
      this.sent.push({
        raw: Buffer.from(input.RawMessage?.Data as Uint8Array).toString('utf8'),
        destinations: input.Destinations ?? [],
        source: input.Source,
      });
      return { MessageId: `local-ses-${this.sent.length}` };
    });
    athena.on(GetQueryResultsCommand).callsFake((input: GetQueryResultsCommandInput) => {
      if (!this.athenaResults) throw new Error('no Athena results to serve');
      return this.athenaResults(input);
    });
  }

  /** Firehose with dynamic partitioning: the batch's lines, one object per partition. */
  private putRecords(input: PutRecordBatchCommandInput) {
    this.firehoseCalls++;
    const records = input.Records ?? [];
    const byPrefix = new Map<string, Buffer[]>();
    let events = 0;
    for (const record of records) {
      // Deaggregation, newline, then each event's own partition keys and prefix (cli/local/aws/firehose.ts).
      for (const line of deliveredLines(record.Data as Uint8Array)) {
        parseAuditEvent(JSON.parse(line));
        const prefix = partitionedPrefix(FIREHOSE_EVENTS_PREFIX, partitionKeys(line));
        const lines = byPrefix.get(prefix) ?? [];
        lines.push(Buffer.from(line, 'utf8'));
        byPrefix.set(prefix, lines);
        events++;
      }
    }
    const stamp = new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '-');
    for (const [prefix, lines] of byPrefix) {
      this.objectCount++;
      const name = `aurora-audit-events-1-${stamp}-${String(this.objectCount).padStart(6, '0')}.json.gz`;
      this.writeObject(`${prefix}${name}`, gzipSync(Buffer.concat(lines)));
    }
    this.storedEvents += events;
    return { FailedPutCount: 0, RequestResponses: records.map((_, i) => ({ RecordId: `local-${i}` })) };
  }

  private writeObject(key: string, bytes: Buffer): void {
    const file = join(this.options.bucketDir, ...key.split('/'));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    this.objects.set(key, bytes);
  }

  /** The alert Lambda's state table items (alerts and digests), for counts. */
  alertStateItems(): Record<string, unknown>[] {
    return [...this.table.items.values()];
  }

  restore(): void {
    for (const m of this.mocks) m.restore();
    this.table.restore();
  }
}

function bodyBytes(body: unknown): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  throw new Error(`unexpected PutObject body ${typeof body}`);
}

/**
 * Loads a handler module with `env` as its process environment (the modules read their settings when
 * loaded), then puts the environment back. The module stays loaded with those settings.
 */
function loadWithEnvironment<T>(modulePath: string, env: Record<string, string>): T {
  const saved = new Map(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    // A CommonJS require, so the module is loaded now, after the environment is set (as Lambda does).
    return require(modulePath) as T;
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const QUIET = { POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_REGION: 'eu-west-1' };

/**
 * The real decrypt Lambda handler (`tasks/decrypt-activity-stream/handler.ts`) with its deployed
 * environment; its alert lines (pure JSON on stdout, what its log group receives) are returned per call.
 */
export function decryptLambda(
  env: Record<string, string>,
): (event: KinesisStreamEvent) => Promise<{ response: KinesisStreamBatchResponse; logLines: string[] }> {
  // The deployed RULES_FILE names the copy bundled beside the handler; unset, it uses the same built-in rules.
  const { RULES_FILE: _bundled, ...rest } = env;
  const { handler } = loadWithEnvironment<{ handler: DecryptHandler }>(
    '../../tasks/decrypt-activity-stream/handler',
    { ...rest, ...QUIET },
  );
  return async (event) => {
    const logLines: string[] = [];
    const write = process.stdout.write;
    // What the function writes to stdout is its log: keep it (the demo's display writes elsewhere).
    process.stdout.write = ((chunk: string | Uint8Array) => {
      logLines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l !== ''),
      );
      return true;
    }) as typeof process.stdout.write;
    try {
      return { response: await handler(event), logLines };
    } finally {
      process.stdout.write = write;
    }
  };
}

/** The real alert Lambda handler (`tasks/alert/handler.ts`) with its deployed environment and `overrides`. */
export function alertLambda(
  env: Record<string, string>,
  overrides: Record<string, string> = {},
): AlertHandler {
  const { handler } = loadWithEnvironment<{ handler: AlertHandler }>('../../tasks/alert/handler', {
    ...env,
    // The deployed RULES_FILE names the copy of the built-in rules bundled beside the handler.
    RULES_FILE: '../core/alerts/default-rules.yaml',
    ...QUIET,
    ...overrides,
  });
  return handler;
}
