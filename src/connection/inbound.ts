import { type ErrorRoute, routeRejection } from '../callback-errors.js';
import type { ConnectionClosedError } from '../errors.js';
import { applyMask, maskKeyBytes } from '../protocol/mask.js';
import type { MessageType } from '../protocol/types.js';
import { type BufferBudget, INBOUND_OVER_BUDGET_REASON } from './buffer-budget.js';
import type { Connection } from './connection.js';
import type { ConnectionSettings } from './connection-settings.js';
import type { Heartbeat } from './heartbeat.js';
import { singleChunkStream, toMessage } from './incoming-message.js';
import { IncomingStream, type IncomingStreamHost } from './incoming-stream.js';
import type { Message, MessageStream } from './message.js';
import { detached, MessageGatherer } from './message-gatherer.js';
import { MessageInbox } from './message-inbox.js';
import {
  deliverToAll,
  type ListenerSlots,
  type MessageListener,
  type MoreListeners,
  type RawMessageListener,
} from './message-listeners.js';
import type { Transport } from './transport.js';
import type { Reader } from './waiter.js';

type IncomingMode = 'none' | 'gather' | 'stream' | 'discard';

/** Why the transport is paused; it resumes when no reason is left. */
const PAUSED_BY_INBOX = 1;
const PAUSED_BY_STREAM = 2;
export const PAUSED_BY_USER = 4;

/** What the inbound path needs from its connection (the connection's engine, connection-engine.ts: no closures). */
export interface InboundHost {
  /** What listeners get as `this`. */
  readonly connection: Connection;
  /** The connection's transport, settings and heartbeat, read through the host rather than kept twice. */
  readonly transport: Transport;
  readonly settings: ConnectionSettings;
  readonly heartbeat: Heartbeat | null;
  /** 'open', 'closing' or 'closed'. */
  readonly readyState: string;
  /** False once the connection was terminated or failed by us: what still arrives is not delivered. */
  readonly deliverable: boolean;
  /** The error reads get once no further message can arrive, or null while one still can. */
  endedError(): ConnectionClosedError | null;
  closedError(): ConnectionClosedError;
  /** A listener threw: close with 1011 and report the error. */
  listenerFailed(error: unknown): void;
  /** listenerFailed as a function, for the rejection of a promise a listener returned. */
  readonly asyncFailed: ErrorRoute;
  /** Close with our own code (a no-op unless open): the budget's close of an oversized message. */
  failLocally(code: number, reason: string): void;
}

/**
 * A connection's inbound path: the message being received (gathered, streamed to a reader or
 * discarded), the listeners or readers it goes to, the inbox of unread messages, and why the
 * transport is paused. The protocol's onMessageStart/onMessageData land here through the connection's engine.
 *
 * With a shared budget, the bytes held for the message being received are charged to it chunk by
 * chunk (a number added, nothing allocated), and released when the message is handed over or the
 * connection lets go; unread whole messages are charged by the inbox. A message that grows past
 * `maxBufferedBytes` while the budget is exceeded fails the connection (BufferBudget): only the peer
 * sending it pays for the memory pressure, and a message that arrives in one read costs nothing here.
 */
export class Inbound implements IncomingStreamHost, ListenerSlots {
  /** PAUSED_BY_* bits; 0 while the transport is read. */
  pausedBy = 0;
  /** Messages the peer started sending (for the server's metrics). */
  messagesReceived = 0;
  /** The first message listener of each kind, and the rest (message-listeners.ts). */
  onMessage: MessageListener | null = null;
  onRawMessage: RawMessageListener | null = null;
  moreListeners: MoreListeners | null = null;
  /** Unread messages and waiting readers; made on first use (#in). */
  #inbox: MessageInbox | null = null;
  #type: MessageType = 'binary';
  #mode: IncomingMode = 'none';
  /** The message being gathered; made by the first message that needs it (most arrive in one read). */
  #gathered: MessageGatherer | null = null;
  #stream: IncomingStream | null = null;
  /**
   * Bytes held for the message being received and charged to the budget: the chunks gathered so far,
   * or the streaming reader's unread queue as last seen (on each push and pull).
   */
  #messageBytes = 0;
  /** The shared budget; null without one, or once the connection let go (release()). */
  #budget: BufferBudget | null;
  readonly #host: InboundHost;

