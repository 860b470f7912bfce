// RFC 6455 4.1 item 7: the nonce is "a randomly selected 16-byte value that has been base64-encoded",
// "selected randomly for each connection".
import type { RandomFill } from '../ports.js';

/** A fresh Sec-WebSocket-Key: 16 bytes from `random`, base64-encoded (24 characters). */
export function createClientKey(random: RandomFill): string {
  const nonce = Buffer.alloc(16);
  random(nonce);
  return nonce.toString('base64');
}
