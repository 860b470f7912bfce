// The server's 101 answer (RFC 6455 4.2.2 step 5).
import { WebSocketError } from '../../errors.js';
import { type ExtensionOffer, serializeExtensionHeader } from '../extensions/extension-header.js';
import type { Sha1 } from '../ports.js';
import { computeAcceptKey, isWebSocketKey } from './accept-key.js';
import { extraHeaderLines, headerLine } from './header-fields.js';
import { isToken } from './token.js';

export interface AcceptResponseOptions {
  /** The client's Sec-WebSocket-Key. */
  readonly key: string;
  /** The subprotocol chosen from the client's offer; omitted -> no Sec-WebSocket-Protocol line. */
  readonly protocol?: string | undefined;
  /** The extensions accepted, as a header value or parsed; empty -> no Sec-WebSocket-Extensions line. */
  readonly extensions?: string | readonly ExtensionOffer[] | undefined;
  /** Extra header fields; they may not set the fields written here. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

const RESERVED = new Set([
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'content-length',
  'transfer-encoding',
]);

/** The exact `HTTP/1.1 101 Switching Protocols` response, ending with the empty line. */
export function buildAcceptResponse(options: AcceptResponseOptions, sha1: Sha1): string {
  if (!isWebSocketKey(options.key)) {
    throw new WebSocketError('ERR_INVALID_ARGUMENT', 'key is not a Sec-WebSocket-Key');
  }
  // RFC 6455 4.2.2 step 5.1-5.3: status line, Upgrade: websocket, Connection: Upgrade.
  let response =
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${computeAcceptKey(options.key, sha1)}\r\n`;
  if (options.protocol !== undefined) {
    // RFC 6455 4.2.2 step 5.5: a single subprotocol, a token the client offered.
    if (!isToken(options.protocol)) {
      throw new WebSocketError('ERR_INVALID_ARGUMENT', 'the subprotocol must be a token');
    }
    response += `Sec-WebSocket-Protocol: ${options.protocol}\r\n`;
  }
  const extensions =
    typeof options.extensions === 'string'
      ? options.extensions
      : options.extensions === undefined
        ? ''
        : serializeExtensionHeader(options.extensions);
  if (extensions.length > 0) response += headerLine('Sec-WebSocket-Extensions', extensions);
  return `${response}${extraHeaderLines(options.headers, RESERVED)}\r\n`;
}
