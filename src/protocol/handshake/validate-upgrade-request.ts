// The server reads the client's opening handshake (RFC 6455 4.2.1) and decides the error to answer.
import { HandshakeError } from '../../errors.js';
import { type ExtensionOffer, parseExtensionHeader } from '../extensions/extension-header.js';
import { isWebSocketKey } from './accept-key.js';
import { type HeaderRecord, headerValue } from './header-fields.js';
import { listHasToken, parseTokenList } from './token.js';

/** What the server needs of a request: Node's IncomingMessage and HttpRequestHead both fit. */
export interface UpgradeRequestLike {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly httpVersion: string;
  readonly headers: HeaderRecord;
}

export interface ValidateUpgradeRequestOptions {
  /**
   * The origin policy (RFC 6455 4.2.2 step 4 and 10.2). Gets the Origin header (undefined from
   * non-browser clients, which may send anything they like); returning false refuses with 403.
   */
  readonly verifyOrigin?: (origin: string | undefined, request: UpgradeRequestLike) => boolean;
}

/** A valid client handshake, ready for the server to choose a subprotocol and extensions. */
export interface UpgradeRequest {
  readonly key: string;
  readonly host: string;
  /** The request-target: the /resource name (RFC 6455 4.2.1 item 1), or absolute-form as sent. */
  readonly path: string;
  readonly origin: string | undefined;
  /** Subprotocols offered, in the client's order of preference (RFC 6455 4.1 item 10). */
  readonly protocols: readonly string[];
  /** Extensions offered, in the client's order of preference (RFC 6455 9.1). */
  readonly extensions: readonly ExtensionOffer[];
}

/**
 * Checks a client's opening handshake. Returns what it offered or throws HandshakeError carrying the
 * status and headers to answer with (see buildErrorResponse). Status choices:
 * - 405 + `Allow: GET` for another method: RFC 6455 4.1 item 2 requires GET, and 405 is the HTTP
 *   status that says exactly that (RFC 9110 15.5.6, which requires the Allow field).
 * - 426 + `Sec-WebSocket-Version: 13` for a version other than 13 (RFC 6455 4.2.2 step 4, 4.4).
 * - 403 when the origin policy refuses (RFC 6455 4.2.2 step 4).
 * - 400 for everything else that is missing or malformed (RFC 6455 4.2.1: "such as 400 Bad Request").
 */
export function validateUpgradeRequest(
  request: UpgradeRequestLike,
  options: ValidateUpgradeRequestOptions = {},
): UpgradeRequest {
  const headers = request.headers;
  // RFC 6455 4.2.1 item 1: "An HTTP/1.1 or higher GET request".
  if (request.method !== 'GET') {
    throw new HandshakeError('the opening handshake must be a GET request (RFC 6455 4.1)', 405, {
      Allow: 'GET',
    });
  }
  if (!isHttp11OrHigher(request.httpVersion)) {
    throw new HandshakeError('the opening handshake needs HTTP/1.1 or higher (RFC 6455 4.2.1)', 400);
  }
  const path = request.url;
  if (path === undefined || path.length === 0) {
    throw new HandshakeError('request is missing the Request-URI (RFC 6455 4.2.1)', 400);
  }
  // RFC 6455 4.2.1 item 2: a |Host| header field; one only (RFC 9112 3.2: more than one -> 400).
  const host = headerValue(headers, 'host');
  if (host === undefined) throw new HandshakeError('missing Host header (RFC 6455 4.2.1)', 400);
  if (host.includes(',')) throw new HandshakeError('more than one Host header (RFC 9112 3.2)', 400);
  // RFC 6455 4.2.1 item 3: |Upgrade| including "websocket", case-insensitive.
  if (!listHasToken(headerValue(headers, 'upgrade'), 'websocket')) {
    throw new HandshakeError('Upgrade header must include "websocket" (RFC 6455 4.2.1)', 400);
  }
  // RFC 6455 4.2.1 item 4: |Connection| including "Upgrade", case-insensitive.
  if (!listHasToken(headerValue(headers, 'connection'), 'upgrade')) {
    throw new HandshakeError('Connection header must include "Upgrade" (RFC 6455 4.2.1)', 400);
  }
  // RFC 6455 4.2.1 item 5 and 11.3.1: one key, base64 of 16 bytes (two keys combine to an invalid one).
  const key = headerValue(headers, 'sec-websocket-key');
  if (key === undefined || !isWebSocketKey(key)) {
    throw new HandshakeError(
      'Sec-WebSocket-Key must be one base64-encoded 16-byte value (RFC 6455 4.2.1)',
      400,
    );
  }
  // RFC 6455 4.2.1 item 6 and 11.3.5: exactly one Sec-WebSocket-Version in a request.
  const version = headerValue(headers, 'sec-websocket-version');
  if (version === undefined || version.includes(',')) {
    throw new HandshakeError('request needs one Sec-WebSocket-Version header (RFC 6455 4.2.1)', 400, {
      'Sec-WebSocket-Version': '13',
    });
  }
  // RFC 6455 4.2.2 step 4 / 4.4: an unsupported version -> 426 naming the versions we speak.
  if (version !== '13') {
    throw new HandshakeError(`unsupported WebSocket version ${JSON.stringify(version)}`, 426, {
      'Sec-WebSocket-Version': '13',
    });
  }
  const origin = headerValue(headers, 'origin');
  if (options.verifyOrigin !== undefined && !options.verifyOrigin(origin, request)) {
    throw new HandshakeError('origin not allowed', 403);
  }
  return {
    key,
    host,
    path,
    origin,
    protocols: offeredProtocols(headerValue(headers, 'sec-websocket-protocol')),
    extensions: offeredExtensions(headerValue(headers, 'sec-websocket-extensions')),
  };
}

function isHttp11OrHigher(version: string): boolean {
  const match = /^(\d+)\.(\d+)$/.exec(version);
  if (match === null) return false;
  const major = Number(match[1]);
  return major > 1 || (major === 1 && Number(match[2]) >= 1);
}

// RFC 6455 4.1 item 10: 1#token, elements "MUST all be unique strings".
function offeredProtocols(value: string | undefined): string[] {
  if (value === undefined) return [];
  const protocols = parseTokenList(value);
  if (protocols === null || protocols.length === 0) {
    throw new HandshakeError('Sec-WebSocket-Protocol must be a list of tokens (RFC 6455 4.1)', 400);
  }
  if (new Set(protocols).size !== protocols.length) {
    throw new HandshakeError('Sec-WebSocket-Protocol lists a subprotocol twice (RFC 6455 4.1)', 400);
  }
  return protocols;
}

function offeredExtensions(value: string | undefined): ExtensionOffer[] {
  if (value === undefined) return [];
  // parseExtensionHeader already throws HandshakeError(400) with the offset of the fault.
  return parseExtensionHeader(value);
}
