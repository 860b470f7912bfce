// A ws:// or wss:// URL as the client dials it (RFC 6455 3), from a string or a URL.
import { WebSocketError } from '../errors.js';

export interface WebSocketTarget {
  /** The normalized URL (http: and https: are mapped to ws: and wss:). */
  readonly url: URL;
  readonly secure: boolean;
  /** The host to connect to: a name or an IP literal without brackets. */
  readonly hostname: string;
  readonly port: number;
  /** The request-target: path and query, "/" at least (RFC 6455 3, "resource name"). */
  readonly resource: string;
  /** The Host header value: the port is left out when it is the scheme's default (RFC 6455 4.1 item 4). */
  readonly host: string;
}

/** Parses and checks a WebSocket URL; throws WebSocketError(ERR_INVALID_ARGUMENT) saying what is wrong. */
export function parseWebSocketUrl(input: string | URL): WebSocketTarget {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch (error) {
    throw new WebSocketError(
      'ERR_INVALID_ARGUMENT',
      `invalid WebSocket URL ${JSON.stringify(String(input))}`,
      {
        cause: error,
      },
    );
  }
  // The WHATWG WebSocket constructor maps http(s) to ws(s); we accept both spellings too.
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new WebSocketError(
      'ERR_INVALID_ARGUMENT',
      `a WebSocket URL needs the ws: or wss: scheme, not ${url.protocol} (${url.href})`,
    );
  }
  // RFC 6455 3: "Fragment identifiers ... MUST NOT be used on these URIs".
  if (url.hash !== '') {
    throw new WebSocketError('ERR_INVALID_ARGUMENT', `a WebSocket URL may not have a fragment (${url.href})`);
  }
  if (url.hostname === '')
    throw new WebSocketError('ERR_INVALID_ARGUMENT', `the URL has no host (${url.href})`);
  if (url.username !== '' || url.password !== '') {
    // Credentials in the URL would have to become an Authorization header silently; ask for it explicitly.
    throw new WebSocketError(
      'ERR_INVALID_ARGUMENT',
      'credentials in a WebSocket URL are not sent; pass an Authorization header in `headers`',
    );
  }
  const secure = url.protocol === 'wss:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    url,
    secure,
    hostname,
    port,
    resource: `${url.pathname === '' ? '/' : url.pathname}${url.search}`,
    host: url.host, // WHATWG URL already omits a default port
  };
}
