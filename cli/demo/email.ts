/**
 * An SNS alert as the email a subscriber receives: an RFC 5322 `text/plain` message (CRLF line ends, Subject,
 * From, To, Date, Message-ID), with the message attributes as `X-` headers. SNS subjects are printable ASCII
 * already; the body is UTF-8, base64-encoded if a line is too long for a mail line (998 octets).
 */
import { createHash } from 'node:crypto';
import type { PublishedAlert } from './simulated-aws';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Tue, 24 Nov 2026 10:00:01 +0000` (RFC 5322 date-time, UTC). */
export function rfc5322Date(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

export interface AlertEmailOptions {
  readonly to: readonly string[];
  /** @default the SNS sender */
  readonly from?: string;
}

export function alertEml(alert: PublishedAlert, options: AlertEmailOptions): string {
  const body = alert.message.replace(/\r?\n/g, '\r\n');
  const long = body.split('\r\n').some((l) => Buffer.byteLength(l) > 998);
  const id = createHash('sha256').update(`${alert.at.toISOString()}\n${alert.subject}\n${alert.message}`);
  const headers = [
    `From: ${options.from ?? 'AWS Notifications <no-reply@sns.amazonaws.com>'}`,
    `To: ${options.to.join(', ')}`,
    `Subject: ${alert.subject}`,
    `Date: ${rfc5322Date(alert.at)}`,
    `Message-ID: <${id.digest('hex').slice(0, 32)}@aurora-audit.demo>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    `Content-Transfer-Encoding: ${long ? 'base64' : '8bit'}`,
    ...Object.entries(alert.attributes)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([k, v]) => `X-Aurora-Audit-${k[0]?.toUpperCase()}${k.slice(1)}: ${v.replace(/[^\x20-\x7e]/g, '?')}`,
      ),
  ];
  const encoded = long
    ? (Buffer.from(body, 'utf8')
        .toString('base64')
        .match(/.{1,76}/g)
        ?.join('\r\n') ?? '')
    : body;
  return `${headers.join('\r\n')}\r\n\r\n${encoded}\r\n`;
}
