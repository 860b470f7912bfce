// permessage-deflate negotiation (RFC 7692 section 7.1), both sides, as pure functions over parsed
// Sec-WebSocket-Extensions elements (see extension-header.ts). The zlib side lives in src/node/deflate.ts.
import { WebSocketError } from '../../errors.js';
import type { ExtensionOffer, ExtensionParam } from './extension-header.js';
import { serializeExtensionHeader } from './extension-header.js';
import {
  type DeflateElementParams,
  type DeflateParameters,
  PERMESSAGE_DEFLATE,
  readDeflateParams,
} from './permessage-deflate-params.js';

export type { DeflateParameters } from './permessage-deflate-params.js';
export { PERMESSAGE_DEFLATE } from './permessage-deflate-params.js';

/**
 * What an endpoint asks for or allows. The negotiation reads the four RFC 7692 fields; `threshold`,
 * `level` and `memLevel` are read by the zlib side (src/node/deflate.ts) and travel here so that
 * users pass one object.
 */
export interface PerMessageDeflateOptions {
  /** Server: always reset the server's compressor per message. Client: ask the server to (7.1.1.1). */
  serverNoContextTakeover?: boolean;
  /** Server: require the client to reset per message. Client: reset per message and say so (7.1.1.2). */
  clientNoContextTakeover?: boolean;
  /** The most window bits (8..15) the server's compressor may use (7.1.2.1). */
  serverMaxWindowBits?: number;
  /** The most window bits (8..15) the client's compressor may use (7.1.2.2). */
  clientMaxWindowBits?: number;
  /** Messages smaller than this many bytes are sent uncompressed unless a write asks otherwise. Default 1024. */
  threshold?: number;
  /** zlib compression level 0..9. Default 6 (zlib's default). */
  level?: number;
  /** zlib memLevel 1..9: the compressor's hash memory is 2^(memLevel+9) bytes. Default 8. */
  memLevel?: number;
}

/** A server's acceptance: the parameters both sides now use and the element to send back. */
export interface DeflateAgreement {
  readonly params: DeflateParameters;
  /** The Sec-WebSocket-Extensions element for the response, e.g. `permessage-deflate; client_max_window_bits=12`. */
  readonly response: string;
}

/** Throws WebSocketError(ERR_INVALID_ARGUMENT) on options outside their ranges. */
export function validateDeflateOptions(options: PerMessageDeflateOptions): void {
  checkRange(options.serverMaxWindowBits, 8, 15, 'serverMaxWindowBits');
  checkRange(options.clientMaxWindowBits, 8, 15, 'clientMaxWindowBits');
  checkRange(options.level, 0, 9, 'level');
  checkRange(options.memLevel, 1, 9, 'memLevel');
  checkRange(options.threshold, 0, Number.MAX_SAFE_INTEGER, 'threshold');
}

/**
 * Server side: picks the first acceptable permessage-deflate offer among `offers` (every element of
 * the request's header; other extensions are skipped) and builds the response. An offer that breaks
 * RFC 7692 7.1 (unknown, duplicated or invalid parameter) is declined and the next one is tried; the
 * result is `null` when none is acceptable, and the connection goes on without compression.
 */
export function acceptDeflateOffers(
  offers: readonly ExtensionOffer[],
  options: PerMessageDeflateOptions = {},
): DeflateAgreement | null {
  validateDeflateOptions(options);
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const read = readDeflateParams(offer, 'offer');
    // RFC 7692 7.1: the server MUST decline an offer with an invalid parameter, and may accept another.
    if (!read.ok) continue;
    return agreeAsServer(read.params, options);
  }
  return null;
}

function agreeAsServer(offer: DeflateElementParams, options: PerMessageDeflateOptions): DeflateAgreement {
  const response: ExtensionParam[] = [];
  // 7.1.1.1: if offered, the server MUST include it on acceptance; it MAY include it unasked.
  const serverNoContextTakeover = offer.serverNoContextTakeover || options.serverNoContextTakeover === true;
  if (serverNoContextTakeover) response.push(['server_no_context_takeover', true]);
  // 7.1.1.2: the server MAY include it whatever the offer. Confirming the client's hint lets the server
  // inflate with a pooled context instead of one held per connection.
  const clientNoContextTakeover = offer.clientNoContextTakeover || options.clientNoContextTakeover === true;
  if (clientNoContextTakeover) response.push(['client_no_context_takeover', true]);
  // 7.1.2.1: accepted "with the same or smaller value as the offer"; MAY be sent unasked.
  const serverMaxWindowBits = Math.min(offer.serverMaxWindowBits ?? 15, options.serverMaxWindowBits ?? 15);
  if (offer.serverMaxWindowBits !== undefined || serverMaxWindowBits < 15) {
    response.push(['server_max_window_bits', String(serverMaxWindowBits)]);
  }
  // 7.1.2.2: the response MUST NOT include client_max_window_bits unless the offer did.
  let clientMaxWindowBits = 15;
  if (offer.clientMaxWindowBits !== undefined) {
    const offered = offer.clientMaxWindowBits === true ? 15 : offer.clientMaxWindowBits;
    clientMaxWindowBits = Math.min(offered, options.clientMaxWindowBits ?? 15);
    if (offer.clientMaxWindowBits !== true || clientMaxWindowBits < 15) {
      response.push(['client_max_window_bits', String(clientMaxWindowBits)]);
    }
  }
  return {
    params: { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits },
    response: serializeExtensionHeader([{ name: PERMESSAGE_DEFLATE, params: response }]),
  };
}

