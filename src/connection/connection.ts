import { deliverError, type ErrorRoute, routeRejection } from '../callback-errors.js';
import type { Codec } from '../codecs/codec.js';
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
import type { ConnectionOptions, UpgradeRequestInfo } from './connection-options.js';
import { type ConnectionSettings, connectionSettings } from './connection-settings.js';
import type { ConnectionStats, DropReason } from './connection-stats.js';
import { ControlFrames, type ControlFramesHost } from './control-frames.js';
import { FlushBatch } from './flush-batch.js';
import { Heartbeat, type HeartbeatHost } from './heartbeat.js';
import { Inbound, type InboundHost, PAUSED_BY_USER } from './inbound.js';
import type { CloseInfo, Message, MessageData, MessageStream, ReadyState, SendOptions } from './message.js';
import { checkTextBytes, messageBytes } from './message-bytes.js';
import {
  addMessageListener,
  addRawListener,
  clearMessageListeners,
  clearRawListeners,
  removeMessageListener,
  removeRawListener,
} from './message-listeners.js';
import { type MessageStreams, messageIterator, messageStreams } from './message-streams.js';
import { DROPPED, Outbound, type OutboundHost, QUEUED } from './outbound.js';
import type { PreparedMessage } from './prepared-message.js';
import type { Transport, TransportHandler } from './transport.js';
import { NO_ITEMS, owned } from './waiter.js';
import type { WriteQueue } from './write-queue.js';

/** A user callback; it may return a promise, whose rejection is handled like a throw. */
type Listener<A extends unknown[]> = ((...args: A) => void) | null;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const EMPTY_PAYLOAD: Buffer = Buffer.alloc(0);

const NO_OP = (): void => {};

/** `action` on the first call only: a remover called twice must not remove another registration. */
function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}

/** What happened to one connection's send in a broadcast. */
export type SendOutcome = 'queued' | 'dropped' | 'closed';

/**
 * For broadcast() only (not re-exported): send a prepared message and say what became of it, which
 * the boolean of sendPrepared() cannot tell. Set by Connection's static block.
 */
export let offerPrepared: (
  connection: Connection,
  prepared: PreparedMessage,
  options: SendOptions | undefined,
) => SendOutcome;

/** What the protocol, the transport and a budget call back into: one object per connection. Set by the static block. */
type ConnectionPorts = ProtocolHandler &
  TransportHandler &
  ControlFramesHost &
  BudgetMember &
  HeartbeatHost &
  InboundHost &
  ClosingConnection &
  OutboundHost;
let portsFor: (connection: Connection) => ConnectionPorts;
/**
 * For the server's bookkeeping only (not re-exported): call `watcher` once, synchronously, when the
 * connection closes, without the promises `closed.then()` would cost per connection. One watcher per
 * connection. Set by Connection's static block.
 */
export let watchClosed: (connection: Connection, watcher: (connection: Connection) => void) => void;
/** For the server's close event only (not re-exported): how the connection ended, null while open. */
export let closeInfoOf: (connection: Connection) => CloseInfo | null;
/** For the server only (not re-exported): close now with `code`, dropping the backlog (memory budget, a failed onConnection). */
export let shedConnection: (connection: Connection, code: number, reason: string) => void;
/** What a connection holds inbound, as its budget counts it (Inbound's figures). */
export interface InboundHeld {
  /** Bytes held for the message being received (gathered, or queued unread for a streaming reader). */
  readonly messageBytes: number;
  /** That plus whole messages waiting unread. */
  readonly heldBytes: number;
}
/** For the server's memory budget only (not re-exported): the connection's inbound figures. */
export let inboundHeld: (connection: Connection) => InboundHeld;
/** Connections whose flush is due at the next microtask. Set by the static block. */
let flushBatch: FlushBatch<Connection>;

const RESOLVED: Promise<void> = Promise.resolve();

export { isNormalClosure } from './message-streams.js';

