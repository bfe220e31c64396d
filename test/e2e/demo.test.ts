/**
 * `npm run demo` end to end, on the same path as the command (`runDemo`), with a smaller workload, into a
 * temporary directory: the enablement run, the alerts of the reference scenario from both sources (one email
 * per statement), no password anywhere, the stored events, the report email, its HTML and screenshot, and
 * nothing left running.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { textDisplay } from '../../cli/demo/display';
import { type DemoResult, runDemo } from '../../cli/demo/run-demo';
import { APP_PASSWORD, SECRET } from '../../cli/demo/scenario';
import { decodeWords, leaves, type MimeNode, parseMime, structure } from '../../cli/local/mime';

const RESOURCE_ID = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ';

let root: string;
let result: DemoResult;
let output = '';

interface Email {
  readonly file: string;
  readonly mime: MimeNode;
  readonly subject: string;
  readonly body: string;
}

function email(file: string): Email {
  const mime = parseMime(readFileSync(file, 'utf8'));
  return {
    file,
    mime,
    subject: decodeWords(mime.headers.get('subject') ?? ''),
    body: leaves(mime)
      .map((l) => l.body.toString('utf8'))
      .join('\n'),
  };
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** A file's text as a reader (or Athena) sees it: gunzipped, MIME parts decoded. */
function readable(file: string): string {
  const bytes = readFileSync(file);
  if (file.endsWith('.gz')) return gunzipSync(bytes).toString('utf8');
  if (file.endsWith('.eml')) return `${bytes.toString('utf8')}\n${email(file).body}`;
  return bytes.toString('utf8');
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'aa-demo-e2e-'));
  result = await runDemo({
    outDir: join(root, 'demo-out'),
    statements: 200,
    display: textDisplay(
      (text) => {
        output += text;
      },
      { interactive: false, totalPhases: 6 },
    ),
    correlationHoldSeconds: 2,
    handleSignals: false,
  });
}, 120_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('npm run demo', () => {
  it('runs the synthesized enablement workflow to SUCCEEDED and shows its steps', () => {
    expect(result.enable.status).toBe('SUCCEEDED');
    expect(result.enable.simulatedSeconds).toBeGreaterThanOrEqual(20 * 60);
    expect(output).toMatch(/✓ Start activity stream/);
    expect(output).toMatch(/✓ Create event source mapping/);
    expect(output).toMatch(/SIMULATED activity stream/);
    const notice = email(join(result.outDir, 'workflows', 'enable-notification.eml'));
    expect(notice.subject).toBe('[aurora-audit] Activity stream enabled: orders-db');
  });

  it("emails the reference scenario's alerts, each statement once, naming both sources", () => {
    const emails = readdirSync(join(result.outDir, 'alerts'))
      .sort()
      .map((f) => email(join(result.outDir, 'alerts', f)));
    const subjects = emails.map((e) => e.subject);
    expect(subjects).toEqual(
      expect.arrayContaining([
        '[aurora-audit] HIGH privilege-changes on orders-db: app_user GRANT',
        '[aurora-audit] HIGH privilege-changes on orders-db: app_user REVOKE',
        '[aurora-audit] HIGH privilege-changes on orders-db: app_user ALTER ROLE',
        '[aurora-audit] CRITICAL audit-tampering on orders-db: postgres ALTER ROLE',
        '[aurora-audit] MEDIUM failed-logins on orders-db: app_user AUTH FAILURE',
      ]),
    );
    for (const e of emails) {
      expect(e.mime.type).toBe('text/plain');
      for (const h of ['from', 'to', 'date', 'message-id']) expect(e.mime.headers.get(h)).toBeTruthy();
    }
    // Cross-source deduplication: one email for the GRANT, seen by both sources.
    const grants = emails.filter((e) => e.subject.endsWith('app_user GRANT'));
    expect(grants).toHaveLength(1);
    expect(grants[0]?.body).toContain('Seen by: Database Activity Streams and pgAudit');
    expect(grants[0]?.mime.headers.get('x-aurora-audit-source')).toBe('das,pgaudit');
    const password = emails.find((e) => e.subject.endsWith('app_user ALTER ROLE'));
    expect(password?.body).toContain('ALTER ROLE app_user_new PASSWORD <REDACTED>');
    const tampering = emails.find((e) => e.subject.includes('audit-tampering'));
    expect(tampering?.mime.headers.get('x-aurora-audit-severity')).toBe('CRITICAL');
    expect(tampering?.body).toContain("ALTER ROLE app_user SET pgaudit.log = 'none';");
    // Every statement seen by both sources has one email; the failed login only by pgAudit.
    expect(new Set(subjects).size).toBe(subjects.length);
    expect(result.alerts.filter((a) => a.sources === 'das,pgaudit').length).toBe(result.alerts.length - 1);
  });

  it('never writes a password to any output file', () => {
    const all = files(result.outDir);
    expect(all.length).toBeGreaterThan(20);
    for (const file of all) {
      const text = readable(file);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(APP_PASSWORD);
    }
  });

  it('stores the events of both sources in the layout Athena reads', () => {
    const dir = join(result.outDir, 'bucket', 'events', `cluster=${RESOURCE_ID}`);
    const objects = files(dir).filter((f) => /\/day=\d{4}-\d{2}-\d{2}\/[^/]+\.json\.gz$/.test(f));
    expect(objects.length).toBe(result.stored.objects);
    const events = objects.flatMap((f) =>
      readable(f)
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { source: string; clusterId: string }),
    );
    expect(events).toHaveLength(result.stored.events);
    expect(result.stored.events).toBe(result.pgAudit.events + result.activityStream.delivered);
    expect(new Set(events.map((e) => e.source))).toEqual(new Set(['das', 'pgaudit']));
    // 200 workload statements and the scenario's 13, each seen by the stream; the writes by pgAudit too.
    expect(result.activityStream.events).toBe(213);
    expect(result.activityStream.failures).toBe(0);
  });

  it('writes the report email (valid MIME, the headline counts in the subject), its HTML and a PNG', () => {
    const report = email(result.report.eml);
    expect(structure(report.mime)).toMatch(
      /^multipart\/mixed\[multipart\/related\[multipart\/alternative\[text\/plain, text\/html\], image\/png\]/,
    );
    // Seven ROLE statements of the scenario, each reported by both sources; the tampering attempt twice.
    expect(report.subject).toMatch(
      /^\[aurora-audit\] Aurora audit orders-db .*: 14 privilege changes, 2 tampering events$/,
    );
    expect(result.report.subject).toBe(report.subject);
    expect(readFileSync(result.report.html, 'utf8')).toContain('Compliance report');
    const png = readFileSync(result.report.png ?? '');
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(
      true,
    );
    expect(png.length).toBeGreaterThan(50_000);
  });

  it('leaves nothing running: PostgreSQL stopped, its directory removed', () => {
    expect(existsSync(result.postgresDataDir)).toBe(false);
    const running = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(result.postgresDataDir);
        } catch {
          return false;
        }
      });
    expect(running).toEqual([]);
    expect(output).toMatch(/PostgreSQL stopped/);
  });
});
