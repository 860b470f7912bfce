// WebSocketServer: listen on its own, attach to an http(s).Server, or take upgrades from any framework.
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { deliverError, isThenable } from '../callback-errors.js';
import type { BufferBudget } from '../connection/buffer-budget.js';
import { Connection, shedConnection, watchClosed } from '../connection/connection.js';
import type { ConnectionOptions } from '../connection/connection-options.js';
import { HandshakeError, WebSocketError } from '../errors.js';
import { nodeSha1 } from '../node/crypto.js';
import { SocketTransport } from '../node/socket-transport.js';
import type { HttpRequestHead } from '../protocol/handshake/http-head-parser.js';
import { listHasToken } from '../protocol/handshake/token.js';
import { errorResponse, type NegotiableRequest, negotiateUpgrade } from './negotiate-upgrade.js';
import { readRequestHead } from './read-request-head.js';
import { RetainedRequest } from './retained-request.js';
import { ServerMemoryBudget } from './server-memory-budget.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_PENDING_HANDSHAKES,
  DEFAULT_MEMORY_BUDGET,
  DEFAULT_RETRY_AFTER,
  DEFAULT_SERVER_CLOSE_TIMEOUT,
  type ServerCloseOptions,
  type ServerStats,
  type WebSocketServerOptions,
} from './server-options.js';
import { TlsHandshakes } from './tls-handshakes.js';

