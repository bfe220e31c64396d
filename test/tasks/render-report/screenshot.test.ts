/**
 * The report as a reader sees it: the email's HTML rendered by headless Chromium (the inline `cid:` chart
 * swapped for a data URL in the copy rendered), kept as `test-artifacts/report.png`. Needs the Debian
 * package `chromium` (installed by `npm test`'s set-up step).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { leaves, parseMime } from '../../../cli/local/mime';
import type { AuditEvent } from '../../../tasks/core/audit-event';
import { auditDay, CLUSTER_B, event, reportWorld } from './report-world';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACT = resolve(__dirname, '../../../test-artifacts/report.png');

/** A week of routine activity of varying volume around the busy day, on both clusters. */
function auditWeek(): AuditEvent[] {
  const events = auditDay();
  const volumes = [34, 41, 28, 52, 19, 8];
  volumes.forEach((n, d) => {
    const day = `2026-11-${String(17 + d).padStart(2, '0')}`;
    for (let i = 0; i < n; i += 1) {
      const t = `${day}T${String(6 + (i % 14)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00.000Z`;
      events.push(
        i % 4 === 0
          ? event(t, {
              source: 'pgaudit',
              auditType: 'SESSION',
              class: 'WRITE',
              command: 'UPDATE',
              user: 'etl_user',
              remoteHost: '10.0.0.7',
            })
          : event(t, {
              user: 'app_user',
              remoteHost: '10.0.0.5',
              clusterId: i % 5 === 0 ? CLUSTER_B : undefined,
            }),
      );
    }
  });
  return events;
}

function png(file: string): { width: number; height: number; bytes: number } {
  const b = readFileSync(file);
  expect(b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), bytes: b.length };
}

describe('the report in a browser', () => {
  it('renders in headless Chromium with its chart, and the screenshot is kept as a test artifact', async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} is missing: run npm test (its set-up installs the Debian package chromium)`,
      );
    const world = await reportWorld(auditWeek());
    const dir = mkdtempSync(join(tmpdir(), 'aa-report-shot-'));
    try {
      const { render } = await world.prepareAndRun({ from: '2026-11-17', to: '2026-11-23' });
      await world.render(render);
      const [, htmlPart, image] = leaves(parseMime(world.sent[0]!.raw));
      const cid = image!.headers.get('content-id')!.slice(1, -1);
      const html = htmlPart!.body.toString('utf8');
      expect(html).toContain(`src="cid:${cid}"`);
      const page = join(dir, 'report.html');
      writeFileSync(
        page,
        html.split(`cid:${cid}`).join(`data:image/png;base64,${image!.body.toString('base64')}`),
      );
      const shot = join(dir, 'report.png');
      execFileSync(
        CHROMIUM,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          `--user-data-dir=${join(dir, 'profile')}`,
          `--screenshot=${shot}`,
          '--window-size=900,1600',
          `file://${page}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
      );
      const size = png(shot);
      expect(size).toMatchObject({ width: 900, height: 1600 });
      // A blank or broken page compresses to a few kilobytes; the report with its chart does not.
      expect(size.bytes).toBeGreaterThan(60_000);
      mkdirSync(resolve(ARTIFACT, '..'), { recursive: true });
      writeFileSync(ARTIFACT, readFileSync(shot));
    } finally {
      world.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
