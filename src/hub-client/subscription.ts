import { Emitter } from './emitter.js';
import type { HubClientError } from './hub-client-error.js';

/** The last publication seen on a topic: offsets compare only within one epoch. */
export interface Position {
  readonly offset: number;
  readonly epoch: string;
}

export interface TopicMessage<T> {
  readonly topic: string;
  readonly offset: number;
  readonly epoch: string;
  readonly data: T;
}

/**
 * The answer to each (re)subscribe. `recovered` is undefined on the first subscribe (nothing to
 * recover), true when every publication missed while away follows, false (with `reason`:
 * epoch-changed, history-gap, offset-ahead, limit-exceeded) when some were lost.
 */
export interface SubscribedEvent {
  readonly topic: string;
  readonly position: Position;
  readonly resubscribed: boolean;
  readonly recovered: boolean | undefined;
  readonly reason?: string;
}

/** Publications after `after` were lost; messages go on after it. */
export interface GapEvent {
  readonly topic: string;
  readonly after: Position;
  readonly reason: string;
}

/** Who is subscribed to a topic with presence on (any process). */
export interface PresenceEntry {
  /** The connection's presence id, unique across processes. */
  readonly id: string;
  /** What the server's `presenceInfo` hook says about it, if anything. */
  readonly info?: unknown;
}

/** Someone subscribed to (`join`) or left (`leave`) a topic with presence on. */
export interface PresenceEvent {
  readonly topic: string;
  readonly entry: PresenceEntry;
}

export interface SubscriptionEvents<T> {
  message: TopicMessage<T>;
  subscribed: SubscribedEvent;
  gap: GapEvent;
  join: PresenceEvent;
  leave: PresenceEvent;
  /** The server refused the subscription (forbidden, invalid-topic, ...): it is over. */
  error: HubClientError;
}

export type SubscriptionState = 'pending' | 'active' | 'failed' | 'unsubscribed';

/**
 * One topic the client follows across reconnects. Messages come through `on('message')` and/or
 * `for await (const message of subscription)`; iteration ends when the subscription ends.
 */
export class Subscription<T> implements AsyncIterable<TopicMessage<T>> {
  readonly topic: string;
  #state: SubscriptionState = 'pending';
  #position: Position | null;
  /** The server announced a gap since the last message: the offset jump that follows is not news. */
  #gapAnnounced = false;
  readonly #events: Emitter<SubscriptionEvents<T>>;
  readonly #unsubscribe: (subscription: Subscription<T>) => void;
  readonly #iterators = new Set<MessageIterator<T>>();

  /** @internal created by HubClient.subscribe */
  constructor(
    topic: string,
    since: Position | null,
    onListenerError: (error: unknown) => void,
    unsubscribe: (subscription: Subscription<T>) => void,
  ) {
    this.topic = topic;
    this.#position = since;
    this.#events = new Emitter<SubscriptionEvents<T>>(onListenerError);
    this.#unsubscribe = unsubscribe;
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  /** The last publication delivered (null before the first answer when no `since` was given). */
  get position(): Position | null {
    return this.#position;
  }

  on<K extends keyof SubscriptionEvents<T>>(
    event: K,
    listener: (value: SubscriptionEvents<T>[K]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  off<K extends keyof SubscriptionEvents<T>>(
    event: K,
    listener: (value: SubscriptionEvents<T>[K]) => void,
  ): void {
    this.#events.off(event, listener);
  }

  /** Stops following the topic (here and on the server). */
  unsubscribe(): void {
    if (this.#state === 'unsubscribed' || this.#state === 'failed') return;
    this.#unsubscribe(this);
    this.end('unsubscribed');
  }

  [Symbol.asyncIterator](): AsyncIterator<TopicMessage<T>> {
    const iterator = new MessageIterator<T>(() => this.#iterators.delete(iterator));
    if (this.#state === 'unsubscribed' || this.#state === 'failed') iterator.finish();
    else this.#iterators.add(iterator);
    return iterator;
  }

  /** @internal the server answered a (re)subscribe. */
  subscribed(event: SubscribedEvent): void {
    if (this.#state === 'unsubscribed' || this.#state === 'failed') return;
    this.#state = 'active';
    this.#position = event.position;
    this.#gapAnnounced = false;
    this.#events.emit('subscribed', event);
  }

  /** @internal the connection dropped: the next connection resubscribes. */
  detached(): void {
    if (this.#state === 'active') this.#state = 'pending';
  }

  /**
   * @internal a message frame for this topic. Returns false for one already delivered (same epoch,
   * offset not past the position) or one before the server's answer to the subscribe.
   */
  accept(offset: number, epoch: string): boolean {
    if (this.#state !== 'active') return false;
    const position = this.#position;
    if (position !== null && epoch === position.epoch && offset <= position.offset) return false;
    // Another epoch means the topic started a new sequence (the server announces any loss with a gap
    // frame first): go on in it. A jump within the epoch means publications were skipped (the server's
    // slow-consumer policy dropped them): tell the application, then go on.
    if (
      position !== null &&
      epoch === position.epoch &&
      offset > position.offset + 1 &&
      !this.#gapAnnounced
    ) {
      this.#events.emit('gap', { topic: this.topic, after: position, reason: 'skipped' });
    }
    this.#gapAnnounced = false;
    this.#position = { offset, epoch };
    return true;
  }

  /** @internal */
  deliver(message: TopicMessage<T>): void {
    for (const iterator of this.#iterators) iterator.push(message);
    this.#events.emit('message', message);
  }

  /** @internal a `join` or `leave` frame for this topic. */
  presence(kind: 'join' | 'leave', entry: PresenceEntry): void {
    if (this.#state !== 'active') return;
    this.#events.emit(kind, { topic: this.topic, entry });
  }

  /** @internal */
  gap(event: GapEvent): void {
    this.#gapAnnounced = true;
    this.#events.emit('gap', event);
  }

  /** @internal the server refused the subscription. */
  fail(error: HubClientError): void {
    this.end('failed');
    this.#events.emit('error', error);
  }

  /** @internal */
  end(state: 'unsubscribed' | 'failed'): void {
    this.#state = state;
    for (const iterator of this.#iterators) iterator.finish();
    this.#iterators.clear();
  }
}

/** Buffers messages for one `for await` loop; `return()` (a `break`) detaches it. */
class MessageIterator<T> implements AsyncIterator<TopicMessage<T>> {
  readonly #buffer: TopicMessage<T>[] = [];
  readonly #waiting: ((result: IteratorResult<TopicMessage<T>>) => void)[] = [];
  #done = false;
  readonly #detach: () => void;

  constructor(detach: () => void) {
    this.#detach = detach;
  }

  push(message: TopicMessage<T>): void {
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) waiter({ value: message, done: false });
    else this.#buffer.push(message);
  }

  finish(): void {
    this.#done = true;
    for (const waiter of this.#waiting.splice(0)) waiter({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<TopicMessage<T>>> {
    const message = this.#buffer.shift();
    if (message !== undefined) return Promise.resolve({ value: message, done: false });
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  return(): Promise<IteratorResult<TopicMessage<T>>> {
    this.#buffer.length = 0;
    this.finish();
    this.#detach();
    return Promise.resolve({ value: undefined, done: true });
  }
}