type ServerState = 'open' | 'closing' | 'closed';
type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** A socket between accept and 101: its deadline and how to abandon it. */
interface PendingHandshake {
  readonly socket: Duplex;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Set once the 101 or a refusal was written: the deadline no longer applies. */
  answered: boolean;
  /** Removes our socket listeners when the socket is handed on. */
  detach: () => void;
}

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
  readonly #maxConnections: number;
  readonly #maxPendingHandshakes: number;
  /** The budget every connection shares (ours, or the one given in `connection.budget`), or null. */
  readonly #budget: BufferBudget | null;
  /** Set when the budget is ours: it can then shed connections over their own bound. */
  readonly #ownBudget: ServerMemoryBudget | null;
  /** The cheap 503 of the admission limits, built once. */
  readonly #busyResponses: { connections: string; handshakes: string; memory: string };
  readonly #connections = new Set<Connection>();
  #sharedConnectionOptions: ConnectionOptions | undefined;
  /** Takes a closed connection out of the set: one function per server, not a closure per connection. */
  readonly #forgetConnection = (connection: Connection): void => {
    this.#connections.delete(connection);
  };
  readonly #pending = new Set<PendingHandshake>();
  /** wss:// sockets of `listen` still in their TLS handshake (made by the first TLS listen). */
  #tlsHandshakes: TlsHandshakes | undefined;
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
    overMemoryBudget: 0,
    shedForMemory: 0,
    connections: 0,
    pendingHandshakes: 0,
    bufferedBytes: 0,
  };

  constructor(options: WebSocketServerOptions = {}) {
    this.#options = options;
    this.#handshakeTimeout = positiveOption(
      options.handshakeTimeout,
      DEFAULT_HANDSHAKE_TIMEOUT,
      'handshakeTimeout',
    );
    this.#maxHeaderBytes = positiveOption(options.maxHeaderBytes, DEFAULT_MAX_HEADER_BYTES, 'maxHeaderBytes');
    this.#maxConnections = countOption(options.maxConnections, DEFAULT_MAX_CONNECTIONS, 'maxConnections');
    this.#maxPendingHandshakes = countOption(
      options.maxPendingHandshakes,
      DEFAULT_MAX_PENDING_HANDSHAKES,
      'maxPendingHandshakes',
    );
    const given = options.connection?.budget;
    if (given !== undefined) {
      this.#budget = given;
      this.#ownBudget = null;
    } else {
      const limit = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
      if (!Number.isSafeInteger(limit) || limit < 0)
        throw new WebSocketError('ERR_INVALID_ARGUMENT', 'memoryBudget must be a non-negative integer');
      this.#ownBudget = limit === 0 ? null : new ServerMemoryBudget(limit);
      this.#budget = this.#ownBudget;
    }
    const retryAfter = positiveOption(options.retryAfter, DEFAULT_RETRY_AFTER, 'retryAfter');
    const busy = (why: string): string =>
      errorResponse(new HandshakeError(why, 503, { 'Retry-After': String(Math.ceil(retryAfter)) }));
    this.#busyResponses = {
      connections: busy('too many connections (maxConnections), try again later'),
      handshakes: busy('too many handshakes in progress (maxPendingHandshakes), try again later'),
      memory: busy('server over its memory budget (memoryBudget), try again later'),
    };
  }

  /** Open connections (each leaves the set as it closes, before its `closed` settles). */
  get connections(): ReadonlySet<Connection> {
    return this.#connections;
  }

  /** Counters, and the current connection, handshake and buffered-byte counts (a live object). */
  get stats(): Readonly<ServerStats> {
    const stats = this.#stats;
    stats.connections = this.#connections.size;
    stats.pendingHandshakes = this.#pendingCount();
    stats.bufferedBytes = this.#budget?.used ?? 0;
    return stats;
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
    if (tlsOptions === undefined) {
      server = createNetServer({ noDelay: true }, (socket) => this.#acceptRaw(socket, false));
    } else {
      // Loaded on demand: node:tls costs a plain-ws process ~2 MiB of RSS it never uses.
      const { createServer: createTlsServer } = await import('node:tls');
      if (this.#state !== 'open') throw closedError();
      server = createTlsServer({ handshakeTimeout: this.#handshakeTimeout, ...tlsOptions }, (socket) =>
        this.#acceptRaw(socket, true),
      );
      // From TCP accept to the end of TLS a socket holds a handshake slot and runs on its deadline.
      this.#tlsHandshakes ??= new TlsHandshakes(this.#handshakeTimeout, {
        admit: () => this.#admitTls(),
        onTimeout: () => {
          this.#stats.timeouts++;
        },
        onError: (error) => this.#socketError(error),
      });
      this.#tlsHandshakes.guard(server);
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
        server.on('error', (error: Error) => this.#socketError(error));
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
        void this.#upgrade(nodeRequest(request, socket), socket, head, true);
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
    return this.#upgrade(nodeRequest(request, socket), socket, head, false);
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
    const listenersClosed = this.#listeners.map(
      (server) => new Promise<void>((resolve) => server.close(() => resolve())),
    );
    for (const { server, listener } of this.#attached) server.off('upgrade', listener);
    this.#attached.length = 0;
    for (const pending of this.#pending) {
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      pending.socket.destroy();
    }
    this.#pending.clear();
    this.#tlsHandshakes?.destroyAll();
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

  #acceptRaw(socket: Socket, secure: boolean): void {
    // Over TLS the socket has held a slot since its TCP accept: it keeps it, and what is left of its
    // deadline, so TLS and the request head together take at most handshakeTimeout.
    const timeLeft = secure ? this.#tlsHandshakes?.finish(socket as TLSSocket) : undefined;
    if (this.#state !== 'open') {
      socket.destroy();
      return;
    }
    if (timeLeft === undefined && this.#pendingCount() >= this.#maxPendingHandshakes) {
      this.#turnAway(socket);
      return;
    }
    const pending = this.#track(socket);
    let headRead = false;
    const stopReading = readRequestHead(socket, this.#maxHeaderBytes, {
      onHead: (head, rest, text) => {
        headRead = true;
        // Not an upgrade at all: say so (RFC 9110 15.5.22 asks for an Upgrade field with 426).
        if (!listHasToken(headerText(head.headers.upgrade), 'websocket')) {
          const error = new HandshakeError(
            'This port speaks WebSocket only: connect with a WebSocket client (Upgrade: websocket).',
            426,
            { Upgrade: 'websocket' },
          );
          this.#refuse(pending, errorResponse(error));
          return;
        }
        void this.#negotiate(pending, rawRequest(head, socket, secure), rest, false, text);
      },
      onInvalid: (error) => this.#refuse(pending, errorResponse(error)),
    });
    this.#startDeadline(
      pending,
      () => {
        stopReading();
        // RFC 9110 15.5.9: 408 when the request head did not arrive in time; 503 when we (authorize) were slow.
        const error = headRead
          ? new HandshakeError('the upgrade was not accepted in time', 503)
          : new HandshakeError('the request head did not arrive in time', 408);
        this.#refuse(pending, errorResponse(error));
      },
      timeLeft,
    );
  }

  #upgrade(
    request: NegotiableRequest,
    socket: Duplex,
    head: Buffer,
    shared: boolean,
  ): Promise<Connection | undefined> {
    if (this.#state !== 'open') {
      const pending = this.#track(socket);
      this.#refuse(pending, errorResponse(new HandshakeError('the server is shutting down', 503)));
      return Promise.resolve(undefined);
    }
    if (this.#pendingCount() >= this.#maxPendingHandshakes) {
      this.#turnAway(socket);
      return Promise.resolve(undefined);
    }
    const pending = this.#track(socket);
    this.#startDeadline(pending, () => {
      this.#refuse(pending, errorResponse(new HandshakeError('the upgrade was not accepted in time', 503)));
    });
    return this.#negotiate(pending, request, head, shared);
  }

  async #negotiate(
    pending: PendingHandshake,
    request: NegotiableRequest,
    head: Buffer,
    shared: boolean,
    /** The head's text when we read it ourselves: the connection keeps that rather than the parsed request. */
    headText?: string,
  ): Promise<Connection | undefined> {
    // Checked before the hooks run (cheap refusal) and again before the 101 (hooks may be async).
    const busy = this.#admission();
    if (busy !== undefined) {
      this.#refuse(pending, busy);
      return undefined;
    }
    const decision = await negotiateUpgrade(request, this.#options, nodeSha1, this.#hookFailed);
    const socket = pending.socket;
    if (pending.answered || socket.destroyed || this.#state !== 'open') {
      // Timed out, closed by the peer or by shutdown while a hook ran.
      if (decision.kind === 'accept') decision.extension?.dispose();
      if (!pending.answered)
        this.#refuse(pending, errorResponse(new HandshakeError('the server is shutting down', 503)));
      return undefined;
    }
    if (decision.kind === 'not-mine' && shared) {
      // Another 'upgrade' listener on the same http server owns this path.
      this.#release(pending);
      return undefined;
    }
    if (decision.kind !== 'accept') {
      this.#refuse(pending, decision.response);
      return undefined;
    }
    const stillBusy = this.#admission();
    if (stillBusy !== undefined) {
      decision.extension?.dispose();
      this.#refuse(pending, stillBusy);
      return undefined;
    }
    this.#release(pending);
    let connection: Connection;
    try {
      socket.write(decision.response, 'latin1');
      const transport = new SocketTransport(socket as Socket);
      connection = new Connection(transport, {
        ...this.#connectionOptions(),
        protocol: decision.protocol,
        extensions: decision.extensions,
        extension: decision.extension,
        request:
          headText === undefined ? request : new RetainedRequest(headText, socket as Socket, request.secure),
        head,
      });
    } catch (error) {
      decision.extension?.dispose();
      this.#report(error as Error);
      socket.destroy();
      return undefined;
    }
    this.#stats.upgrades++;
    this.#connections.add(connection);
    watchClosed(connection, this.#forgetConnection);
    const onConnection = this.#options.onConnection;
    if (onConnection !== undefined) {
      let result: unknown;
      try {
        result = onConnection(connection);
      } catch (error) {
        this.#connectionHookFailed(connection, error);
        return connection;
      }
      // An async onConnection (a `for await` loop, say) is observed: its rejection fails only this connection.
      if (isThenable(result))
        result.then(undefined, (error) => this.#connectionHookFailed(connection, error));
    }
    return connection;
  }

  /** onConnection threw or rejected: close that one connection with 1011 and report the error. */
  #connectionHookFailed(connection: Connection, error: unknown): void {
    shedConnection(connection, 1011, 'internal error');
    this.#hookFailed(error);
  }

  /**
   * A hook (onConnection, authorize, origins, path, subprotocols) threw or rejected: to onError, or
   * reported as a process warning without one; never thrown.
   */
  readonly #hookFailed = (error: unknown): void => {
    deliverError(this.#options.onError, error, 'a WebSocketServer hook');
  };

  /** What every connection of this server shares, merged once (the first upgrade) rather than per upgrade. */
  #connectionOptions(): ConnectionOptions {
    this.#sharedConnectionOptions ??= {
      ...this.#options.connection,
      ...(this.#options.maxPayload === undefined ? {} : { maxPayload: this.#options.maxPayload }),
      budget: this.#budget,
      role: 'server',
    };
    return this.#sharedConnectionOptions;
  }

  /**
   * Admission control: the 503 answer when a new connection must wait, or undefined to go on. Over
   * the memory budget, the connections over their own bound are shed first (1013); only if that
   * does not bring the total under the budget is the upgrade refused.
   */
  #admission(): string | undefined {
    const stats = this.#stats;
    if (this.#connections.size >= this.#maxConnections) {
      stats.overConnectionLimit++;
      return this.#busyResponses.connections;
    }
    const budget = this.#budget;
    if (budget?.exceeded) {
      if (this.#ownBudget !== null) stats.shedForMemory += this.#ownBudget.shedOverBound(this.#connections);
      if (budget.exceeded) {
        stats.overMemoryBudget++;
        return this.#busyResponses.memory;
      }
    }
    return undefined;
  }

  /** Handshakes in flight: sockets in their TLS handshake, and sockets not yet answered. */
  #pendingCount(): number {
    return this.#pending.size + (this.#tlsHandshakes?.size ?? 0);
  }

  /**
   * May a new TCP socket of a wss:// listener start TLS? Past maxPendingHandshakes it is destroyed at
   * once (a 503 cannot be sent before TLS), and counted as turned away like a 503.
   */
  #admitTls(): boolean {
    if (this.#state !== 'open') return false;
    if (this.#pendingCount() < this.#maxPendingHandshakes) return true;
    this.#stats.refused++;
    this.#stats.overHandshakeLimit++;
    return false;
  }

  /**
   * Past maxPendingHandshakes: answer 503 at once and close, without tracking, parsing or a timer
   * per socket beyond the one bounding a peer that never reads the answer.
   */
  #turnAway(socket: Duplex): void {
    this.#stats.refused++;
    this.#stats.overHandshakeLimit++;
    socket.on('error', () => socket.destroy());
    if (socket.destroyed || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.once('finish', () => socket.destroy());
    socket.end(this.#busyResponses.handshakes, 'latin1');
    const timer = setTimeout(() => socket.destroy(), TURN_AWAY_LINGER);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  /** Starts watching a socket that has not been answered yet: errors are absorbed and counted. */
  #track(socket: Duplex): PendingHandshake {
    const onError = (error: Error): void => {
      this.#socketError(error);
      socket.destroy();
    };
    const onClose = (): void => {
      socket.off('error', onError);
      this.#forget(pending);
    };
    const pending: PendingHandshake = {
      socket,
      timer: undefined,
      answered: false,
      detach: () => {
        socket.off('error', onError);
        socket.off('close', onClose);
      },
    };
    this.#pending.add(pending);
    socket.on('error', onError);
    socket.once('close', onClose);
    if ('setNoDelay' in socket) (socket as Socket).setNoDelay(true);
    return pending;
  }

  #startDeadline(pending: PendingHandshake, onExpired: () => void, ms = this.#handshakeTimeout): void {
    pending.timer = setTimeout(() => {
      pending.timer = undefined;
      if (pending.answered) return;
      this.#stats.timeouts++;
      onExpired();
    }, ms);
  }

  #forget(pending: PendingHandshake): void {
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    pending.timer = undefined;
    this.#pending.delete(pending);
  }

  /** Hands the socket on (to a Connection or a sibling listener): our deadline and tracking stop. */
  #release(pending: PendingHandshake): void {
    pending.answered = true;
    pending.detach();
    this.#forget(pending);
  }

  /** Writes an HTTP error answer and closes the socket once it is flushed. */
  #refuse(pending: PendingHandshake, response: string): void {
    if (pending.answered) return;
    pending.answered = true;
    this.#stats.refused++;
    const socket = pending.socket;
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    pending.timer = undefined;
    if (socket.destroyed || !socket.writable) {
      socket.destroy();
      return;
    }
    // Destroy after 'finish' rather than waiting for the client's FIN, which may never come.
    socket.once('finish', () => socket.destroy());
    socket.end(response, 'latin1');
    // A peer that never reads would keep 'finish' from firing: bound the wait.
    const timer = setTimeout(() => socket.destroy(), this.#handshakeTimeout);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  #socketError(error: Error): void {
    this.#stats.socketErrors++;
    this.#report(error);
  }

  /** A socket error or a failed upgrade: to onError if set (counted in `stats` either way). */
  #report(error: Error): void {
    if (this.#options.onError !== undefined) deliverError(this.#options.onError, error, 'onError');
  }
}

/** How long a turned-away socket may take to take our 503 before it is destroyed anyway. */
const TURN_AWAY_LINGER = 1000;

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

function rawRequest(head: HttpRequestHead, socket: Socket, secure: boolean): NegotiableRequest {
  return new RawRequest(head, socket, secure);
}

/** The request as the hooks see it; the peer's address is looked up only if a hook reads it. */
class RawRequest implements NegotiableRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly headers: HttpRequestHead['headers'];
  readonly secure: boolean;
  readonly #socket: Socket;

  constructor(head: HttpRequestHead, socket: Socket, secure: boolean) {
    this.method = head.method;
    this.url = head.url;
    this.httpVersion = head.httpVersion;
    this.headers = head.headers;
    this.secure = secure;
    this.#socket = socket;
  }

  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#socket.remotePort;
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
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
