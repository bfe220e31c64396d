/**
 * A small, strict MIME reader for the tests (independent of the code that writes messages): headers
 * unfolded, RFC 2047 encoded words decoded, multiparts split on their boundaries, base64 bodies decoded.
 * Fails on what a strict reader would refuse: bare LF, a missing closing boundary, a base64 line over 76.
 */
export interface MimeNode {
  readonly headers: ReadonlyMap<string, string>;
  /** `text/html`, … (lower case, without parameters). */
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
  readonly parts: readonly MimeNode[];
  /** Decoded body (leaves only). */
  readonly body: Buffer;
}

export function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?B\?([^?]*)\?=/gi, (_m, b64: string) => Buffer.from(b64, 'base64').toString('utf8'));
}

function parseParams(value: string): { type: string; params: Record<string, string> } {
  const [type = '', ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const m = /^\s*([A-Za-z0-9-]+)=(?:"([^"]*)"|([^\s;]+))\s*$/.exec(p);
    if (m?.[1]) params[m[1].toLowerCase()] = m[2] ?? m[3] ?? '';
  }
  return { type: type.trim().toLowerCase(), params };
}

export function parseMime(raw: string): MimeNode {
  if (/[^\r]\n/.test(raw) || raw.startsWith('\n')) throw new Error('bare LF in message');
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) throw new Error('no header/body separator');
  const headerText = raw.slice(0, split);
  const bodyText = raw.slice(split + 4);
  const headers = new Map<string, string>();
  for (const line of headerText.replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const at = line.indexOf(':');
    if (at <= 0) throw new Error(`bad header line ${JSON.stringify(line)}`);
    headers.set(line.slice(0, at).toLowerCase(), line.slice(at + 1).trim());
  }
  const { type, params } = parseParams(headers.get('content-type') ?? 'text/plain');
  if (type.startsWith('multipart/')) {
    const boundary = params.boundary;
    if (!boundary) throw new Error(`${type} without boundary`);
    const close = `\r\n--${boundary}--`;
    const end = `\r\n${bodyText}`.indexOf(close);
    if (end < 0) throw new Error(`missing closing boundary ${boundary}`);
    const inner = `\r\n${bodyText}`.slice(0, end);
    const chunks = inner.split(`\r\n--${boundary}\r\n`).slice(1);
    return { headers, type, params, parts: chunks.map(parseMime), body: Buffer.alloc(0) };
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  let body: Buffer;
  if (encoding === 'base64') {
    const lines = bodyText.split('\r\n').filter((l) => l !== '');
    for (const l of lines) if (l.length > 76) throw new Error(`base64 line of ${l.length} characters`);
    body = Buffer.from(lines.join(''), 'base64');
  } else body = Buffer.from(bodyText, 'utf8');
  return { headers, type, params, parts: [], body };
}

/** Every leaf, depth first. */
export function leaves(node: MimeNode): MimeNode[] {
  return node.parts.length === 0 ? [node] : node.parts.flatMap(leaves);
}

/** The structure as `type[child, …]`, for one readable assertion. */
export function structure(node: MimeNode): string {
  return node.parts.length === 0 ? node.type : `${node.type}[${node.parts.map(structure).join(', ')}]`;
}
