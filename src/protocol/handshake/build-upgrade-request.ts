// The client's opening handshake (RFC 6455 4.1).
import { WebSocketError } from '../../errors.js';
import {
  type ExtensionOffer,
  parseExtensionHeader,
  serializeExtensionHeader,
} from '../extensions/extension-header.js';
import { isWebSocketKey } from './accept-key.js';
import { extraHeaderLines, headerLine } from './header-fields.js';
import { isToken } from './token.js';

export interface BuildUpgradeRequestOptions {
  /** The Host value: host, plus ":port" when not the default (RFC 6455 4.1 item 4). */
  readonly host: string;
  /** The resource name: "/" path [ "?" query ] (RFC 6455 3, 4.1 item 2). */
  readonly path: string;
  /** From createClientKey. */
  readonly key: string;
  /** Browsers must send it (RFC 6455 4.1 item 8); other clients may. */
  readonly origin?: string | undefined;
  /** Subprotocols in order of preference: unique tokens (RFC 6455 4.1 item 10). */
  readonly protocols?: readonly string[] | undefined;
  /** Extensions offered, as a header value or parsed (RFC 6455 9.1). */
  readonly extensions?: string | readonly ExtensionOffer[] | undefined;
  /** Extra fields (cookies, authorization); they may not set the fields written here. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

const RESERVED = new Set([
  'host',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'origin',
  'content-length',
  'transfer-encoding',
]);

/** The exact GET request that opens a WebSocket, ending with the empty line. */
export function buildUpgradeRequest(options: BuildUpgradeRequestOptions): string {
  const { host, path, key } = options;
  if (!isVisibleAscii(host)) invalid('host must be non-empty visible ASCII');
  // RFC 6455 3: the resource name starts with "/"; fragments MUST NOT be used.
  if (!path.startsWith('/') || !isVisibleAscii(path) || path.includes('#')) {
    invalid('path must start with "/" and hold visible ASCII without "#" (percent-encode the rest)');
  }
  if (!isWebSocketKey(key)) invalid('key must be base64 of 16 bytes (use createClientKey)');
  // RFC 6455 4.1 items 2-6.
  let request =
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`;
  if (options.origin !== undefined) request += headerLine('Origin', options.origin);
  const protocols = options.protocols ?? [];
  if (protocols.length > 0) {
    // RFC 6455 4.1 item 10: each a token, all unique.
    for (const protocol of protocols) {
      if (!isToken(protocol)) invalid(`subprotocol ${JSON.stringify(protocol)} is not a token`);
    }
    if (new Set(protocols).size !== protocols.length) invalid('subprotocols must be unique');
    request += `Sec-WebSocket-Protocol: ${protocols.join(', ')}\r\n`;
  }
  const extensions = extensionValue(options.extensions);
  if (extensions.length > 0) request += `Sec-WebSocket-Extensions: ${extensions}\r\n`;
  return `${request}${extraHeaderLines(options.headers, RESERVED)}\r\n`;
}

function extensionValue(extensions: string | readonly ExtensionOffer[] | undefined): string {
  if (extensions === undefined) return '';
  if (typeof extensions !== 'string') return serializeExtensionHeader(extensions);
  // A string is checked against the 9.1 grammar, which also rules out CR and LF.
  try {
    parseExtensionHeader(extensions);
  } catch (error) {
    throw new WebSocketError('ERR_INVALID_ARGUMENT', `invalid extensions: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return extensions;
}

function isVisibleAscii(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

function invalid(message: string): never {
  throw new WebSocketError('ERR_INVALID_ARGUMENT', message);
}
