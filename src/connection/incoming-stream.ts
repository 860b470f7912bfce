import type { MessageType } from '../protocol/types.js';
import type { MessageStream } from './message.js';
import { CHUNK_OVERHEAD } from './message-gatherer.js';

/** Message streams buffer this many bytes before the transport is paused. */
const STREAM_HIGH_WATER_MARK = 64 * 1024;

/**
 * What a queued chunk costs: its bytes and its bookkeeping, so a message in tiny fragments fills the
 * queue (and pauses the transport) by what it holds, not by its payload alone.
 */
function chunkCost(chunk: Uint8Array): number {
  return chunk.byteLength + CHUNK_OVERHEAD;
}

/** What an incoming message stream tells its connection's inbound path (Inbound). */
export interface IncomingStreamHost {
  /** The reader wants more: resume reading the transport if this stream paused it. */
  streamPulled(stream: IncomingStream): void;
  /** The reader cancelled: drop the rest of this message, keep reading the connection. */
  streamCancelled(stream: IncomingStream): void;
}

/**
 * One message handed to a reader as its frames arrive (readStream()). The connection pushes chunks
 * and pauses the transport while the reader's queue is full, so a message of any size passes in
 * bounded memory.
 */
export class IncomingStream {
  readonly type: MessageType;
  readonly readable: ReadableStream<Uint8Array>;
  readonly #controller: ReadableStreamDefaultController<Uint8Array>;

  constructor(type: MessageType, host: IncomingStreamHost) {
    this.type = type;
    let controllerRef: ReadableStreamDefaultController<Uint8Array> | null = null;
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          controllerRef = controller;
        },
        pull: () => host.streamPulled(this),
        cancel: () => host.streamCancelled(this),
      },
      { highWaterMark: STREAM_HIGH_WATER_MARK, size: chunkCost },
    );
    // start() runs synchronously inside the constructor.
    this.#controller = controllerRef as unknown as ReadableStreamDefaultController<Uint8Array>;
  }

  /** What the reader gets: the message's type and its readable, nothing of the connection's side. */
  forReader(): MessageStream {
    return { type: this.type, readable: this.readable };
  }

  /** Queue a chunk of the message; an empty one is skipped. */
  push(chunk: Buffer): void {
    if (chunk.length > 0) this.#controller.enqueue(chunk);
  }

  /**
   * Bytes queued and not yet read, with CHUNK_OVERHEAD per chunk (what the strategy counts). Only
   * meaningful before end() or error(): a closed stream reports 0 as its desired size.
   */
  get queuedBytes(): number {
    const desired = this.#controller.desiredSize;
    return desired === null ? 0 : Math.max(0, STREAM_HIGH_WATER_MARK - desired);
  }

  /** True while the reader's queue is full: the connection should stop reading its transport. */
  get full(): boolean {
    return (this.#controller.desiredSize ?? 0) <= 0;
  }

  end(): void {
    this.#controller.close();
  }

  error(error: unknown): void {
    this.#controller.error(error);
  }
}
