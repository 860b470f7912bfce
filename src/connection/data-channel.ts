import { frameHeaderSize } from '../protocol/frame-serializer.js';
import type { MessageType } from '../protocol/types.js';
import type { BufferBudget } from './buffer-budget.js';
import type { PreparedMessage } from './prepared-message.js';
import { type DeferredMessage, isStreamWriter, type StreamWriter } from './stream-writer.js';

/** A message's frame bytes, header included (counted before compression). */
export function messageFrameBytes(data: Buffer, prepared: PreparedMessage | null, masked: boolean): number {
  if (prepared !== null) return prepared.byteLength;
  return data.length + frameHeaderSize(data.length, masked);
}

/**
 * Who holds a connection's data channel: the streaming writer whose fragments are going out, and,
 * in call order behind it, the whole messages and later writers waiting their turn. Made by the
 * first writeStream(): a connection that never streams holds none of it.
 */
export class DataChannel {
  /** The writer whose fragments are going out, null between writers. */
  owner: StreamWriter | null = null;
  /** Waiting behind the owner, in call order. */
  readonly waiting: (DeferredMessage | StreamWriter)[] = [];
  /** Payload bytes of the waiting messages (charged to the budget too). */
  bytes = 0;
  /** Messages the last evictOldest() dropped. */
  dropped = 0;
  readonly #budget: BufferBudget | null;

  constructor(budget: BufferBudget | null) {
    this.#budget = budget;
  }

  /** True while data must wait behind a writer. */
  get busy(): boolean {
    return this.owner !== null || this.waiting.length > 0;
  }

  /** Queue a message or writer behind the current owner (`bytes`: a message's payload, 0 for a writer). */
  defer(item: DeferredMessage | StreamWriter, bytes: number): void {
    this.waiting.push(item);
    this.#addBytes(bytes);
  }

  /** The newest waiting message sent with `key`, or null. */
  findKeyed(key: string): DeferredMessage | null {
    const waiting = this.waiting;
    for (let index = waiting.length - 1; index >= 0; index--) {
      const item = waiting[index] as DeferredMessage | StreamWriter;
      if (!isStreamWriter(item) && item.key === key) return item;
    }
    return null;
  }

  /** Put a new message in a waiting one's place ('latest-by-key'). */
  replace(
    item: DeferredMessage,
    type: MessageType,
    data: Buffer,
    compress: boolean | undefined,
    prepared: PreparedMessage | null,
  ): void {
    this.#addBytes(data.length - item.data.length);
    item.type = type;
    item.data = data;
    item.compress = compress;
    item.prepared = prepared;
  }

  /**
   * 'drop-oldest': drop waiting whole messages, oldest first, until `need` frame bytes are freed
   * (`freed` already were). Returns the frame bytes freed in all; `dropped` counts the messages.
   */
  evictOldest(need: number, freed: number, masked: boolean): number {
    const waiting = this.waiting;
    this.dropped = 0;
    for (let index = 0; index < waiting.length && freed < need; ) {
      const item = waiting[index] as DeferredMessage | StreamWriter;
      if (isStreamWriter(item)) {
        index++;
        continue;
      }
      waiting.splice(index, 1);
      this.#addBytes(-item.data.length);
      freed += messageFrameBytes(item.data, item.prepared, masked);
      this.dropped++;
    }
    return freed;
  }

  /** A writer that gave up: take it out of the line (false when it holds the channel). */
  withdraw(writer: StreamWriter): boolean {
    if (this.owner === writer) return false;
    const index = this.waiting.indexOf(writer);
    if (index >= 0) this.waiting.splice(index, 1);
    return true;
  }

  /**
   * The owner finished: take the messages that waited behind it, up to the next live writer, which
   * becomes the owner and is told to start. The caller frames the messages returned, in order.
   */
  handOn(): DeferredMessage[] {
    this.owner = null;
    const waiting = this.waiting;
    const ready: DeferredMessage[] = [];
    let index = 0;
    for (; index < waiting.length; index++) {
      const item = waiting[index] as DeferredMessage | StreamWriter;
      if (isStreamWriter(item)) {
        if (item.done) continue;
        this.owner = item;
        item.start?.resolve();
        item.start = null;
        index++;
        break;
      }
      this.#addBytes(-item.data.length);
      ready.push(item);
    }
    waiting.splice(0, index);
    return ready;
  }

  /** No more data frames can be sent: fail the writers; returns how many whole messages go unsent. */
  end(error: unknown): number {
    const owner = this.owner;
    if (owner !== null && !owner.done) {
      owner.done = true;
      owner.controller?.error(error);
    }
    this.owner = null;
    let unsent = 0;
    for (const item of this.waiting) {
      if (isStreamWriter(item)) {
        item.done = true;
        item.start?.reject(error);
        item.controller?.error(error);
      } else {
        unsent++;
      }
    }
    this.waiting.length = 0;
    this.#addBytes(-this.bytes);
    return unsent;
  }

  #addBytes(delta: number): void {
    this.bytes += delta;
    if (this.#budget !== null) this.#budget.charge(delta);
  }
}
