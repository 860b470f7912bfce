import { randomBytes } from 'node:crypto';
import { deliverError } from '../callback-errors.js';
import type { Connection } from '../connection/connection.js';
import { WebSocketError } from '../errors.js';
import type { HubFigures } from '../server/metrics-snapshot.js';
import type {
  Broker,
  BrokerPayload,
  BrokerState,
  HistoryResult,
  PresenceEntry,
  StreamPosition,
} from './broker.js';
import {
  DEFAULT_HUB_PING_INTERVAL,
  type HubOptions,
  type ResolvedHubLimits,
  type ResolvedTopicOptions,
  resolveLimits,
  resolveTopicOptions,
  type TopicAuthorizer,
} from './hub-options.js';
import { type DeliveryFormat, LocalTopic, type SubscribeOutcome } from './local-topic.js';
import { MemoryBroker } from './memory-broker.js';
import { checkTopicName } from './topic-name.js';

/** A per-connection limit of the hub refused the operation (code `ERR_POLICY`); `limit` names it. */
export class HubLimitError extends WebSocketError {
  readonly limit: string;

  constructor(limit: string, message: string) {
    super('ERR_POLICY', message);
    this.limit = limit;
  }
}

/** How a connection subscribes: see Hub.subscribe. */
export interface HubSubscribeOptions {
  /** Recover from this position: the publications after it come first, or `recovered: false`. */
  readonly since?: StreamPosition;
  /** `'raw'` (default): each payload as published. `'envelope'`: hub-protocol `message` frames. */
  readonly format?: DeliveryFormat;
}

export interface HubPublishOptions {
  /** The key the `latest-by-key` policy replaces by. */
  readonly key?: string;
}

/** What the hub keeps per connection it subscribed. */
interface Member {
  readonly id: string;
  readonly topics: Set<string>;
}

/**
 * Topics over a broker: subscribe connections, publish from server code or clients, history and
 * recovery, presence. One hub per process; several processes share a broker (Redis) to act as one.
 *
 * Delivery: a publication is framed once per process and per format, and sent with `broadcast()`
 * under its topic's slow-consumer policy. Per topic, every subscriber gets publications in offset
 * order; see docs/hub.md for the guarantees. Methods never throw for a closed connection; they reject
 * with WebSocketError (`ERR_INVALID_ARGUMENT` for a bad topic name, `ERR_POLICY` for a refusal or a
 * limit) or BrokerUnavailableError.
 */
export class Hub {
  readonly broker: Broker;
  readonly limits: ResolvedHubLimits;
  /** Milliseconds between application-level pings to hub-protocol clients (0: none). */
  readonly pingInterval: number;
  readonly #options: HubOptions;
  /** Resolved once: publish to a topic with no local subscriber needs them each time. */
  readonly #defaultTopicOptions: ResolvedTopicOptions;
  readonly #topics = new Map<string, LocalTopic>();
  readonly #members = new Map<Connection, Member>();
  readonly #processId = randomBytes(6).toString('base64url');
  #nextMember = 0;
  #closed = false;
  /** For figures(): publications handed to the broker, and messages delivered by the topics here. */
  readonly #counts = { publishes: 0, deliveries: 0 };
  readonly #stateListeners = new Set<(state: BrokerState, error?: Error) => void>();

  constructor(options: HubOptions = {}) {
    this.#options = options;
    this.broker = options.broker ?? new MemoryBroker();
    this.limits = resolveLimits(options.limits);
    this.pingInterval = options.pingInterval ?? DEFAULT_HUB_PING_INTERVAL;
    this.#defaultTopicOptions = resolveTopicOptions(options.topic, undefined);
    this.broker.setHandler({
      onPublication: (publication) => this.#topics.get(publication.topic)?.receive(publication),
      onPresence: (event) => this.#topics.get(event.topic)?.presence(event),
      onStateChange: (state, error) => this.#brokerState(state, error),
    });
  }

  /** The broker's link: publishes fail while it is `down`. */
  get state(): BrokerState {
    return this.broker.state;
  }