/**
 * One WebSocket connection, on either side, after the opening handshake.
 *
 * Concurrency contract:
 * - Sending may overlap freely. `send()`, `write()`, `sendValue()`, `ping()` and `close()` may be
 *   called from any number of async tasks; every message goes out whole, in call order. There is one
 *   writer by construction: all frames pass through one queue.
 * - One streaming writer at a time holds the data channel. `writeStream()` may be called while
 *   another is open: it (and every message sent after it) waits its turn, and the writer's `close()`
 *   hands the channel on. Pings, pongs and Close still go out between its fragments.
 * - Control frames take a priority lane ahead of data held in the queue, never inside a frame.
 * - Reading is exclusive per message. `read()` and `readStream()` calls are served in call order,
 *   one message each; while a message is being streamed to a reader, later readers wait for the next
 *   message, so a message stream must be read to the end or cancelled. A listener set with
 *   `onMessage`/`onRawMessage` takes every message instead, and readers then get none.
 * - The application must keep reading: unread messages pause the transport past
 *   `maxQueuedMessages`/`maxQueuedBytes` (TCP then pushes back on the peer), and pongs and Close
 *   frames are not seen while it is paused (the heartbeat then judges by the write side: a peer that
 *   took no bytes since the ping is terminated, one that took some is given another deadline).
 * - Writers past `maxBufferedBytes`: `write()` and stream writes wait, `send()` returns false; the
 *   `backpressure` policy (per connection or per send) may close, drop the new message, evict the
 *   oldest or replace by key instead (BackpressurePolicy). Every drop is counted in `stats` and
 *   reported to `onDrop`. A shared `budget` caps the bytes held by all connections that use it,
 *   both ways: while it is exceeded, an incoming message growing past `maxBufferedBytes` fails its
 *   connection with the budget's close code (1013), as a send past that bound does.
 * - After an error, nothing more is queued: a protocol failure sends what was queued before it (the
 *   replies to messages that arrived before the bad frame), then its Close (1002, 1007, 1009...);
 *   a listener that throws, or returns a promise that rejects, closes with
 *   1011 and the error goes to `onError` (a process warning without one; never rethrown). Then
 *   every pending `write()`, `ping()`, read and stream rejects or errors with
 *   `ConnectionClosedError`, messages already queued unread can still be read, and `closed`
 *   resolves with the code, reason, whether the close was clean and how many messages went unsent.
 * - Reading ends: `for await` and `stream.readable` end normally when the close handshake ended
 *   the connection cleanly (the peer's Close arrived, whatever its code, and we did not fail it);
 *   otherwise they throw. `read()` and `readStream()` reject with ConnectionClosedError either way
 *   (`wasClean` tells which).
 */
export class Connection implements AsyncIterable<Message> {
  /** The negotiated subprotocol, '' for none. */
  readonly protocol: string;
  /** The negotiated Sec-WebSocket-Extensions value, '' for none. */
  readonly extensions: string;
  /** The upgrade request (server side), null when not known. */
  readonly request: UpgradeRequestInfo | null;

  readonly #transport: Transport;
  readonly #core: Protocol;
  /** The write queue, policies and write waiters; made by the first write (#out): a connection that never sent holds none. */
  #outbound: Outbound | null = null;
  /** Limits, policies and timeouts shared by every connection built with the same options. */
  readonly #settings: ConnectionSettings;
  readonly #extension: PerMessageExtension | null;
  /** Pings, pong deadline and idle timeout; null when neither a heartbeat nor an idle timeout is set. */
  #heartbeat: Heartbeat | null = null;
  /** The handler given to the protocol and the transport, and the budget's member (one object, no closures). */
  readonly #ports: ConnectionPorts;
  /** Created by the first drop or the first read of `stats`. */
  #stats: Mutable<ConnectionStats> | null = null;

