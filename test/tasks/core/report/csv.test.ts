import { parse } from 'csv-parse/sync';
import { CsvWriter, csvField, csvRecord } from '../../../../tasks/core/report/csv';

describe('CSV evidence files (RFC 4180)', () => {
  it('quotes a field only when it holds a comma, a quote, CR or LF, doubling the quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
  });

  it('writes SQL NULL as an empty field and ends every record with CRLF', () => {
    expect(csvRecord(['a', null, ''])).toBe('a,,\r\n');
  });

  it.each(['=HYPERLINK("http://evil/")', '+1+2', '-2+3', '@SUM(A1)', '\tcmd', '\r=1'])(
    'puts an apostrophe before a cell that a spreadsheet would run as a formula: %j',
    (cell) => {
      const records = parse(csvRecord([cell]), { relax_quotes: false }) as string[][];
      expect(records).toEqual([[`'${cell}`]]);
    },
  );

  it('leaves cells that merely contain formula characters alone', () => {
    expect(csvField('a=b')).toBe('a=b');
    expect(csvField('user@example.com')).toBe('user@example.com');
  });

  it('round-trips every record through a strict CSV parser, however many there are', () => {
    const writer = new CsvWriter(['n', 'statement']);
    const rows = Array.from({ length: 5000 }, (_, i) => [String(i), `SELECT "x", 'y',\n${i}`]);
    for (const row of rows) writer.write(row);
    const back = parse(writer.toBuffer(), { record_delimiter: '\r\n' }) as string[][];
    expect(writer.recordCount).toBe(5001);
    expect(back).toEqual([['n', 'statement'], ...rows]);
  });
});
