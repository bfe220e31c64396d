/**
 * Cold start of every project Lambda, measured on bundles built as `projectFunction` builds them (the same
 * esbuild options and plugin: `lambdaBuildOptions` in infra/constructs/lambda-bundle.ts) with the files bundled beside the code
 * (the compiled rules). For each Lambda: the size of `index.js` and of its source map, and the load time — the
 * wall time of a fresh `node` process that requires the bundle with the deployed environment (settings parsed,
 * rules loaded, clients created: the work of a cold start before the first event) — next to `node -e 0`.
 *
 * The machine is shared (2 cores, other sessions): every figure is the median of N fresh processes, the
 * variants interleaved run by run so that a busy moment hits all of them alike (`COLD_START_RUNS`, default 21).
 *
 * Source maps: each bundle is loaded with the Lambda's NODE_OPTIONS (`LAMBDA_NODE_OPTIONS`), and for the
 * decision recorded in docs/security-and-operations.md also with `--enable-source-maps` on maps with and without
 * `sourcesContent`; the error path is the time to format the stack of an error thrown inside the bundle
 * (first access, then a second error).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_BUNDLE, lambdaBuildOptions } from '../infra/constructs/lambda-bundle';
import { LAMBDA_NODE_OPTIONS } from '../infra/constructs/project-function';
import { COMPILED_RULES_FILE, compiledRulesText, DEFAULT_RULES_PATH } from '../tasks/core/alerts/rules';
import type { Benchmark } from './harness';

const RUNS = Number(process.env.COLD_START_RUNS ?? 21);
const RESOURCE_ID = `cluster-${'A'.repeat(26)}`;
const CLUSTERS = JSON.stringify([
  {
    identifier: 'orders-db',
    resourceId: RESOURCE_ID,
    activityStreamKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    silentInstances: [],
  },
]);

/**
 * Today's figures before issue 21's lean bundles, measured by this bench on the same machine (branch h21b
 * before its changes: zod, yaml, the whole Encryption SDK client and the DynamoDB client in the decrypt bundle;
 * load time above `node -e 0` with `--enable-source-maps`, medians of 21: 962 ms against 114 ms, on a busy
 * machine; the first stack formatted with source maps on cost 709 ms, 6 ms without).
 */
export const BEFORE = {
  decrypt: { bundleBytes: 1_815_839, mapBytes: 6_274_586, loadAboveEmptyMs: 848 },
} as const;

interface LambdaUnderTest {
  readonly name: string;
  readonly entry: string;
  readonly env: Readonly<Record<string, string>>;
  /** Files written beside the bundle (as `projectFunction` copies them). */
  readonly files?: Readonly<Record<string, string>>;
}

const rulesFile = () => ({ [COMPILED_RULES_FILE]: compiledRulesText(DEFAULT_RULES_PATH) });

/** Every project Lambda with the environment its construct deploys (file settings given inline). */
const LAMBDAS: readonly LambdaUnderTest[] = [
  {
    name: 'decrypt',
    entry: 'tasks/decrypt-activity-stream/handler.ts',
    env: {
      AUDIT_BUCKET: 'audit-bucket',
      DELIVERY_STREAM_NAME: 'audit-events',
      CLUSTER_RESOURCE_IDS: RESOURCE_ID,
      RULES_FILE: COMPILED_RULES_FILE,
    },
    files: rulesFile(),
  },
  {
    name: 'alert',
    entry: 'tasks/alert/handler.ts',
    env: {
      ALERT_TABLE: 'state',
      AUDIT_BUCKET: 'audit-bucket',
      TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:alerts',
      DELIVERY_STREAM_NAME: 'audit-events',
      DECRYPT_LOG_GROUP: '/aws/lambda/decrypt',
      CLUSTERS,
      SUBJECT_PREFIX: 'aurora-audit',
      GLUE_TABLE: 'db.events',
      RULES_FILE: COMPILED_RULES_FILE,
    },
    files: rulesFile(),
  },
  {
    name: 'plan',
    entry: 'tasks/plan-maintenance-window/handler.ts',
    env: {
      CLUSTERS,
      STREAM_ARN_PREFIX: 'arn:aws:kinesis:eu-west-1:123456789012:stream/aws-rds-das-',
      MAX_WAIT_SECONDS: '600000',
      LOCK_TTL_SECONDS: '694800',
    },
  },
  {
    name: 'report',
    entry: 'tasks/render-report/handler.ts',
    env: {
      CLUSTERS,
      RECIPIENTS: '["compliance@example.com"]',
      SENDER: 'example.com',
      SUBJECT_PREFIX: 'aurora-audit',
      BUCKET: 'audit-bucket',
      WORKGROUP: 'aurora-audit',
    },
  },
  { name: 'log-retention', entry: 'tasks/postgres-log-retention/handler.ts', env: {} },
];

