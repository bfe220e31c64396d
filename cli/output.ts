import type { Command } from 'commander';

/** The global `--output` a command runs with: `table` (the human default), `text`, `json` or `csv`. */
export type OutputFormat = 'table' | 'text' | 'json' | 'csv';

/** The `--output` given to the program (before or after the command word); `table` when none. */
export function outputFormat(cmd: Command): OutputFormat {
  return cmd.optsWithGlobals<{ output?: OutputFormat }>().output ?? 'table';
}

/**
 * One record of the AWS-CLI-style text output: the record type in capitals, then its fields, tab-separated, on
 * one line, no decoration. A missing field is `None` (as the AWS CLI prints it); tabs and line breaks inside a
 * field become spaces, so every record stays one line of the same number of fields (`cut -f`, `awk -F'\t'`).
 */
export function textRecord(
  type: string,
  ...fields: readonly (string | number | boolean | null | undefined)[]
): string {
  const cell = (v: string | number | boolean | null | undefined) =>
    v === null || v === undefined ? 'None' : String(v).replace(/[\t\r\n]+/g, ' ');
  return `${[type, ...fields].map(cell).join('\t')}\n`;
}
