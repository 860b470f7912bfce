// Sec-WebSocket-Key and Sec-WebSocket-Accept (RFC 6455 4.1, 4.2.2, 1.3).
import type { Sha1 } from '../ports.js';

/** The GUID every endpoint appends to the key before hashing (RFC 6455 1.3). */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

// 16 bytes in base64 are 22 significant characters and "==" (RFC 6455 4.1: "a randomly selected 16-byte
// value that has been base64-encoded"). The 22nd character carries only 2 data bits; we do not insist
// on canonical padding bits, as Buffer decoding of such a key still yields 16 bytes.
const KEY_PATTERN = /^[A-Za-z0-9+/]{22}==$/;

/** Whether `value` is a Sec-WebSocket-Key: base64 that decodes to exactly 16 bytes. */
export function isWebSocketKey(value: string): boolean {
  return KEY_PATTERN.test(value);
}

/** Sec-WebSocket-Accept = base64(SHA-1(key + GUID)) (RFC 6455 4.2.2 step 5.4). */
export function computeAcceptKey(key: string, sha1: Sha1): string {
  if (sha1.base64 !== undefined) return sha1.base64(key + WEBSOCKET_GUID);
  const digest = sha1(key + WEBSOCKET_GUID);
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('base64');
}
