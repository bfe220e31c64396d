/**
 * Redaction: every output path (S3 events, alert emails, reports, CLI output, logs) passes statement text
 * through a {@link Redactor}, so that no password leaves aurora-audit.
 *
 * Built in: the literal after `PASSWORD` (covers `CREATE|ALTER ROLE|USER … [ENCRYPTED|UNENCRYPTED] PASSWORD
 * '…'` in any casing and spacing), in every PostgreSQL string spelling: `'…'` with doubled quotes, `E'…'`
 * with backslash escapes, `U&'…'`, dollar quoting `$$…$$` / `$tag$…$tag$`, and a literal cut off by
 * truncation. `PASSWORD NULL` is left alone. Extra patterns come from the configuration
 * (`redaction.extraPatterns`): the whole match is replaced, or only the first capturing group if the pattern
 * has one.
 */

export const REDACTED = '<REDACTED>';

// Whitespace and comments PostgreSQL allows between the keyword and the literal.
const GAP = String.raw`(?:\s|/\*[\s\S]*?\*/|--[^\n]*(?:\n|$))*`;
const LITERAL = [
  String.raw`[Ee]'(?:[^'\\]|\\[\s\S]|'')*(?:'|$)`, // E'…' with backslash escapes
  String.raw`(?:[Uu]&)?'(?:[^']|'')*(?:'|$)`, // '…' and U&'…', doubled quotes, or cut off
  String.raw`\$(?<tag>[A-Za-z_\x80-\uffff][\w\x80-\uffff]*)?\$[\s\S]*?(?:\$\k<tag>\$|$)`, // $$…$$ and $tag$…$tag$
].join('|');
const PASSWORD_LITERAL = new RegExp(String.raw`(\bPASSWORD\b${GAP})(?:${LITERAL})`, 'gi');

export type Redactor = (text: string) => string;

export class InvalidRedactionPatternError extends Error {
  override readonly name = 'InvalidRedactionPatternError';
}

/** Builds a redactor from the built-in rules and the configured extra patterns (JavaScript regex syntax). */
export function createRedactor(extraPatterns: readonly string[] = []): Redactor {
  const extras = extraPatterns.map((source) => {
    try {
      const re = new RegExp(source, 'giu');
      const hasGroup = new RegExp(`${source}|`, 'u').exec('')!.length > 1;
      return { re, hasGroup };
    } catch (err) {
      throw new InvalidRedactionPatternError(
        `redaction pattern ${JSON.stringify(source)}: ${(err as Error).message}`,
      );
    }
  });
  return (text: string): string => {
    let out = text.replace(PASSWORD_LITERAL, (_m, keyword: string) => `${keyword}${REDACTED}`);
    for (const { re, hasGroup } of extras) {
      out = out.replace(re, (match: string, ...rest: unknown[]) => {
        if (!hasGroup || typeof rest[0] !== 'string' || rest[0] === '')
          return match === '' ? match : REDACTED;
        const group = rest[0];
        const at = match.indexOf(group);
        return `${match.slice(0, at)}${REDACTED}${match.slice(at + group.length)}`;
      });
    }
    return out;
  };
}

/** Redacts the text fields of an event-shaped object (commandText, parameters, errorMessage). */
export function redactFields<
  T extends { commandText: string | null; parameters: string | null; errorMessage: string | null },
>(redact: Redactor, value: T): T {
  return {
    ...value,
    commandText: value.commandText === null ? null : redact(value.commandText),
    parameters: value.parameters === null ? null : redact(value.parameters),
    errorMessage: value.errorMessage === null ? null : redact(value.errorMessage),
  };
}
