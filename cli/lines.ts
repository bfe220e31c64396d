import { createReadStream } from 'node:fs';
import type { CliIo } from './io';

/** Splits a stream of text chunks into lines (without the newline; a trailing `\r` is dropped). */
export async function* splitLines(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<string> {
  let rest = '';
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of chunks) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let at = rest.indexOf('\n');
    while (at >= 0) {
      yield rest.slice(0, at).replace(/\r$/, '');
      rest = rest.slice(at + 1);
      at = rest.indexOf('\n');
    }
  }
  rest += decoder.decode();
  if (rest !== '') yield rest.replace(/\r$/, '');
}

/** The lines of FILE, or of standard input without one. */
export function inputLines(io: CliIo, file: string | undefined): AsyncGenerator<string> {
  if (file !== undefined && file !== '-') return splitLines(createReadStream(file));
  if (!io.stdin) throw new Error('no standard input available; give a FILE');
  return splitLines(io.stdin());
}
