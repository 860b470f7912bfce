// The Web IDL conversions and checks the WebSocket interface needs (WHATWG WebSockets; Web IDL
// "USVString", "[Clamp] unsigned short", "(DOMString or sequence<DOMString>)"), and its exceptions.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Web IDL DOMString: ECMAScript ToString, which throws for a Symbol (String() would not). */
export function toDOMString(value: unknown): string {
  if (typeof value === 'symbol') throw new TypeError('Cannot convert a Symbol value to a string');
  return String(value);
}

/** Web IDL USVString: ToString, then every lone surrogate becomes U+FFFD. */
export function toUSVString(value: unknown): string {
  const text = toDOMString(value);
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/** Web IDL unsigned short (modulo 2^16, as CloseEventInit's `code` converts). */
export function toUnsignedShort(value: unknown): number {
  const number = Number(value);
  if (!Number.isFinite(number)) return 0;
  const integer = Math.trunc(number);
  return ((integer % 65536) + 65536) % 65536;
}

/** Web IDL [Clamp] unsigned short, as close() converts its code: NaN is 0, halves round to even. */
export function toClampedUnsignedShort(value: unknown): number {
  const number = Number(value);
  if (Number.isNaN(number)) return 0;
  const clamped = Math.min(Math.max(number, 0), 65535);
  const floor = Math.floor(clamped);
  const fraction = clamped - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The DOMException a WebSocket throws; `name` is what code branches on. */
export function domException(
  name: 'SyntaxError' | 'InvalidAccessError' | 'InvalidStateError',
  message: string,
) {
  return new DOMException(message, name);
}

/**
 * The constructor's URL steps ("get a URL record"): parse (no base URL in Node, so a relative URL
 * fails), map http: and https: to ws: and wss:, and refuse other schemes and any fragment, even an
 * empty one, with SyntaxError.
 */
export function webSocketUrlRecord(input: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw domException('SyntaxError', `Failed to construct 'WebSocket': The URL '${input}' is invalid.`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw domException(
      'SyntaxError',
      `Failed to construct 'WebSocket': The URL's scheme must be either 'http', 'https', 'ws', or 'wss'. '${url.protocol.slice(0, -1)}' is not allowed.`,
    );
  }
  // A fragment, even an empty one ("ws://host/#"), serializes with its '#'.
  if (url.hash !== '' || url.href.endsWith('#')) {
    throw domException(
      'SyntaxError',
      `Failed to construct 'WebSocket': The URL contains a fragment identifier ('${url.hash.slice(1)}'). Fragment identifiers are not allowed in WebSocket URLs.`,
    );
  }
  return url;
}

/** RFC 7230 tchar: what a subprotocol name (an RFC 2616 token, RFC 6455 4.1 item 10) is made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The constructor's protocols argument: a string is a list of one; any other object with an iterator
 * is a sequence of strings; anything else is converted to a string. Each must be a token and none
 * may repeat, else SyntaxError.
 */
export function subprotocolList(value: unknown): string[] {
  let list: string[];
  if (value === undefined) list = [];
  else if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
    const iterator = (value as { [Symbol.iterator]?: unknown })[Symbol.iterator];
    if (iterator === undefined || iterator === null) list = [toDOMString(value)];
    else if (typeof iterator !== 'function') {
      throw new TypeError(
        "Failed to construct 'WebSocket': The provided value cannot be converted to a sequence.",
      );
    } else list = Array.from(value as Iterable<unknown>, toDOMString);
  } else list = [toDOMString(value)];
  const seen = new Set<string>();
  for (const protocol of list) {
    if (!TOKEN.test(protocol)) {
      throw domException(
        'SyntaxError',
        `Failed to construct 'WebSocket': The subprotocol '${protocol}' is invalid.`,
      );
    }
    if (seen.has(protocol)) {
      throw domException(
        'SyntaxError',
        `Failed to construct 'WebSocket': The subprotocol '${protocol}' is duplicated.`,
      );
    }
    seen.add(protocol);
  }
  return list;
}
