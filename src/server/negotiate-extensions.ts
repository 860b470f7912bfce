// The seam where a server agrees on extensions. permessage-deflate (RFC 7692) is the only one; its
// negotiation is pure (src/protocol/extensions/permessage-deflate.ts), its zlib side a Node adapter.
import { PerMessageDeflate } from '../node/deflate.js';
import type { PerMessageExtension } from '../protocol/extensions/extension.js';
import type { ExtensionOffer } from '../protocol/extensions/extension-header.js';
import {
  acceptDeflateOffers,
  type PerMessageDeflateOptions,
} from '../protocol/extensions/permessage-deflate.js';

export interface NegotiatedExtensions {
  /** The extension the protocol core runs, or null. The caller disposes it if the upgrade fails. */
  readonly extension: PerMessageExtension | null;
  /** The Sec-WebSocket-Extensions value for the 101 response; '' for none. */
  readonly header: string;
}

const NONE: NegotiatedExtensions = { extension: null, header: '' };

/**
 * Chooses what to accept from the client's offers (RFC 6455 9.1: the server answers with the ones it
 * uses). Offers of unknown extensions are ignored. Throws only for invalid `perMessageDeflate` options.
 */
export function negotiateServerExtensions(
  offers: readonly ExtensionOffer[],
  perMessageDeflate: boolean | PerMessageDeflateOptions | undefined,
): NegotiatedExtensions {
  if (offers.length === 0 || perMessageDeflate === undefined || perMessageDeflate === false) return NONE;
  const options = perMessageDeflate === true ? {} : perMessageDeflate;
  const agreement = acceptDeflateOffers(offers, options);
  if (agreement === null) return NONE;
  return {
    extension: new PerMessageDeflate('server', agreement.params, options),
    header: agreement.response,
  };
}
