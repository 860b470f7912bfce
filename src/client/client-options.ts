// The options of connect().
import type { LookupFunction } from 'node:net';
import type { SecureContextOptions, ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { ConnectionOptions } from '../connection/connection-options.js';
import type { PerMessageDeflateOptions } from '../protocol/extensions/permessage-deflate.js';
import type { Environment } from './proxy-for-url.js';

/** Which connection options connect() passes on (the rest come from the handshake). */
export type ClientConnectionOptions = Omit<
  ConnectionOptions,
  'role' | 'protocol' | 'extensions' | 'extension' | 'request' | 'head'
>;

export interface ConnectOptions {
  /** Subprotocols to offer, in order of preference (RFC 6455 4.1 item 10). */
  protocols?: string | readonly string[];
  /** Extra request headers (Authorization, Cookie, User-Agent, ...). The handshake's own fields are refused. */
  headers?: Readonly<Record<string, string>>;
  /** The Origin header, for servers that check it. Not sent by default (RFC 6455 4.1 item 8: browsers send it). */
  origin?: string;
  /**
   * Milliseconds for the whole opening handshake: DNS, TCP, proxy CONNECT, TLS, every redirect and
   * the 101. Default 30 000, the order of what browsers allow for a connect, so a slow network fails
   * clearly instead of hanging forever.
   */
  handshakeTimeout?: number;
  /** Aborting it rejects connect() with ERR_ABORTED and destroys the socket. */
  signal?: AbortSignal;
  /** Follow at most this many redirects (301, 302, 303, 307, 308 with Location). Default 0: a 3xx rejects. */
  followRedirects?: number;
  /**
   * Wait until an earlier handshake to the same host and port is open or has failed before starting
   * this one (RFC 6455 4.1: at most one connection in CONNECTING state per host). Default true;
   * false opens handshakes in parallel, as a load generator wants.
   */
  exclusiveHandshake?: boolean;
  /** Allow a redirect from wss:// to ws:// (TLS to plain text). Default false. */
  allowInsecureRedirects?: boolean;
  /**
   * An http:// proxy reached with CONNECT (credentials in the URL become Proxy-Authorization), or
   * false for none. Default: the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY; see proxy-for-url.ts).
   */
  proxy?: string | URL | false;
  /** Where the proxy variables are read from. Default process.env. */
  env?: Environment;
  /**
   * Resolves host names this client connects to itself (the server's, or the proxy's), in the shape
   * of dns.lookup (net.connect's `lookup` option). Default: dns.lookup. A target reached through a
   * proxy is resolved by the proxy.
   */
  lookup?: LookupFunction;
  /** CA certificates to trust for wss:// (PEM), instead of Node's default list. */
  ca?: SecureContextOptions['ca'];
  /** TLS server name (SNI) and the name the certificate must match. Default: the URL's host (not for IP literals). */
  servername?: string;
  /** Verify the server's certificate. Default true; false is for tests only. */
  rejectUnauthorized?: boolean;
  /** Any other tls.connect option (client certificates, ciphers, ...). */
  tls?: Omit<TlsConnectionOptions, 'socket' | 'host' | 'port' | 'servername' | 'ca' | 'rejectUnauthorized'>;
  /** Largest message accepted, after inflation; more fails the connection with 1009. Default: the protocol's. */
  maxPayload?: number;
  /** Offer permessage-deflate (RFC 7692): true for defaults or options. Default false. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Largest response head accepted from the server or proxy. Default 16 384 bytes. */
  maxHeaderBytes?: number;
  /** Options for the Connection (close timeout, buffer limits, heartbeat, ...). */
  connection?: ClientConnectionOptions;
}

export const DEFAULT_CLIENT_HANDSHAKE_TIMEOUT = 30_000;
export const DEFAULT_RESPONSE_HEAD_BYTES = 16_384;
