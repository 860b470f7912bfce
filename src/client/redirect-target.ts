// Where a redirect leads (RFC 9110 15.4, 10.2.2), mapped to a WebSocket URL.
import { HandshakeError } from '../errors.js';
import { parseWebSocketUrl, type WebSocketTarget } from './parse-web-socket-url.js';

/**
 * The next target for `location`, resolved against the current URL (http and https map to ws and
 * wss). A redirect from wss:// to ws:// is refused unless `allowInsecure`: it would silently drop
 * TLS. Throws HandshakeError carrying the redirect's status.
 */
export function redirectTarget(
  current: WebSocketTarget,
  location: string,
  status: number,
  allowInsecure: boolean,
): WebSocketTarget {
  // Resolve relative references with the http(s) spelling: URL knows the special schemes' rules.
  const base = new URL(current.url.href);
  base.protocol = current.secure ? 'https:' : 'http:';
  let next: WebSocketTarget;
  try {
    next = parseWebSocketUrl(new URL(location, base));
  } catch (error) {
    throw new HandshakeError(
      `redirect (${status}) to an unusable location ${JSON.stringify(location)}: ${(error as Error).message}`,
      status,
      { location },
      { cause: error },
    );
  }
  if (current.secure && !next.secure && !allowInsecure) {
    throw new HandshakeError(
      `refusing the redirect (${status}) from ${current.url.href} to ${next.url.href}: it drops TLS (set allowInsecureRedirects to allow it)`,
      status,
      { location },
    );
  }
  return next;
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/** The headers without credentials, for a redirect to another origin. */
export function withoutCredentials(
  headers: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> | undefined {
  if (headers === undefined) return undefined;
  const kept: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    if (!CREDENTIAL_HEADERS.has(name.toLowerCase())) kept[name] = headers[name] as string;
  }
  return kept;
}
