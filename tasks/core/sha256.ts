/**
 * Hex SHA-256 of a string's UTF-8 bytes, the digest behind event ids and statement keys. `crypto.hash`
 * (Node 20.12+) is a one-shot digest without a Hash object per call (about twice as fast on the ~1 KB texts
 * of the decrypt path); `createHash` where it is missing.
 */
import * as crypto from 'node:crypto';

const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export const sha256Hex: (data: string) => string = oneShot
  ? (data) => oneShot('sha256', data, 'hex')
  : (data) => crypto.createHash('sha256').update(data).digest('hex');
