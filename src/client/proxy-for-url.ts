// Which HTTP proxy, if any, a connection goes through: the `proxy` option, else the environment
// conventions shared by curl, Go and undici (HTTPS_PROXY / HTTP_PROXY / NO_PROXY).
import { isIP } from 'node:net';
import { WebSocketError } from '../errors.js';
import type { WebSocketTarget } from './parse-web-socket-url.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The proxy URL for `target`, or undefined to go direct.
 * - `proxy: false` goes direct; `proxy: url` always uses that proxy (NO_PROXY is not consulted).
 * - Otherwise wss:// uses https_proxy / HTTPS_PROXY and ws:// uses http_proxy / HTTP_PROXY (lower
 *   case first, as curl), unless NO_PROXY / no_proxy matches the host.
 * - Loopback hosts (localhost, *.localhost, 127.0.0.0/8, ::1) never use an environment proxy: a
 *   proxy elsewhere cannot reach this machine's loopback, as Go's ProxyFromEnvironment also decides.
 */
export function proxyForUrl(
  target: WebSocketTarget,
  proxy: string | URL | false | undefined,
  env: Environment,
): URL | undefined {
  if (proxy === false) return undefined;
  if (proxy !== undefined) return parseProxyUrl(String(proxy));
  const value = target.secure ? (env.https_proxy ?? env.HTTPS_PROXY) : (env.http_proxy ?? env.HTTP_PROXY);
  if (value === undefined || value.trim() === '') return undefined;
  if (isLoopback(target.hostname)) return undefined;
  if (noProxyMatches(env.no_proxy ?? env.NO_PROXY ?? '', target.hostname, target.port)) return undefined;
  return parseProxyUrl(value.trim());
}

/** A proxy URL; a bare `host:port` (common in environment variables) means http://host:port. */
export function parseProxyUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch (error) {
    throw new WebSocketError('ERR_INVALID_ARGUMENT', `invalid proxy URL ${JSON.stringify(value)}`, {
      cause: error,
    });
  }
  if (url.protocol !== 'http:') {
    throw new WebSocketError(
      'ERR_INVALID_ARGUMENT',
      `only http:// proxies (HTTP CONNECT) are supported, not ${url.protocol} (${value})`,
    );
  }
  return url;
}

/**
 * NO_PROXY: entries separated by commas or spaces. `*` matches every host; `example.com`,
 * `.example.com` and `*.example.com` match that host and every subdomain; `host:port` matches only
 * that port; IP literals match exactly (no CIDR ranges). Case-insensitive.
 */
export function noProxyMatches(noProxy: string, hostname: string, port: number): boolean {
  const host = hostname.toLowerCase();
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let entryPort: number | undefined;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed !== null) {
      entry = bracketed[1] as string;
      if (bracketed[2] !== undefined) entryPort = Number(bracketed[2]);
    } else if (isIP(entry) !== 6) {
      const colon = entry.lastIndexOf(':');
      if (colon !== -1 && /^\d+$/.test(entry.slice(colon + 1))) {
        entryPort = Number(entry.slice(colon + 1));
        entry = entry.slice(0, colon);
      }
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    if (entry.startsWith('*.')) entry = entry.slice(1);
    if (entry.startsWith('.')) entry = entry.slice(1);
    if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}
