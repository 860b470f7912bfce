// The parameters of one permessage-deflate element (RFC 7692 section 7.1), read into a typed record.
// Pure: the caller decides what a fault means (a server declines that offer, a client fails).
import type { ExtensionOffer } from './extension-header.js';

/** The registered name of the extension (RFC 7692 section 7). */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** One offer or response element, validated. A window-bits field is `true` when sent without a value. */
export interface DeflateElementParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** `undefined` when absent. In an offer it always carries a value (7.1.2.1). */
  serverMaxWindowBits: number | undefined;
  /** `undefined` when absent, `true` when present without a value (only valid in an offer, 7.1.2.2). */
  clientMaxWindowBits: number | true | undefined;
}

/** What the parameters agree on: each side's context takeover and LZ77 window (8..15). */
export interface DeflateParameters {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
}

export type DeflateElementKind = 'offer' | 'response';

/** The result of reading an element: its parameters, or why it breaks RFC 7692. */
export type DeflateElementResult =
  | { readonly ok: true; readonly params: DeflateElementParams }
  | { readonly ok: false; readonly reason: string };

// RFC 7692 7.1.2.1: "a decimal integer value without leading zeroes between 8 and 15, inclusive".
const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

/**
 * Reads the parameters of one permessage-deflate element. Faults (7.1, 7.1.1, 7.1.2): an unknown
 * parameter, a parameter given twice, a value on a *_no_context_takeover, a window-bits value that is
 * not 8..15, `server_max_window_bits` without a value, and `client_max_window_bits` without a value
 * in a response.
 */
export function readDeflateParams(element: ExtensionOffer, kind: DeflateElementKind): DeflateElementResult {
  const params: DeflateElementParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  const seen = new Set<string>();
  for (const [name, value] of element.params) {
    // RFC 7692 7.1: a server MUST decline (a client MUST fail) on "multiple extension parameters
    // with the same name".
    if (seen.has(name)) return fault(`parameter ${name} is given more than once`);
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        // 7.1.1.1 / 7.1.1.2: these parameters have no value.
        if (value !== true) return fault(`parameter ${name} must have no value`);
        if (name === 'server_no_context_takeover') params.serverNoContextTakeover = true;
        else params.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        // 7.1.2.1: "This parameter has a value" in offers and responses alike.
        if (value === true) return fault('parameter server_max_window_bits needs a value');
        if (!WINDOW_BITS.test(value)) return fault(`server_max_window_bits=${value} is not 8..15`);
        params.serverMaxWindowBits = Number(value);
        break;
      }
      case 'client_max_window_bits': {
        // 7.1.2.2: optional value in an offer; a response's MUST carry one.
        if (value === true) {
          if (kind === 'response')
            return fault('parameter client_max_window_bits needs a value in a response');
          params.clientMaxWindowBits = true;
          break;
        }
        if (!WINDOW_BITS.test(value)) return fault(`client_max_window_bits=${value} is not 8..15`);
        params.clientMaxWindowBits = Number(value);
        break;
      }
      default:
        // 7.1: a parameter "not defined for use in an offer" (or response).
        return fault(`unknown parameter ${name}`);
    }
  }
  return { ok: true, params };
}

function fault(reason: string): DeflateElementResult {
  return { ok: false, reason };
}
