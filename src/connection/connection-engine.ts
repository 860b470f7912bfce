import { deliverError, type ErrorRoute, routeRejection } from '../callback-errors.js';
import type { ConnectionClosedError, ProtocolError } from '../errors.js';
import type { PerMessageExtension } from '../protocol/extensions/extension.js';
import { Protocol, type ProtocolHandler } from '../protocol/protocol.js';
import type { MessageType } from '../protocol/types.js';
import type { BudgetMember } from './buffer-budget.js';
import { CloseHandshake, OPEN_CLOSE_STATE } from './close-handshake.js';
import {
  type ClosingConnection,
  closeFrameReceived,
  failLocally,
  finish,
  protocolFailed,
  startClosing,
  transportClosed,
  transportEnded,
} from './close-lifecycle.js';
import type { Connection } from './connection.js';
import { ConnectionExtras } from './connection-listeners.js';
import type { ConnectionOptions } from './connection-options.js';
import { type ConnectionSettings, connectionSettings } from './connection-settings.js';
import type { ConnectionStats, DropReason } from './connection-stats.js';
import { ControlFrames, type ControlFramesHost } from './control-frames.js';
import { FlushBatch } from './flush-batch.js';
import { Heartbeat, type HeartbeatHost } from './heartbeat.js';
import { Inbound, type InboundHost } from './inbound.js';
import type { ReadyState, SendOptions } from './message.js';
import { Outbound, type OutboundHost, QUEUED } from './outbound.js';
import type { PreparedMessage } from './prepared-message.js';
import type { Transport, TransportHandler } from './transport.js';
import { NO_ITEMS, owned } from './waiter.js';
import type { WriteQueue } from './write-queue.js';

export type { Listener } from './connection-listeners.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Connections whose flush is due at the next microtask. */
const flushBatch = new FlushBatch<ConnectionEngine>((engine) => {
  engine.flushScheduled = false;
  engine.flush();
});

/**
 * A connection's state and the one object its protocol, transport, heartbeat, close lifecycle and
 * budget call back into (methods on a prototype rather than closures per connection: an idle
 * connection is mostly this). Connection is the public face over it; other layers reach it only
 * through connection-internals.ts.
 */