  /** Called when the broker goes down or comes back. Returns a function that removes the listener. */
  onStateChange(listener: (state: BrokerState, error?: Error) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /**
   * This process's figures, for a server's metrics() (HubEndpoint.serverOptions() passes them on):
   * topics with a local subscriber, subscriptions, publications handed to the broker, publication
   * messages handed to subscribers here, and the broker's state.
   */
  figures(): HubFigures {
    let subscriptions = 0;
    for (const local of this.#topics.values()) subscriptions += local.size;
    return {
      topics: this.#topics.size,
      subscriptions,
      publishes: this.#counts.publishes,
      deliveries: this.#counts.deliveries,
      brokerState: this.broker.state,
    };
  }

  /** The options of `topic` (TopicOptions resolved with the defaults). */
  topicOptions(topic: string): ResolvedTopicOptions {
    if (!this.#options.topicOptions) return this.#defaultTopicOptions;
    const own = this.#guard(() => this.#options.topicOptions?.(topic));
    return own ? resolveTopicOptions(this.#options.topic, own) : this.#defaultTopicOptions;
  }

  /**
   * Subscribe `connection` to `topic`. Resolves once it is live, with where it starts; with `since`,
   * the publications after that position were sent first, or `recovered: false` says they cannot be.
   * `announce` (used by the hub protocol) runs right before the first publication is sent.
   */
  async subscribe(
    connection: Connection,
    topic: string,
    options: HubSubscribeOptions = {},
    announce?: (outcome: SubscribeOutcome) => void,
  ): Promise<SubscribeOutcome> {
    checkTopicName(topic);
    this.#checkOpen();
    const member = this.#member(connection);
    if (member.topics.has(topic))
      throw new WebSocketError('ERR_INVALID_ARGUMENT', `already subscribed to ${topic}`);
    if (member.topics.size >= this.limits.maxTopicsPerConnection) {
      throw new HubLimitError(
        'maxTopicsPerConnection',
        `at most ${this.limits.maxTopicsPerConnection} topics per connection`,
      );
    }
    member.topics.add(topic);
    try {
      if (!(await this.#allowed(this.#options.canSubscribe, topic, connection))) {
        throw new WebSocketError('ERR_POLICY', `not allowed to subscribe to ${topic}`);
      }
      if (!member.topics.has(topic) || connection.readyState !== 'open') {
        throw new WebSocketError('ERR_CLOSED', 'unsubscribed or closed while subscribing');
      }
      let local = this.#topics.get(topic);
      if (!local) {
        local = new LocalTopic(
          topic,
          this.topicOptions(topic),
          this.broker,
          (error) => this.#report(error),
          this.#counts,
        );
        this.#topics.set(topic, local);
      }
      let outcome: SubscribeOutcome | undefined;
      await local.add(connection, options.format ?? 'raw', options.since, (found) => {
        outcome = found;
        announce?.(found);
      });
      if (!outcome) throw new WebSocketError('ERR_CLOSED', 'unsubscribed or closed while subscribing');
      if (local.options.presence) {
        const info = this.#options.presenceInfo
          ? this.#guard(() => this.#options.presenceInfo?.(connection))
          : undefined;
        await this.broker
          .addPresence(topic, info === undefined ? { id: member.id } : { id: member.id, info })
          .catch((error: unknown) => this.#report(error));
      }
      return outcome;
    } catch (error) {
      if (member.topics.delete(topic)) this.#leaveTopic(topic, connection);
      throw error;
    }
  }

  /** Unsubscribe `connection` from `topic`; false when it was not subscribed. */
  async unsubscribe(connection: Connection, topic: string): Promise<boolean> {
    const member = this.#members.get(connection);
    if (!member?.topics.delete(topic)) return false;
    this.#leaveTopic(topic, connection);
    if (this.topicOptions(topic).presence) await this.broker.removePresence(topic, member.id).catch(() => {});
    return true;
  }

  /** The topics `connection` is subscribed to (or subscribing). */
  topicsOf(connection: Connection): ReadonlySet<string> {
    return this.#members.get(connection)?.topics ?? new Set();
  }

  /** The id presence lists `connection` under. */
  clientId(connection: Connection): string {
    return this.#member(connection).id;
  }

  /**
   * Publish `data` on `topic` to every subscriber of every process (a string is sent as text, bytes
   * as binary). Resolves with the publication's position once the broker has it; rejects with
   * BrokerUnavailableError while the broker is down (nothing was published).
   */
  publish(
    topic: string,
    data: BrokerPayload | Uint8Array,
    options?: HubPublishOptions,
  ): Promise<StreamPosition> {
    checkTopicName(topic);
    if (this.#closed) return Promise.reject(new WebSocketError('ERR_CLOSED', 'the hub is closed'));
    const payload =
      typeof data === 'string' || Buffer.isBuffer(data)
        ? data
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const topicOptions = this.#topics.get(topic)?.options ?? this.topicOptions(topic);
    this.#counts.publishes++;
    return this.broker.publish(topic, payload, {
      historySize: topicOptions.historySize,
      historyTtlMs: topicOptions.historyTtlMs,
      ...(options?.key === undefined ? {} : { key: options.key }),
    });
  }

  /** May `connection` publish on `topic`? (canPublish, remembered per connection and topic.) */
  mayPublish(connection: Connection, topic: string): boolean | Promise<boolean> {
    return this.#allowed(this.#options.canPublish, topic, connection);
  }

  /** May `connection` subscribe to `topic` (and so read its history and presence)? */
  maySubscribe(connection: Connection, topic: string): boolean | Promise<boolean> {
    return this.#allowed(this.#options.canSubscribe, topic, connection);
  }

  /** Read `topic`'s history (see Broker.history). */
  history(topic: string, query: { since?: StreamPosition; limit?: number } = {}): Promise<HistoryResult> {
    checkTopicName(topic);
    return this.broker.history(topic, { ...query, historyTtlMs: this.topicOptions(topic).historyTtlMs });
  }

  /** Who is subscribed to `topic`, on every process (topics with `presence: true`). */
  presence(topic: string): Promise<PresenceEntry[]> {
    checkTopicName(topic);
    return this.broker.listPresence(topic);
  }

  /** Subscribers of `topic` in this process. */
  localSubscribers(topic: string): number {
    return this.#topics.get(topic)?.size ?? 0;
  }

  /** Report an error to `onError` (sessions use it for what they absorb). */
  report(error: unknown): void {
    this.#report(error);
  }

  /** Unsubscribe everyone here, leave presence, close the broker. Connections stay open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const connection of [...this.#members.keys()]) await this.#forget(connection);
    await this.broker.close();
  }

  #member(connection: Connection): Member {
    let member = this.#members.get(connection);
    if (!member) {
      member = { id: `${this.#processId}-${(this.#nextMember++).toString(36)}`, topics: new Set() };
      this.#members.set(connection, member);
      void connection.closed.then(() => this.#forget(connection));
    }
    return member;
  }

  async #forget(connection: Connection): Promise<void> {
    const member = this.#members.get(connection);
    if (!member) return;
    this.#members.delete(connection);
    for (const topic of member.topics) {
      this.#leaveTopic(topic, connection);
      if (this.topicOptions(topic).presence)
        await this.broker.removePresence(topic, member.id).catch(() => {});
    }
    member.topics.clear();
  }

  #leaveTopic(topic: string, connection: Connection): void {
    const local = this.#topics.get(topic);
    if (!local) return;
    local.remove(connection);
    if (local.size === 0) {
      this.#topics.delete(topic);
      this.broker.unsubscribe(topic).catch((error: unknown) => this.#report(error));
    }
  }

  #allowed(
    hook: TopicAuthorizer | undefined,
    topic: string,
    connection: Connection,
  ): boolean | Promise<boolean> {
    if (!hook) return true;
    try {
      const answer = hook(topic, connection);
      if (typeof answer === 'boolean') return answer;
      return Promise.resolve(answer).then(
        (value) => value === true,
        (error: unknown) => {
          this.#report(error);
          return false;
        },
      );
    } catch (error) {
      this.#report(error);
      return false;
    }
  }

  #guard<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      this.#report(error);
      return undefined;
    }
  }

  #brokerState(state: BrokerState, error?: Error): void {
    if (state === 'down') for (const local of this.#topics.values()) local.suspect = true;
    else for (const local of this.#topics.values()) local.resync();
    for (const listener of this.#stateListeners) this.#guard(() => listener(state, error));
  }

  #checkOpen(): void {
    if (this.#closed) throw new WebSocketError('ERR_CLOSED', 'the hub is closed');
  }

  #report(error: unknown): void {
    deliverError(this.#options.onError, error instanceof Error ? error : new Error(String(error)), 'hub');
  }
}

/** A hub over `options.broker` (default: an in-process MemoryBroker). */
export function createHub(options?: HubOptions): Hub {
  return new Hub(options);
}
