import { toAthenaPages } from '../../../../cli/local/athena-results';
import { createRedactor } from '../../../../tasks/core/redact';
import {
  MAX_CELL_CHARS,
  MalformedResultSetError,
  SectionCollector,
} from '../../../../tasks/core/report/result-set';

const redact = createRedactor(['token=(\\w+)']);
const rows = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    time: `2026-11-23T10:00:${String(i % 60).padStart(2, '0')}Z`,
    n: String(i),
  }));

function collect(pages: ReturnType<typeof toAthenaPages>, maxRows: number) {
  const c = new SectionCollector(maxRows, redact);
  for (const p of pages) c.addPage(p.ResultSet ?? {});
  return c.result();
}

describe('Athena result pages into a report section', () => {
  it('takes the header from the first row of the first page and counts every row across pages', () => {
    const pages = toAthenaPages(rows(2500), 1000);
    expect(pages).toHaveLength(3);
    const section = collect(pages, 50);
    expect(section.columns).toEqual(['time', 'n']);
    expect(section.totalRows).toBe(2500);
    expect(section.rows).toHaveLength(50);
    expect(section.rows[49]).toEqual(['2026-11-23T10:00:49Z', '49']);
  });

  it('streams every row into the CSV while keeping only the shown rows', () => {
    const section = collect(toAthenaPages(rows(1234), 100), 10);
    const lines = section.csv.toString('utf8').trimEnd().split('\r\n');
    expect(lines).toHaveLength(1235);
    expect(lines[0]).toBe('time,n');
    expect(lines[1234]).toBe('2026-11-23T10:00:33Z,1233');
  });

  it('keeps NULL apart from the empty string', () => {
    const section = collect(
      toAthenaPages([{ a: null, b: '' }], 10, [
        { name: 'a', type: 'varchar' },
        { name: 'b', type: 'varchar' },
      ]),
      5,
    );
    expect(section.rows).toEqual([[null, '']]);
  });

  it('reads an empty result (header only) as zero rows with its columns', () => {
    const section = collect(toAthenaPages([], 1000, [{ name: 'kind', type: 'varchar' }]), 5);
    expect(section).toMatchObject({ columns: ['kind'], rows: [], totalRows: 0 });
    expect(section.csv.toString()).toBe('kind\r\n');
  });

  it('redacts statement columns in the shown rows and in the CSV', () => {
    const section = collect(
      toAthenaPages([
        {
          commandtext: "ALTER ROLE a PASSWORD 'hunter2'",
          errormessage: 'bad token=abc123',
          other: "PASSWORD 'x'",
        },
      ]),
      5,
    );
    expect(section.rows[0]).toEqual([
      'ALTER ROLE a PASSWORD <REDACTED>',
      'bad token=<REDACTED>',
      "PASSWORD 'x'",
    ]);
    expect(section.csv.toString()).not.toMatch(/hunter2|abc123/);
  });

  it('cuts a very long shown cell with a marker and keeps it whole in the CSV', () => {
    const long = 'x'.repeat(MAX_CELL_CHARS + 10);
    const section = collect(toAthenaPages([{ commandtext: long }]), 5);
    expect(section.rows[0]?.[0]).toBe(`${'x'.repeat(MAX_CELL_CHARS)} … [10 more characters in the CSV]`);
    expect(section.csv.toString()).toContain(long);
  });

  it('refuses a row whose width differs from the header, and a section that read no page', () => {
    expect(() => new SectionCollector(5, redact).result()).toThrow(MalformedResultSetError);
    const d = new SectionCollector(5, redact);
    expect(() =>
      d.addPage({
        Rows: [{ Data: [{ VarCharValue: 'a' }, { VarCharValue: 'b' }] }, { Data: [{ VarCharValue: '1' }] }],
      }),
    ).toThrow(MalformedResultSetError);
  });
});
