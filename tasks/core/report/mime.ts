/**
 * The report email as one raw MIME message (RFC 5322, 2045, 2046, 2387, 2047, 2183):
 *
 * ```
 * multipart/mixed
 * ├── multipart/related; type="multipart/alternative"
 * │   ├── multipart/alternative
 * │   │   ├── text/plain; charset=utf-8
 * │   │   └── text/html; charset=utf-8        (references the chart as cid:…)
 * │   └── image/png, inline, Content-ID <…>
 * └── text/csv attachments, one per section
 * ```
 *
 * Every body is base64 (lines of 76 characters), so no line is longer than SMTP's 1,000 and the boundaries
 * (which contain `=_`, never produced by base64) cannot occur inside a part. Header values that are not
 * printable ASCII are RFC 2047 encoded words; long headers are folded. Lines end with CRLF.
 */
import { randomBytes } from 'node:crypto';
import { SES_EMAIL_ADDRESS } from '../identifiers';

const CRLF = '\r\n';

export interface MimeAttachment {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Uint8Array;
}

export interface MimeInlineImage extends MimeAttachment {
  /** Without angle brackets; the HTML refers to it as `cid:<contentId>`. */
  readonly contentId: string;
}

export interface MimeMessageInput {
  /** An address, optionally with a display name: `{ name, address }`. */
  readonly from: { readonly name?: string; readonly address: string };
  readonly to: readonly string[];
  readonly subject: string;
  readonly date: Date;
  /** Without angle brackets: `local@domain`. */
  readonly messageId: string;
  readonly text: string;
  readonly html: string;
  readonly inline: readonly MimeInlineImage[];
  readonly attachments: readonly MimeAttachment[];
  /** Extra headers (ASCII names; values are encoded as needed). */
  readonly headers?: Readonly<Record<string, string>>;
}

