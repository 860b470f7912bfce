// The TLS part of a wss:// handshake under `listen`: from the TCP accept until the TLS handshake ends,
// a socket holds a slot of the server's admission table (phase 'tls') and runs against its deadline.
// This is the Node glue: which TCP socket is in TLS, and how Node reports a TLS failure.
import type { Server as NetServer, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** What the server decides and counts; TlsHandshakes keeps the sockets and their table entries. */
export interface TlsAdmission<E> {
  /** Admits a new TCP socket into the admission table, or undefined (counting a refusal is the caller's). */
  admit(socket: Socket): E | undefined;
  /** The socket closed or failed during TLS: its slot is free. */
  leave(entry: E): void;
  /** Node's own TLS handshake timeout fired (`tls.handshakeTimeout`); the socket is being closed. */
  onTimeout(): void;
  /** A TLS handshake failed (not TLS at all, a bad ClientHello, a reset, ...); it is being closed. */
  onError(error: Error): void;
}

/**
 * The sockets of a wss:// listener that are still in their TLS handshake. `guard` puts admission in
 * front of the TLS server, `finish` hands a socket (and its table entry) on once its handshake
 * succeeded, `drop` closes one the table gave up on (deadline, eviction).
 */
export class TlsHandshakes<E> {
  readonly #admission: TlsAdmission<E>;
  /** By TCP socket: the TLSSocket Node wraps around it is handed to us only when its handshake ends. */
  readonly #inProgress = new Map<Socket, E>();
  /**
   * Sockets closed by us (deadline, eviction, shutdown): Node reports their teardown as a 'socket
   * hang up' tlsClientError, before or after the TCP socket's 'close', which is not a failure to count.
   */
  readonly #closedByUs = new WeakSet<Socket>();
  /** One 'close' listener for every socket (`this` is the socket), not a closure per accept. */
  readonly #onClose: (this: Socket) => void;

  constructor(admission: TlsAdmission<E>) {
    this.#admission = admission;
    const inProgress = this.#inProgress;
    this.#onClose = function (this: Socket): void {
      const entry = inProgress.get(this);
      if (entry === undefined) return;
      inProgress.delete(this);
      admission.leave(entry);
    };
  }

  /** Sockets between TCP accept and the end of their TLS handshake. */
  get size(): number {
    return this.#inProgress.size;
  }

  /**
   * Takes over a tls.Server's 'connection' event. Node starts TLS from its own 'connection' listener;
   * calling it only for admitted sockets means a socket refused is destroyed before Node makes an SSL
   * object for it or reads a byte of its ClientHello (no HTTP 503 is possible before TLS).
   */
  guard(server: NetServer): void {
    const startTls = server.listeners('connection') as Array<(this: NetServer, socket: Socket) => void>;
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => {
      const entry = this.#admission.admit(socket);
      if (entry === undefined) {
        socket.destroy();
        return;
      }
      this.#inProgress.set(socket, entry);
      socket.on('close', this.#onClose);
      for (const listener of startTls) listener.call(server, socket);
    });
    server.on('tlsClientError', (error: Error, socket: TLSSocket) => this.#fail(error, socket));
  }

  /**
   * The TLS handshake of `socket` succeeded: returns its table entry, which the caller keeps from now
   * on (with what is left of its deadline), or undefined when the socket was not accepted through
   * `guard` or was dropped meanwhile.
   */
  finish(socket: TLSSocket): E | undefined {
    const tcp = tcpSocketOf(socket);
    const entry = tcp === undefined ? undefined : this.#inProgress.get(tcp);
    if (tcp === undefined || entry === undefined) return undefined;
    this.#inProgress.delete(tcp);
    tcp.off('close', this.#onClose);
    return entry;
  }

  /** Whether the peer of a socket in TLS has sent any byte yet. */
  heard(socket: Socket): boolean {
    return socket.bytesRead > 0;
  }

  /** Closes a socket the admission table gave up on (its entry has left the table already). */
  drop(socket: Socket): void {
    if (!this.#inProgress.delete(socket)) return;
    socket.off('close', this.#onClose);
    this.#closedByUs.add(socket);
    // Closing the TCP socket tears down the TLSSocket on it too (Node then reports 'socket hang up').
    socket.destroy();
  }

  /** Shutdown: closes every socket still in its TLS handshake, without counting them as failures. */
  destroyAll(): void {
    for (const socket of [...this.#inProgress.keys()]) this.drop(socket);
  }

  /** tls.Server's 'tlsClientError': the handshake failed or Node's own handshake timeout fired. */
  #fail(error: Error, socket: TLSSocket): void {
    // Node closes the socket after a protocol error but leaves it open after its handshake timeout.
    socket.destroy();
    const tcp = tcpSocketOf(socket);
    if (tcp !== undefined) {
      if (this.#closedByUs.has(tcp)) return;
      // Counted here, once: its slot is freed now, so no deadline can count it again.
      const entry = this.#inProgress.get(tcp);
      if (entry !== undefined) {
        this.#inProgress.delete(tcp);
        tcp.off('close', this.#onClose);
        this.#closedByUs.add(tcp);
        this.#admission.leave(entry);
      }
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
