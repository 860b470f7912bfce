// What WebSocket.send() queued, in order, and the bufferedAmount that counts it (WHATWG WebSockets,
// send() and bufferedAmount). A Blob's bytes are read asynchronously; everything sent after it waits
// behind it, and so does a close(), so that messages and the Close frame keep the order of the calls.
import type { Connection } from '../../connection/connection.js';
import { WebSocketError } from '../../errors.js';

/** One send() waiting behind a Blob that is still being read. */
interface Waiting {
  /** The message bytes or text; null while a Blob is read. The Close item carries none. */
  data: Buffer | string | null;
  readonly binary: boolean;
  readonly size: number;
  /** For the close item: the code and reason of close(). */
  readonly close?: { code: number | null; reason: string };
}

/** What the WebSocket is told by its outgoing side. */
export interface OutgoingHost {
  /** The buffer passed maxBufferedAmount, or a Blob could not be read: fail the connection. */
  outgoingFailed(error: Error): void;
}

/**
 * The send side of one WebSocket. bufferedAmount is the application bytes (UTF-8 text, binary) sent
 * but not yet handed to the transport, as of the start of the current task: it grows at once with
 * each send() and shrinks only in a later task, once the connection reports its queue drained (the
 * connection runs with maxBufferedBytes 0 so that it reports every drain). After the closing
 * handshake has started, send() only adds to it: those bytes are never sent.
 */
export class OutgoingMessages {
  readonly #host: OutgoingHost;
  readonly #limit: number;
  #connection: Connection | null = null;
  /** Bytes accepted while open and not yet known to be handed to the transport. */
  #unsent = 0;
  /** Bytes of sends made once closing: counted, never sent. */
  #afterClose = 0;
  /** All bytes handed to the connection so far, and the part of them already taken off #unsent. */
  #handed = 0;
  #applied = 0;
  /** #handed when the connection last reported its queue drained. */
  #drainedMark = 0;
  #updateScheduled = false;
  /** Sends behind a Blob being read (null when none is). */
  #waiting: Waiting[] | null = null;

  constructor(host: OutgoingHost, limit: number) {
    this.#host = host;
    this.#limit = limit;
  }

  get bufferedAmount(): number {
    return this.#unsent + this.#afterClose;
  }

  attach(connection: Connection): void {
    this.#connection = connection;
    connection.onDrain(() => this.#drained());
  }

  /** A send() once the closing handshake has started: it only counts (WHATWG WebSockets, send()). */
  countAfterClose(size: number): void {
    this.#afterClose += size;
  }

  send(data: Buffer | string, binary: boolean, size: number): void {
    this.#unsent += size;
    if (this.#waiting !== null) {
      // It waits behind a Blob: keep a copy, the caller may change its buffer after send() returns.
      this.#waiting.push({ data: typeof data === 'string' ? data : Buffer.from(data), binary, size });
    } else {
      this.#transmit(data, binary, size);
    }
    this.#checkLimit();
  }

  sendBlob(blob: Blob): void {
    const item: Waiting = { data: null, binary: true, size: blob.size };
    this.#unsent += item.size;
    if (this.#waiting === null) this.#waiting = [];
    this.#waiting.push(item);
    blob.arrayBuffer().then(
      (buffer) => {
        item.data = Buffer.from(buffer);
        this.#pump();
      },
      (error: unknown) =>
        this.#host.outgoingFailed(
          new WebSocketError('ERR_INVALID_ARGUMENT', 'a Blob given to send() could not be read', {
            cause: error,
          }),
        ),
    );
    this.#checkLimit();
  }

  /** close() on an open socket: now, or after the sends still waiting behind a Blob. */
  close(code: number | null, reason: string): void {
    if (this.#waiting === null) this.#startClosing(code, reason);
    else this.#waiting.push({ data: null, binary: false, size: 0, close: { code, reason } });
  }

  /** Sends still waiting behind a Blob are dropped (the connection failed); they stay counted. */
  discard(): void {
    this.#waiting = null;
  }

  #pump(): void {
    const waiting = this.#waiting;
    if (waiting === null) return;
    while (waiting.length > 0) {
      const next = waiting[0] as Waiting;
      if (next.close !== undefined) {
        waiting.shift();
        this.#startClosing(next.close.code, next.close.reason);
        continue;
      }
      if (next.data === null) return;
      waiting.shift();
      this.#transmit(next.data, next.binary, next.size);
    }
    this.#waiting = null;
  }

  #transmit(data: Buffer | string, binary: boolean, size: number): void {
    const connection = this.#connection;
    // The peer's Close may have arrived before the task that tells the socket: nothing more is sent.
    if (connection === null || connection.readyState !== 'open') return;
    connection.send(data, { binary });
    this.#handed += size;
  }

  #startClosing(code: number | null, reason: string): void {
    this.#connection?.close(code, reason).catch(() => {});
  }

  #drained(): void {
    this.#drainedMark = this.#handed;
    if (this.#updateScheduled) return;
    this.#updateScheduled = true;
    // bufferedAmount changes between tasks, not within one (WHATWG WebSockets, bufferedAmount).
    setImmediate(() => {
      this.#updateScheduled = false;
      this.#unsent -= this.#drainedMark - this.#applied;
      this.#applied = this.#drainedMark;
    });
  }

  #checkLimit(): void {
    if (this.#unsent > this.#limit) {
      this.#host.outgoingFailed(
        new WebSocketError(
          'ERR_OVERLOADED',
          `bufferedAmount passed maxBufferedAmount (${this.#limit} bytes)`,
        ),
      );
    }
  }
}
