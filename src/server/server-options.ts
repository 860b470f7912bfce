// The options of WebSocketServer and the values its hooks exchange.
import type { TlsOptions } from 'node:tls';
import type { Connection } from '../connection/connection.js';
import type { ConnectionOptions } from '../connection/connection-options.js';
import type { PerMessageDeflateOptions } from '../protocol/extensions/permessage-deflate.js';
import type { HubFigures } from './metrics-snapshot.js';
import type { PlainResponse } from './plain-response.js';

export type { PlainResponse } from './plain-response.js';

/** The upgrade request as the hooks see it. */
export interface HandshakeRequest {
  readonly method: string;
  /** The request-target as sent, e.g. `/chat?room=1`. */
  readonly url: string;
  /**
   * By lower-case name. A field sent more than once is one string joined by ", " (RFC 9110 5.3),
   * except `set-cookie`, which cannot be joined and is a `string[]`; absent fields are `undefined`.
   * Through `attach` and `handleUpgrade` this is Node's `IncomingMessage.headers`, which follows the
   * same rules but keeps only the first of a repeated singleton field (Host, Authorization,
   * User-Agent...) and joins `cookie` with "; ".
   */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** Whether the request came over TLS. */
  readonly secure: boolean;
}

/** A refusal from `authorize`: any 4xx/5xx status, extra headers and a text body. */
export interface HandshakeRefusal {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** text/plain; the status's reason phrase when omitted. */
  readonly body?: string;
}

/**
 * `true` or `undefined` accepts; `false` refuses with 401; a refusal object refuses with its status.
 * A thrown HandshakeError refuses with its status and headers; any other throw refuses with 500.
 */
export type AuthorizeResult = boolean | undefined | HandshakeRefusal;

// biome-ignore lint/suspicious/noConfusingVoidType: `void` lets hooks that return nothing type-check, async ones too.
type AuthorizeReturn = AuthorizeResult | void;

/** Returning nothing (a hook that only inspects the request, or throws to refuse) accepts. */
export type Authorize = (request: HandshakeRequest) => AuthorizeReturn | Promise<AuthorizeReturn>;

/** Chooses one of the offered subprotocols (client preference order), or undefined for none. */
export type SelectSubprotocol = (
  offered: readonly string[],
  request: HandshakeRequest,
) => string | undefined | PromiseLike<string | undefined>;

/** Which connection options a server passes on to each Connection (the rest it decides itself). */
export type ServerConnectionOptions = Omit<
  ConnectionOptions,
  'role' | 'protocol' | 'extensions' | 'extension' | 'request' | 'head' | 'observer'
>;