/**
 * Client side: the offer for the request's Sec-WebSocket-Extensions. It always carries
 * `client_max_window_bits` (7.1.2.2: the client supports a limit the server may set), with a value
 * when `clientMaxWindowBits` is set.
 */
export function deflateOffer(options: PerMessageDeflateOptions = {}): string {
  validateDeflateOptions(options);
  const params: ExtensionParam[] = [];
  if (options.serverNoContextTakeover === true) params.push(['server_no_context_takeover', true]);
  if (options.clientNoContextTakeover === true) params.push(['client_no_context_takeover', true]);
  if (options.serverMaxWindowBits !== undefined) {
    params.push(['server_max_window_bits', String(options.serverMaxWindowBits)]);
  }
  params.push([
    'client_max_window_bits',
    options.clientMaxWindowBits === undefined ? true : String(options.clientMaxWindowBits),
  ]);
  return serializeExtensionHeader([{ name: PERMESSAGE_DEFLATE, params }]);
}

/**
 * Client side: checks the server's response (every element of its Sec-WebSocket-Extensions) against
 * the offer built from the same `options`. Returns `null` when the server declined compression and the
 * agreed parameters when it accepted. Throws WebSocketError(ERR_EXTENSION) when the response breaks
 * RFC 7692 7.1: the client MUST then fail the connection. Elements of other extensions are left to
 * the handshake, which fails on any extension that was not offered (RFC 6455 9.1).
 */
export function acceptDeflateResponse(
  elements: readonly ExtensionOffer[],
  options: PerMessageDeflateOptions = {},
): DeflateParameters | null {
  validateDeflateOptions(options);
  let accepted: ExtensionOffer | undefined;
  for (const element of elements) {
    if (element.name !== PERMESSAGE_DEFLATE) continue;
    // We sent one offer; the server can accept it once (RFC 6455 9.1: one element per extension used).
    if (accepted !== undefined) fail('the response names permessage-deflate more than once');
    accepted = element;
  }
  if (accepted === undefined) return null;
  const read = readDeflateParams(accepted, 'response');
  if (!read.ok) fail(read.reason);
  const response = read.params;
  // 7.1.1.1: the server accepts an offer with server_no_context_takeover by including it.
  if (options.serverNoContextTakeover === true && !response.serverNoContextTakeover) {
    fail('the response drops server_no_context_takeover, which was offered');
  }
  // 7.1.2.1: an offer with server_max_window_bits is accepted with "the same or smaller value".
  if (options.serverMaxWindowBits !== undefined) {
    if (response.serverMaxWindowBits === undefined) {
      fail('the response drops server_max_window_bits, which was offered');
    }
    if (response.serverMaxWindowBits > options.serverMaxWindowBits) {
      fail(
        `server_max_window_bits=${response.serverMaxWindowBits} is more than the offered ${options.serverMaxWindowBits}`,
      );
    }
  }
  // 7.1.2.2: the client asked for no more than its own value.
  const clientLimit = options.clientMaxWindowBits ?? 15;
  const clientBits =
    response.clientMaxWindowBits === undefined ? 15 : (response.clientMaxWindowBits as number);
  if (response.clientMaxWindowBits !== undefined && clientBits > clientLimit) {
    fail(`client_max_window_bits=${clientBits} is more than the offered ${clientLimit}`);
  }
  return {
    serverNoContextTakeover: response.serverNoContextTakeover,
    // The client may always reset its own compressor; it promised to when it offered the hint.
    clientNoContextTakeover: response.clientNoContextTakeover || options.clientNoContextTakeover === true,
    serverMaxWindowBits: response.serverMaxWindowBits ?? 15,
    clientMaxWindowBits: Math.min(clientBits, clientLimit),
  };
}

function fail(reason: string): never {
  throw new WebSocketError('ERR_EXTENSION', `permessage-deflate response refused: ${reason} (RFC 7692 7.1)`);
}

function checkRange(value: number | undefined, min: number, max: number, name: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new WebSocketError(
      'ERR_INVALID_ARGUMENT',
      `permessage-deflate ${name} must be an integer ${min}..${max}`,
    );
  }
}
