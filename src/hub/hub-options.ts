// The options of a hub, its topics and its per-connection limits, with their defaults.
import type { Connection } from '../connection/connection.js';
import type { BackpressurePolicy } from '../connection/connection-options.js';
import type { Broker } from './broker.js';

/** How one topic keeps and delivers its publications. */
export interface TopicOptions {
  /** Publications kept for recovery and history reads. Default 0 (none: recovery only from the head). */
  readonly historySize?: number;
  /** Milliseconds a publication stays in history; an idle topic's epoch ends after it. Default 300 000. */
  readonly historyTtlMs?: number;
  /**
   * The slow-consumer policy of every delivery (see BackpressurePolicy). Default `'drop-newest'`: a
   * subscriber over its `maxBufferedBytes` misses publications (hub-protocol clients see the offset
   * jump). `'latest-by-key'` uses the key the publisher gave. `'close'` closes it with 1008 instead.
   */
  readonly backpressure?: BackpressurePolicy;
  /** Track who is subscribed and announce joins and leaves. Default false. */
  readonly presence?: boolean;
}

export type ResolvedTopicOptions = Required<TopicOptions>;

/** What a connection may do, per connection. Every limit has a default; violations are answered. */
export interface HubLimits {
  /** Topics one connection may be subscribed to at once. Default 100. */
  readonly maxTopicsPerConnection?: number;
  /** Largest payload one publish may carry, in bytes. Default 65 536. */
  readonly maxMessageBytes?: number;
  /** Publications one connection may make per second (a token bucket). Default 1000. */
  readonly publishRate?: number;
  /** Publications one connection may make in a burst above the rate. Default 1000. */
  readonly publishBurst?: number;
}

export type ResolvedHubLimits = Required<HubLimits>;

/**
 * Decides whether `connection` may subscribe to (or publish on) `topic`. The upgrade request is
 * `connection.request`. May be async; the answer for one connection and topic is remembered for as
 * long as the connection is subscribed (publish: for the connection's life).
 */
export type TopicAuthorizer = (topic: string, connection: Connection) => boolean | Promise<boolean>;

export interface HubOptions {
  /** Where publications, history and presence live. Default: a new MemoryBroker (one process). */
  readonly broker?: Broker;
  /** Options of every topic (see TopicOptions), unless `topicOptions` says otherwise. */
  readonly topic?: TopicOptions;
  /** Per-topic options, asked once per topic while it has subscribers in this process. */
  readonly topicOptions?: (topic: string) => TopicOptions | undefined;
  readonly limits?: HubLimits;
  /** May this connection subscribe (and read history and presence)? Default: yes. */
  readonly canSubscribe?: TopicAuthorizer;
  /** May this connection publish? Default: yes. */
  readonly canPublish?: TopicAuthorizer;
  /** What presence lists about a connection (JSON-serializable). Default: nothing beyond its id. */
  readonly presenceInfo?: (connection: Connection) => unknown;
  /**
   * Milliseconds between the application-level pings sent to hub-protocol clients (announced in the
   * welcome frame; browsers cannot send protocol pings). Default 25 000; 0 turns them off.
   */
  readonly pingInterval?: number;
  /** Diagnostics: a hook that threw, a broker failure. The hub itself never throws for these. */
  readonly onError?: (error: Error) => void;
}

export const DEFAULT_TOPIC_OPTIONS: ResolvedTopicOptions = Object.freeze({
  historySize: 0,
  historyTtlMs: 300_000,
  backpressure: 'drop-newest',
  presence: false,
});

export const DEFAULT_HUB_LIMITS: ResolvedHubLimits = Object.freeze({
  maxTopicsPerConnection: 100,
  maxMessageBytes: 65_536,
  publishRate: 1000,
  publishBurst: 1000,
});

export const DEFAULT_HUB_PING_INTERVAL = 25_000;

export function resolveTopicOptions(
  base: TopicOptions | undefined,
  own: TopicOptions | undefined,
): ResolvedTopicOptions {
  const merged = { ...DEFAULT_TOPIC_OPTIONS, ...definedOnly(base), ...definedOnly(own) };
  if (!(Number.isInteger(merged.historySize) && merged.historySize >= 0)) {
    throw new RangeError('historySize must be an integer >= 0');
  }
  if (!(merged.historyTtlMs > 0)) throw new RangeError('historyTtlMs must be > 0');
  return merged;
}

export function resolveLimits(limits: HubLimits | undefined): ResolvedHubLimits {
  const merged = { ...DEFAULT_HUB_LIMITS, ...definedOnly(limits) };
  for (const [name, value] of Object.entries(merged)) {
    if (!(value > 0)) throw new RangeError(`${name} must be > 0`);
  }
  return merged;
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
