/**
 * The chart assets in the deployed shape: esbuild bundles the code into one file, the construct copies
 * REPORT_ASSET_FILES beside it, and the bundle renders the chart with no node_modules anywhere.
 */
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { REPORT_ASSET_FILES, reportAssetCopyCommands } from '../../../tasks/render-report/assets';

const root = resolve(__dirname, '../../..');

describe('the report Lambda assets', () => {
  it('lists the WebAssembly module and the font as absolute files that exist', () => {
    expect(REPORT_ASSET_FILES.map((f) => f.name)).toEqual(['resvg.wasm', 'DejaVuSans.ttf']);
    for (const f of REPORT_ASSET_FILES) {
      expect(isAbsolute(f.source)).toBe(true);
      expect(existsSync(f.source)).toBe(true);
    }
  });

  it('renders the chart from a one-file bundle with the assets copied beside it, and from REPORT_ASSETS_DIR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aa-report-bundle-'));
    try {
      const entry = join(dir, 'entry.ts');
      writeFileSync(
        entry,
        [
          `import { activityChartSvg, svgToPng } from ${JSON.stringify(join(root, 'tasks/core/report/chart'))};`,
          `import { loadReportAssets } from ${JSON.stringify(join(root, 'tasks/render-report/assets'))};`,
          `svgToPng(activityChartSvg([{ date: '2026-11-23', bySource: { das: 3 } }], { timeZone: 'UTC' }), loadReportAssets())`,
          `  .then((png) => console.log(JSON.stringify({ bytes: png.length, width: Buffer.from(png).readUInt32BE(16) })));`,
        ].join('\n'),
      );
      const out = join(dir, 'asset');
      await build({
        entryPoints: [entry],
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        outfile: join(out, 'index.js'),
        logLevel: 'silent',
      });
      for (const command of reportAssetCopyCommands(out)) execSync(command);
      const run = (cwd: string, env: Record<string, string> = {}) =>
        JSON.parse(
          execFileSync(process.execPath, [join(cwd, 'index.js')], {
            cwd,
            env: { PATH: process.env.PATH ?? '', ...env },
            stdio: ['ignore', 'pipe', 'pipe'],
          }).toString(),
        );
      expect(run(out)).toMatchObject({ width: 1440 });
      // Elsewhere, with the assets in another directory named by REPORT_ASSETS_DIR.
      const code = join(dir, 'code');
      const assets = join(dir, 'assets');
      mkdirSync(code);
      mkdirSync(assets);
      renameSync(join(out, 'index.js'), join(code, 'index.js'));
      for (const f of REPORT_ASSET_FILES) renameSync(join(out, f.name), join(assets, f.name));
      expect(run(code, { REPORT_ASSETS_DIR: assets })).toMatchObject({ width: 1440 });
      expect(() => run(code)).toThrow(/ReportAssetError: resvg.wasm not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
