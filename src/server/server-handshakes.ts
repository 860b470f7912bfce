// The handshakes a WebSocketServer has in progress, from admission to the 101: the slot each holds in
// the admission table, its answer when refused, timed out or evicted; an accepted socket goes on to
// ServerConnections (server-connections.ts). Both entry points use it: `listen` (accept-raw.ts) and
// `handleUpgrade`.

import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { deliverError } from '../callback-errors.js';
import type { Connection } from '../connection/connection.js';
import { HandshakeError } from '../errors.js';
import { nodeSha1 } from '../node/crypto.js';
import { AdmissionTable, type HandshakePhase, LOOK_UP_ADDRESS } from './admission-table.js';
import { ConnectionAdmission } from './connection-admission.js';
import {
  answerStatus,
  handshakeRefusedChannel,
  publishRefused,
  upgradeTracingChannel,
} from './diagnostics.js';
import { answerAndClose, type BusyAnswers, busyAnswers } from './handshake-answers.js';
import type { HandshakeSettings, PendingHandshake } from './handshake-settings.js';
import type { RefusalReason } from './metrics-snapshot.js';
import { errorResponse, type NegotiableRequest, negotiateUpgrade } from './negotiate-upgrade.js';
import { buildPlainResponse } from './plain-response.js';
import { ServerConnections } from './server-connections.js';
import type { ServerStats, WebSocketServerOptions } from './server-options.js';
import { TlsHandshakes } from './tls-handshakes.js';

const noop = (): void => {};

