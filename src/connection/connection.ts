import type { Codec } from '../codecs/codec.js';
import type { MessageType } from '../protocol/types.js';
import { startClosing } from './close-lifecycle.js';
import { ConnectionEngine } from './connection-engine.js';
import { grantEngineAccess } from './connection-internals.js';
import type { ConnectionOptions, UpgradeRequestInfo } from './connection-options.js';
import type { ConnectionStats, DropReason } from './connection-stats.js';
import { PAUSED_BY_USER } from './inbound.js';
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
import type { PreparedMessage } from './prepared-message.js';
import type { Transport } from './transport.js';

const EMPTY_PAYLOAD: Buffer = Buffer.alloc(0);

const NO_OP = (): void => {};

const RESOLVED: Promise<void> = Promise.resolve();

/** `action` on the first call only: a remover called twice must not remove another registration. */
function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}

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

  /** The state, and what the protocol and the transport call back into (connection-engine.ts). */
  readonly #engine: ConnectionEngine;
  /** The WebSocketStream-shaped view, made by the first read of `stream`. */
  #streams: MessageStreams | null = null;

  constructor(transport: Transport, options: ConnectionOptions) {
    this.protocol = options.protocol ?? '';
    this.extensions = options.extensions ?? '';
    this.request = options.request ?? null;
    const engine = new ConnectionEngine(this, transport, options);
    this.#engine = engine;
    if (options.head && options.head.length > 0) engine.onData(options.head);
  }

  static {
    // The only door to the engine for other modules: connection-internals.ts names what they may do.
    grantEngineAccess((connection) => connection.#engine);
  }

  // ---------------------------------------------------------------- introspection

  /** Resolves once the connection is closed; never rejects. */
  get closed(): Promise<CloseInfo> {
    return this.#engine.closing.closed();
  }

  get readyState(): ReadyState {
    return this.#engine.readyState;
  }

  /** Outgoing bytes not yet handed to the OS: queued here, waiting behind a stream writer, or in the transport. */
  get bufferedAmount(): number {
    return this.#engine.bufferedAmount;
  }

  get maxBufferedBytes(): number {
    return this.#engine.settings.maxBufferedBytes;
  }

  get remoteAddress(): string | undefined {
    return this.#engine.transport.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#engine.transport.remotePort;
  }

  get role(): 'client' | 'server' {
    return this.#engine.settings.role;
  }

  /** What the slow-consumer policy dropped so far (a live object; no allocation per read). */
  get stats(): ConnectionStats {
    return this.#engine.liveStats();
  }

  // ---------------------------------------------------------------- reading

  /**
   * The next whole message. Rejects with ConnectionClosedError once no message can arrive and the
   * queue is empty; its `wasClean` says whether the peer closed cleanly (then `for await` would end).
   */
  read(): Promise<Message> {
    return this.#engine.inbound.read();
  }

  /**
   * The next message as a stream of chunks yielded as its frames arrive. While the stream's queue is
   * full (64 KiB) the transport is paused, so a message of any size passes in bounded memory.
   */
  readStream(): Promise<MessageStream> {
    return this.#engine.inbound.readStream();
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
   * once no listener of either kind is left). A listener may be async (see onError). A listener
   * that is not an arrow function gets this connection as `this`, so one function can serve every
   * connection.
   */
  onMessage(listener: ((this: Connection, message: Message) => void) | null): () => void {
    const inbound = this.#engine.inbound;
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
   * `this` is the connection, as for onMessage.
   */
  onRawMessage(listener: ((this: Connection, data: Buffer, type: MessageType) => void) | null): () => void {
    const inbound = this.#engine.inbound;
    if (listener === null) {
      clearRawListeners(inbound);
      return NO_OP;
    }
    addRawListener(inbound, listener);
    inbound.drainToListeners();
    return once(() => removeRawListener(inbound, listener));
  }

  onPing(listener: ((this: Connection, payload: Buffer) => void) | null): void {
    this.#engine.extras.ping = listener;
  }

  onPong(listener: ((this: Connection, payload: Buffer) => void) | null): void {
    this.#engine.extras.pong = listener;
  }

  /**
   * Called when bufferedAmount falls back to maxBufferedBytes or below after having been over it.
   * Like every listener here, it gets this connection as `this` (unless it is an arrow function).
   */
  onDrain(listener: ((this: Connection) => void) | null): void {
    this.#engine.extras.drain = listener;
  }

  /**
   * Errors thrown by this connection's listeners (onMessage, onRawMessage, onPing, onPong, onDrain,
   * onDrop), or promises they returned that rejected. Such an error closes the connection with 1011;
   * without this listener it is reported as a process warning (never rethrown: one connection's
   * error must not end the process). An onError that throws or rejects is reported the same way.
   */
  onError(listener: ((error: unknown) => void) | null): void {
    this.#engine.extras.error = listener;
  }

  /**
   * Called when a slow-consumer policy drops messages: why, how many, and their frame bytes. It runs
   * inside the send that caused it; like other listeners, a throw closes the connection with 1011.
   */
  onDrop(
    listener: ((this: Connection, reason: DropReason, messages: number, bytes: number) => void) | null,
  ): void {
    this.#engine.extras.drop = listener;
  }

  /** Stop reading the transport (the application's own flow control); resume() undoes it. */
  pause(): void {
    this.#engine.inbound.setPaused(PAUSED_BY_USER, true);
  }

  resume(): void {
    this.#engine.inbound.setPaused(PAUSED_BY_USER, false);
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
    const engine = this.#engine;
    return engine.accepted(engine.offer(binary ? 'binary' : 'text', bytes, options?.compress, null, options));
  }

  /**
   * Send a message framed once by prepareMessage(): a server connection that sends it uncompressed
   * queues the prepared frames themselves (no copy, no framing); otherwise it is framed here like
   * send(). Returns and throws as send() does; `options.compress` overrides the prepared choice.
   */
  sendPrepared(prepared: PreparedMessage, options?: SendOptions): boolean {
    const engine = this.#engine;
    return engine.accepted(
      engine.offer(prepared.type, prepared.data, options?.compress ?? prepared.compress, prepared, options),
    );
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
    const engine = this.#engine;
    const policy = options?.backpressure ?? engine.settings.backpressure;
    if (policy !== 'wait' && policy !== 'close') return RESOLVED;
    return engine.out.waitForWrite();
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
    const engine = this.#engine;
    if (!engine.isOverBound()) return RESOLVED;
    if (engine.readyState === 'closed') return Promise.reject(engine.closedError());
    return engine.out.waitForDrain();
  }

  /**
   * A writable stream whose chunks go out as fragments of one message, FIN on close(). It holds the
   * data channel from its turn (messages sent after this call wait behind it); write() waits while
   * over maxBufferedBytes. abort() fails the connection with 1011: a truncated message must not be
   * delivered as if whole.
   */
  writeStream(type: MessageType = 'binary', options?: { compress?: boolean }): WritableStream<MessageData> {
    const engine = this.#engine;
    if (engine.readyState !== 'open') throw engine.closedError();
    return engine.out.openStream(type, options?.compress ?? engine.extension != null);
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
    const engine = this.#engine;
    if (engine.readyState !== 'open') return Promise.reject(engine.closedError());
    return engine.ctl.ping(data);
  }

  /**
   * Send a pong (RFC 6455 5.5.3) on the priority lane, ahead of queued data. With `autoPong: false`
   * this is how a ping is answered: call it from `onPing` with the ping's payload. Without a ping it
   * is an unsolicited pong, a one-way heartbeat the peer does not answer. At most 125 bytes; empty by
   * default. Throws ConnectionClosedError once the peer's Close arrived or the connection closed.
   */
  pong(data?: MessageData): void {
    const engine = this.#engine;
    if (!engine.mayPong()) throw engine.closedError();
    engine.ctl.pong(data === undefined ? EMPTY_PAYLOAD : messageBytes(data));
  }

  /**
   * Start the close handshake (RFC 6455 7.1.2) after everything already queued; resolves when it
   * completes and the transport closes, or after closeTimeout (then the transport is destroyed).
   * The code defaults to 1000 (normal closure); `null` sends a Close frame with no status code (the
   * peer reports 1005), as a browser's `WebSocket.close()` without arguments does.
   */
  close(code: number | null = 1000, reason = ''): Promise<CloseInfo> {
    const engine = this.#engine;
    if (engine.readyState === 'open') {
      try {
        startClosing(engine, code ?? undefined, reason);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.closed;
  }

  /** Destroy the transport now, without a close handshake. */
  terminate(): void {
    this.#engine.terminate();
  }
}
