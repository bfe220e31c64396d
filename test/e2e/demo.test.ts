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
import { APP_PASSWORD, PGAUDIT_CLASSES, SECRET, scenarioSessions } from '../../cli/demo/scenario';
import { decodeWords, leaves, type MimeNode, parseMime, structure } from '../../cli/local/mime';
import { loadRules } from '../../tasks/core/alerts/rules';
import { runCli } from '../helpers/cli';

const RESOURCE_ID = 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const WORKLOAD = 200;

/**
 * The expectations, from the workload's definition (not from the code under test): every statement run,
 * whether pgAudit logs it (its class is in the server's pgaudit.log and no earlier `SET pgaudit.log =
 * 'none'` in its session silenced pgAudit, that SET included: pgAudit checks the setting after the SET took
 * effect, as seen on the real pgAudit 1.7),
 * and whether it is a tampering statement (the audit-tampering rule's pattern, in JavaScript).
 */
const tampering = new RegExp(
  loadRules().rules.find((r) => r.name === 'audit-tampering')?.match.commandTextPattern ?? 'no rule',
  'i',
);
const logged = new Set(PGAUDIT_CLASSES.toUpperCase().split(','));
const workload = scenarioSessions(WORKLOAD).flatMap((session) => {
  let silenced = false;
  return session.statements.map((st) => {
    if (/^\s*set\s+pgaudit\.log\s*=\s*'none'/i.test(st.sql)) silenced = true;
    const pgAudit = !silenced && logged.has(st.class);
    return {
      ...st,
      user: session.user,
      sources: pgAudit ? 'das,pgaudit' : 'das',
      tampering: tampering.test(st.sql),
    };
  });
});
const privilegeChanges = workload.filter((st) => st.class === 'ROLE');
const tamperingStatements = workload.filter((st) => st.tampering);
const gaps = workload.filter((st) => (st.class === 'ROLE' || st.class === 'DDL') && st.sources === 'das');

/**
 * The alert rules each statement matches, from the rules file's conditions (in JavaScript, not the rule
 * engine): privilege-changes (class and command lists), audit-tampering (its pattern), destructive-ddl (its
 * command pattern, without its excluded commands). The demo's statements match no other rule.
 */
const rules = loadRules().rules;
const rule = (name: string) => {
  const found = rules.find((r) => r.name === name);
  if (!found) throw new Error(`no rule ${name} in the built-in rules`);
  return found;
};
const upper = (values: readonly string[] | undefined) => (values ?? []).map((v) => v.toUpperCase());
const privilege = rule('privilege-changes');
const destructive = rule('destructive-ddl');
const destructivePattern = new RegExp(destructive.match.commandPattern ?? 'no pattern', 'i');
const rulesOf = (st: { class: string; command: string; sql: string }): string[] =>
  [
    upper(privilege.match.class).includes(st.class) && upper(privilege.match.command).includes(st.command)
      ? privilege.name
      : '',
    tampering.test(st.sql) ? 'audit-tampering' : '',
    destructivePattern.test(st.command) &&
    !destructive.exclude.some((x) => upper(x.command).includes(st.command))
      ? destructive.name
      : '',
  ].filter(Boolean);
const alerted = workload.map((st) => ({ ...st, rules: rulesOf(st) })).filter((st) => st.rules.length > 0);
/** The coverage check's grace in the demo run (seconds). */
const GRACE = 4;

/** A statement as an alert email shows it: passwords redacted (and pgAudit's text cut there), no `;`. */
const shownText = (sql: string) =>
  sql
    .replace(/PASSWORD\s+(<REDACTED>|'[^']*')[\s\S]*$/i, 'PASSWORD')
    .replace(/;\s*$/, '')
    .trim();

/** A CSV of the archived report (simple: the columns asked for hold no commas, quotes or newlines). */
function csvColumns(file: string, columns: readonly string[]): string[][] {
  const [header = '', ...lines] = readFileSync(file, 'utf8')
    .split('\r\n')
    .filter((l) => l !== '');
  const names = header.split(',');
  return lines.map((line) => {
    const cells = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)?.map((c) => c.replace(/,$/, '')) ?? [];
    return columns.map((c) => (cells[names.indexOf(c)] ?? '').replace(/^"|"$/g, '').replace(/""/g, '"'));
  });
}

