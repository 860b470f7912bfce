// The client's side of extension negotiation: what to offer, and what the server's answer yields.
import { HandshakeError, WebSocketError } from '../errors.js';
import { PerMessageDeflate } from '../node/deflate.js';
import type { PerMessageExtension } from '../protocol/extensions/extension.js';
import type { ExtensionOffer } from '../protocol/extensions/extension-header.js';
import {
  acceptDeflateResponse,
  deflateOffer,
  PERMESSAGE_DEFLATE,
  type PerMessageDeflateOptions,
} from '../protocol/extensions/permessage-deflate.js';

export interface ExtensionOfferPlan {
  /** The Sec-WebSocket-Extensions value to send, '' for none. */
  readonly header: string;
  /** Names offered, for validateUpgradeResponse (RFC 6455 4.1 item 5). */
  readonly names: readonly string[];
}

function deflateOptions(
  option: boolean | PerMessageDeflateOptions | undefined,
): PerMessageDeflateOptions | null {
  if (option === undefined || option === false) return null;
  return option === true ? {} : option;
}

export function offerClientExtensions(
  option: boolean | PerMessageDeflateOptions | undefined,
): ExtensionOfferPlan {
  const options = deflateOptions(option);
  if (options === null) return { header: '', names: [] };
  return { header: deflateOffer(options), names: [PERMESSAGE_DEFLATE] };
}

/**
 * The extension to run after the server accepted `accepted` (already checked to be offered). A
 * response that breaks RFC 7692 fails the handshake (HandshakeError, status 101).
 */
export function acceptClientExtensions(
  accepted: readonly ExtensionOffer[],
  option: boolean | PerMessageDeflateOptions | undefined,
): PerMessageExtension | null {
  const options = deflateOptions(option);
  if (options === null || accepted.length === 0) return null;
  try {
    const params = acceptDeflateResponse(accepted, options);
    return params === null ? null : new PerMessageDeflate('client', params, options);
  } catch (error) {
    if (error instanceof WebSocketError && error.code === 'ERR_EXTENSION') {
      // RFC 6455 4.1: the client MUST fail the WebSocket connection.
      throw new HandshakeError(error.message, 101, {}, { cause: error });
    }
    throw error;
  }
}
