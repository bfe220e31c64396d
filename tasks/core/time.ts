/**
 * Timestamp normalization shared by both audit sources.
 *
 * Activity streams write `logTime` as PostgreSQL text (`2019-10-30 00:39:49.990579+00`), pgAudit lines
 * carry `%t` (`2026-11-24 10:00:00 UTC`). The audit-event model wants ISO-8601 UTC ending in `Z` with the
 * sub-second digits kept, which `Date` cannot do (milliseconds only), so the fraction is carried as text.
 */

const PG_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;

export class InvalidTimestampError extends Error {
  override readonly name = 'InvalidTimestampError';
}

/**
 * Converts a PostgreSQL or ISO timestamp to ISO-8601 UTC (`2019-10-30T00:39:49.990579Z`).
 * A timestamp without a zone is taken as UTC (Aurora logs in UTC).
 * @throws InvalidTimestampError when the text is not a timestamp.
 */
export function toIsoUtc(text: string): string {
  const fast = utcFastPath(text);
  if (fast !== undefined) return fast;
  const m = PG_TIMESTAMP.exec(text.trim());
  if (!m) throw new InvalidTimestampError(`not a timestamp: ${JSON.stringify(text.slice(0, 64))}`);
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  let offsetMinutes = 0;
  if (zone && /^[+-]/.test(zone)) {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  }
  const localMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  // Date.UTC normalizes overflow (Feb 30 becomes Mar 2): reject dates whose fields do not survive.
  const local = new Date(localMs);
  if (local.getUTCMonth() !== Number(mo) - 1 || local.getUTCDate() !== Number(d) || Number(h) > 23) {
    throw new InvalidTimestampError(`not a valid date: ${JSON.stringify(text.slice(0, 64))}`);
  }
  const utc = new Date(localMs - offsetMinutes * 60_000);
  const base = utc.toISOString().slice(0, 19);
  return fraction ? `${base}.${fraction}Z` : `${base}Z`;
}

const UTC_TEXT = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?: ?UTC|Z|\+00(?::?00)?)$/;

/** Already UTC (what Aurora writes): rearranged as text, no Date; undefined when the general path is needed. */
function utcFastPath(text: string): string | undefined {
  const m = UTC_TEXT.exec(text);
  if (!m) return undefined;
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 28 ||
    Number(m[4]) > 23 ||
    Number(m[5]) > 59 ||
    Number(m[6]) > 59
  ) {
    return undefined; // let the general path validate (e.g. day 29-31)
  }
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}Z`;
}

/** The UTC day (`YYYY-MM-DD`) of an ISO-8601 UTC timestamp produced by {@link toIsoUtc}. */
export function utcDay(isoUtc: string): string {
  return isoUtc.slice(0, 10);
}

/** The UTC hour (`00` to `23`) of an ISO-8601 UTC timestamp produced by {@link toIsoUtc}. */
export function utcHour(isoUtc: string): string {
  return isoUtc.slice(11, 13);
}
