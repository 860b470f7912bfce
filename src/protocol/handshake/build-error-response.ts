// A complete HTTP/1.1 response refusing a handshake (RFC 6455 4.2.1, 4.2.2 step 4).
import { WebSocketError } from '../../errors.js';
import { extraHeaderLines } from './header-fields.js';
import { statusText } from './status-text.js';

const RESERVED = new Set(['connection', 'content-type', 'content-length', 'transfer-encoding']);

/**
 * `HTTP/1.1 <status> <reason>` with Connection: close, a text/plain UTF-8 body of `message` (the
 * reason phrase when empty) and its Content-Length in bytes. `headers` add fields such as
 * `Allow` or `Sec-WebSocket-Version` (a HandshakeError's `headers`). Write it as UTF-8, then close.
 */
export function buildErrorResponse(
  status: number,
  message: string,
  headers?: Readonly<Record<string, string>>,
): string {
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new WebSocketError(
      'ERR_INVALID_ARGUMENT',
      `an error response needs a 4xx or 5xx status, not ${status}`,
    );
  }
  const reason = statusText(status);
  const body = message.length > 0 ? message : reason;
  return (
    `HTTP/1.1 ${status} ${reason}\r\n` +
    'Connection: close\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n` +
    `${extraHeaderLines(headers, RESERVED)}\r\n${body}`
  );
}
