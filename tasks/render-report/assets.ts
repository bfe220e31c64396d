/**
 * The files the report Lambda needs beside its code: resvg's WebAssembly module and the DejaVu Sans font
 * for the chart. esbuild bundles the code into one file but not these, so the workflow construct copies
 * {@link REPORT_ASSET_FILES} next to the bundle (`commandHooks.afterBundling`, see
 * {@link reportAssetCopyCommands}); the Lambda reads them from `REPORT_ASSETS_DIR` or from beside its code,
 * and tests and tsx read them from `node_modules`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChartAssets } from '../core/report/chart';

export interface ReportAssetFile {
  /** Absolute path of the file in `node_modules`, resolved when this module loads (at synth time). */
  readonly source: string;
  /** The file's name beside the bundle. */
  readonly name: string;
}

const WASM = { spec: '@resvg/resvg-wasm/index_bg.wasm', name: 'resvg.wasm' } as const;
const FONT = { spec: 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf', name: 'DejaVuSans.ttf' } as const;

/** `require.resolve`, or '' where there is no node_modules (inside the bundle, where it is not needed). */
function resolvePackageFile(spec: string): string {
  try {
    return require.resolve(spec);
  } catch {
    return '';
  }
}

/** What the construct copies beside the bundle. */
export const REPORT_ASSET_FILES: readonly ReportAssetFile[] = [
  { source: resolvePackageFile(WASM.spec), name: WASM.name },
  { source: resolvePackageFile(FONT.spec), name: FONT.name },
];

export class ReportAssetError extends Error {
  override readonly name = 'ReportAssetError';
}

/** Shell commands for `commandHooks.afterBundling`: copy every asset into the bundle's output directory. */
export function reportAssetCopyCommands(outputDir: string): string[] {
  return REPORT_ASSET_FILES.map((f) => {
    if (!f.source) throw new ReportAssetError(`cannot resolve ${f.name} in node_modules`);
    return `cp "${f.source}" "${join(outputDir, f.name)}"`;
  });
}

function read(file: { spec: string; name: string }, dir: string | undefined): Uint8Array {
  const candidates = [
    ...(dir ? [join(dir, file.name)] : []),
    join(__dirname, file.name),
    resolvePackageFile(file.spec),
  ].filter(Boolean);
  for (const path of candidates) if (existsSync(path)) return new Uint8Array(readFileSync(path));
  throw new ReportAssetError(`${file.name} not found (looked in ${candidates.join(', ')})`);
}

let cached: ChartAssets | undefined;

/**
 * The chart assets, read once per process: from `dir` (default `process.env.REPORT_ASSETS_DIR`), else
 * beside this code (the bundle), else from node_modules (tests, tsx).
 */
export function loadReportAssets(dir: string | undefined = process.env.REPORT_ASSETS_DIR): ChartAssets {
  cached ??= { wasm: read(WASM, dir), fonts: [read(FONT, dir)] };
  return cached;
}
