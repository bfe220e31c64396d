import { randomBytes } from 'node:crypto';
import { decodeWords, leaves, parseMime, structure } from '../../../../cli/local/mime';
import { base64Size, buildMimeMessage, type MimeMessageInput } from '../../../../tasks/core/report/mime';

const png = randomBytes(5000);
const csv = Buffer.from('a,b\r\n1,"x, y"\r\n', 'utf8');
const input: MimeMessageInput = {
  from: { name: 'aurora-audit', address: 'aurora-audit@reports.example.com' },
  to: ['compliance@example.com', 'dba@example.com'],
  subject:
    '[aurora-audit] Aurora audit orders-db 2026-11-23–2026-11-23: 3 privilege changes, 1 tampering event and some more words to fold',
  date: new Date('2026-11-24T07:00:00.000Z'),
  messageId: 'report.run-1@reports.example.com',
  text: 'Plain text\nwith lines — and ünïcödé',
  html: '<p>HTML <img src="cid:chart@aurora-audit"></p>',
  inline: [
    {
      filename: 'activity-per-day.png',
      contentType: 'image/png',
      contentId: 'chart@aurora-audit',
      content: png,
    },
  ],
  attachments: [
    { filename: 'privilege-changes.csv', contentType: 'text/csv; charset=utf-8', content: csv },
    { filename: 'failures.csv', contentType: 'text/csv; charset=utf-8', content: Buffer.alloc(0) },
  ],
};

describe('the raw MIME message', () => {
  const raw = buildMimeMessage(input).toString('utf8');
  const message = parseMime(raw);

  it('nests mixed { related { alternative { text, html }, inline png }, one CSV attachment per section }', () => {
    expect(structure(message)).toBe(
      'multipart/mixed[multipart/related[multipart/alternative[text/plain, text/html], image/png], text/csv, text/csv]',
    );
    expect(message.parts[0]?.params.type).toBe('multipart/alternative');
  });

  it('gives the inline image the Content-ID the HTML refers to', () => {
    const [, html, image] = leaves(message);
    const cid = /src="cid:([^"]+)"/.exec(html?.body.toString('utf8') ?? '')?.[1];
    expect(image?.headers.get('content-id')).toBe(`<${cid}>`);
    expect(image?.headers.get('content-disposition')).toMatch(/^inline;/);
  });

  it('base64-encodes every body so that it decodes to the same bytes', () => {
    const [text, html, image, a, b] = leaves(message);
    expect(text?.body.toString('utf8')).toBe('Plain text\r\nwith lines — and ünïcödé');
    expect(html?.body.toString('utf8')).toBe(input.html);
    expect(image?.body.equals(png)).toBe(true);
    expect(a?.body.equals(csv)).toBe(true);
    expect(a?.headers.get('content-disposition')).toBe('attachment; filename="privilege-changes.csv"');
    expect(b?.body.length).toBe(0);
  });

  it('uses CRLF line ends only, lines within 78 characters and unique boundaries', () => {
    expect(raw).not.toMatch(/[^\r]\n/);
    for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
    for (const line of raw.split('\r\n\r\n')[0]?.split('\r\n') ?? [])
      expect(line.length).toBeLessThanOrEqual(78);
    const boundaries = [...raw.matchAll(/boundary="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(boundaries).size).toBe(3);
    const again = buildMimeMessage(input).toString('utf8');
    expect([...again.matchAll(/boundary="([^"]+)"/g)].map((m) => m[1])).not.toEqual(boundaries);
  });

  it('encodes the non-ASCII subject as RFC 2047 words that decode to the subject', () => {
    const header = message.headers.get('subject') ?? '';
    expect(header).toMatch(/^=\?UTF-8\?B\?/);
    expect(decodeWords(header)).toBe(input.subject);
    expect(raw).not.toContain('–');
  });

  it('has the addressing headers, the Date and the Message-ID', () => {
    expect(message.headers.get('from')).toBe('"aurora-audit" <aurora-audit@reports.example.com>');
    expect(message.headers.get('to')).toBe('compliance@example.com, dba@example.com');
    expect(message.headers.get('date')).toBe('Tue, 24 Nov 2026 07:00:00 +0000');
    expect(message.headers.get('message-id')).toBe('<report.run-1@reports.example.com>');
    expect(message.headers.get('mime-version')).toBe('1.0');
  });

  it('estimates the size a part takes in base64 lines exactly', () => {
    for (const n of [0, 1, 56, 57, 58, 1000, 100_000]) {
      const lines = Buffer.alloc(n)
        .toString('base64')
        .replace(/.{76}(?=.)/g, '$&\r\n');
      expect(base64Size(n)).toBe(n === 0 ? 0 : lines.length + 2);
    }
  });

  it('refuses header injection through recipients and attachment names', () => {
    expect(() => buildMimeMessage({ ...input, to: ['a@example.com\r\nBcc: x@evil.example'] })).toThrow(
      'not an email address',
    );
    expect(() =>
      buildMimeMessage({
        ...input,
        attachments: [{ filename: 'a"\r\nX: y.csv', contentType: 'text/csv', content: csv }],
      }),
    ).toThrow('unsafe attachment file name');
  });
});
