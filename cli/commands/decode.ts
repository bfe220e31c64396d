/**
 * `aurora-audit decode`: decrypts activity-stream records into audit events, exactly as the decrypt Lambda
 * does (same core, same filters, same redaction).
 */
import { toJsonLine } from '../../tasks/core/audit-event';
import { serviceUserSet } from '../../tasks/core/das/normalize';
import { processActivityRecord } from '../../tasks/core/das/pipeline';
import { decodeBase64 } from '../../tasks/core/das/record';
import { createRedactor } from '../../tasks/core/redact';
import { kmsResolver } from '../aws';
import { explainAwsError } from '../aws-settings';
import type { RegisterCommands } from '../io';
import { inputLines } from '../lines';
import { processingOptions } from '../processing-options';

interface DecodeOptions {
  clusterResourceId?: string;
  cluster?: string;
  config?: string;
  includeHeartbeats?: boolean;
  raw?: boolean;
}

/** A line is either the record's JSON or the base64 Kinesis data of it. */
export function recordBytes(line: string): Uint8Array {
  const text = line.trim();
  if (text.startsWith('{')) return Buffer.from(text, 'utf8');
  return decodeBase64(text, 'line');
}

export const register: RegisterCommands = ({ program, io, setExit }) => {
  program
    .command('decode')
    .description(
      'Decrypt activity-stream records (one per line: the record JSON or its base64 Kinesis data; stdin without FILE) and print audit events as JSON lines',
    )
    .argument('[file]', 'file of records, one per line (default: standard input)')
    .option('--cluster-resource-id <id>', 'the cluster resource id (cluster-…): the KMS encryption context')
    .option('--cluster <name>', 'resolve the resource id from the configuration by cluster name')
    .option('-c, --config <file>', 'configuration file (default: the embedded example)')
    .option('--include-heartbeats', 'also print heartbeat events')
    .option('--raw', 'print each decrypted payload unchanged (NOT redacted: it may contain secrets)')
    .action(async (file: string | undefined, opts: DecodeOptions) => {
      const resolved = processingOptions(opts, io);
      if (!resolved) {
        setExit(2);
        return;
      }
      const { clusterId } = resolved;
      if (clusterId === undefined) {
        io.stderr('decode needs --cluster-resource-id cluster-… or --cluster NAME\n');
        setExit(2);
        return;
      }
      const options = {
        resolveDataKey: kmsResolver(),
        redact: createRedactor(resolved.redactionPatterns),
        serviceUsers: serviceUserSet(resolved.serviceUsers),
        includeHeartbeats: opts.includeHeartbeats === true,
      };
      let n = 0;
      let failed = 0;
      for await (const line of inputLines(io, file)) {
        n++;
        if (line.trim() === '') continue;
        try {
          const processed = await processActivityRecord(recordBytes(line), clusterId, options);
          for (const warning of processed.decoded.warnings) io.stderr(`line ${n}: warning: ${warning}\n`);
          if (opts.raw) {
            io.stdout(`${processed.decoded.payloadJson}\n`);
            continue;
          }
          for (const event of processed.events) io.stdout(toJsonLine(event));
          for (const problem of processed.problems) io.stderr(`line ${n}: ${problem}\n`);
        } catch (err) {
          // Credentials, region, network: the same for every line; stop and say it once (cli/main.ts).
          if (explainAwsError(err)) throw err;
          failed++;
          io.stderr(`line ${n}: ${(err as Error).name}: ${(err as Error).message}\n`);
        }
      }
      setExit(failed > 0 ? 1 : 0);
    });
};
