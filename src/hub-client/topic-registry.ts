import type { Codec } from '../codecs/codec.js';
import { HubClientError } from './hub-client-error.js';
import { decodePayload } from './payload.js';
import { type Position, type PresenceEntry, type SubscribedEvent, Subscription } from './subscription.js';

export interface RecoveredEvent {
  /** False when any topic's recovery was incomplete (see each `recovered` and `reason`). */
  readonly complete: boolean;
  readonly topics: readonly SubscribedEvent[];
}

interface RegistryHooks {
  readonly send: (frame: Record<string, unknown>) => void;
  readonly connected: () => boolean;
  readonly nextId: () => number;
  readonly reportError: (error: unknown) => void;
  readonly recovered: (event: RecoveredEvent) => void;
}

/**
 * The client's subscriptions by topic: (re)subscribes them, matches the server's answers to requests,
 * drops messages already delivered, and tells when every resubscription after a reconnect is answered.
 */
export class TopicRegistry<T> {
  readonly #codec: Codec<T>;
  readonly #hooks: RegistryHooks;
  readonly #byTopic = new Map<string, Subscription<T>>();
  readonly #requests = new Map<number, Subscription<T>>();
  #recovering: { waiting: Set<string>; results: SubscribedEvent[] } | null = null;

  constructor(codec: Codec<T>, hooks: RegistryHooks) {
    this.#codec = codec;
    this.#hooks = hooks;
  }

  add(topic: string, since: Position | null): Subscription<T> {
    if (this.#byTopic.has(topic))
      throw new HubClientError('already-subscribed', `already subscribed to ${topic}`);
    const subscription: Subscription<T> = new Subscription<T>(
      topic,
      since,
      this.#hooks.reportError,
      (ended) => this.#remove(ended),
    );
    this.#byTopic.set(topic, subscription);
    if (this.#hooks.connected()) this.#subscribe(subscription);
    return subscription;
  }

  /** A new connection was welcomed: subscribe every topic again from its last position. */
  resubscribeAll(reconnected: boolean): void {
    this.#recovering = reconnected && this.#byTopic.size > 0 ? { waiting: new Set(), results: [] } : null;
    for (const subscription of this.#byTopic.values()) {
      this.#recovering?.waiting.add(subscription.topic);
      this.#subscribe(subscription);
    }
  }

  /** The connection ended: answers still owed will never come; the next welcome resubscribes. */
  detachAll(): void {
    this.#recovering = null;
    this.#requests.clear();
    for (const subscription of this.#byTopic.values()) subscription.detached();
  }

  /** The client closed: every subscription ends (their iterators finish). */
  endAll(): void {
    this.detachAll();
    for (const subscription of this.#byTopic.values()) subscription.end('unsubscribed');
    this.#byTopic.clear();
  }

  onSubscribed(frame: Record<string, unknown>): void {
    const subscription = this.#take(frame.id);
    if (subscription === undefined) return;
    const recovering = this.#recovering;
    const event: SubscribedEvent = {
      topic: subscription.topic,
      position: frame.position as Position,
      resubscribed: recovering?.waiting.has(subscription.topic) ?? false,
      recovered: typeof frame.recovered === 'boolean' ? frame.recovered : undefined,
      ...(typeof frame.reason === 'string' ? { reason: frame.reason } : {}),
    };
    subscription.subscribed(event);
    if (recovering?.waiting.delete(subscription.topic)) {
      recovering.results.push(event);
      this.#finishRecovery();
    }
  }

  onMessage(frame: Record<string, unknown>): void {
    const topic = frame.topic as string;
    const offset = frame.offset as number;
    const epoch = frame.epoch as string;
    const subscription = this.#byTopic.get(topic);
    if (subscription === undefined || !subscription.accept(offset, epoch)) return;
    let data: T;
    try {
      data = decodePayload(this.#codec, frame.data as string, frame.binary === true);
    } catch (error) {
      this.#hooks.reportError(error);
      return;
    }
    subscription.deliver({ topic, offset, epoch, data });
  }

  onPresence(frame: Record<string, unknown>): void {
    const entry = frame.entry as PresenceEntry | undefined;
    if (typeof entry?.id !== 'string') return;
    this.#byTopic.get(frame.topic as string)?.presence(frame.op === 'join' ? 'join' : 'leave', entry);
  }

  onGap(frame: Record<string, unknown>): void {
    const topic = frame.topic as string;
    this.#byTopic.get(topic)?.gap({ topic, after: frame.after as Position, reason: String(frame.reason) });
  }

  /** An `error` frame: true when it refused one of our subscribes (that subscription is over). */
  refused(id: unknown, error: HubClientError): boolean {
    const subscription = this.#take(id);
    if (subscription === undefined) return false;
    this.#forget(subscription);
    subscription.fail(error);
    return true;
  }

  #subscribe(subscription: Subscription<T>): void {
    const id = this.#hooks.nextId();
    this.#requests.set(id, subscription);
    const since = subscription.position;
    const frame: Record<string, unknown> = { op: 'subscribe', id, topic: subscription.topic };
    if (since !== null) frame.since = since;
    this.#hooks.send(frame);
  }

  /** The request `id` answered, if it is one of ours for a subscription still wanted. */
  #take(id: unknown): Subscription<T> | undefined {
    const subscription = this.#requests.get(id as number);
    if (subscription === undefined) return undefined;
    this.#requests.delete(id as number);
    return this.#byTopic.get(subscription.topic) === subscription ? subscription : undefined;
  }

  #remove(subscription: Subscription<T>): void {
    if (this.#byTopic.get(subscription.topic) !== subscription) return;
    this.#forget(subscription);
    if (this.#hooks.connected()) this.#hooks.send({ op: 'unsubscribe', topic: subscription.topic });
  }

  #forget(subscription: Subscription<T>): void {
    this.#byTopic.delete(subscription.topic);
    if (this.#recovering?.waiting.delete(subscription.topic)) this.#finishRecovery();
  }

  #finishRecovery(): void {
    const recovering = this.#recovering;
    if (recovering === null || recovering.waiting.size > 0) return;
    this.#recovering = null;
    const complete = recovering.results.every((result) => result.recovered !== false);
    this.#hooks.recovered({ complete, topics: recovering.results });
  }
}
