/**
 * Athena result pages → a report section: the header (the first row of the first page), at most
 * `maxRows` rows kept for display (cells cut to a readable length), and every row streamed into the
 * section's CSV and counted. Statement columns are redacted before anything else sees them.
 *
 * The page shape is Athena's `GetQueryResults` `ResultSet` (`Rows[].Data[].VarCharValue`, a SQL NULL is a
 * datum without `VarCharValue`), declared structurally so that this module needs no AWS SDK.
 */
import type { Redactor } from '../redact';
import { CsvWriter } from './csv';

export interface ResultDatum {
  readonly VarCharValue?: string | undefined;
}
export interface ResultRow {
  readonly Data?: readonly ResultDatum[] | undefined;
}
export interface ResultColumnInfo {
  readonly Name?: string | undefined;
  readonly Type?: string | undefined;
}
export interface ResultSetPage {
  readonly Rows?: readonly ResultRow[] | undefined;
  readonly ResultSetMetadata?: { readonly ColumnInfo?: readonly ResultColumnInfo[] | undefined } | undefined;
}

/** Columns holding statement text or values a statement carried: redacted wherever they are shown. */
export const REDACTED_COLUMNS: ReadonlySet<string> = new Set(['commandtext', 'parameters', 'errormessage']);

/** A shown cell longer than this is cut with a marker; the CSV keeps it whole. */
export const MAX_CELL_CHARS = 2000;

export interface CollectedSection {
  readonly columns: readonly string[];
  /** The first `maxRows` rows, cells cut to {@link MAX_CELL_CHARS}. */
  readonly rows: readonly (readonly (string | null)[])[];
  /** Every row of the result. */
  readonly totalRows: number;
  /** Every row, RFC 4180, header first. */
  readonly csv: Buffer;
}

export class MalformedResultSetError extends Error {
  override readonly name = 'MalformedResultSetError';
}

function cut(value: string | null): string | null {
  if (value === null || value.length <= MAX_CELL_CHARS) return value;
  return `${value.slice(0, MAX_CELL_CHARS)} … [${value.length - MAX_CELL_CHARS} more characters in the CSV]`;
}

/** Collects one query's pages, in order. */
export class SectionCollector {
  private columns: string[] | undefined;
  private redactAt: number[] = [];
  private csv: CsvWriter | undefined;
  private readonly shown: (string | null)[][] = [];
  private total = 0;

  /**
   * @param onRow sees every row (redacted, not cut), e.g. to chart a small result completely.
   */
  constructor(
    private readonly maxRows: number,
    private readonly redact: Redactor,
    private readonly onRow?: (values: readonly (string | null)[], columns: readonly string[]) => void,
  ) {}

  /** Adds the next page; the first page's first row is the header. */
  addPage(page: ResultSetPage): void {
    const rows = page.Rows ?? [];
    let start = 0;
    if (this.columns === undefined) {
      const header = rows[0];
      const metadata = page.ResultSetMetadata?.ColumnInfo;
      if (!header) {
        // An empty first page: only the metadata can name the columns.
        if (!metadata)
          throw new MalformedResultSetError('the first result page has neither rows nor columns');
        this.start(metadata.map((c, i) => c.Name ?? `column${i + 1}`));
        return;
      }
      const names = (header.Data ?? []).map(
        (d, i) => d.VarCharValue ?? metadata?.[i]?.Name ?? `column${i + 1}`,
      );
      if (metadata && metadata.length !== names.length)
        throw new MalformedResultSetError(
          `the header row has ${names.length} columns, the metadata ${metadata.length}`,
        );
      this.start(names);
      start = 1;
    }
    const width = this.columns?.length ?? 0;
    for (let r = start; r < rows.length; r++) {
      const data = rows[r]?.Data ?? [];
      if (data.length !== width)
        throw new MalformedResultSetError(
          `row ${this.total + 1} has ${data.length} values, expected ${width}`,
        );
      const values = data.map((d) => d.VarCharValue ?? null);
      for (const i of this.redactAt) {
        const v = values[i];
        if (v !== null && v !== undefined) values[i] = this.redact(v);
      }
      this.csv?.write(values);
      this.onRow?.(values, this.columns ?? []);
      if (this.shown.length < this.maxRows) this.shown.push(values.map(cut));
      this.total += 1;
    }
  }

  result(): CollectedSection {
    if (this.columns === undefined || this.csv === undefined)
      throw new MalformedResultSetError('no result page was read');
    return { columns: this.columns, rows: this.shown, totalRows: this.total, csv: this.csv.toBuffer() };
  }

  private start(columns: string[]): void {
    this.columns = columns;
    this.redactAt = columns.flatMap((c, i) => (REDACTED_COLUMNS.has(c.toLowerCase()) ? [i] : []));
    this.csv = new CsvWriter(columns);
  }
}