  #readyState: ReadyState = 'open';
  /** The close handshake's state: the shared frozen OPEN_CLOSE_STATE until closing starts (#closing). */
  #close: CloseHandshake = OPEN_CLOSE_STATE;
  #closeWatcher: ((connection: Connection) => void) | null = null;

  // Turn and flush bookkeeping.
  #inTurn = false;
  #reentrant: Buffer[] = NO_ITEMS;
  #flushScheduled = false;

  /** Messages arriving, their listeners and readers, the inbox, and why reading is paused. */
  readonly #inbound: Inbound;
  #onPing: Listener<[Buffer]> = null;
  #onPong: Listener<[Buffer]> = null;
  #onDrain: Listener<[]> = null;
  #onError: Listener<[unknown]> = null;
  #onDrop: Listener<[DropReason, number, number]> = null;
  /** Pings waiting for their pong, and the pong answer; made on the first ping either way (#ctl). */
  #control: ControlFrames | null = null;
  /** The WebSocketStream-shaped view, made by the first read of `stream`. */
  #streams: MessageStreams | null = null;

  constructor(transport: Transport, options: ConnectionOptions) {
    this.#transport = transport;
    const settings = connectionSettings(options);
    this.#settings = settings;
    // Not kept: the options object holds handshake-time things (head, request) an open connection does not need.
    this.#extension = options.extension ?? null;
    this.protocol = options.protocol ?? '';
    this.extensions = options.extensions ?? '';
    this.request = options.request ?? null;
    const ports = portsFor(this);
    this.#ports = ports;
    if (settings.heartbeat !== null || settings.idleTimeout > 0)
      this.#heartbeat = new Heartbeat(ports, settings);
    this.#inbound = new Inbound(transport, settings, this.#heartbeat, ports);
    this.#settings.budget?.join(ports);
    this.#core = new Protocol(ports, {
      role: options.role,
      maxPayload: options.maxPayload,
      maxFragments: options.maxFragments,
      maxFrameSize: options.maxFrameSize,
      fragmentSize: options.fragmentSize,
      maskSource: options.maskSource,
      extension: options.extension ?? null,
    });

    transport.setHandler(ports);

    if (options.head && options.head.length > 0) this.#onData(options.head);
  }

  // ---------------------------------------------------------------- introspection

  /** Resolves once the connection is closed; never rejects. */
  get closed(): Promise<CloseInfo> {
    return this.#closing.closed();
  }

  /** This connection's own close state, made on first write. */
  get #closing(): CloseHandshake {
    if (this.#close === OPEN_CLOSE_STATE) this.#close = new CloseHandshake();
    return this.#close;
  }

  /** The outbound path, created on first use. */
  get #out(): Outbound {
    if (this.#outbound === null)
      this.#outbound = new Outbound(
        this.#transport,
        this.#core,
        this.#settings,
        this.#heartbeat,
        this.#extension !== null,
        this.#ports,
      );
    return this.#outbound;
  }

  /** Pings and pongs, created on first use. */
  get #ctl(): ControlFrames {
    this.#control ??= new ControlFrames(this.#core, this.#settings.clock, this.#ports);
    return this.#control;
  }

  /** The write queue, created on first use. */
  get #q(): WriteQueue {
    return this.#out.queue;
  }

  get readyState(): ReadyState {
    return this.#readyState;
  }

  /** Outgoing bytes not yet handed to the OS: queued here, waiting behind a stream writer, or in the transport. */
  get bufferedAmount(): number {
    return (this.#outbound?.heldBytes ?? 0) + this.#transport.writableLength;
  }

  get maxBufferedBytes(): number {
    return this.#settings.maxBufferedBytes;
  }

  get remoteAddress(): string | undefined {
    return this.#transport.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#transport.remotePort;
  }

  get role(): 'client' | 'server' {
    return this.#settings.role;
  }

  /** What the slow-consumer policy dropped so far (a live object; no allocation per read). */
  get stats(): ConnectionStats {
    return this.#liveStats();
  }

  #liveStats(): Mutable<ConnectionStats> {
    if (this.#stats === null)
      this.#stats = { messagesDropped: 0, bytesDropped: 0, messagesReplaced: 0, pongsCoalesced: 0 };
    return this.#stats;
  }

  // ---------------------------------------------------------------- reading

  /**
   * The next whole message. Rejects with ConnectionClosedError once no message can arrive and the
   * queue is empty; its `wasClean` says whether the peer closed cleanly (then `for await` would end).
   */
  read(): Promise<Message> {
    return this.#inbound.read();
  }

  /**
   * The next message as a stream of chunks yielded as its frames arrive. While the stream's queue is
   * full (64 KiB) the transport is paused, so a message of any size passes in bounded memory.
   */
  readStream(): Promise<MessageStream> {
    return this.#inbound.readStream();
  }

  /** Read the next message and decode it with `codec` (throws what the codec throws). */
  async readValue<T>(codec: Codec<T>): Promise<T> {
    const message = await this.read();
    return codec.decode(message.data);
  }

  /**
   * Iterate over messages. Ends when the peer's Close arrives, whatever its code (or when ours is
   * answered); throws ConnectionClosedError on an abnormal end (a drop, a timeout, a failure).
   */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return messageIterator(this);
  }

  /**
   * Take every message through a callback instead of read(): no promise per message. Messages already
   * queued are delivered at once. Listeners add up, as `ws`'s on('message') do: each one added runs
   * for every message, in the order added (onRawMessage listeners first). The returned function
   * removes this one; `onMessage(null)` removes every message listener (read() takes messages again
   * once no listener of either kind is left). A listener may be async (see onError).
   */
  onMessage(listener: ((message: Message) => void) | null): () => void {
    const inbound = this.#inbound;
    if (listener === null) {
      clearMessageListeners(inbound);
      return NO_OP;
    }
    addMessageListener(inbound, listener);
    inbound.drainToListeners();
    return once(() => removeMessageListener(inbound, listener));
  }

  /**
   * Like onMessage, without decoding text: `data` is the payload bytes (yours, and shared by every
   * raw listener). Raw listeners run before message listeners; `onRawMessage(null)` removes them all.
   */
  onRawMessage(listener: ((data: Buffer, type: MessageType) => void) | null): () => void {
    const inbound = this.#inbound;
    if (listener === null) {
      clearRawListeners(inbound);
      return NO_OP;
    }
    addRawListener(inbound, listener);
    inbound.drainToListeners();
    return once(() => removeRawListener(inbound, listener));
  }

  onPing(listener: ((payload: Buffer) => void) | null): void {
    this.#onPing = listener;
  }

  onPong(listener: ((payload: Buffer) => void) | null): void {
    this.#onPong = listener;
  }

  /** Called when bufferedAmount falls back to maxBufferedBytes or below after having been over it. */
  onDrain(listener: (() => void) | null): void {
    this.#onDrain = listener;
  }

  /**
   * Errors thrown by this connection's listeners (onMessage, onRawMessage, onPing, onPong, onDrain,
   * onDrop), or promises they returned that rejected. Such an error closes the connection with 1011;
   * without this listener it is reported as a process warning (never rethrown: one connection's
   * error must not end the process). An onError that throws or rejects is reported the same way.
   */
  onError(listener: ((error: unknown) => void) | null): void {
    this.#onError = listener;
  }

  /**
   * Called when a slow-consumer policy drops messages: why, how many, and their frame bytes. It runs
   * inside the send that caused it; like other listeners, a throw closes the connection with 1011.
   */
  onDrop(listener: ((reason: DropReason, messages: number, bytes: number) => void) | null): void {
    this.#onDrop = listener;
  }

  /** Stop reading the transport (the application's own flow control); resume() undoes it. */
  pause(): void {
    this.#inbound.setPaused(PAUSED_BY_USER, true);
  }

  resume(): void {
    this.#inbound.setPaused(PAUSED_BY_USER, false);
  }

  // ---------------------------------------------------------------- writing

  /**
   * Queue a message; it goes out whole, after everything sent before it. Returns false when
   * bufferedAmount is over maxBufferedBytes (the message is still queued). Throws
   * ConnectionClosedError once closing.
   */
  send(data: MessageData, options?: SendOptions): boolean {
    const bytes = messageBytes(data);
    const binary = options?.binary ?? typeof data !== 'string';
    if (!binary) checkTextBytes(data, bytes);
    const outcome = this.#offer(binary ? 'binary' : 'text', bytes, options?.compress, null, options);
    return this.#accepted(outcome);
  }

  /**
   * Send a message framed once by prepareMessage(): a server connection that sends it uncompressed
   * queues the prepared frames themselves (no copy, no framing); otherwise it is framed here like
   * send(). Returns and throws as send() does; `options.compress` overrides the prepared choice.
   */
  sendPrepared(prepared: PreparedMessage, options?: SendOptions): boolean {
    const outcome = this.#offer(
      prepared.type,
      prepared.data,
      options?.compress ?? prepared.compress,
      prepared,
      options,
    );
    return this.#accepted(outcome);
  }

  /**
   * Queue a message; resolves at once under maxBufferedBytes, else when the buffer drains under it.
   * Under a dropping policy ('drop-newest', 'drop-oldest', 'latest-by-key') it never waits.
   */
  write(data: MessageData, options?: SendOptions): Promise<void> {
    try {
      if (this.send(data, options)) return RESOLVED;
    } catch (error) {
      return Promise.reject(error);
    }
    const policy = options?.backpressure ?? this.#settings.backpressure;
    if (policy !== 'wait' && policy !== 'close') return RESOLVED;
    return this.#out.waitForWrite();
  }

  /** send() of a value through a codec; the options are send()'s (the codec decides `binary`). */
  sendValue<T>(codec: Codec<T>, value: T, options?: Omit<SendOptions, 'binary'>): boolean {
    const encoded = codec.encode(value);
    return this.send(encoded, { ...options, binary: codec.type === 'binary' });
  }

  writeValue<T>(codec: Codec<T>, value: T, options?: Omit<SendOptions, 'binary'>): Promise<void> {
    let encoded: string | Uint8Array;
    try {
      encoded = codec.encode(value);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.write(encoded, { ...options, binary: codec.type === 'binary' });
  }

  /** Resolves when bufferedAmount is at or under maxBufferedBytes; rejects if the connection closes first. */
  drained(): Promise<void> {
    if (!this.#isOverBound()) return RESOLVED;
    if (this.#readyState === 'closed') return Promise.reject(this.#closedError());
    return this.#out.waitForDrain();
  }

  /**
   * A writable stream whose chunks go out as fragments of one message, FIN on close(). It holds the
   * data channel from its turn (messages sent after this call wait behind it); write() waits while
   * over maxBufferedBytes. abort() fails the connection with 1011: a truncated message must not be
   * delivered as if whole.
   */
  writeStream(type: MessageType = 'binary', options?: { compress?: boolean }): WritableStream<MessageData> {
    if (this.#readyState !== 'open') throw this.#closedError();
    return this.#out.openStream(type, options?.compress ?? this.#extension != null);
  }

  /** WebSocketStream-shaped: a readable of messages and a writable of message data. close()/abort() on the writable closes the connection. */
  get stream(): MessageStreams {
    this.#streams ??= messageStreams(this);
    return this.#streams;
  }

  // ---------------------------------------------------------------- control

  /**
   * Send a ping; resolves with the round-trip time in ms when its pong arrives (a pong also answers
   * every earlier ping, RFC 6455 5.5.3). The default payload is a 4-byte counter.
   */
  ping(data?: MessageData): Promise<number> {
    if (this.#readyState !== 'open') return Promise.reject(this.#closedError());
    return this.#ctl.ping(data);
  }

  /**
   * Send a pong (RFC 6455 5.5.3) on the priority lane, ahead of queued data. With `autoPong: false`
   * this is how a ping is answered: call it from `onPing` with the ping's payload. Without a ping it
   * is an unsolicited pong, a one-way heartbeat the peer does not answer. At most 125 bytes; empty by
   * default. Throws ConnectionClosedError once the peer's Close arrived or the connection closed.
   */
  pong(data?: MessageData): void {
    if (!this.#mayPong()) throw this.#closedError();
    this.#ctl.pong(data === undefined ? EMPTY_PAYLOAD : messageBytes(data));
  }

  /**
   * Start the close handshake (RFC 6455 7.1.2) after everything already queued; resolves when it
   * completes and the transport closes, or after closeTimeout (then the transport is destroyed).
   * The code defaults to 1000 (normal closure); `null` sends a Close frame with no status code (the
   * peer reports 1005), as a browser's `WebSocket.close()` without arguments does.
   */
  close(code: number | null = 1000, reason = ''): Promise<CloseInfo> {
    if (this.#readyState === 'open') {
      try {
        startClosing(this.#ports, code ?? undefined, reason);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.closed;
  }

  /** Destroy the transport now, without a close handshake. */
  terminate(): void {
    if (this.#readyState === 'closed') return;
    this.#closing.noteAbnormal('terminated');
    this.#transport.destroy();
    finish(this.#ports);
  }

  // ---------------------------------------------------------------- transport events

  #onData(chunk: Buffer): void {
    if (this.#readyState === 'closed') return;
    const heartbeat = this.#heartbeat;
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
      this.#core.receive(chunk);
      const later = this.#reentrant;
      while (later.length > 0) this.#core.receive(later.shift() as Buffer);
    } finally {
      this.#inTurn = false;
    }
    // Everything produced in this turn leaves in one transport write.
    this.#flush();
  }

  #onTransportDrain(): void {
    this.#heartbeat?.drained();
    this.#outbound?.queue.onDrain();
    this.#flush();
  }

  // ---------------------------------------------------------------- protocol events

  /** RFC 6455 5.5.2: a Ping is answered until the peer's Close arrives, so also after our own Close. */
  #mayPong(): boolean {
    return this.#readyState === 'open' || (this.#readyState === 'closing' && !this.#close.received);
  }

  #onPingFrame(payload: Buffer): void {
    if (this.#settings.autoPong && this.#mayPong()) this.#ctl.answer(payload);
    const listener = this.#onPing;
    if (listener) this.#callListener(listener, payload);
  }

  #onPongFrame(payload: Buffer): void {
    this.#control?.pongReceived(payload);
    const listener = this.#onPong;
    if (listener) this.#callListener(listener, payload);
  }

  #onOutput(bytes: Buffer): void {
    // The core's own Close (the echo, or the one failing the connection): after queued data.
    const queue = this.#q;
    queue.data.push(bytes);
    queue.commit(bytes.length, 'close');
    this.#scheduleFlush();
  }

  /** The error reads get once no further message can arrive, or null while one still can. */
  #endedError(): ConnectionClosedError | null {
    if (this.#readyState === 'open') return null;
    if (this.#readyState === 'closing' && !this.#close.received && !this.#close.failed) return null;
    return this.#closedError();
  }

  #closedError(): ConnectionClosedError {
    return this.#close.closedError(this.#core.closeSent);
  }

  // ---------------------------------------------------------------- outbound internals

  /** Queue one message under the slow-consumer policy (Outbound.offer); throws ConnectionClosedError once closing. */
  #offer(
    type: MessageType,
    data: Buffer,
    compress: boolean | undefined,
    prepared: PreparedMessage | null,
    options: SendOptions | undefined,
  ): number {
    if (this.#readyState !== 'open') throw this.#closedError();
    return this.#out.offer(type, data, compress, prepared, options);
  }

  /** send()'s answer: true when queued with bufferedAmount within its bound (else onDrain is due). */
  #accepted(outcome: number): boolean {
    if (outcome === QUEUED && this.bufferedAmount <= this.#settings.maxBufferedBytes) return true;
    this.#out.overBound = true;
    return false;
  }

  #dropped(reason: DropReason, messages: number, bytes: number): void {
    const stats = this.#liveStats();
    stats.messagesDropped += messages;
    stats.bytesDropped += bytes;
    const listener = this.#onDrop;
    if (listener) this.#callListener(listener, reason, messages, bytes);
  }

  #listenerFailed(error: unknown): void {
    failLocally(this.#ports, 1011, 'internal error');
    deliverError(this.#onError, error, 'a connection listener');
  }

  #isOverBound(): boolean {
    return this.bufferedAmount > this.#settings.maxBufferedBytes;
  }

  #scheduleFlush(): void {
    if (this.#inTurn || this.#flushScheduled) return;
    this.#flushScheduled = true;
    flushBatch.add(this);
  }

  #flush(): void {
    if (this.#readyState === 'closed') return;
    this.#outbound?.flush();
  }

  // ---------------------------------------------------------------- closing internals

  /** finish(): the connection's parts let go of it (close-lifecycle.ts settles the close state around this). */
  #release(): void {
    this.#heartbeat?.stop();
    this.#inbound.release();
    // An error (and its stack trace) only when someone waits for it: most connections end with none.
    const out = this.#outbound;
    const control = this.#control;
    if ((out?.waiting ?? 0) + (control?.waiting ?? 0) > 0) {
      const error = this.#closedError();
      out?.rejectWaiters(error);
      control?.rejectPending(error);
    }
    this.#extension?.dispose();
    this.#settings.budget?.leave(this.#ports);
  }

  static {
    // Methods on a prototype rather than closures per connection: an idle connection is mostly this.
    class Ports implements ConnectionPorts {
      readonly #connection: Connection;
      /** Made the first time a listener returns a promise. */
      #asyncFailed: ErrorRoute | null = null;
      constructor(connection: Connection) {
        this.#connection = connection;
      }
      onMessageStart(type: MessageType): void {
        this.#connection.#inbound.messageStart(type);
      }
      onMessageData(chunk: Buffer, end: boolean, frameLeft: number): void {
        this.#connection.#inbound.messageData(chunk, end, frameLeft);
      }
      onPing(payload: Buffer): void {
        this.#connection.#onPingFrame(payload);
      }
      onPong(payload: Buffer): void {
        this.#connection.#onPongFrame(payload);
      }
      onCloseFrame(code: number, reason: string): void {
        closeFrameReceived(this, code, reason);
      }
      onOutput(bytes: Buffer): void {
        this.#connection.#onOutput(bytes);
      }
      onFail(error: ProtocolError): void {
        protocolFailed(this, error);
      }
      onData(chunk: Buffer): void {
        this.#connection.#onData(chunk);
      }
      onDrain(): void {
        this.#connection.#onTransportDrain();
      }
      onEnd(): void {
        transportEnded(this);
      }
      onClose(error?: Error): void {
        transportClosed(this, error);
      }
      get heldBytes(): number {
        const connection = this.#connection;
        return (connection.#outbound?.heldBytes ?? 0) + connection.#inbound.heldBytes;
      }
      closedError(): ConnectionClosedError {
        return this.#connection.#closedError();
      }
      endedError(): ConnectionClosedError | null {
        return this.#connection.#endedError();
      }
      get deliverable(): boolean {
        const connection = this.#connection;
        return connection.#readyState !== 'closed' && !connection.#close.failed;
      }
      listenerFailed(error: unknown): void {
        this.#connection.#listenerFailed(error);
      }
      get asyncFailed(): ErrorRoute {
        this.#asyncFailed ??= (error) => this.#connection.#listenerFailed(error);
        return this.#asyncFailed;
      }
      failLocally(code: number, reason: string): void {
        failLocally(this, code, reason);
      }
      dropped(reason: DropReason, messages: number, bytes: number): void {
        this.#connection.#dropped(reason, messages, bytes);
      }
      pongCoalesced(): void {
        this.#connection.#liveStats().pongsCoalesced++;
      }
      replaced(bytes: number): void {
        this.#connection.#liveStats().messagesReplaced++;
        this.#connection.#dropped('latest-by-key', 1, bytes);
      }
      scheduleFlush(): void {
        this.#connection.#scheduleFlush();
      }
      drained(): void {
        const listener = this.#connection.#onDrain;
        if (listener) this.#connection.#callListener(listener);
      }
      shed(code: number, reason: string): void {
        failLocally(this, code, reason);
      }
      get readyState(): ReadyState {
        return this.#connection.#readyState;
      }
      set readyState(state: ReadyState) {
        this.#connection.#readyState = state;
      }
      get closing(): CloseHandshake {
        return this.#connection.#closing;
      }
      get writeQueue(): WriteQueue {
        return this.#connection.#q;
      }
      get outbound(): Outbound | null {
        return this.#connection.#outbound;
      }
      get inbound(): Inbound {
        return this.#connection.#inbound;
      }
      get core(): Protocol {
        return this.#connection.#core;
      }
      get settings(): ConnectionSettings {
        return this.#connection.#settings;
      }
      flush(): void {
        this.#connection.#flush();
      }
      terminate(): void {
        this.#connection.terminate();
      }
      release(): void {
        this.#connection.#release();
      }
      notifyClosed(): void {
        const connection = this.#connection;
        const watcher = connection.#closeWatcher;
        if (watcher !== null) {
          connection.#closeWatcher = null;
          watcher(connection);
        }
      }
      get readingPaused(): boolean {
        return this.#connection.#inbound.pausedBy !== 0;
      }
      get pendingWriteBytes(): number {
        return this.#connection.#transport.writableLength;
      }
      get flushedBytes(): number {
        return this.#connection.#transport.flushedBytes ?? 0;
      }
      sendHeartbeatPing(): void {
        this.#connection.#ctl.heartbeatPing();
      }
      expire(reason: string): void {
        this.#connection.#closing.abnormalReason = reason;
        this.#connection.terminate();
      }
      closeIdle(): void {
        startClosing(this, 1001, 'idle timeout');
      }
    }
    portsFor = (connection) => new Ports(connection);
    shedConnection = (connection, code, reason) => failLocally(connection.#ports, code, reason);
    inboundHeld = (connection) => connection.#inbound;
    closeInfoOf = (connection) => connection.#close.info;
    watchClosed = (connection, watcher) => {
      if (connection.#close.info !== null) watcher(connection);
      else connection.#closeWatcher = watcher;
    };
    flushBatch = new FlushBatch((connection) => {
      connection.#flushScheduled = false;
      connection.#flush();
    });
    offerPrepared = (connection, prepared, options) => {
      if (connection.#readyState !== 'open') return 'closed';
      try {
        const outcome = connection.#offer(
          prepared.type,
          prepared.data,
          options?.compress ?? prepared.compress,
          prepared,
          options,
        );
        if (outcome === DROPPED) {
          connection.#out.overBound = true;
          return 'dropped';
        }
        if (connection.bufferedAmount > connection.#settings.maxBufferedBytes)
          connection.#out.overBound = true;
        return 'queued';
      } catch (error) {
        // The policy (or a throwing onDrop listener) closed it; anything else is the caller's bug.
        if (connection.#readyState !== 'open') return 'closed';
        throw error;
      }
    };
  }

  #callListener<A extends unknown[]>(listener: (...args: A) => unknown, ...args: A): void {
    try {
      routeRejection(listener(...args), this.#ports.asyncFailed);
    } catch (error) {
      this.#listenerFailed(error);
    }
  }
}
