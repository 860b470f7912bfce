// The answer `listen` writes to a request that is not a WebSocket upgrade when `onPlainRequest`
// returns one (static files, a health check on the WebSocket port).
import { WebSocketError } from '../errors.js';
import { extraHeaderLines } from '../protocol/handshake/header-fields.js';
import { statusText } from '../protocol/handshake/status-text.js';

/** What `onPlainRequest` answers: a status (200-599), extra headers and a body. */
export interface PlainResponse {
  readonly status: number;
  /** Content-Type among them (`application/octet-stream` when absent). */
  readonly headers?: Readonly<Record<string, string>>;
  /** A string is sent as UTF-8. Left out for a HEAD request (its Content-Length stays). */
  readonly body?: string | Uint8Array;
}

// Set by the server itself: the connection closes after the answer and the length is the body's.
const RESERVED = new Set(['connection', 'content-length', 'transfer-encoding']);

/** The whole HTTP/1.1 response, head and body; throws ERR_INVALID_ARGUMENT on a bad status or header. */
export function buildPlainResponse(response: PlainResponse, method: string): Buffer {
  const { status } = response;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new WebSocketError(
      'ERR_INVALID_ARGUMENT',
      `a plain response needs a status 200-599, not ${status}`,
    );
  }
  const body =
    typeof response.body === 'string'
      ? Buffer.from(response.body, 'utf8')
      : (response.body ?? new Uint8Array(0));
  const headers = { ...response.headers };
  const hasType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
  if (!hasType) headers['Content-Type'] = 'application/octet-stream';
  const head =
    `HTTP/1.1 ${status} ${statusText(status)}\r\n` +
    'Connection: close\r\n' +
    `Content-Length: ${body.byteLength}\r\n` +
    `${extraHeaderLines(headers, RESERVED)}\r\n`;
  const headBytes = Buffer.from(head, 'latin1');
  return method === 'HEAD' ? headBytes : Buffer.concat([headBytes, body]);
}