export class InvalidMimeInputError extends Error {
  override readonly name = 'InvalidMimeInputError';
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const ADDRESS = SES_EMAIL_ADDRESS;
const SAFE_TOKEN = /^[A-Za-z0-9._@=+-]+$/;

/** Base64 in lines of 76 characters, each ended by CRLF. */
export function base64Lines(content: Uint8Array): string {
  const b64 = Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.length === 0 ? '' : `${lines.join(CRLF)}${CRLF}`;
}

/** Bytes a part of `size` content bytes takes in base64 lines (for the size budget). */
export function base64Size(size: number): number {
  const chars = Math.ceil(size / 3) * 4;
  return chars + Math.ceil(chars / 76) * 2;
}

/** Splits text into RFC 2047 `=?UTF-8?B?…?=` words of at most 75 characters, never inside a character. */
function encodedWords(text: string): string[] {
  const words: string[] = [];
  let chunk = '';
  const flush = () => {
    if (chunk) words.push(`=?UTF-8?B?${Buffer.from(chunk, 'utf8').toString('base64')}?=`);
    chunk = '';
  };
  for (const ch of text) {
    // 39 bytes of UTF-8 → 52 base64 characters + 12 of framing = 64: with `Subject: ` within 78.
    if (Buffer.byteLength(chunk + ch, 'utf8') > 39) flush();
    chunk += ch;
  }
  flush();
  return words;
}

/** Folds a header at spaces so that lines stay within 78 characters where possible. */
function fold(name: string, value: string): string {
  const words = value.split(' ');
  const lines: string[] = [];
  let line = `${name}:`;
  for (const word of words) {
    if (line.length + 1 + word.length > 78 && line.length > name.length + 1) {
      lines.push(line);
      line = ` ${word}`;
    } else line += ` ${word}`;
  }
  lines.push(line);
  return lines.join(CRLF);
}

/** An unstructured header value (Subject, display text): as is if printable ASCII, else encoded words. */
export function encodeHeaderValue(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ');
  return PRINTABLE_ASCII.test(flat) ? flat : encodedWords(flat).join(' ');
}

function header(name: string, value: string): string {
  return fold(name, encodeHeaderValue(value));
}

function mailbox(from: MimeMessageInput['from']): string {
  if (!ADDRESS.test(from.address))
    throw new InvalidMimeInputError(`not an email address: ${JSON.stringify(from.address)}`);
  if (!from.name) return from.address;
  const name = from.name.replace(/[\r\n]+/g, ' ');
  const display = PRINTABLE_ASCII.test(name)
    ? `"${name.replace(/["\\]/g, '\\$&')}"`
    : encodedWords(name).join(' ');
  return `${display} <${from.address}>`;
}

/** RFC 5322 date-time in UTC: `Tue, 24 Nov 2026 07:00:12 +0000`. */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

function boundary(): string {
  return `=_aa_${randomBytes(12).toString('hex')}`;
}

function filenameParameter(filename: string): string {
  if (!SAFE_TOKEN.test(filename))
    throw new InvalidMimeInputError(`unsafe attachment file name ${JSON.stringify(filename)}`);
  return `"${filename}"`;
}

function leaf(headers: readonly string[], content: Uint8Array): string {
  return `${headers.join(CRLF)}${CRLF}Content-Transfer-Encoding: base64${CRLF}${CRLF}${base64Lines(content)}`;
}

function multipart(type: string, parts: readonly string[], extra = ''): { head: string; body: string } {
  const b = boundary();
  const body = `${parts.map((p) => `--${b}${CRLF}${p}`).join(CRLF)}${CRLF}--${b}--${CRLF}`;
  return { head: `Content-Type: multipart/${type}; boundary="${b}"${extra}`, body };
}

const utf8 = (text: string) => Buffer.from(text.replace(/\r?\n/g, CRLF), 'utf8');

/** The raw message. */
export function buildMimeMessage(input: MimeMessageInput): Buffer {
  if (input.to.length === 0) throw new InvalidMimeInputError('a message needs at least one recipient');
  for (const to of input.to)
    if (!ADDRESS.test(to)) throw new InvalidMimeInputError(`not an email address: ${JSON.stringify(to)}`);
  if (!/^[^\s<>@]+@[^\s<>@]+$/.test(input.messageId))
    throw new InvalidMimeInputError(
      `Message-ID must be local@domain, got ${JSON.stringify(input.messageId)}`,
    );

  const alternative = multipart('alternative', [
    leaf(['Content-Type: text/plain; charset=utf-8'], utf8(input.text)),
    leaf(['Content-Type: text/html; charset=utf-8'], utf8(input.html)),
  ]);
  const related = multipart(
    'related',
    [
      `${alternative.head}${CRLF}${CRLF}${alternative.body}`,
      ...input.inline.map((img) => {
        if (!SAFE_TOKEN.test(img.contentId))
          throw new InvalidMimeInputError(`unsafe Content-ID ${JSON.stringify(img.contentId)}`);
        return leaf(
          [
            `Content-Type: ${img.contentType}; name=${filenameParameter(img.filename)}`,
            `Content-ID: <${img.contentId}>`,
            `Content-Disposition: inline; filename=${filenameParameter(img.filename)}`,
          ],
          img.content,
        );
      }),
    ],
    '; type="multipart/alternative"',
  );
  const mixed = multipart('mixed', [
    `${related.head}${CRLF}${CRLF}${related.body}`,
    ...input.attachments.map((a) =>
      leaf(
        [
          `Content-Type: ${a.contentType}; name=${filenameParameter(a.filename)}`,
          `Content-Disposition: attachment; filename=${filenameParameter(a.filename)}`,
        ],
        a.content,
      ),
    ),
  ]);
  const headers = [
    `From: ${mailbox(input.from)}`,
    fold('To', input.to.join(', ')),
    header('Subject', input.subject),
    `Date: ${rfc5322Date(input.date)}`,
    `Message-ID: <${input.messageId}>`,
    'MIME-Version: 1.0',
    'Auto-Submitted: auto-generated',
    ...Object.entries(input.headers ?? {}).map(([name, value]) => {
      if (!/^[A-Za-z0-9-]+$/.test(name))
        throw new InvalidMimeInputError(`bad header name ${JSON.stringify(name)}`);
      return header(name, value);
    }),
    mixed.head,
  ];
  return Buffer.from(`${headers.join(CRLF)}${CRLF}${CRLF}${mixed.body}`, 'utf8');
}
