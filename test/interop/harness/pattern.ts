// The shared test payload: byte i is (i * 31 + 7) & 0xff, the same bytes test/interop/python/peer.py
// and the browser page make, so a 16 MiB message is checked by length and SHA-256, not carried around.
import { createHash } from 'node:crypto';

export function pattern(size: number): Buffer {
  const block = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) block[i] = (i * 31 + 7) & 0xff;
  const out = Buffer.allocUnsafe(size);
  for (let offset = 0; offset < size; offset += 256) block.copy(out, offset, 0, Math.min(256, size - offset));
  return out;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export const SIXTEEN_MIB = 16 * 1024 * 1024;
