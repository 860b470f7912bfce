import { type ConnectionClosedError, WebSocketError } from '../errors.js';
import type { Protocol } from '../protocol/protocol.js';
import type { MessageType } from '../protocol/types.js';
import { OUTBOUND_OVER_BUDGET_REASON } from './buffer-budget.js';
import type { BackpressurePolicy } from './connection-options.js';
import type { ConnectionSettings } from './connection-settings.js';
import type { DropReason } from './connection-stats.js';
import { DataChannel, messageFrameBytes } from './data-channel.js';
import type { Heartbeat } from './heartbeat.js';
import type { MessageData, SendOptions } from './message.js';
import { messageBytes } from './message-bytes.js';
import type { PreparedMessage } from './prepared-message.js';
import { createStreamWriter, type DeferredMessage, type StreamWriter } from './stream-writer.js';
import type { Transport } from './transport.js';
import { NO_ITEMS, owned, type Waiter } from './waiter.js';
import { WriteQueue } from './write-queue.js';

/** What became of one offered message. */
export const QUEUED = 0;
export const DROPPED = 1;

const EMPTY = Buffer.alloc(0);

/** What the outbound path needs from its connection (the connection's engine, connection-engine.ts: no closures). */
export interface OutboundHost {
  /** 'open', 'closing' or 'closed': only an open connection sends data. */
  readonly readyState: string;
  /** The error a send gets once the connection is closing or closed. */
  closedError(): ConnectionClosedError;
  /** Close with our own code, dropping the backlog (a policy or an aborted stream). */
  failLocally(code: number, reason: string): void;
  /** A policy dropped messages: count them and tell onDrop. */
  dropped(reason: DropReason, messages: number, bytes: number): void;
  /** 'latest-by-key' put a message in a queued one's place (`bytes`: the replaced frames). */
  replaced(bytes: number): void;
  /** Flush at the end of this turn (or the next microtask). */
  scheduleFlush(): void;
  /** bufferedAmount fell back under the bound after being over it: call onDrain. */
  drained(): void;
}

/**
 * A connection's outbound path: the write queue, the data channel of streaming writers, the
 * slow-consumer policies (BackpressurePolicy) and the shared budget, and the callers waiting for the
 * buffer to drain. Made by the connection's first write, so a connection that never sent holds none.
 * The 'wait' policy without a budget costs one comparison per send here.
 */
export class Outbound {
  readonly queue: WriteQueue;
  /** Stream writers and the messages waiting behind them; made by the first writeStream(). */
  channel: DataChannel | null = null;
  /** Messages accepted for sending (queued, or replacing a queued one): for the server's metrics. */
  messagesSent = 0;
  /** Set when a send found the buffer over its bound: onDrain is due once it is back under. */
  overBound = false;
  readonly #transport: Transport;
  readonly #core: Protocol;
  readonly #settings: ConnectionSettings;
  readonly #heartbeat: Heartbeat | null;
  readonly #host: OutboundHost;
  readonly #compressing: boolean;
  #writeWaiters: Waiter<void>[] = NO_ITEMS;
  #drainWaiters: Waiter<void>[] = NO_ITEMS;
  #streamWaiters: Waiter<void>[] = NO_ITEMS;
  /** Frames of a keyed message that will take a queued one's place (reused: no array per send). */
  #scratch: Buffer[] = NO_ITEMS;

  constructor(
    transport: Transport,
    core: Protocol,
    settings: ConnectionSettings,
    heartbeat: Heartbeat | null,
    compressing: boolean,
    host: OutboundHost,
  ) {
    this.queue = new WriteQueue(transport, settings.budget);
    this.#transport = transport;
    this.#core = core;
    this.#settings = settings;
    this.#heartbeat = heartbeat;
    this.#compressing = compressing;
    this.#host = host;
  }

  /** Bytes held here: queued, or waiting behind a stream writer. */
  get heldBytes(): number {
    return this.queue.bytes + (this.channel?.bytes ?? 0);
  }

  /** Callers waiting on write(), drained() or a stream write. */
  get waiting(): number {
    return this.#writeWaiters.length + this.#drainWaiters.length + this.#streamWaiters.length;
  }

  // ---------------------------------------------------------------- whole messages