export class ConnectionEngine
  implements
    ProtocolHandler,
    TransportHandler,
    ControlFramesHost,
    BudgetMember,
    HeartbeatHost,
    InboundHost,
    ClosingConnection,
    OutboundHost
{
  readonly connection: Connection;
  readonly transport: Transport;
  readonly core: Protocol;
  /** The write queue, policies and write waiters; made by the first write (out): a connection that never sent holds none. */
  outbound: Outbound | null = null;
  /** Limits, policies and timeouts shared by every connection built with the same options. */
  readonly settings: ConnectionSettings;
  readonly extension: PerMessageExtension | null;
  /** Pings, pong deadline and idle timeout; null when neither a heartbeat nor an idle timeout is set. */
  readonly heartbeat: Heartbeat | null = null;

  readyState: ReadyState = 'open';
  /** The close handshake's state: the shared frozen OPEN_CLOSE_STATE until closing starts (closing). */
  close: CloseHandshake = OPEN_CLOSE_STATE;
  closeWatcher: ((connection: Connection) => void) | null = null;

  // Turn and flush bookkeeping.
  #inTurn = false;
  #reentrant: Buffer[] = NO_ITEMS;
  flushScheduled = false;

  /** Messages arriving, their listeners and readers, the inbox, and why reading is paused. */
  readonly inbound: Inbound;
  /** Listeners other than message listeners, drop counters: made on first use (extras). */
  #extras: ConnectionExtras | null = null;
  /** Pings waiting for their pong, and the pong answer; made on the first ping either way (ctl). */
  control: ControlFrames | null = null;

  constructor(connection: Connection, transport: Transport, options: ConnectionOptions) {
    this.connection = connection;
    this.transport = transport;
    const settings = connectionSettings(options);
    this.settings = settings;
    // Not kept: the options object holds handshake-time things (head, request) an open connection does not need.
    this.extension = options.extension ?? null;
    if (settings.heartbeat !== null || settings.idleTimeout > 0)
      this.heartbeat = new Heartbeat(this, settings);
    this.inbound = new Inbound(this);
    settings.budget?.join(this);
    this.core = new Protocol(this, {
      role: options.role,
      maxPayload: options.maxPayload,
      maxFragments: options.maxFragments,
      maxFrameSize: options.maxFrameSize,
      fragmentSize: options.fragmentSize,
      maskSource: options.maskSource,
      extension: options.extension ?? null,
      // The inbound path unmasks binary payload while it gathers it (one pass instead of two).
      leaveBinaryMasked: true,
    });
    transport.setHandler(this);
  }

  /** This connection's own close state, made on first write. */
  get closing(): CloseHandshake {
    if (this.close === OPEN_CLOSE_STATE) this.close = new CloseHandshake();
    return this.close;
  }

  /** The outbound path, created on first use. */
  get out(): Outbound {
    if (this.outbound === null)
      this.outbound = new Outbound(
        this.transport,
        this.core,
        this.settings,
        this.heartbeat,
        this.extension !== null,
        this,
      );
    return this.outbound;
  }

  /** Pings and pongs, created on first use. */
  get ctl(): ControlFrames {
    this.control ??= new ControlFrames(this.core, this.settings.clock, this);
    return this.control;
  }

  /** The write queue, created on first use. */
  get writeQueue(): WriteQueue {
    return this.out.queue;
  }

  /** Outgoing bytes not yet handed to the OS: queued here, waiting behind a stream writer, or in the transport. */
  get bufferedAmount(): number {
    return (this.outbound?.heldBytes ?? 0) + this.transport.writableLength;
  }

  /** The side object of listeners and counters, made on first use. */
  get extras(): ConnectionExtras {
    this.#extras ??= new ConnectionExtras();
    return this.#extras;
  }

  liveStats(): Mutable<ConnectionStats> {
    const extras = this.extras;
    if (extras.stats === null)
      extras.stats = { messagesDropped: 0, bytesDropped: 0, messagesReplaced: 0, pongsCoalesced: 0 };
    return extras.stats;
  }

  // ---------------------------------------------------------------- transport events (TransportHandler)

  onData(chunk: Buffer): void {
    if (this.readyState === 'closed') return;
    const heartbeat = this.heartbeat;
    if (heartbeat !== null) heartbeat.frameReceived();
    if (this.#inTurn) {
      // A transport that delivers synchronously from resume() (called by a listener): the core is
      // not re-entrant, so this chunk waits for the one being parsed.
      this.#reentrant = owned(this.#reentrant);
      this.#reentrant.push(chunk);
      return;
    }
    this.#inTurn = true;
    try {
      this.core.receive(chunk);
      const later = this.#reentrant;
      while (later.length > 0) this.core.receive(later.shift() as Buffer);
    } finally {
      this.#inTurn = false;
    }
    // Everything produced in this turn leaves in one transport write.
    this.flush();
  }

  onDrain(): void {
    this.heartbeat?.drained();
    this.outbound?.queue.onDrain();
    this.flush();
  }

  onEnd(): void {
    transportEnded(this);
  }

  onClose(error?: Error): void {
    transportClosed(this, error);
  }

  // ---------------------------------------------------------------- protocol events (ProtocolHandler)

  onMessageStart(type: MessageType): void {
    this.inbound.messageStart(type);
  }

  onMessageData(chunk: Buffer, end: boolean, frameLeft: number, maskKey: number): void {
    this.inbound.messageData(chunk, end, frameLeft, maskKey);
  }

  /** RFC 6455 5.5.2: a Ping is answered until the peer's Close arrives, so also after our own Close. */
  mayPong(): boolean {
    return this.readyState === 'open' || (this.readyState === 'closing' && !this.close.received);
  }

  onPing(payload: Buffer): void {
    if (this.settings.autoPong && this.mayPong()) this.ctl.answer(payload);
    const listener = this.#extras?.ping;
    if (listener) this.callListener(listener, payload);
  }

  onPong(payload: Buffer): void {
    this.control?.pongReceived(payload);
    const listener = this.#extras?.pong;
    if (listener) this.callListener(listener, payload);
  }

  onCloseFrame(code: number, reason: string): void {
    closeFrameReceived(this, code, reason);
  }

  onOutput(bytes: Buffer): void {
    // The core's own Close (the echo, or the one failing the connection): after queued data.
    const queue = this.writeQueue;
    queue.data.push(bytes);
    queue.commit(bytes.length, 'close');
    this.scheduleFlush();
  }

  onFail(error: ProtocolError): void {
    const observer = this.settings.observer;
    if (observer !== null) observer.protocolError(this.connection, error.closeCode, error.message);
    protocolFailed(this, error);
  }

  // ---------------------------------------------------------------- errors and listeners

  /** The error reads get once no further message can arrive, or null while one still can. */
  endedError(): ConnectionClosedError | null {
    if (this.readyState === 'open') return null;
    if (this.readyState === 'closing' && !this.close.received && !this.close.failed) return null;
    return this.closedError();
  }

  closedError(): ConnectionClosedError {
    return this.close.closedError(this.core.closeSent);
  }

  /** False once the connection was terminated or failed by us: what still arrives is not delivered. */
  get deliverable(): boolean {
    return this.readyState !== 'closed' && !this.close.failed;
  }

  listenerFailed(error: unknown): void {
    failLocally(this, 1011, 'internal error');
    deliverError(this.#extras?.error ?? null, error, 'a connection listener');
  }

  get asyncFailed(): ErrorRoute {
    const extras = this.extras;
    extras.asyncFailed ??= (error) => this.listenerFailed(error);
    return extras.asyncFailed;
  }

  callListener<A extends unknown[]>(listener: (this: Connection, ...args: A) => unknown, ...args: A): void {
    try {
      routeRejection(listener.call(this.connection, ...args), this.asyncFailed);
    } catch (error) {
      this.listenerFailed(error);
    }
  }

  // ---------------------------------------------------------------- outbound

  /** Queue one message under the slow-consumer policy (Outbound.offer); throws ConnectionClosedError once closing. */
  offer(
    type: MessageType,
    data: Buffer,
    compress: boolean | undefined,
    prepared: PreparedMessage | null,
    options: SendOptions | undefined,
  ): number {
    if (this.readyState !== 'open') throw this.closedError();
    return this.out.offer(type, data, compress, prepared, options);
  }

  /** send()'s answer: true when queued with bufferedAmount within its bound (else onDrain is due). */
  accepted(outcome: number): boolean {
    if (outcome === QUEUED && this.bufferedAmount <= this.settings.maxBufferedBytes) return true;
    this.out.overBound = true;
    return false;
  }

  dropped(reason: DropReason, messages: number, bytes: number): void {
    const stats = this.liveStats();
    stats.messagesDropped += messages;
    stats.bytesDropped += bytes;
    const observer = this.settings.observer;
    if (observer !== null) observer.dropped(this.connection, reason, messages, bytes);
    const listener = this.#extras?.drop;
    if (listener) this.callListener(listener, reason, messages, bytes);
  }

  replaced(bytes: number): void {
    this.liveStats().messagesReplaced++;
    this.dropped('latest-by-key', 1, bytes);
  }

  pongCoalesced(): void {
    this.liveStats().pongsCoalesced++;
  }

  heartbeatAnswered(milliseconds: number): void {
    this.settings.observer?.roundTrip(this.connection, milliseconds);
  }

  drained(): void {
    const listener = this.#extras?.drain;
    if (listener) this.callListener(listener);
  }

  isOverBound(): boolean {
    return this.bufferedAmount > this.settings.maxBufferedBytes;
  }

  scheduleFlush(): void {
    if (this.#inTurn || this.flushScheduled) return;
    this.flushScheduled = true;
    flushBatch.add(this);
  }

  flush(): void {
    if (this.readyState === 'closed') return;
    this.outbound?.flush();
  }

  // ---------------------------------------------------------------- the budget (BudgetMember)

  get heldBytes(): number {
    return (this.outbound?.heldBytes ?? 0) + this.inbound.heldBytes;
  }

  /** The inbound and outbound paths close with their own code (a policy, the budget). */
  failLocally(code: number, reason: string): void {
    const observer = this.settings.observer;
    if (observer !== null && this.readyState === 'open') observer.failing(this.connection, code, reason);
    failLocally(this, code, reason);
  }

  /** The budget's (or the server's) own shedding: whoever sheds reports it. */
  shed(code: number, reason: string): void {
    failLocally(this, code, reason);
  }

  // ---------------------------------------------------------------- the heartbeat (HeartbeatHost)

  get readingPaused(): boolean {
    return this.inbound.pausedBy !== 0;
  }

  get pendingWriteBytes(): number {
    return this.transport.writableLength;
  }

  get flushedBytes(): number {
    return this.transport.flushedBytes ?? 0;
  }

  sendHeartbeatPing(): void {
    this.ctl.heartbeatPing();
  }

  expire(reason: string): void {
    this.settings.observer?.heartbeatTimeout(this.connection, reason);
    this.closing.abnormalReason = reason;
    this.terminate();
  }

  closeIdle(): void {
    startClosing(this, 1001, 'idle timeout');
  }

  // ---------------------------------------------------------------- closing (ClosingConnection)

  /** Destroy the transport now, without a close handshake. */
  terminate(): void {
    if (this.readyState === 'closed') return;
    this.closing.noteAbnormal('terminated');
    this.transport.destroy();
    finish(this);
  }

  /** finish(): the connection's parts let go of it (close-lifecycle.ts settles the close state around this). */
  release(): void {
    this.heartbeat?.stop();
    this.inbound.release();
    // An error (and its stack trace) only when someone waits for it: most connections end with none.
    const out = this.outbound;
    const control = this.control;
    if ((out?.waiting ?? 0) + (control?.waiting ?? 0) > 0) {
      const error = this.closedError();
      out?.rejectWaiters(error);
      control?.rejectPending(error);
    }
    this.extension?.dispose();
    this.settings.budget?.leave(this);
  }

  notifyClosed(): void {
    const watcher = this.closeWatcher;
    if (watcher !== null) {
      this.closeWatcher = null;
      watcher(this.connection);
    }
  }
}