export interface WebSocketServerOptions {
  /**
   * The figures of a hub serving through this server, for `metrics()`; HubEndpoint.serverOptions()
   * sets it.
   */
  hubFigures?: () => HubFigures;
  /**
   * Receives every connection once its 101 response is written. It may be async: a throw, or a
   * returned promise that rejects, closes that one connection with 1011 and goes to `onError`.
   */
  onConnection?: (connection: Connection) => void;
  /**
   * Which request paths this server upgrades: an exact pathname (the query is ignored) or a
   * predicate. Other paths get 404 (with `attach`, other servers sharing the http server get them).
   */
  path?: string | ((pathname: string, request: HandshakeRequest) => boolean | PromiseLike<boolean>);
  /**
   * Browser origins allowed (RFC 6455 10.2): a list of serialized origins such as
   * `https://example.com` (compared case-insensitively), or a function. With a list, a request
   * without Origin (a non-browser client) is allowed; a function decides that itself. Refusal is 403.
   */
  origins?:
    | readonly string[]
    | ((origin: string | undefined, request: HandshakeRequest) => boolean | PromiseLike<boolean>);
  /** May refuse the upgrade with any status, headers and body before the 101 is sent. May be async. */
  authorize?: Authorize;
  /**
   * Subprotocol choice: the server's list in its order of preference (the first one the client also
   * offered wins) or a function. Default: none is chosen.
   */
  subprotocols?: readonly string[] | SelectSubprotocol;
  /**
   * Milliseconds from accepting a socket (with `listen`) or from `handleUpgrade` until the 101 is
   * written, `authorize` included. With `listen` and `tls` the clock starts at the TCP accept: the TLS
   * handshake and the request head share this one budget (a TLS socket over it is closed; one that got
   * through TLS but not its head gets 408). Default 10 000: a request head is one packet from any real
   * client and a TLS handshake a few round trips, so 10 s is generous on bad mobile links while
   * bounding how long a slow or silent peer (slowloris) can hold a socket and its parser.
   */
  handshakeTimeout?: number;
  /**
   * Open connections at most; past it an upgrade is answered 503 with `Retry-After` (the body says
   * why). Default: no limit (Infinity). The right number is the host's open-file limit and memory,
   * which a library cannot know; `maxPendingHandshakes` and `memoryBudget` bound what misbehaving
   * peers can hold meanwhile.
   */
  maxConnections?: number;
  /**
   * Handshakes in flight at most: sockets accepted (or handed to `handleUpgrade`) and not yet
   * answered. When they are all taken, a newcomer takes the slot of the oldest of the least-advanced
   * handshakes of another remote address (one that sent nothing yet before one in its TLS handshake
   * before one part-way through its request head); that socket gets 503 with `Retry-After` (over TLS:
   * is closed). A handshake whose request head is complete is never displaced. Only when nothing can
   * be displaced does the newcomer get the 503, at once, before any of its bytes are parsed. With
   * `listen` and `tls`, sockets still in their TLS handshake count too, and a new TCP socket refused
   * is closed at once, before any TLS work (no 503 can precede TLS).
   * Default 1024: twice Node's listen backlog (511), so a reconnect storm passes in batches, while a
   * slowloris flood holds at most 1024 sockets and 8 MiB of request heads.
   */
  maxPendingHandshakes?: number;
  /**
   * Handshakes in flight from one remote address at most, with `listen` (TLS included); past it a new
   * socket from that address gets 503 with `Retry-After` at once. `handleUpgrade` and `attach` are not
   * capped by address: their http server may sit behind a proxy, where every peer has its address.
   * Default 512, half of `maxPendingHandshakes`' default and about Node's listen backlog (511): a
   * burst from one address that the kernel can queue at once is admitted at once, while one address
   * flooding the server leaves the other half of the table to everyone else.
   */
  maxPendingHandshakesPerAddress?: number;
  /**
   * Milliseconds, with `listen`, within which a new socket must send its first byte (of its request
   * head, or of its TLS handshake); past it, 408 (over TLS: closed). Default 3000: real clients send
   * their request as soon as TCP is up, half a round trip after the accept, and 3 s is three times
   * TCP's initial retransmission timeout (RFC 6298), so a first packet lost once still makes it; a
   * socket that says nothing gives its slot up far sooner than `handshakeTimeout`.
   */
  firstByteTimeout?: number;
  /**
   * Process-wide cap (bytes) on message bytes held by this server's connections, shared by all of
   * them (a BufferBudget): outgoing bytes in their queues, and incoming bytes of messages not yet
   * complete (or complete and unread). While it is exceeded, a connection over its own
   * `maxBufferedBytes` (a send past it, or an incoming message growing past it) is closed with 1013
   * (try again later) and new upgrades get 503 with `Retry-After`. Default 256 MiB: healthy
   * connections hold nothing (they hand every byte to the kernel each turn, and most messages arrive
   * in one read), so only congested peers and big messages in flight count, and 256 of them at the
   * full 1 MiB bound are allowed before any is shed; a pile of slow readers, or of peers that each
   * start a 60 MiB message and never finish it, then cannot push the process into its container's
   * memory limit. 0 turns it off. Ignored when `connection.budget` is given.
   */
  memoryBudget?: number;
  /** Seconds sent in `Retry-After` with the 503 answers of the limits above. Default 5. */
  retryAfter?: number;
  /**
   * Answers the requests on the port of `listen` that are not WebSocket upgrades (static files, a
   * health check), from the request head alone: return a response, or undefined for the default 426
   * Upgrade Required. It runs synchronously; the answer is written and the connection closed (no
   * keep-alive, no request body is read). A throw answers 500 and goes to `onError`. Not used by
   * `attach` and `handleUpgrade`, whose http server answers such requests itself.
   */
  onPlainRequest?: (request: HandshakeRequest) => PlainResponse | undefined;
  /** Largest request head read by `listen` (request line and headers). Default 8192; more -> 431. */
  maxHeaderBytes?: number;
  /** Largest message accepted, after inflation; more fails the connection with 1009. Default: the protocol's. */
  maxPayload?: number;
  /**
   * permessage-deflate (RFC 7692): `true` for the defaults, options to tune it, false/undefined to
   * decline every offer. Passed to the extension negotiation in negotiate-extensions.ts.
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Options for every Connection (close timeout, buffer limits, heartbeat, ...). */
  connection?: ServerConnectionOptions;
  /** TLS options for `listen` (key, cert, ...): the server then speaks wss://. */
  tls?: TlsOptions;
  /**
   * Diagnostics: a socket error, or a hook that threw or rejected (onConnection, authorize, origins,
   * path, subprotocols). The server itself never throws for these. Without it, a hook's error is
   * reported as a process warning; an onError that throws or rejects is reported the same way.
   */
  onError?: (error: Error) => void;
}