/** The admission decisions and answers of one server's handshakes. */
export class ServerHandshakes {
  readonly #settings: HandshakeSettings;
  readonly #options: WebSocketServerOptions;
  readonly #stats: ServerStats;
  readonly #table: AdmissionTable<PendingHandshake>;
  readonly #busy: BusyAnswers;
  readonly #connectionAdmission: ConnectionAdmission;
  /** The hand-over of accepted sockets and the set of open connections. */
  readonly #opened: ServerConnections;
  /** wss:// sockets of `listen` still in their TLS handshake (made by the first TLS listen). */
  #tls: TlsHandshakes<PendingHandshake> | undefined;
  /** False once the server started closing: every newcomer is turned away. */
  accepting = true;
  constructor(settings: HandshakeSettings, stats: ServerStats, connections: Set<Connection>) {
    this.#settings = settings;
    this.#options = settings.options;
    this.#stats = stats;
    this.#table = new AdmissionTable<PendingHandshake>(settings.limits, {
      expired: (pending, phase, firstByte) => this.#expired(pending, phase, firstByte),
      evicted: (pending, phase) => this.#evicted(pending, phase),
      heard: (pending) => (pending.socket as Socket).bytesRead > 0,
      addressOf: (pending) => (pending.socket as Socket).remoteAddress,
    });
    this.#busy = busyAnswers(settings.retryAfter);
    this.#connectionAdmission = new ConnectionAdmission(settings, stats, connections, this.#busy);
    this.#opened = new ServerConnections(
      settings,
      stats,
      connections,
      this.#connectionAdmission,
      this.#hookFailed,
      (error) => this.report(error),
    );
  }

  /** Handshakes holding a slot: sockets in their TLS handshake, and sockets not yet answered. */
  get size(): number {
    return this.#table.size;
  }

  /** The TLS admission of wss:// listeners (made once, shared by every TLS listen). */
  tlsHandshakes(): TlsHandshakes<PendingHandshake> {
    this.#tls ??= new TlsHandshakes<PendingHandshake>({
      admit: (socket) => this.#admitTls(socket),
      leave: (pending) => this.#leave(pending),
      onTimeout: () => {
        this.#stats.timeouts++;
      },
      onError: (error) => this.socketError(error),
    });
    return this.#tls;
  }

  /**
   * A socket of `listen` whose request head is to be read: a new plain socket, or a TLS socket that
   * keeps the slot (and what is left of the deadline) it has held since its TCP accept. Undefined
   * when it was turned away or closed.
   */
  admitRaw(socket: Socket, secure: boolean): PendingHandshake | undefined {
    if (secure) {
      const pending = this.#tls?.finish(socket as TLSSocket);
      if (!this.accepting) {
        if (pending?.entry !== undefined) this.#table.leave(pending.entry);
        socket.destroy();
        return undefined;
      }
      if (pending !== undefined) {
        if (pending.entry === undefined || pending.entry.gone) {
          socket.destroy();
          return undefined;
        }
        pending.socket = socket;
        this.#watch(pending);
        // Past TLS the peer has spoken: it now reads as a head in progress, not a silent socket.
        this.#table.advance(pending.entry, 'head');
        return pending;
      }
      // Dropped by the table just as TLS ended, or not accepted through the TLS guard (then admitted
      // like a plain socket).
      if (socket.destroyed) return undefined;
    }
    if (!this.accepting) {
      socket.destroy();
      return undefined;
    }
    const pending = this.#newPending(socket);
    const entry = this.#table.admit(pending, LOOK_UP_ADDRESS, 'silent');
    if (typeof entry === 'string') {
      this.#turnAway(socket, entry === 'address-full' ? this.#busy.address : this.#busy.handshakes, entry);
      return undefined;
    }
    pending.entry = entry;
    this.#watch(pending);
    return pending;
  }

  /** The request of a pending handshake got further (its first byte, its whole head). */
  advance(pending: PendingHandshake, phase: HandshakePhase): void {
    if (pending.entry !== undefined) this.#table.advance(pending.entry, phase);
  }

  /**
   * `handleUpgrade` and `attach`: the head was read by an http server (which may sit behind a proxy,
   * where every peer has the proxy's address), so the request holds a slot without an address.
   */
  upgrade(
    request: NegotiableRequest,
    socket: Duplex,
    head: Buffer,
    shared: boolean,
  ): Promise<Connection | undefined> {
    if (!this.accepting) {
      const pending = this.#newPending(socket);
      this.#watch(pending);
      this.refuse(pending, errorResponse(new HandshakeError('the server is shutting down', 503)));
      return Promise.resolve(undefined);
    }
    const pending = this.#newPending(socket);
    const entry = this.#table.admit(pending, undefined, 'negotiating');
    if (typeof entry === 'string') {
      this.#turnAway(socket, this.#busy.handshakes, entry);
      return Promise.resolve(undefined);
    }
    pending.entry = entry;
    this.#watch(pending);
    return this.negotiate(pending, request, head, shared);
  }

  negotiate(
    pending: PendingHandshake,
    request: NegotiableRequest,
    head: Buffer,
    shared: boolean,
    /** The head's text when we read it ourselves: the connection keeps that rather than the parsed request. */
    headText?: string,
  ): Promise<Connection | undefined> {
    if (!upgradeTracingChannel.hasSubscribers)
      return this.#negotiate(pending, request, head, shared, headText);
    // tracePromise adds `result` (the Connection, or undefined when refused) or `error` to the context.
    const context = { request, remoteAddress: (pending.socket as Partial<Socket>).remoteAddress };
    return upgradeTracingChannel.tracePromise(
      () => this.#negotiate(pending, request, head, shared, headText),
      context,
    );
  }

  async #negotiate(
    pending: PendingHandshake,
    request: NegotiableRequest,
    head: Buffer,
    shared: boolean,
    headText: string | undefined,
  ): Promise<Connection | undefined> {
    // Checked before the hooks run (cheap refusal) and again before the 101 (hooks may be async).
    const busy = this.#connectionAdmission.check();
    if (busy !== undefined) {
      this.refuse(pending, busy);
      return undefined;
    }
    const decision = await negotiateUpgrade(request, this.#options, nodeSha1, this.#hookFailed);
    const socket = pending.socket;
    if (pending.answered || socket.destroyed || !this.accepting) {
      // Timed out, closed by the peer or by shutdown while a hook ran.
      if (decision.kind === 'accept') decision.extension?.dispose();
      if (!pending.answered)
        this.refuse(pending, errorResponse(new HandshakeError('the server is shutting down', 503)));
      return undefined;
    }
    if (decision.kind === 'not-mine' && shared) {
      // Another 'upgrade' listener on the same http server owns this path.
      this.#release(pending);
      return undefined;
    }
    if (decision.kind !== 'accept') {
      this.refuse(pending, decision.response);
      return undefined;
    }
    const stillBusy = this.#connectionAdmission.check();
    if (stillBusy !== undefined) {
      decision.extension?.dispose();
      this.refuse(pending, stillBusy);
      return undefined;
    }
    this.#release(pending);
    return this.#opened.open(socket, decision, request, head, headText);
  }

  /**
   * A hook (onConnection, authorize, origins, path, subprotocols) threw or rejected: to onError, or
   * reported as a process warning without one; never thrown.
   */
  readonly #hookFailed = (error: unknown): void => {
    deliverError(this.#options.onError, error, 'a WebSocketServer hook');
  };

  /**
   * A request of `listen` that is not an upgrade, answered by `onPlainRequest` (not a refusal: it is
   * not counted as one). False when there is no hook or it returned nothing.
   */
  answerPlain(pending: PendingHandshake, request: NegotiableRequest): boolean {
    const hook = this.#options.onPlainRequest;
    if (hook === undefined) return false;
    let bytes: Buffer;
    try {
      const response = hook(request);
      if (response === undefined) return false;
      bytes = buildPlainResponse(response, request.method);
    } catch (error) {
      this.#hookFailed(error);
      this.refuse(pending, errorResponse(new HandshakeError('internal error', 500)));
      return true;
    }
    pending.answered = true;
    this.#leave(pending);
    answerAndClose(pending.socket, bytes, this.#settings.limits.timeout);
    return true;
  }

  /** Writes an HTTP error answer and closes the socket once it is flushed. */
  refuse(pending: PendingHandshake, response: string): void {
    if (pending.answered) return;
    pending.answered = true;
    this.#stats.refused++;
    const status = answerStatus(response);
    const reason = this.#refusalReason(response, status);
    this.#settings.observer.refused(status, reason);
    if (handshakeRefusedChannel.hasSubscribers)
      publishRefused(response, status, reason, (pending.socket as Partial<Socket>).remoteAddress);
    this.#leave(pending);
    answerAndClose(pending.socket, response, this.#settings.limits.timeout);
  }

  /** The metrics' reason label of a refusal, from the answer itself (the limits' answers are made once). */
  #refusalReason(response: string, status: number): RefusalReason {
    const busy = this.#busy;
    if (response === busy.connections) return 'max-connections';
    if (response === busy.memory) return 'memory-budget';
    if (response === busy.handshakes) return 'max-pending-handshakes';
    if (response === busy.address) return 'max-pending-handshakes-per-address';
    if (!this.accepting) return 'shutting-down';
    if (status === 408 || status === 503) return 'timeout';
    return 'rejected';
  }

  /** Shutdown: every socket not yet answered (or still in TLS) is closed. */
  dropAll(): void {
    for (const pending of this.#table.clear()) {
      pending.answered = true;
      pending.stopReading();
      this.#tls?.drop(pending.socket as Socket);
      pending.socket.destroy();
    }
    this.#tls?.destroyAll();
  }

  socketError(error: Error): void {
    this.#stats.socketErrors++;
    this.report(error);
  }

  /** A socket error or a failed upgrade: to onError if set (counted in `stats` either way). */
  report(error: Error): void {
    if (this.#options.onError !== undefined) deliverError(this.#options.onError, error, 'onError');
  }

  #newPending(socket: Duplex): PendingHandshake {
    return { socket, entry: undefined, answered: false, stopReading: noop, detach: noop };
  }

  /** A new TCP socket of a wss:// listener: may it start TLS? Refusals are counted like 503s. */
  #admitTls(socket: Socket): PendingHandshake | undefined {
    if (!this.accepting) return undefined;
    const pending = this.#newPending(socket);
    const entry = this.#table.admit(pending, LOOK_UP_ADDRESS, 'tls');
    if (typeof entry === 'string') {
      this.#countRefusal(entry);
      return undefined;
    }
    pending.entry = entry;
    return pending;
  }

  /** Starts watching a socket that has not been answered yet: errors are absorbed and counted. */
  #watch(pending: PendingHandshake): void {
    const socket = pending.socket;
    const onError = (error: Error): void => {
      this.socketError(error);
      socket.destroy();
    };
    const onClose = (): void => {
      socket.off('error', onError);
      this.#leave(pending);
    };
    pending.detach = () => {
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    socket.on('error', onError);
    socket.once('close', onClose);
    if ('setNoDelay' in socket) (socket as Socket).setNoDelay(true);
  }

  #leave(pending: PendingHandshake): void {
    if (pending.entry !== undefined) this.#table.leave(pending.entry);
  }

  /** Hands the socket on (to a Connection or a sibling listener): our deadline and tracking stop. */
  #release(pending: PendingHandshake): void {
    pending.answered = true;
    pending.detach();
    this.#leave(pending);
  }

  /** A deadline of the admission table passed (the entry has left the table). */
  #expired(pending: PendingHandshake, phase: HandshakePhase, firstByte: boolean): void {
    if (pending.answered) return;
    this.#stats.timeouts++;
    if (phase === 'tls') {
      pending.answered = true;
      this.#tls?.drop(pending.socket as Socket);
      return;
    }
    pending.stopReading();
    // RFC 9110 15.5.9: 408 when the request head did not arrive in time; 503 when we (authorize) were slow.
    const error =
      phase === 'negotiating'
        ? new HandshakeError('the upgrade was not accepted in time', 503)
        : new HandshakeError(
            firstByte ? 'no request arrived in time' : 'the request head did not arrive in time',
            408,
          );
    this.refuse(pending, errorResponse(error));
  }

  /** The table gave this socket's slot to a newcomer: 503 (or, still in TLS, closed). */
  #evicted(pending: PendingHandshake, phase: HandshakePhase): void {
    if (pending.answered) return;
    this.#stats.evicted++;
    if (phase === 'tls') {
      pending.answered = true;
      this.#tls?.drop(pending.socket as Socket);
      return;
    }
    pending.stopReading();
    this.refuse(pending, this.#busy.handshakes);
  }

  /** `status` 0: a wss:// socket closed before TLS, without an answer. */
  #countRefusal(why: 'table-full' | 'address-full', status = 0): void {
    this.#stats.refused++;
    this.#settings.observer.refused(
      status,
      why === 'address-full' ? 'max-pending-handshakes-per-address' : 'max-pending-handshakes',
    );
    if (why === 'address-full') this.#stats.overAddressLimit++;
    else this.#stats.overHandshakeLimit++;
  }

  /**
   * Past an admission limit: answer 503 at once and close, without tracking, parsing or a timer
   * per socket beyond the one bounding a peer that never reads the answer.
   */
  #turnAway(socket: Duplex, response: string, why: 'table-full' | 'address-full'): void {
    this.#countRefusal(why, 503);
    if (handshakeRefusedChannel.hasSubscribers)
      publishRefused(
        response,
        503,
        why === 'address-full' ? 'max-pending-handshakes-per-address' : 'max-pending-handshakes',
        (socket as Partial<Socket>).remoteAddress,
      );
    socket.on('error', () => socket.destroy());
    answerAndClose(socket, response, TURN_AWAY_LINGER);
  }
}

/** How long a turned-away socket may take to take our 503 before it is destroyed anyway. */
const TURN_AWAY_LINGER = 1000;
