// The client checks the server's answer (RFC 6455 4.1, "the client MUST validate the server's response").
import { HandshakeError } from '../../errors.js';
import { type ExtensionOffer, parseExtensionHeader } from '../extensions/extension-header.js';
import type { Sha1 } from '../ports.js';
import { computeAcceptKey } from './accept-key.js';
import { flattenHeaders, type HeaderRecord, headerValue } from './header-fields.js';
import { listHasToken, trimOws } from './token.js';

/** What the client needs of a response: Node's IncomingMessage and HttpResponseHead both fit. */
export interface UpgradeResponseLike {
  readonly statusCode?: number | undefined;
  readonly headers: HeaderRecord;
}

/** What the client sent, to hold the answer against. */
export interface UpgradeOffer {
  readonly key: string;
  /** Subprotocols offered (none -> the server must not pick one). */
  readonly protocols?: readonly string[] | undefined;
  /** Names of the extensions offered. */
  readonly extensions?: readonly string[] | undefined;
}

export interface UpgradeResult {
  /** The subprotocol the server chose, or undefined for none. */
  readonly protocol: string | undefined;
  /** The extensions the server accepted, parsed, for each extension to check its parameters. */
  readonly extensions: ExtensionOffer[];
}

/**
 * Validates the server's handshake response. Throws HandshakeError whose `status` is the server's
 * status: anything but 101 fails with that status and the response's headers (so the caller can
 * follow a 3xx `location` or answer a 401 `www-authenticate`); a bad 101 fails with status 101.
 */
export function validateUpgradeResponse(
  response: UpgradeResponseLike,
  offer: UpgradeOffer,
  sha1: Sha1,
): UpgradeResult {
  const headers = response.headers;
  const status = response.statusCode ?? 0;
  // RFC 6455 4.1: "If the status code received from the server is not 101, the client handles the
  // response per HTTP procedures" -- here: report it.
  if (status !== 101) {
    throw new HandshakeError(`server answered ${status} instead of 101`, status, flattenHeaders(headers));
  }
  // RFC 6455 4.1 item 2: Upgrade must be "websocket", case-insensitive.
  if (!listHasToken(headerValue(headers, 'upgrade'), 'websocket')) {
    fail('response Upgrade header is not "websocket"');
  }
  // RFC 6455 4.1 item 3: Connection must include "Upgrade", case-insensitive.
  if (!listHasToken(headerValue(headers, 'connection'), 'upgrade')) {
    fail('response Connection header does not include "Upgrade"');
  }
  // RFC 6455 4.1 item 4 and 11.3.3: one Sec-WebSocket-Accept, equal to the hash of our key.
  const accept = headerValue(headers, 'sec-websocket-accept');
  if (accept === undefined || trimOws(accept) !== computeAcceptKey(offer.key, sha1)) {
    fail('Sec-WebSocket-Accept does not match the key sent');
  }
  return {
    protocol: chosenProtocol(headerValue(headers, 'sec-websocket-protocol'), offer.protocols ?? []),
    extensions: acceptedExtensions(headerValue(headers, 'sec-websocket-extensions'), offer.extensions ?? []),
  };
}

// RFC 6455 4.1 item 6 and 11.3.4: at most one subprotocol, and one the client offered.
function chosenProtocol(value: string | undefined, offered: readonly string[]): string | undefined {
  if (value === undefined) return undefined;
  const protocol = trimOws(value);
  if (protocol.includes(',')) fail('server chose more than one subprotocol');
  if (!offered.includes(protocol)) fail(`server chose subprotocol ${JSON.stringify(protocol)}, not offered`);
  return protocol;
}

// RFC 6455 4.1 item 5: an extension not present in the client's handshake fails the connection.
function acceptedExtensions(value: string | undefined, offered: readonly string[]): ExtensionOffer[] {
  if (value === undefined) return [];
  let extensions: ExtensionOffer[];
  try {
    extensions = parseExtensionHeader(value);
  } catch (error) {
    fail(`malformed Sec-WebSocket-Extensions: ${(error as Error).message}`, error);
  }
  const seen = new Set<string>();
  for (const { name } of extensions) {
    if (!offered.includes(name)) fail(`server accepted extension ${JSON.stringify(name)}, not offered`);
    if (seen.has(name)) fail(`server accepted extension ${JSON.stringify(name)} twice`);
    seen.add(name);
  }
  return extensions;
}

function fail(message: string, cause?: unknown): never {
  throw new HandshakeError(message, 101, {}, cause === undefined ? undefined : { cause });
}