export interface ServerCloseOptions {
  /** The close code sent to every open connection. Default 1001 (going away, RFC 6455 7.4.1). */
  code?: number;
  reason?: string;
  /** Milliseconds to wait for close handshakes before terminating the rest. Default 5000. */
  timeout?: number;
}

/** Counters for what the server absorbed instead of throwing. */
export interface ServerStats {
  /** Upgrades completed (101 sent). */
  upgrades: number;
  /** Handshakes refused with an HTTP error status. */
  refused: number;
  /**
   * Handshakes (TLS included, with `listen`) that did not finish within handshakeTimeout, or sent no
   * byte within firstByteTimeout.
   */
  timeouts: number;
  /** Errors on sockets before they became connections (resets, TLS failures other than timeouts, ...). */
  socketErrors: number;
  /** Upgrades refused with 503 because `maxConnections` were open (also counted in `refused`). */
  overConnectionLimit: number;
  /**
   * Sockets answered 503 at once because `maxPendingHandshakes` were in flight (also in `refused`);
   * for a wss:// `listen`, TCP sockets closed before TLS for the same reason.
   */
  overHandshakeLimit: number;
  /**
   * Sockets answered 503 at once (wss://: closed before TLS) because their remote address had
   * `maxPendingHandshakesPerAddress` handshakes in flight (also in `refused`).
   */
  overAddressLimit: number;
  /**
   * Handshakes in flight that gave their slot up to a newcomer while all `maxPendingHandshakes` were
   * taken: answered 503 (also in `refused`), or closed if still in their TLS handshake.
   */
  evicted: number;
  /** Upgrades refused with 503 because the memory budget was exceeded (also in `refused`). */
  overMemoryBudget: number;
  /** Connections the server closed with 1013 to get back under its memory budget. */
  shedForMemory: number;
  /** Open connections now. */
  connections: number;
  /** Handshakes in flight now (with a wss:// `listen`, sockets still in their TLS handshake too). */
  pendingHandshakes: number;
  /**
   * Bytes held by this server's connections now, the memory budget's count: outgoing queues plus
   * incoming messages in progress or unread (`server.memoryBudget.usedInbound` is that inbound part).
   */
  bufferedBytes: number;
}

export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;
export const DEFAULT_MAX_HEADER_BYTES = 8192;
export const DEFAULT_SERVER_CLOSE_TIMEOUT = 5000;
export const DEFAULT_MAX_CONNECTIONS = Number.POSITIVE_INFINITY;
export const DEFAULT_MAX_PENDING_HANDSHAKES = 1024;
export const DEFAULT_MAX_PENDING_HANDSHAKES_PER_ADDRESS = 512;
export const DEFAULT_FIRST_BYTE_TIMEOUT = 3000;
export const DEFAULT_MEMORY_BUDGET = 256 * 1024 * 1024;
export const DEFAULT_RETRY_AFTER = 5;
