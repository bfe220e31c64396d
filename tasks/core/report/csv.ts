/**
 * CSV evidence files (RFC 4180): comma-separated, CRLF line ends, a field quoted when it holds a comma, a
 * quote, CR or LF (quotes doubled), SQL NULL as an empty field. Spreadsheet formula injection is guarded:
 * a cell starting with `=`, `+`, `-`, `@` (or a tab or CR, which some spreadsheets skip before reading a
 * formula) gets a leading apostrophe, so opening the file never runs a statement's text as a formula.
 */

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field. */
export function csvField(value: string | null): string {
  if (value === null) return '';
  const guarded = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

/** One CSV record, with its CRLF. */
export function csvRecord(values: readonly (string | null)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/**
 * Builds a CSV file record by record, holding it as chunks of at most about 64 KiB (a section's CSV holds
 * every row, however many there are; only the shown rows are kept otherwise).
 */
export class CsvWriter {
  private readonly chunks: Buffer[] = [];
  private pending: string[] = [];
  private pendingLength = 0;
  private records = 0;

  constructor(header: readonly string[]) {
    this.write(header);
  }

  write(values: readonly (string | null)[]): void {
    const record = csvRecord(values);
    this.pending.push(record);
    this.pendingLength += record.length;
    this.records += 1;
    if (this.pendingLength >= 64 * 1024) this.flush();
  }

  /** Records written, the header included. */
  get recordCount(): number {
    return this.records;
  }

  /** The file, UTF-8. */
  toBuffer(): Buffer {
    this.flush();
    return Buffer.concat(this.chunks);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(Buffer.from(this.pending.join(''), 'utf8'));
    this.pending = [];
    this.pendingLength = 0;
  }
}
