// WebSocketServer: listen on its own, attach to an http(s).Server, or take upgrades from any framework.
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import type { Duplex } from 'node:stream';
import type { BufferBudget } from '../connection/buffer-budget.js';
import type { Connection } from '../connection/connection.js';
import { WebSocketError } from '../errors.js';
import { acceptRaw } from './accept-raw.js';
import type { ServerMetrics } from './metrics-snapshot.js';
import type { NegotiableRequest } from './negotiate-upgrade.js';
import { ServerHandshakes } from './server-handshakes.js';
import { ServerMemoryBudget } from './server-memory-budget.js';
import { ServerObserver } from './server-metrics.js';
import {
  DEFAULT_FIRST_BYTE_TIMEOUT,
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_PENDING_HANDSHAKES,
  DEFAULT_MAX_PENDING_HANDSHAKES_PER_ADDRESS,
  DEFAULT_MEMORY_BUDGET,
  DEFAULT_RETRY_AFTER,
  DEFAULT_SERVER_CLOSE_TIMEOUT,
  type ServerCloseOptions,
  type ServerStats,
  type WebSocketServerOptions,
} from './server-options.js';

type ServerState = 'open' | 'closing' | 'closed';
type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * A WebSocket server. One instance may `listen` on its own port, `attach` to http(s) servers and take
 * `handleUpgrade` calls, all at once; every connection goes to `onConnection`.
 *
 * Nothing a client sends makes it throw: a malformed handshake is answered with its HTTP status and a
 * text body, socket errors are counted in `stats` (and passed to `onError`), and hooks that throw
 * become a 500 answer.
 */