  /**
   * Queue one message under the slow-consumer policy (the prepared frames when they fit this
   * connection). Returns QUEUED or DROPPED; throws ConnectionClosedError when the policy closed the
   * connection. The caller checked that the connection is open.
   */
  offer(
    type: MessageType,
    data: Buffer,
    compress: boolean | undefined,
    prepared: PreparedMessage | null,
    options: SendOptions | undefined,
  ): number {
    const settings = this.#settings;
    const policy = options?.backpressure ?? settings.backpressure;
    let key: string | undefined;
    if (policy !== 'wait' || settings.budget !== null) {
      if (policy === 'latest-by-key') {
        key = options?.key;
        if (key !== undefined && this.#replaceKeyed(key, type, data, compress, prepared)) {
          this.messagesSent++;
          return QUEUED;
        }
      }
      if (this.#isOverBound() && this.#overBoundPolicy(policy, data, prepared) === DROPPED) return DROPPED;
    }
    this.#heartbeat?.activity();
    this.messagesSent++;
    const channel = this.channel;
    if (channel?.busy) {
      // A streaming writer holds the data channel: wait behind it, in call order.
      channel.defer({ type, data, compress, prepared, key }, data.length);
      return QUEUED;
    }
    this.#queueMessage(type, data, compress, prepared, key);
    this.#host.scheduleFlush();
    return QUEUED;
  }

  /** write() past the bound: resolves once the buffer drains under it, rejects if the connection closes. */
  waitForWrite(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#writeWaiters = owned(this.#writeWaiters);
      this.#writeWaiters.push({ resolve, reject });
    });
  }

  /** drained() past the bound. */
  waitForDrain(): Promise<void> {
    this.overBound = true;
    return new Promise((resolve, reject) => {
      this.#drainWaiters = owned(this.#drainWaiters);
      this.#drainWaiters.push({ resolve, reject });
    });
  }

  /** Frame (or take the prepared frames of) one whole message into the write queue. */
  #queueMessage(
    type: MessageType,
    data: Buffer,
    compress: boolean | undefined,
    prepared: PreparedMessage | null,
    key: string | undefined,
  ): void {
    const queue = this.queue;
    const deflate = this.#shouldCompress(compress, data);
    let bytes: number;
    if (prepared !== null && !deflate && this.#fitsPrepared(data)) {
      // The same Buffer objects as every other subscriber: no copy, no framing.
      const frames = prepared.frames;
      for (let index = 0; index < frames.length; index++) queue.data.push(frames[index] as Buffer);
      bytes = prepared.byteLength;
    } else {
      bytes = this.#core.frameMessage(type, data, queue.data, deflate);
    }
    if (deflate) queue.commit(bytes, 'pinned');
    else if (key === undefined) queue.commit(bytes, 'message');
    else queue.commitKeyed(bytes, key);
  }

  /**
   * Prepared frames are server frames (unmasked) of one frame: a client must mask each frame
   * (RFC 6455 5.3), and a `fragmentSize` smaller than the payload asks for several frames.
   */
  #fitsPrepared(data: Buffer): boolean {
    const settings = this.#settings;
    return (
      settings.role === 'server' && (settings.fragmentSize === 0 || data.length <= settings.fragmentSize)
    );
  }

  #shouldCompress(compress: boolean | undefined, data: Buffer): boolean {
    return this.#compressing && (compress ?? data.length >= this.#settings.compressThreshold);
  }

  /**
   * 'latest-by-key': put this message in the place of the still-queued one with the same key.
   * Compressed messages are never replaced (the peer's inflate context needs each one), so this
   * returns false for them and for keys with nothing queued.
   */
  #replaceKeyed(
    key: string,
    type: MessageType,
    data: Buffer,
    compress: boolean | undefined,
    prepared: PreparedMessage | null,
  ): boolean {
    let oldBytes: number;
    const channel = this.channel;
    if (channel?.busy) {
      const item = channel.findKeyed(key);
      if (item === null) return false;
      oldBytes = messageFrameBytes(item.data, null, this.#settings.role === 'client');
      channel.replace(item, type, data, compress, prepared);
    } else {
      const queue = this.queue;
      if (this.#shouldCompress(compress, data) || !queue.hasKeyed(key)) return false;
      this.#scratch = owned(this.#scratch);
      const scratch = this.#scratch;
      let bytes: number;
      let frames: readonly Buffer[] = scratch;
      if (prepared !== null && this.#fitsPrepared(data)) {
        frames = prepared.frames;
        bytes = prepared.byteLength;
      } else {
        bytes = this.#core.frameMessage(type, data, scratch, false);
      }
      oldBytes = queue.replaceKeyed(key, frames, bytes);
      scratch.length = 0;
      this.#host.scheduleFlush();
    }
    this.#heartbeat?.activity();
    this.#host.replaced(oldBytes);
    return true;
  }

  /** The connection is over its bound: apply `policy` to this message (QUEUED: go on and queue it). */
  #overBoundPolicy(policy: BackpressurePolicy, data: Buffer, prepared: PreparedMessage | null): number {
    const host = this.#host;
    const settings = this.#settings;
    switch (policy) {
      case 'wait':
      case 'latest-by-key': {
        // Queueing past the bound is what the budget caps.
        const budget = settings.budget;
        if (budget === null || !budget.exceeded) return QUEUED;
        if (budget.overflow === 'close') {
          host.failLocally(budget.closeCode, OUTBOUND_OVER_BUDGET_REASON);
          throw host.closedError();
        }
        host.dropped('budget', 1, this.#frameBytes(data, prepared));
        return DROPPED;
      }
      case 'close':
        // The peer stayed over the bound: close rather than queue (issue 5 policy).
        host.failLocally(settings.backpressureCloseCode, 'send buffer full: the peer reads too slowly');
        throw host.closedError();
      case 'drop-newest':
        host.dropped('drop-newest', 1, this.#frameBytes(data, prepared));
        return DROPPED;
      case 'drop-oldest': {
        const need = this.#bufferedAmount() + data.length - settings.maxBufferedBytes;
        let messages = 0;
        let bytes = this.queue.dropOldest(need);
        messages += this.queue.lastDropCount;
        const channel = this.channel;
        if (bytes < need && channel !== null) {
          // Then whole messages waiting behind a streaming writer, oldest first.
          bytes = channel.evictOldest(need, bytes, settings.role === 'client');
          messages += channel.dropped;
        }
        if (messages > 0) {
          host.dropped('drop-oldest', messages, bytes);
          if (host.readyState !== 'open') throw host.closedError(); // onDrop threw
        }
        return QUEUED;
      }
      default: {
        const never: never = policy;
        throw new Error(`unknown backpressure policy ${String(never)}`);
      }
    }
  }

  /** A message's frame bytes, header included (counted before compression). */
  #frameBytes(data: Buffer, prepared: PreparedMessage | null): number {
    return messageFrameBytes(data, prepared, this.#settings.role === 'client');
  }

  // ---------------------------------------------------------------- streamed messages

  /** writeStream(): a writable whose chunks go out as fragments of one message, in its turn on the data channel. */
  openStream(type: MessageType, compress: boolean): WritableStream<MessageData> {
    const writer = createStreamWriter(type, compress);
    this.messagesSent++;
    let waitForTurn: Promise<void> | undefined;
    this.channel ??= new DataChannel(this.#settings.budget);
    const channel = this.channel;
    if (!channel.busy) channel.owner = writer;
    else {
      channel.defer(writer, 0);
      waitForTurn = new Promise((resolve, reject) => {
        writer.start = { resolve, reject };
      });
    }
    return new WritableStream<MessageData>(
      {
        start: (controller) => {
          writer.controller = controller;
          return waitForTurn;
        },
        write: (chunk) => this.#writeFragment(writer, chunk),
        close: () => this.#finishStream(writer),
        abort: () => this.#abortStream(writer),
      },
      new CountQueuingStrategy({ highWaterMark: 1 }),
    );
  }

  #writeFragment(writer: StreamWriter, chunk: MessageData): Promise<void> | undefined {
    if (writer.done || this.#host.readyState !== 'open') throw this.#host.closedError();
    const bytes = messageBytes(chunk);
    if (bytes.length === 0) return undefined;
    if (writer.utf8 !== null && !writer.utf8.write(bytes)) this.#refuseStreamText(writer);
    const queue = this.queue;
    queue.commit(
      this.#core.frameFragment(writer.type, bytes, false, queue.data, writer.compress),
      'fragment',
    );
    this.#host.scheduleFlush();
    if (this.#isStreamOverBound()) {
      return new Promise((resolve, reject) => {
        this.#streamWaiters = owned(this.#streamWaiters);
        this.#streamWaiters.push({ resolve, reject });
      });
    }
    return undefined;
  }

  #finishStream(writer: StreamWriter): void {
    if (writer.done || this.#host.readyState !== 'open') throw this.#host.closedError();
    if (writer.utf8 !== null && !writer.utf8.end()) this.#refuseStreamText(writer);
    writer.done = true;
    const queue = this.queue;
    // 'pinned': the end of a streamed message is never dropped once its fragments went out.
    queue.commit(this.#core.frameFragment(writer.type, EMPTY, true, queue.data, writer.compress), 'pinned');
    this.#host.scheduleFlush();
    this.#passChannelOn();
  }

  #abortStream(writer: StreamWriter): void {
    if (writer.done) return;
    writer.done = true;
    if (this.channel?.withdraw(writer) === false) this.#host.failLocally(1011, 'message stream aborted');
  }

  /** Text that is not UTF-8 cannot be sent, and the fragments already out cannot be taken back. */
  #refuseStreamText(writer: StreamWriter): never {
    this.#abortStream(writer);
    throw new WebSocketError('ERR_INVALID_ARGUMENT', 'text message stream is not valid UTF-8 (RFC 6455 5.6)');
  }

  /** The stream writer finished: frame what waited behind it, up to the next stream writer. */
  #passChannelOn(): void {
    const ready = (this.channel as DataChannel).handOn();
    for (let index = 0; index < ready.length; index++) {
      const item = ready[index] as DeferredMessage;
      this.#queueMessage(item.type, item.data, item.compress, item.prepared, item.key);
    }
    this.#host.scheduleFlush();
  }

  /** Fail waiting stream writers and deferred messages: no more data frames can be sent. Returns the unsent count. */
  endStreams(): number {
    const channel = this.channel;
    if ((channel === null || !channel.busy) && this.#streamWaiters.length === 0) return 0;
    const error = this.#host.closedError();
    const unsent = channel !== null ? channel.end(error) : 0;
    for (const waiter of this.#streamWaiters.splice(0)) waiter.reject(error);
    return unsent;
  }

  // ---------------------------------------------------------------- flushing and waiters

  /** Hand the queue to the transport and release the callers it no longer holds back. */
  flush(): void {
    this.queue.flush();
    if (this.waiting > 0 || this.overBound) this.#releaseWaiters();
  }

  /** The connection closed: reject write() and drained() callers (`error`). */
  rejectWaiters(error: ConnectionClosedError): void {
    for (const waiter of this.#writeWaiters.splice(0)) waiter.reject(error);
    for (const waiter of this.#drainWaiters.splice(0)) waiter.reject(error);
  }

  #bufferedAmount(): number {
    return this.heldBytes + this.#transport.writableLength;
  }

  #isOverBound(): boolean {
    return this.#bufferedAmount() > this.#settings.maxBufferedBytes;
  }

  #isStreamOverBound(): boolean {
    // A stream writer waits on what is ahead of it, not on the messages queued behind it.
    return this.queue.bytes + this.#transport.writableLength > this.#settings.maxBufferedBytes;
  }

  #releaseWaiters(): void {
    const queue = this.queue;
    // A transport under its own high-water mark will not report a drain: count it as drained then.
    const stalled = !queue.congested && queue.bytes === 0;
    if (this.#streamWaiters.length > 0 && (stalled || !this.#isStreamOverBound())) {
      for (const waiter of this.#streamWaiters.splice(0)) waiter.resolve();
    }
    if (!(stalled && (this.channel?.bytes ?? 0) === 0) && this.#isOverBound()) return;
    for (const waiter of this.#writeWaiters.splice(0)) waiter.resolve();
    for (const waiter of this.#drainWaiters.splice(0)) waiter.resolve();
    if (this.overBound) {
      this.overBound = false;
      this.#host.drained();
    }
  }
}
