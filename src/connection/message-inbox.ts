import type { BufferBudget } from './buffer-budget.js';
import type { ConnectionSettings } from './connection-settings.js';
import type { Message } from './message.js';
import { NO_ITEMS, owned, type Reader } from './waiter.js';

/**
 * Whole messages that arrived with nobody waiting, and readers waiting with no message, bounded by
 * maxQueuedMessages / maxQueuedBytes. Made by the first read() or unread message: a connection
 * whose messages go to a listener holds none of it.
 *
 * The bounds pause the transport, which stops more messages, not a big one: one unread message may
 * hold up to `maxPayload`. So the bytes queued here count against the shared budget, if any, until
 * read or until the connection lets go (`release()`).
 */
export class MessageInbox {
  messages: Message[] = NO_ITEMS;
  readers: Reader[] = NO_ITEMS;
  /** Payload bytes per queued message (text is counted as it arrived, before decoding). */
  #sizes: number[] = NO_ITEMS;
  #bytes = 0;
  readonly #settings: ConnectionSettings;
  /** The budget charged for queued bytes; null without one or once released. */
  #budget: BufferBudget | null;

  constructor(settings: ConnectionSettings) {
    this.#settings = settings;
    this.#budget = settings.budget;
  }

  get length(): number {
    return this.messages.length;
  }

  /** Payload bytes of the messages queued now. */
  get bytes(): number {
    return this.#bytes;
  }

  addReader(reader: Reader): void {
    this.readers = owned(this.readers);
    this.readers.push(reader);
  }

  /** Queue an unread message; true when the queue is full (stop reading the transport). */
  push(message: Message, size: number): boolean {
    this.messages = owned(this.messages);
    this.messages.push(message);
    this.#sizes = owned(this.#sizes);
    this.#sizes.push(size);
    this.#bytes += size;
    this.#budget?.chargeInbound(size);
    const settings = this.#settings;
    return this.messages.length >= settings.maxQueuedMessages || this.#bytes >= settings.maxQueuedBytes;
  }

  /** The oldest unread message (the caller checked `length`): from now on the application holds it. */
  shift(): Message {
    const size = this.#sizes.shift() as number;
    this.#bytes -= size;
    this.#budget?.chargeInbound(-size);
    return this.messages.shift() as Message;
  }

  /** The connection closed: stop counting what is still queued (it may still be read, uncounted). */
  release(): void {
    this.#budget?.chargeInbound(-this.#bytes);
    this.#budget = null;
  }

  /** At or under half of both bounds: a transport paused for the queue may read again. */
  get drained(): boolean {
    const settings = this.#settings;
    return (
      this.messages.length <= settings.maxQueuedMessages >>> 1 && this.#bytes <= settings.maxQueuedBytes / 2
    );
  }
}