let root: string;
let result: DemoResult;
let output = '';
let startedAt = 0;
let endedAt = 0;

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
  startedAt = Date.now();
  result = await runDemo({
    outDir: join(root, 'demo-out'),
    statements: WORKLOAD,
    display: textDisplay(
      (text) => {
        output += text;
      },
      { interactive: false, totalPhases: 7 },
    ),
    correlationHoldSeconds: 2,
    coverageGraceSeconds: GRACE,
    handleSignals: false,
  });
  endedAt = Date.now();
}, 180_000); // seven phases; the CDK synthesis alone took 36 s on the shared 2-core machine

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
        // ALTER ROLE app_user SET pgaudit.log = 'none' matches two rules: one email naming both.
        '[aurora-audit] CRITICAL 2 rules: audit-tampering,privilege-changes on orders-db: postgres ALTER ROLE',
        '[aurora-audit] MEDIUM failed-logins on orders-db: app_user AUTH FAILURE',
      ]),
    );
    expect(subjects.filter((s) => s.endsWith('postgres ALTER ROLE'))).toHaveLength(1);
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
    // Every statement seen by both sources has one email; the failed login only by pgAudit, the silencing
    // SET and the grant after it only by the stream.
    expect(new Set(subjects).size).toBe(subjects.length);
    const streamOnly = workload.filter((st) => (st.class === 'ROLE' || st.tampering) && st.sources === 'das');
    expect(streamOnly.map((st) => st.command)).toEqual(['SET', 'GRANT']);
    // …and the coverage-gap finding about that grant, an email of its own, seen by the stream.
    expect(result.alerts.filter((a) => a.sources === 'das,pgaudit').length).toBe(
      result.alerts.length - 1 - streamOnly.length - gaps.length,
    );
    expect(subjects).toContain('[aurora-audit] HIGH privilege-changes on orders-db: postgres GRANT');
  });

  it('sends one email per statement that matched a rule, listing every rule it matched', () => {
    const emails = readdirSync(join(result.outDir, 'alerts')).map((f) =>
      email(join(result.outDir, 'alerts', f)),
    );
    const statementEmails = emails.filter(
      (e) =>
        !['audit-coverage-gap', 'failed-logins'].includes(e.mime.headers.get('x-aurora-audit-rule') ?? ''),
    );
    const shown = (e: Email) =>
      shownText(/\r?\nStatement \(passwords redacted\):\r?\n {2}([^\r\n]*)/.exec(e.body)?.[1] ?? '(none)');
    const rulesIn = (e: Email) => {
      const several = / \d+ rules: ([a-z0-9,-]+) on /.exec(e.subject);
      return (
        several ? (several[1] ?? '').split(',') : [/\] [A-Z]+ ([a-z0-9-]+) on /.exec(e.subject)?.[1] ?? '']
      ).sort();
    };
    expect(alerted.length).toBeGreaterThan(8);
    for (const st of alerted) {
      const mine = statementEmails.filter(
        (e) => shown(e) === shownText(st.sql) && e.subject.endsWith(`: ${st.user} ${st.command}`),
      );
      expect({ sql: st.sql, emails: mine.length, rules: mine.map(rulesIn) }).toEqual({
        sql: st.sql,
        emails: 1,
        rules: [[...st.rules].sort()],
      });
    }
    expect(statementEmails).toHaveLength(alerted.length);
    // The failed login (pgAudit's server log only): one email.
    expect(emails.filter((e) => e.mime.headers.get('x-aurora-audit-rule') === 'failed-logins')).toHaveLength(
      1,
    );
  });

  it('alerts once on the coverage gap: the grant of the session that silenced pgAudit, after the grace period', () => {
    const emails = readdirSync(join(result.outDir, 'alerts')).map((f) =>
      email(join(result.outDir, 'alerts', f)),
    );
    const gapEmails = emails.filter(
      (e) => e.mime.headers.get('x-aurora-audit-rule') === 'audit-coverage-gap',
    );
    expect(gaps).toHaveLength(1);
    const [gap] = gaps;
    expect(gapEmails).toHaveLength(gaps.length);
    const [alert] = gapEmails;
    const severity = rule('audit-coverage-gap').severity;
    expect(alert?.subject).toBe(
      `[aurora-audit] ${severity} audit-coverage-gap on orders-db: ${gap?.user} ${gap?.command}`,
    );
    expect(alert?.mime.headers.get('x-aurora-audit-severity')).toBe(severity);
    expect(alert?.mime.headers.get('x-aurora-audit-source')).toBe(gap?.sources);
    expect(alert?.body).toContain(
      `Audit coverage gap: recorded by Database Activity Streams, not by pgAudit within ${GRACE} seconds.`,
    );
    expect(alert?.body).toContain(`  ${gap?.sql}`);
    expect(alert?.body).toContain(
      "pgAudit was switched off for the session, user or database (SET pgaudit.log = 'none'",
    );
    // Every other statement of the reconciled classes (ROLE, DDL) was seen by both sources: reconciled.
    const reconciled = workload.filter(
      (st) => (st.class === 'ROLE' || st.class === 'DDL') && st.sources === 'das,pgaudit',
    );
    expect(result.coverage).toEqual({
      graceSeconds: GRACE,
      reconciled: reconciled.length,
      gaps: gaps.length,
    });
    expect(output).toMatch(
      new RegExp(
        `coverage check after a grace of ${GRACE} s .*: ${reconciled.length} statements .* ${gaps.length} coverage gap alerted`,
      ),
    );
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
    const objects = files(dir).filter((f) => /\/day=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/[^/]+\.json\.gz$/.test(f));
    // The workload's objects and those the canary's events added before the report (counted apart).
    expect(objects.length).toBe(result.stored.objects + result.canary.stored.objects);
    const all = objects.flatMap((f) =>
      readable(f)
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => {
          const event = JSON.parse(l) as {
            source: string;
            clusterId: string;
            time: string;
            commandText: string | null;
          };
          // Each event lies in the UTC day and hour partition of its own time.
          expect(f).toContain(`/day=${event.time.slice(0, 10)}/hour=${event.time.slice(11, 13)}/`);
          return event;
        }),
    );
    const events = all.filter((e) => !/aurora-audit canary [0-9a-f-]{36}/.test(String(e.commandText)));
    expect(all.length - events.length).toBe(result.canary.stored.events);
    // The canary ran before the report, within its period (the workload's first day to now): the report's
    // figures below being the workload's proves its statements were left out.
    const canaryTimes = all.filter((e) => !events.includes(e)).map((e) => e.time);
    const firstWorkload = events.map((e) => e.time).sort()[0] as string;
    expect(canaryTimes.length).toBeGreaterThan(0);
    for (const t of canaryTimes) {
      expect(t >= firstWorkload).toBe(true);
      expect(Date.parse(t)).toBeLessThanOrEqual(Date.now());
    }
    expect(events).toHaveLength(result.stored.events);
    expect(result.stored.events).toBe(result.pgAudit.events + result.activityStream.delivered);
    expect(new Set(events.map((e) => e.source))).toEqual(new Set(['das', 'pgaudit']));
    // Every statement of the workload, each seen by the stream; the writes by pgAudit too.
    expect(result.activityStream.events).toBe(workload.length);
    expect(result.activityStream.failures).toBe(0);
  });

  it('exports the stored events as JSON lines, as they were stored, each once (aurora-audit export --local)', async () => {
    const dir = join(result.outDir, 'bucket', 'events');
    const stored = files(dir)
      .filter((f) => f.endsWith('.json.gz'))
      .flatMap((f) =>
        readable(f)
          .split('\n')
          .filter((l) => l !== ''),
      );
    const byId = new Map(stored.map((l) => [(JSON.parse(l) as { id: string }).id, l]));
    const times = stored.map((l) => (JSON.parse(l) as { time: string }).time).sort();
    const first = (times[0] as string).slice(0, 10);
    const last = (times.at(-1) as string).slice(0, 10);
    const run = await runCli('export', '--local', result.outDir, '--from', first, '--to', last);
    expect(run.code).toBe(0);
    const exported = run.stdout.split('\n').filter((l) => l !== '');
    expect(exported.length).toBe(byId.size);
    expect(new Set(exported)).toEqual(new Set(byId.values()));
    const exportedTimes = exported.map((l) => Date.parse((JSON.parse(l) as { time: string }).time));
    expect(exportedTimes).toEqual([...exportedTimes].sort((a, b) => a - b));
  });

  it('writes the report email (valid MIME, the headline counts in the subject), its HTML and a PNG', () => {
    const report = email(result.report.eml);
    expect(structure(report.mime)).toMatch(
      /^multipart\/mixed\[multipart\/related\[multipart\/alternative\[text\/plain, text\/html\], image\/png\]/,
    );
    // Statements, each once whatever number of sources reported it.
    expect(privilegeChanges).toHaveLength(8);
    expect(tamperingStatements).toHaveLength(2);
    expect(report.subject).toMatch(
      new RegExp(
        `^\\[aurora-audit\\] Aurora audit orders-db .*: ${privilegeChanges.length} privilege changes, ${tamperingStatements.length} tampering statements$`,
      ),
    );
    expect(result.report.subject).toBe(report.subject);
    expect(readFileSync(result.report.html, 'utf8')).toContain('Compliance report');
    const png = readFileSync(result.report.png ?? '');
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(
      true,
    );
    expect(png.length).toBeGreaterThan(50_000);
  });

  it('lists each privilege change and tampering statement once, with the sources that saw it', () => {
    // The canary ran before the report, its GRANT and COMMENT within the report's period: left out here.
    const bySources = (rows: readonly { command: string; user: string; sources: string }[]) =>
      rows.map((r) => `${r.user} ${r.command} ${r.sources}`).sort();
    const csv = (name: string) =>
      csvColumns(join(result.report.dir, `${name}.csv`), ['user', 'command', 'sources']).map(
        ([user = '', command = '', sources = '']) => ({ user, command, sources }),
      );
    expect(bySources(csv('privilege-changes'))).toEqual(bySources(privilegeChanges));
    expect(bySources(csv('audit-tampering'))).toEqual(bySources(tamperingStatements));
    expect(bySources(privilegeChanges).filter((r) => r.endsWith(' das'))).toEqual(['postgres GRANT das']);
  });

  it('reports the grant of the session that silenced pgAudit as an audit coverage gap', () => {
    const rows = csvColumns(join(result.report.dir, 'coverage-gaps.csv'), [
      'user',
      'command',
      'sources',
      'missing_from',
      'likely_cause',
      'commandtext',
    ]);
    expect(rows.map((r) => r.slice(0, 4))).toEqual(gaps.map((st) => [st.user, st.command, 'das', 'pgaudit']));
    expect(rows[0]?.[4]).toMatch(/^pgAudit was switched off in this session/);
    expect(rows[0]?.[5]).toBe(gaps[0]?.sql);
    expect(readFileSync(result.report.html, 'utf8')).toContain('Audit coverage gaps');
  });

  it("dates the report at the run's real time, about the days the workload ran", () => {
    const text = readFileSync(join(result.report.dir, 'report.txt'), 'utf8');
    const generated = /^Generated: (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC$/m.exec(text);
    expect(generated).not.toBeNull();
    const at = Date.parse(`${generated?.[1]}T${generated?.[2]}Z`);
    // Whole seconds in the report: the run's start rounded down, its end as it is.
    expect(at).toBeGreaterThanOrEqual(Math.floor(startedAt / 1000) * 1000);
    expect(at).toBeLessThanOrEqual(endedAt);
    const html = readFileSync(result.report.html, 'utf8');
    expect(html).toContain(`${generated?.[1]} ${generated?.[2]} UTC`);
    // The period ends on the day of the run (UTC): the subject's range ends there.
    const today = new Date(at).toISOString().slice(0, 10);
    expect(result.report.subject).toContain(`–${today}:`);
  });

  it("runs orders-db's canary once to SUCCEEDED: its statements ran on the real server, arrived through both sources, latencies from what was stored", () => {
    const { canary } = result;
    // The database ran the two marked statements through the Data API, as the canary user, with one nonce.
    expect(canary.statements.map((st) => st.user)).toEqual(['aurora_audit_canary', 'aurora_audit_canary']);
    const nonce = /aurora-audit canary ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(
      canary.statements[0]?.sql ?? '',
    )?.[1];
    expect(nonce).toBeDefined();
    expect(canary.statements.every((st) => st.sql.includes(`aurora-audit canary ${nonce}`))).toBe(true);
    // pgAudit on the real server logged each of them as the canary user in database orders (its own lines).
    const logged = readFileSync(join(result.outDir, 'workflows', 'canary-postgresql.log'), 'utf8')
      .split('\n')
      .map((l) =>
        /:aurora_audit_canary@orders:\[\d+\]:LOG: {2}AUDIT: SESSION,\d+,\d+,([A-Z]+),([A-Z ]+),/.exec(l),
      )
      .filter((m) => m !== null)
      .map((m) => `${m[1]} ${m[2]}`);
    expect(logged).toEqual(['ROLE GRANT', 'DDL COMMENT']);
    // Stored as evidence: each statement once per source, the canary's user and database.
    type Stored = {
      source: string;
      class: string;
      user: string;
      database: string;
      time: string;
      commandText: string;
    };
    const stored = files(join(result.outDir, 'bucket', 'events'))
      .filter((f) => f.endsWith('.json.gz'))
      .flatMap((f) =>
        readable(f)
          .split('\n')
          .filter((l) => l.includes(`aurora-audit canary ${nonce}`))
          .map((l) => JSON.parse(l) as Stored),
      );
    expect(stored.map((e) => `${e.source} ${e.class} ${e.user}@${e.database}`).sort()).toEqual([
      'das DDL aurora_audit_canary@orders',
      'das ROLE aurora_audit_canary@orders',
      'pgaudit DDL aurora_audit_canary@orders',
      'pgaudit ROLE aurora_audit_canary@orders',
    ]);
    expect(canary.stored.events).toBe(stored.length);
    // The run, as written to the output folder: SUCCEEDED, its output the arrival item the alert Lambda wrote.
    const execution = JSON.parse(readFileSync(canary.executionFile, 'utf8')) as {
      status: string;
      output: { Item: Record<string, { S?: string; N?: string }> };
    };
    expect(execution.status).toBe('SUCCEEDED');
    expect(canary.status).toBe('SUCCEEDED');
    const item = execution.output.Item;
    expect(item.pk?.S).toBe(`canary#${nonce}`);
    for (const e of stored) {
      const attribute = `${e.source}${e.class === 'ROLE' ? 'Role' : 'Ddl'}`;
      const arrivedAt = Date.parse(item[attribute]?.S ?? '');
      // Arrived during the demo, after the statement ran; the latency is arrival minus the stored event's time.
      expect(arrivedAt).toBeGreaterThanOrEqual(startedAt);
      expect(arrivedAt).toBeLessThanOrEqual(endedAt);
      expect(Number(item[`${attribute}LatencyMs`]?.N)).toBe(arrivedAt - Date.parse(e.time));
      expect(arrivedAt).toBeGreaterThanOrEqual(Date.parse(e.time));
      const latency = canary.latencies[e.source as 'das' | 'pgaudit'][e.class as 'ROLE' | 'DDL'];
      expect(latency).toBe(arrivedAt - Date.parse(e.time));
      expect(output).toContain(`${e.class} ${((latency ?? 0) / 1000).toFixed(3)} s`);
    }
    // The alert Lambda recognized each arrival; the canary never emails.
    expect(canary.recognized).toEqual({ das: 2, pgaudit: 2 });
    expect(canary.emails).toBe(0);
    const emails = readdirSync(join(result.outDir, 'alerts')).map((f) =>
      readable(join(result.outDir, 'alerts', f)),
    );
    expect(emails.filter((e) => e.includes('aurora-audit canary'))).toEqual([]);
    expect(output).toMatch(/\[5\/7\] Canary/);
    expect(output).toMatch(/✓ Write ROLE statement {2}✓ Write DDL statement/);
    expect(output).toMatch(/SUCCEEDED in \d+ state transitions/);
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
