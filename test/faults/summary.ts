/**
 * The fault and abuse suite's shared accounting (issue 12). Each test file records what the code under test
 * actually did (Firehose entries accepted, quarantine PutObjects whose original bytes equal the input byte for
 * byte, batch-item failures, SNS/SES messages) into one invariant's tally; `afterAll` prints its summary line
 *
 *   `<invariant>: cases N, delivered N, quarantined N, retried N, lost 0, leaked secrets 0`
 *
 * with the original `process.stdout.write` (tests spy on it to capture Lambda output), so `npm run
 * test:faults` shows one line per invariant. The seeded PRNG and the test passwords live here too.
 */

/** The passwords the suite plants in statements, connection strings and configured-redaction patterns. */
export const TEST_SECRETS = [
  'S3cr3t-Pa55w0rd-create-role',
  'S3cr3t-Pa55w0rd-alter-user',
  'S3cr3t-Pa55w0rd-conn-string',
  'S3cr3t-Pa55w0rd-dollar-quoted',
  'S3cr3t-Pa55w0rd-escape-string',
  'tok_s3cr3tfuzztoken0042',
] as const;

/** The configured extra redaction pattern that covers the token above (`redaction.extraPatterns`). */
export const TOKEN_PATTERN = 'tok_[a-z0-9]+';
/** A connection-string pattern with a capturing group: only the password part is replaced. */
export const CONNECTION_PATTERN = 'postgres(?:ql)?://[^:/\\s]+:([^@\\s]+)@';
export const EXTRA_PATTERNS: readonly string[] = [TOKEN_PATTERN, CONNECTION_PATTERN];

/** Statements carrying each secret, as a user would type them. */
export function secretStatements(): string[] {
  const [create, alter, conn, dollar, escaped, token] = TEST_SECRETS;
  return [
    `CREATE ROLE reporting LOGIN PASSWORD '${create}'`,
    `ALTER USER app_user WITH ENCRYPTED PASSWORD '${alter}' VALID UNTIL '2027-01-01'`,
    `SELECT dblink_connect('postgresql://etl:${conn}@10.0.0.9:5432/appdb')`,
    `ALTER ROLE batch PASSWORD $pw$${dollar}$pw$`,
    `CREATE USER legacy PASSWORD E'${escaped}'`,
    `UPDATE api_keys SET value = '${token}' WHERE id = 1`,
  ];
}

/** The test passwords found in `text` (bytes are read as UTF-8). */
export function secretsIn(text: string | Uint8Array): string[] {
  const s = typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
  return TEST_SECRETS.filter((secret) => s.includes(secret));
}

/** A small seeded PRNG (mulberry32): the same seed gives the same cases. */
export { seededRandom as prng } from '../../cli/local/random';

export const FUZZ_SEED = Number(process.env.AURORA_AUDIT_FUZZ_SEED ?? 20261124);
/** Cases per fuzz run: AURORA_AUDIT_FUZZ_CASES raises them (default 10,000 activity-stream records). */
export const FUZZ_CASES = Number(process.env.AURORA_AUDIT_FUZZ_CASES ?? 10_000);

export interface Tally {
  cases: number;
  delivered: number;
  quarantined: number;
  retried: number;
  lost: number;
  leakedSecrets: number;
}

/** What happened to one input, as observed at the SDK boundary and in the handler's response. */
export interface ObservedOutcome {
  /** A caller-chosen id (e.g. the Kinesis sequence number). */
  readonly id: string;
  /** Events the input carries that must be stored (known from how the input was built). */
  readonly expectedEvents: number;
  /** Of those, how many Firehose accepted (counted from PutRecordBatch entries that came back accepted). */
  readonly deliveredEvents: number;
  /** A quarantine PutObject holds the input's original bytes, compared byte for byte. */
  readonly quarantinedWithBytes: boolean;
  /** The input is in the response's batchItemFailures (or its invocation failed and will be redelivered). */
  readonly reportedFailure: boolean;
}

export type Verdict = 'delivered' | 'quarantined' | 'retried' | 'lost';

/**
 * Nothing is dropped: an input is retried (reported as a failure, so Lambda delivers it again), quarantined
 * with its bytes, or every event it carries was accepted by Firehose. Anything else is a loss.
 */
export function verdictOf(o: ObservedOutcome): Verdict {
  if (o.reportedFailure) return 'retried';
  if (o.quarantinedWithBytes) return 'quarantined';
  if (o.deliveredEvents >= o.expectedEvents) return 'delivered';
  return 'lost';
}

/** Adds the outcomes to the tally; returns the lost ones (for the test's failure message). */
export function account(tally: Tally, outcomes: readonly ObservedOutcome[]): ObservedOutcome[] {
  const lost: ObservedOutcome[] = [];
  for (const o of outcomes) {
    tally.cases++;
    const verdict = verdictOf(o);
    if (verdict === 'lost') {
      tally.lost++;
      lost.push(o);
    } else if (verdict === 'retried') tally.retried++;
    else if (verdict === 'quarantined') tally.quarantined++;
    else tally.delivered++;
  }
  return lost;
}

/** Counts the secrets in captured output into the tally; returns them. */
export function scanSecrets(tally: Tally, where: string, text: string | Uint8Array): string[] {
  const found = secretsIn(text).map((s) => `${s} in ${where}`);
  tally.leakedSecrets += found.length;
  return found;
}

// Kept before any test spies on process.stdout.write.
const write = process.stdout.write.bind(process.stdout);

export function summaryLine(name: string, t: Tally): string {
  return `${name}: cases ${t.cases}, delivered ${t.delivered}, quarantined ${t.quarantined}, retried ${t.retried}, lost ${t.lost}, leaked secrets ${t.leakedSecrets}`;
}

/**
 * The tally of one invariant; its summary line is printed after the file's tests (call at the top level of a
 * test file). `details` adds context after the line (seed, case mix), printed on the next line.
 */
export function invariant(name: string, details?: () => string): Tally {
  const tally: Tally = { cases: 0, delivered: 0, quarantined: 0, retried: 0, lost: 0, leakedSecrets: 0 };
  afterAll(() => {
    const extra = details?.();
    write(`\n${summaryLine(name, tally)}\n${extra ? `  ${extra}\n` : ''}`);
  });
  return tally;
}
