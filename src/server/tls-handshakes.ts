// The TLS part of a wss:// handshake under `listen`: from the TCP accept until the TLS handshake ends,
// a socket holds one of the server's maxPendingHandshakes slots and runs against its handshakeTimeout.
import type { Server as NetServer, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Clock } from '../connection/clock.js';
import { nodeClock } from '../node/clock.js';

/** What the server decides and counts; TlsHandshakes keeps the sockets and their deadlines. */
export interface TlsAdmission {
  /** Whether a new TCP socket may start a TLS handshake; counting a refusal is the caller's business. */
  admit(): boolean;
  /** A TLS handshake outlived its deadline (ours, or Node's own `handshakeTimeout`); it is being closed. */
  onTimeout(): void;
  /** A TLS handshake failed (not TLS at all, a bad ClientHello, a reset, ...); it is being closed. */
  onError(error: Error): void;
}

interface TlsHandshake {
  /** Clock time by which the whole handshake, TLS and HTTP head, must be done. */
  readonly deadline: number;
  timer: unknown;
}

/**
 * The sockets of a wss:// listener that are still in their TLS handshake. `guard` puts admission in
 * front of the TLS server, `finish` hands a socket on once its handshake succeeded.
 */
export class TlsHandshakes {
  readonly #timeout: number;
  readonly #admission: TlsAdmission;
  readonly #clock: Clock;
  /** By TCP socket: the TLSSocket Node wraps around it is handed to us only when its handshake ends. */
  readonly #inProgress = new Map<Socket, TlsHandshake>();
  /**
   * Sockets closed by us (deadline, shutdown): Node reports their teardown as a 'socket hang up'
   * tlsClientError, before or after the TCP socket's 'close', which is not a failure to count.
   */
  readonly #closedByUs = new WeakSet<Socket>();
  /** One 'close' listener for every socket (`this` is the socket), not a closure per accept. */
  readonly #onClose: (this: Socket) => void;

  constructor(timeout: number, admission: TlsAdmission, clock: Clock = nodeClock) {
    this.#timeout = timeout;
    this.#admission = admission;
    this.#clock = clock;
    const inProgress = this.#inProgress;
    this.#onClose = function (this: Socket): void {
      const handshake = inProgress.get(this);
      if (handshake === undefined) return;
      clock.clearTimeout(handshake.timer);
      inProgress.delete(this);
    };
  }

  /** Sockets between TCP accept and the end of their TLS handshake (closing ones included until closed). */
  get size(): number {
    return this.#inProgress.size;
  }

  /**
   * Takes over a tls.Server's 'connection' event. Node starts TLS from its own 'connection' listener;
   * calling it only for admitted sockets means a socket over the limit is destroyed before Node makes
   * an SSL object for it or reads a byte of its ClientHello (no HTTP 503 is possible before TLS).
   */
  guard(server: NetServer): void {
    const startTls = server.listeners('connection') as Array<(this: NetServer, socket: Socket) => void>;
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => {
      if (!this.#admission.admit()) {
        socket.destroy();
        return;
      }
      this.#begin(socket);
      for (const listener of startTls) listener.call(server, socket);
    });
    server.on('tlsClientError', (error: Error, socket: TLSSocket) => this.#fail(error, socket));
  }

  /**
   * The TLS handshake of `socket` succeeded: it stops counting here, and the caller counts it from now
   * on. Returns the milliseconds left until its deadline (all the HTTP head may take), or undefined
   * when the socket was not accepted through `guard`.
   */
  finish(socket: TLSSocket): number | undefined {
    const tcp = tcpSocketOf(socket);
    const handshake = tcp === undefined ? undefined : this.#inProgress.get(tcp);
    if (tcp === undefined || handshake === undefined) return undefined;
    this.#inProgress.delete(tcp);
    tcp.off('close', this.#onClose);
    this.#clock.clearTimeout(handshake.timer);
    return Math.max(0, handshake.deadline - this.#clock.now());
  }

  /** Shutdown: closes every socket still in its TLS handshake, without counting them as failures. */
  destroyAll(): void {
    for (const [socket, handshake] of this.#inProgress) {
      this.#clock.clearTimeout(handshake.timer);
      socket.off('close', this.#onClose);
      this.#closedByUs.add(socket);
      socket.destroy();
    }
    this.#inProgress.clear();
  }

  #begin(socket: Socket): void {
    const handshake: TlsHandshake = { deadline: this.#clock.now() + this.#timeout, timer: undefined };
    handshake.timer = this.#clock.setTimeout(() => this.#expire(socket, handshake), this.#timeout);
    this.#inProgress.set(socket, handshake);
    socket.on('close', this.#onClose);
  }

  #expire(socket: Socket, handshake: TlsHandshake): void {
    handshake.timer = undefined;
    this.#closedByUs.add(socket);
    this.#admission.onTimeout();
    // Closing the TCP socket tears down the TLSSocket on it too (Node then reports 'socket hang up').
    socket.destroy();
  }

  /** tls.Server's 'tlsClientError': the handshake failed or Node's own handshake timeout fired. */
  #fail(error: Error, socket: TLSSocket): void {
    // Node closes the socket after a protocol error but leaves it open after its handshake timeout.
    socket.destroy();
    const tcp = tcpSocketOf(socket);
    if (tcp !== undefined) {
      if (this.#closedByUs.has(tcp)) return;
      // Counted here, once: our deadline must not count it again while the socket closes.
      const handshake = this.#inProgress.get(tcp);
      if (handshake !== undefined) this.#clock.clearTimeout(handshake.timer);
    }
    if ((error as NodeJS.ErrnoException).code === 'ERR_TLS_HANDSHAKE_TIMEOUT') this.#admission.onTimeout();
    else this.#admission.onError(error);
  }
}

/**
 * The TCP socket under a server-side TLSSocket. Node has no public accessor; the TLSSocket that
 * tls.Server wraps around an accepted socket keeps it as `_parent`. If that ever changed, `finish`
 * would not find the socket and the TLS deadline would cut its connection:
 * test/integration/tls-admission.test.ts checks both the count and a connection outliving the deadline.
 */
function tcpSocketOf(socket: TLSSocket): Socket | undefined {
  return (socket as unknown as { _parent?: Socket | null })._parent ?? undefined;
}
