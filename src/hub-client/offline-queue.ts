/** What a full offline queue does with one more publish. */
export type QueuePolicy = 'drop-oldest' | 'drop-newest' | 'error';

export interface QueueOptions {
  /** Publishes kept while disconnected (default 100; 0 makes publish fail at once when offline). */
  readonly size?: number;
  /** Default 'drop-oldest'. */
  readonly policy?: QueuePolicy;
}

/** The outcome of offering an item to a full or non-full queue. */
export type QueueOffer<T> = { readonly kind: 'queued'; readonly dropped?: T } | { readonly kind: 'refused' };

/** A bounded FIFO of publishes waiting for a connection. */
export class OfflineQueue<T> {
  readonly size: number;
  readonly policy: QueuePolicy;
  #items: T[] = [];

  constructor(options: QueueOptions = {}) {
    this.size = options.size ?? 100;
    this.policy = options.policy ?? 'drop-oldest';
    if (!Number.isInteger(this.size) || this.size < 0)
      throw new RangeError('queue.size must be an integer >= 0');
    if (!['drop-oldest', 'drop-newest', 'error'].includes(this.policy))
      throw new RangeError(
        `queue.policy must be drop-oldest, drop-newest or error, not ${String(this.policy)}`,
      );
  }

  get length(): number {
    return this.#items.length;
  }

  /** Adds `item`; when full, drop-oldest evicts (and returns) the oldest, the others refuse `item`. */
  offer(item: T): QueueOffer<T> {
    if (this.#items.length < this.size) {
      this.#items.push(item);
      return { kind: 'queued' };
    }
    if (this.policy === 'drop-oldest' && this.size > 0) {
      const dropped = this.#items.shift() as T;
      this.#items.push(item);
      return { kind: 'queued', dropped };
    }
    return { kind: 'refused' };
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const items = this.#items;
    this.#items = [];
    return items;
  }
}