  constructor(host: InboundHost) {
    this.#host = host;
    this.#budget = host.settings.budget;
  }

  /** Bytes held for the message being received (gathered, or queued for its streaming reader). */
  get messageBytes(): number {
    return this.#messageBytes;
  }

  /** What the budget counts here: the message being received plus whole messages unread. */
  get heldBytes(): number {
    return this.#messageBytes + (this.#inbox?.bytes ?? 0);
  }

  // ---------------------------------------------------------------- readers

  read(): Promise<Message> {
    const inbox = this.#inbox;
    if (inbox !== null && inbox.length > 0) return Promise.resolve(this.#dequeue(inbox));
    const ended = this.#host.endedError();
    if (ended) return Promise.reject(ended);
    return new Promise<Message | MessageStream>((resolve, reject) => {
      this.#in.addReader({ stream: false, resolve, reject });
    }) as Promise<Message>;
  }

  readStream(): Promise<MessageStream> {
    const inbox = this.#inbox;
    if (inbox !== null && inbox.length > 0) return Promise.resolve(singleChunkStream(this.#dequeue(inbox)));
    if (this.#mode === 'gather' && (inbox?.readers.length ?? 0) === 0 && !this.#hasListener()) {
      // A message is arriving: hand over what came so far and stream the rest.
      const stream = this.#openStream();
      if (this.#gathered !== null) for (const chunk of this.#gathered.take()) stream.push(chunk);
      // The gathered charge becomes the stream's queue: the same bytes, released as they are read.
      this.#settleStream(stream);
      this.#checkStreamPressure();
      return Promise.resolve(stream.forReader());
    }
    const ended = this.#host.endedError();
    if (ended) return Promise.reject(ended);
    return new Promise<Message | MessageStream>((resolve, reject) => {
      this.#in.addReader({ stream: true, resolve, reject });
    }) as Promise<MessageStream>;
  }

  /** A listener was set or cleared: hand it the messages already queued. */
  drainToListeners(): void {
    if (!this.#hasListener()) return;
    const inbox = this.#inbox;
    while (inbox !== null && inbox.length > 0 && this.#hasListener()) {
      const message = this.#dequeue(inbox);
      const data = typeof message.data === 'string' ? Buffer.from(message.data, 'utf8') : message.data;
      try {
        deliverToAll(this, this.#host.connection, message.type, data, message, this.#host.asyncFailed);
      } catch (error) {
        this.#host.listenerFailed(error);
      }
    }
    this.setPaused(PAUSED_BY_INBOX, false);
  }

  // ---------------------------------------------------------------- protocol events

  messageStart(type: MessageType): void {
    this.messagesReceived++;
    this.#type = type;
    if (!this.#host.deliverable) {
      // Terminated or failed by us meanwhile: the rest of what arrives is not delivered.
      this.#mode = 'discard';
      return;
    }
    const readers = this.#inbox?.readers;
    if (readers?.[0]?.stream && !this.#hasListener()) {
      const reader = readers.shift() as Reader;
      reader.resolve(this.#openStream().forReader());
    } else {
      this.#mode = 'gather';
    }
  }

  /**
   * A chunk of the message being received; `frameLeft` is how many payload bytes of its frame are still
   * to come when the protocol knows it (an uncompressed message), else 0. A non-zero `maskKey`: the
   * chunk is still masked (leaveBinaryMasked); unmasked as it is gathered, else in place.
   */
  messageData(chunk: Buffer, end: boolean, frameLeft = 0, maskKey = 0): void {
    switch (this.#mode) {
      case 'gather': {
        if (!end) {
          const cost = (this.#gathered ??= new MessageGatherer()).add(chunk, frameLeft, maskKey);
          this.#messageBytes += cost;
          const budget = this.#budget;
          if (budget !== null) {
            budget.chargeInbound(cost);
            if (this.#overBudget(budget)) this.#failOverBudget(budget);
          }
          return;
        }
        const gathered = this.#gathered;
        let data = chunk;
        if (gathered !== null && !gathered.empty) {
          data = gathered.finish(chunk, maskKey);
          // Whole now: the listener, the reader or the inbox (which charges it again) takes it.
          this.#releaseMessage();
        } else if (maskKey !== 0) {
          applyMask(chunk, maskKeyBytes(maskKey), 0);
        }
        this.#mode = 'none';
        this.#deliver(this.#type, data);
        return;
      }
      case 'stream': {
        const stream = this.#stream as IncomingStream;
        if (maskKey !== 0) applyMask(chunk, maskKeyBytes(maskKey), 0);
        stream.push(detached(chunk));
        if (end) {
          stream.end();
          // Complete: what is still queued (at most the high-water mark and a chunk) is the reader's.
          this.#releaseMessage();
          this.#stream = null;
          this.#mode = 'none';
          this.setPaused(PAUSED_BY_STREAM, false);
          this.#host.heartbeat?.activity();
        } else {
          this.#settleStream(stream);
          const budget = this.#budget;
          if (budget !== null && this.#overBudget(budget)) this.#failOverBudget(budget);
          else this.#checkStreamPressure();
        }
        return;
      }
      case 'discard': {
        if (end) {
          this.#mode = 'none';
          this.setPaused(PAUSED_BY_STREAM, false);
        }
        return;
      }
      case 'none':
        return;
      default: {
        const never: never = this.#mode;
        throw new Error(`unknown mode ${String(never)}`);
      }
    }
  }

  /** No message will arrive any more: fail waiting readers and a half-read stream. */
  end(): void {
    const readers = this.#inbox?.readers;
    if (this.#stream !== null || (readers !== undefined && readers.length > 0)) {
      const error = this.#host.endedError() ?? this.#host.closedError();
      if (this.#stream !== null) {
        this.#stream.error(error);
        this.#stream = null;
      }
      if (readers !== undefined) for (const reader of readers.splice(0)) reader.reject(error);
    }
    this.#mode = 'none';
    this.#gathered?.clear();
    if (this.#messageBytes !== 0) this.#releaseMessage();
    // Nothing more to read from the wire: paused or not no longer matters for the peer's Close.
    this.setPaused(PAUSED_BY_INBOX | PAUSED_BY_STREAM, false);
  }

  /** The connection closed: end(), and stop charging the budget for unread messages (still readable). */
  release(): void {
    this.end();
    this.#inbox?.release();
    this.#budget = null;
  }

  // ---------------------------------------------------------------- incoming stream events

  streamPulled(stream: IncomingStream): void {
    if (this.#stream !== stream) return;
    this.#settleStream(stream);
    this.setPaused(PAUSED_BY_STREAM, false);
  }

  streamCancelled(stream: IncomingStream): void {
    if (this.#stream === stream && this.#mode === 'stream') {
      // Drop the rest of this message, keep reading the connection.
      this.#releaseMessage();
      this.#stream = null;
      this.#mode = 'discard';
      this.setPaused(PAUSED_BY_STREAM, false);
    }
  }

  // ---------------------------------------------------------------- internals

  setPaused(reason: number, paused: boolean): void {
    const before = this.pausedBy;
    const after = paused ? before | reason : before & ~reason;
    if (before === after) return;
    this.pausedBy = after;
    if (this.#host.readyState === 'closed') return;
    if (before === 0) this.#host.transport.pause();
    else if (after === 0) this.#host.transport.resume();
  }

  /** The message being received stopped counting (handed over, dropped, or the connection ended). */
  #releaseMessage(): void {
    const bytes = this.#messageBytes;
    this.#messageBytes = 0;
    if (bytes !== 0) this.#budget?.chargeInbound(-bytes);
  }

  /** Charge the change in a streaming reader's unread queue since it was last seen. */
  #settleStream(stream: IncomingStream): void {
    const queued = stream.queuedBytes;
    const delta = queued - this.#messageBytes;
    if (delta === 0) return;
    this.#messageBytes = queued;
    this.#budget?.chargeInbound(delta);
  }

  /** The message being received is past this connection's own bound while the budget is exceeded. */
  #overBudget(budget: BufferBudget): boolean {
    return this.#messageBytes > this.#host.settings.maxBufferedBytes && budget.exceeded;
  }

  /**
   * Fail the connection whose message outgrew its bound under memory pressure (1013 by default),
   * letting go of the message at once. While already closing (failLocally then does nothing) the
   * message is dropped instead and the close handshake goes on.
   */
  #failOverBudget(budget: BufferBudget): void {
    this.#host.failLocally(budget.closeCode, INBOUND_OVER_BUDGET_REASON);
    if (this.#mode !== 'gather' && this.#mode !== 'stream') return; // failed: end() let go of it
    this.#gathered?.clear();
    this.#releaseMessage();
    const stream = this.#stream;
    if (stream !== null) {
      this.#stream = null;
      stream.error(this.#host.closedError());
    }
    this.#mode = 'discard';
    this.setPaused(PAUSED_BY_STREAM, false);
  }

  #hasListener(): boolean {
    return this.onMessage !== null || this.onRawMessage !== null;
  }

  #deliver(type: MessageType, data: Buffer): void {
    this.#host.heartbeat?.activity();
    const raw = this.onRawMessage;
    const listener = this.onMessage;
    if (raw !== null || listener !== null) {
      try {
        if (this.moreListeners !== null) {
          deliverToAll(this, this.#host.connection, type, data, null, this.#host.asyncFailed);
          return;
        }
        // One listener of each kind at most (the usual case): direct calls.
        // A returned promise (an async listener) is observed: its rejection fails the connection too.
        if (raw !== null) {
          const result = raw.call(this.#host.connection, data, type);
          if (result !== undefined) routeRejection(result, this.#host.asyncFailed);
        }
        if (listener !== null) {
          const result = listener.call(this.#host.connection, toMessage(type, data));
          if (result !== undefined) routeRejection(result, this.#host.asyncFailed);
        }
      } catch (error) {
        this.#host.listenerFailed(error);
      }
      return;
    }
    const inbox = this.#in;
    const reader = inbox.readers.shift();
    if (reader) {
      const message = toMessage(type, data);
      reader.resolve(reader.stream ? singleChunkStream(message) : message);
      return;
    }
    if (inbox.push(toMessage(type, data), data.length)) this.setPaused(PAUSED_BY_INBOX, true);
  }

  /** The oldest unread message; reading resumes once the queue is down to half its bounds. */
  #dequeue(inbox: MessageInbox): Message {
    const message = inbox.shift();
    if ((this.pausedBy & PAUSED_BY_INBOX) !== 0 && inbox.drained) this.setPaused(PAUSED_BY_INBOX, false);
    return message;
  }

  get #in(): MessageInbox {
    if (this.#inbox === null) this.#inbox = new MessageInbox(this.#host.settings);
    return this.#inbox;
  }

  #openStream(): IncomingStream {
    const stream = new IncomingStream(this.#type, this);
    this.#stream = stream;
    this.#mode = 'stream';
    return stream;
  }

  #checkStreamPressure(): void {
    const stream = this.#stream;
    if (stream?.full) this.setPaused(PAUSED_BY_STREAM, true);
  }
}