interface Built {
  readonly lambda: LambdaUnderTest;
  /** The bundle as deployed. */
  readonly dir: string;
  /** The same bundle with a source map without `sourcesContent`. */
  readonly leanMapDir: string;
}

async function bundle(lambda: LambdaUnderTest, out: string, sourcesContent: boolean): Promise<string> {
  const dir = join(out, `${lambda.name}${sourcesContent === LAMBDA_BUNDLE.sourcesContent ? '' : '-alt-map'}`);
  mkdirSync(dir, { recursive: true });
  await build({
    ...lambdaBuildOptions(lambda.entry, join(dir, 'index.js'), { sourcesContent }),
    logLevel: 'error',
  });
  for (const [name, content] of Object.entries(lambda.files ?? {})) writeFileSync(join(dir, name), content);
  return dir;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const nodeEnv = (lambda: LambdaUnderTest | undefined) => ({
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'bench',
  ...(lambda?.env ?? {}),
});

/** Wall time of one fresh `node` process (ms). */
function timeNode(flags: readonly string[], script: string, lambda?: LambdaUnderTest): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...flags, '-e', script], { env: nodeEnv(lambda), encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`node ${flags.join(' ')} -e ${script} failed: ${r.stderr}`);
  return ms;
}

const requireScript = (dir: string) => `require(${JSON.stringify(join(dir, 'index.js'))})`;

/**
 * An error thrown inside the bundle (the handler called with no event) and the time to format its stack,
 * first and second time (ms); `undefined` when the handler does not throw on it.
 */