export class WebSocketServer {
  readonly #options: WebSocketServerOptions;
  readonly #handshakeTimeout: number;
  readonly #maxHeaderBytes: number;
  /** The budget every connection shares (ours, or the one given in `connection.budget`), or null. */
  readonly #budget: BufferBudget | null;
  readonly #connections = new Set<Connection>();
  readonly #handshakes: ServerHandshakes;
  readonly #observer: ServerObserver;
  readonly #listeners: NetServer[] = [];
  readonly #attached: Array<{ server: HttpServer; listener: UpgradeListener }> = [];
  #state: ServerState = 'open';
  #closing: Promise<void> | undefined;
  readonly #stats: ServerStats = {
    upgrades: 0,
    refused: 0,
    timeouts: 0,
    socketErrors: 0,
    overConnectionLimit: 0,
    overHandshakeLimit: 0,
    overAddressLimit: 0,
    evicted: 0,
    overMemoryBudget: 0,
    shedForMemory: 0,
    connections: 0,
    pendingHandshakes: 0,
    bufferedBytes: 0,
  };

  constructor(options: WebSocketServerOptions = {}) {
    this.#options = options;
    const timeout = positiveOption(options.handshakeTimeout, DEFAULT_HANDSHAKE_TIMEOUT, 'handshakeTimeout');
    this.#handshakeTimeout = timeout;
    this.#maxHeaderBytes = positiveOption(options.maxHeaderBytes, DEFAULT_MAX_HEADER_BYTES, 'maxHeaderBytes');
    const limits = {
      maxPending: countOption(
        options.maxPendingHandshakes,
        DEFAULT_MAX_PENDING_HANDSHAKES,
        'maxPendingHandshakes',
      ),
      maxPerAddress: countOption(
        options.maxPendingHandshakesPerAddress,
        DEFAULT_MAX_PENDING_HANDSHAKES_PER_ADDRESS,
        'maxPendingHandshakesPerAddress',
      ),
      timeout,
      firstByteTimeout: positiveOption(
        options.firstByteTimeout,
        DEFAULT_FIRST_BYTE_TIMEOUT,
        'firstByteTimeout',
      ),
    };
    const maxConnections = countOption(options.maxConnections, DEFAULT_MAX_CONNECTIONS, 'maxConnections');
    let ownBudget: ServerMemoryBudget | null = null;
    const given = options.connection?.budget;
    if (given !== undefined) {
      this.#budget = given;
    } else {
      const limit = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
      if (!Number.isSafeInteger(limit) || limit < 0)
        throw new WebSocketError('ERR_INVALID_ARGUMENT', 'memoryBudget must be a non-negative integer');
      ownBudget = limit === 0 ? null : new ServerMemoryBudget(limit);
      this.#budget = ownBudget;
    }
    const retryAfter = positiveOption(options.retryAfter, DEFAULT_RETRY_AFTER, 'retryAfter');
    this.#observer = new ServerObserver(this.#budget);
    this.#handshakes = new ServerHandshakes(
      {
        options,
        limits,
        maxConnections,
        budget: this.#budget,
        ownBudget,
        retryAfter,
        observer: this.#observer,
      },
      this.#stats,
      this.#connections,
    );
  }

  /** Open connections (each leaves the set as it closes, before its `closed` settles). */
  get connections(): ReadonlySet<Connection> {
    return this.#connections;
  }

  /** Counters, and the current connection, handshake and buffered-byte counts (a live object). */
  get stats(): Readonly<ServerStats> {
    const stats = this.#stats;
    stats.connections = this.#connections.size;
    stats.pendingHandshakes = this.#handshakes.size;
    stats.bufferedBytes = this.#budget?.used ?? 0;
    return stats;
  }

  /**
   * A snapshot of this server's metrics: connections, messages and bytes each way, drops by policy,
   * closes by code, refusals by reason, ping round trips, the memory budget, and the hub's figures
   * when a hub serves through it (docs/observability.md). A new plain object on each call; pass it
   * to `prometheusText()` for a scrape.
   */
  metrics(): ServerMetrics {
    return this.#observer.snapshot({
      connections: this.#connections,
      pendingHandshakes: this.#handshakes.size,
      budget: this.#budget,
      hub: this.#options.hubFigures,
    });
  }

  /** The memory budget shared by this server's connections, or null when it is off. */
  get memoryBudget(): BufferBudget | null {
    return this.#budget;
  }

  /**
   * Accepts raw TCP (or TLS with the `tls` option) connections and reads upgrade requests itself.
   * A request that is not an upgrade gets 426 Upgrade Required; to serve ordinary routes on the same
   * port, use an http server and `attach`. Resolves with the bound address.
   */
  async listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    if (this.#state !== 'open') throw closedError();
    const tlsOptions = this.#options.tls;
    let server: NetServer;
    const handshakes = this.#handshakes;
    const maxHeaderBytes = this.#maxHeaderBytes;
    if (tlsOptions === undefined) {
      server = createNetServer({ noDelay: true }, (socket) =>
        acceptRaw(handshakes, socket, false, maxHeaderBytes),
      );
    } else {
      // Loaded on demand: node:tls costs a plain-ws process ~2 MiB of RSS it never uses.
      const { createServer: createTlsServer } = await import('node:tls');
      if (this.#state !== 'open') throw closedError();
      server = createTlsServer({ handshakeTimeout: this.#handshakeTimeout, ...tlsOptions }, (socket) =>
        acceptRaw(handshakes, socket, true, maxHeaderBytes),
      );
      // From TCP accept to the end of TLS a socket holds a handshake slot and runs on its deadline.
      handshakes.tlsHandshakes().guard(server);
    }
    this.#listeners.push(server);
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        this.#listeners.splice(this.#listeners.indexOf(server), 1);
        reject(error);
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        server.on('error', (error: Error) => this.#handshakes.socketError(error));
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /** The address of the first `listen`, or null. */
  address(): AddressInfo | null {
    const server = this.#listeners[0];
    return server === undefined ? null : (server.address() as AddressInfo | null);
  }

  /**
   * Takes the upgrade requests of an existing http or https server, which keeps serving its other
   * routes. With a `path` option and other 'upgrade' listeners on the same server, requests for
   * other paths are left to them; otherwise they get 404.
   */
  attach(server: HttpServer): void {
    if (this.#state !== 'open') throw closedError();
    const listener: UpgradeListener = (request, socket, head) => {
      if (this.#options.path !== undefined && server.listenerCount('upgrade') > 1) {
        void this.#handshakes.upgrade(nodeRequest(request, socket), socket, head, true);
        return;
      }
      void this.handleUpgrade(request, socket, head);
    };
    server.on('upgrade', listener);
    this.#attached.push({ server, listener });
  }

  /**
   * Completes (or refuses) the upgrade of a request that an http server or framework received: call
   * it from an 'upgrade' handler with its three arguments. Resolves with the connection once the 101
   * is written (also given to `onConnection`), or undefined when the request was refused or the
   * socket went away. Never rejects.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<Connection | undefined> {
    return this.#handshakes.upgrade(nodeRequest(request, socket), socket, head, false);
  }

  /**
   * Stops accepting, sends a Close with `code` (default 1001) to every connection, waits up to
   * `timeout` ms (default 5000) for the close handshakes, then terminates the rest. Handshakes in
   * progress are dropped. Listening sockets are closed; attached http servers are left running.
   */
  close(options: ServerCloseOptions = {}): Promise<void> {
    this.#closing ??= this.#shutDown(options);
    return this.#closing;
  }

  async #shutDown(options: ServerCloseOptions): Promise<void> {
    this.#state = 'closing';
    this.#handshakes.accepting = false;
    const listenersClosed = this.#listeners.map(
      (server) => new Promise<void>((resolve) => server.close(() => resolve())),
    );
    for (const { server, listener } of this.#attached) server.off('upgrade', listener);
    this.#attached.length = 0;
    this.#handshakes.dropAll();
    const code = options.code ?? 1001;
    const reason = options.reason ?? '';
    const timeout = options.timeout ?? DEFAULT_SERVER_CLOSE_TIMEOUT;
    const connections = [...this.#connections];
    for (const connection of connections) {
      connection.close(code, reason).catch(() => {}); // the outcome is read from `closed` below
    }
    const allClosed = Promise.all(connections.map((connection) => connection.closed.catch(() => {})));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeout);
    });
    await Promise.race([allClosed, expired]);
    clearTimeout(timer);
    for (const connection of this.#connections) connection.terminate();
    await allClosed;
    await Promise.all(listenersClosed);
    this.#state = 'closed';
  }
}

function nodeRequest(request: IncomingMessage, socket: Duplex): NegotiableRequest {
  const net = socket as Partial<Socket>;
  return {
    method: request.method ?? '',
    url: request.url ?? '',
    httpVersion: request.httpVersion,
    headers: request.headers,
    remoteAddress: net.remoteAddress,
    remotePort: net.remotePort,
    // TLSSocket sets `encrypted`; testing it spares loading node:tls to use instanceof.
    secure: (socket as { encrypted?: unknown }).encrypted === true,
  };
}

function closedError(): WebSocketError {
  return new WebSocketError('ERR_CLOSED', 'the server is closing or closed');
}

function positiveOption(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new WebSocketError('ERR_INVALID_ARGUMENT', `${name} must be a positive number`);
  }
  return value;
}

/** A count limit: a positive integer, or Infinity for none. */
function countOption(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (value === Number.POSITIVE_INFINITY) return value;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new WebSocketError('ERR_INVALID_ARGUMENT', `${name} must be a positive integer or Infinity`);
  }
  return value;
}