function errorPath(flags: readonly string[], built: Built, dir: string): [number, number] | undefined {
  const script = `
    const m = require(${JSON.stringify(join(dir, 'index.js'))});
    const fail = () => Promise.resolve().then(() => m.handler(undefined, {})).then(() => undefined, (e) => e);
    (async () => {
      const a = await fail(), b = await fail();
      if (!(a instanceof Error) || !(b instanceof Error)) { console.log('null'); return; }
      let t = performance.now(); String(a.stack); const first = performance.now() - t;
      t = performance.now(); String(b.stack); const second = performance.now() - t;
      console.log(JSON.stringify([first, second]));
    })();`;
  const r = spawnSync(process.execPath, [...flags, '-e', script], {
    env: { ...nodeEnv(built.lambda), POWERTOOLS_LOG_LEVEL: 'SILENT' },
    encoding: 'utf8',
  });
  const last = r.stdout.trim().split('\n').pop() ?? 'null';
  try {
    return (JSON.parse(last) as [number, number] | null) ?? undefined;
  } catch {
    return undefined;
  }
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const ms = (x: number) => `${x.toFixed(0)} ms`;

async function run(): Promise<string[]> {
  const out = mkdtempSync(join(tmpdir(), 'aurora-audit-cold-start-'));
  const builtAll: Built[] = [];
  for (const lambda of LAMBDAS) {
    builtAll.push({
      lambda,
      dir: await bundle(lambda, out, LAMBDA_BUNDLE.sourcesContent),
      leanMapDir: await bundle(lambda, out, !LAMBDA_BUNDLE.sourcesContent),
    });
  }
  const withMaps = ['--enable-source-maps'];
  const deployed = LAMBDA_NODE_OPTIONS.split(' ').filter((f) => f !== '');
  // Variants per Lambda: deployed flags; --enable-source-maps with the deployed map; with the other map
  // (sourcesContent flipped); no flags.
  type Variant = 'deployed' | 'mapsOn' | 'mapsOnAltMap' | 'noFlags';
  const samples = new Map<string, number[]>();
  const add = (key: string, v: number) => samples.set(key, [...(samples.get(key) ?? []), v]);
  for (let i = 0; i < RUNS; i++) {
    add('empty', timeNode([], '0'));
    for (const b of builtAll) {
      const variants: [Variant, readonly string[], string][] = [
        ['deployed', deployed, b.dir],
        ['mapsOn', withMaps, b.dir],
        ['mapsOnAltMap', withMaps, b.leanMapDir],
        ['noFlags', [], b.dir],
      ];
      for (const [variant, flags, dir] of variants)
        add(`${b.lambda.name}:${variant}`, timeNode(flags, requireScript(dir), b.lambda));
    }
  }
  const empty = median(samples.get('empty') ?? []);
  const m = (name: string, v: Variant) => median(samples.get(`${name}:${v}`) ?? []);
  const altLabel = LAMBDA_BUNDLE.sourcesContent ? 'map without sourcesContent' : 'map with sourcesContent';
  const lines = [
    `load time: median of ${RUNS} fresh node processes per figure (busy shared machine: medians, variants interleaved)`,
    `deployed: minify ${LAMBDA_BUNDLE.minify}, sourcesContent ${LAMBDA_BUNDLE.sourcesContent}, mainFields ${LAMBDA_BUNDLE.mainFields?.join(',') ?? 'esbuild default'}; NODE_OPTIONS "${LAMBDA_NODE_OPTIONS}"`,
    `node -e 0: ${ms(empty)}`,
    '',
    'lambda          index.js     map   load (deployed flags)  above node -e 0 | --enable-source-maps  (alt map)  no flags',
  ];
  for (const b of builtAll) {
    const size = statSync(join(b.dir, 'index.js')).size;
    const map = statSync(join(b.dir, 'index.js.map')).size;
    const altMap = statSync(join(b.leanMapDir, 'index.js.map')).size;
    const n = b.lambda.name;
    lines.push(
      `${n.padEnd(14)} ${kb(size).padStart(9)} ${kb(map).padStart(8)} ${ms(m(n, 'deployed')).padStart(10)} ${ms(m(n, 'deployed') - empty).padStart(22)}   | ${ms(m(n, 'mapsOn')).padStart(8)} ${ms(m(n, 'mapsOnAltMap')).padStart(12)} (${kb(altMap)}) ${ms(m(n, 'noFlags')).padStart(8)}`,
    );
  }
  lines.push('', `alt map = ${altLabel}`);
  lines.push(
    '',
    'error path: formatting the stack of an error thrown in the bundle (median first / second error)',
  );
  for (const b of builtAll) {
    const row: string[] = [];
    for (const [label, flags, dir] of [
      ['no flags', [], b.dir],
      ['--enable-source-maps', withMaps, b.dir],
      [`--enable-source-maps, ${altLabel}`, withMaps, b.leanMapDir],
    ] as const) {
      const runs = Array.from({ length: Math.max(3, Math.ceil(RUNS / 3)) }, () => errorPath(flags, b, dir));
      if (runs.some((r) => r === undefined)) {
        row.push(`${label}: handler does not throw`);
        break;
      }
      const first = median(runs.map((r) => (r as [number, number])[0]));
      const second = median(runs.map((r) => (r as [number, number])[1]));
      row.push(`${label} ${first.toFixed(2)} / ${second.toFixed(2)} ms`);
    }
    lines.push(`  ${b.lambda.name.padEnd(14)} ${row.join('; ')}`);
  }
  const d = builtAll.find((b) => b.lambda.name === 'decrypt');
  if (d) {
    const size = readFileSync(join(d.dir, 'index.js')).length;
    const above = m('decrypt', 'deployed') - empty;
    const beforeAbove = BEFORE.decrypt.loadAboveEmptyMs;
    lines.push(
      '',
      `target: decrypt bundle ≤ 600 KB: ${kb(size)} (before: ${kb(BEFORE.decrypt.bundleBytes)}) ${size <= 600 * 1024 ? 'MET' : 'NOT MET'}`,
      `target: decrypt load above node -e 0 ≤ half of before (${ms(beforeAbove)} recorded → ≤ ${ms(beforeAbove / 2)}): ${ms(above)} ${above <= beforeAbove / 2 ? 'MET' : 'NOT MET'}`,
    );
  }
  return lines;
}

export const benchmarks: Benchmark[] = [
  {
    name: 'cold-start',
    description: 'each Lambda bundle: size (index.js, map) and load time next to node -e 0',
    run,
  },
];
