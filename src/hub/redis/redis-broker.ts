import { randomBytes } from 'node:crypto';
import { BrokerUnavailableError, ConnectionClosedError } from '../../errors.js';
import type {
  Broker,
  BrokerHandler,
  BrokerPayload,
  BrokerPublishOptions,
  BrokerState,
  HistoryQuery,
  HistoryResult,
  PresenceEntry,
  StreamPosition,
} from '../broker.js';
import { decodeChannelMessage, publicationFlags } from './channel-message.js';
import { PendingCommands } from './pending-commands.js';
import type { RedisClient } from './redis-client.js';
import { RedisKeys } from './redis-keys.js';
import { type RedisLink, redisLinkFor } from './redis-link.js';
import { readHistoryReply, readPositionReply, readStringList } from './redis-replies.js';
import { RedisScripts } from './redis-script-runner.js';
import {
  ADD_PRESENCE_SCRIPT,
  HISTORY_SCRIPT,
  LIST_PRESENCE_SCRIPT,
  PUBLISH_SCRIPT,
  REFRESH_PRESENCE_SCRIPT,
  REMOVE_PRESENCE_SCRIPT,
} from './redis-scripts.js';

const ALL_SCRIPTS = [
  PUBLISH_SCRIPT,
  HISTORY_SCRIPT,
  ADD_PRESENCE_SCRIPT,
  REMOVE_PRESENCE_SCRIPT,
  LIST_PRESENCE_SCRIPT,
  REFRESH_PRESENCE_SCRIPT,
];

/** Default presence TTL of the Redis broker: a killed process's entries are gone within 15 s. */
export const DEFAULT_REDIS_PRESENCE_TTL_MS = 15_000;

export interface RedisBrokerOptions {
  /**
   * A node-redis (`createClient()` from `redis`, v4 or v5) or ioredis client, connected or not. The
   * broker runs its commands on it and subscribes on a `duplicate()` it owns; `close()` leaves the
   * client itself open (it is the caller's).
   */
  readonly client: RedisClient;
  /** Prefix of every key and channel, so several hubs can share one Redis. Default `fullduplex:`. */
  readonly prefix?: string;
  /** See Broker.presenceTtlMs. Default 15 s; the broker refreshes its entries every third of it. */
  readonly presenceTtlMs?: number;
  /** How long `connect` waits for Redis before it rejects. Default 10 s. */
  readonly connectTimeoutMs?: number;
}

const noHandler: BrokerHandler = { onPublication() {}, onPresence() {}, onStateChange() {} };

function freshEpoch(): string {
  return randomBytes(6).toString('base64url');
}

/**
 * A broker over Redis, for a hub that spans processes and machines. Live publications go through
 * Redis pub/sub (one channel per topic, subscribed only while this process has subscribers to it);
 * history is a Redis stream per topic trimmed to its size and expired with its TTL; a Lua script
 * assigns each publication its offset, appends it and publishes it in one atomic step. Presence
 * entries name their process, whose key expires `presenceTtlMs` after the process stops refreshing
 * it, so a killed process's entries vanish from listings by then (and their leaves are announced).
 *
 * When Redis goes away the broker reports `down` and rejects publishes with BrokerUnavailableError
 * at once (nothing is buffered); the client libraries reconnect, and the broker then subscribes its
 * topics again and adds its presence entries again if Redis lost them, before it reports `up`. A
 * Redis that lost its data gives every topic a new epoch, so old positions fail `epoch-changed`.
 */
export class RedisBroker implements Broker {
  readonly presenceTtlMs: number;
  private readonly link: RedisLink;
  private readonly scripts: RedisScripts;
  private readonly keys: RedisKeys;
  private readonly ownerId = randomBytes(9).toString('base64url');
  private readonly ownerKey: string;
  private handler: BrokerHandler = noHandler;
  private current: BrokerState = 'down';
  private closed = false;
  /** Bumped on every loss, so a resync that a newer loss overtook does not report `up`. */
  private generation = 0;
  /** Subscribed topics by channel name. */
  private readonly channels = new Map<string, string>();
  /** Channels given up while `down`: the client library may subscribe them again on reconnect. */
  private readonly staleChannels = new Set<string>();
  private readonly ownPresence = new Map<string, Map<string, PresenceEntry>>();
  /** Commands awaiting a reply, rejected at once when the link drops or the broker closes. */
  private readonly pending = new PendingCommands(() => this.closed);
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;

  /** Connects (both connections), then resolves with a broker that is `up`. */
  static async connect(options: RedisBrokerOptions): Promise<RedisBroker> {
    const broker = new RedisBroker(options);
    await broker.start(options.connectTimeoutMs ?? 10_000);
    return broker;
  }

  private constructor(options: RedisBrokerOptions) {
    this.presenceTtlMs = options.presenceTtlMs ?? DEFAULT_REDIS_PRESENCE_TTL_MS;
    if (!(this.presenceTtlMs >= 30)) throw new RangeError('presenceTtlMs must be >= 30');
    this.keys = new RedisKeys(options.prefix ?? 'fullduplex:');
    this.ownerKey = this.keys.owner(this.ownerId);
    this.link = redisLinkFor(options.client);
    this.scripts = new RedisScripts(this.link);
  }

  get state(): BrokerState {
    return this.current;
  }

  setHandler(handler: BrokerHandler): void {
    this.handler = handler;
  }

  async publish(topic: string, data: BrokerPayload, options: BrokerPublishOptions): Promise<StreamPosition> {
    if (!(options.historyTtlMs > 0) || !(options.historySize >= 0)) {
      throw new RangeError('historySize must be >= 0 and historyTtlMs > 0');
    }
    const key = options.key ?? '';
    const reply = await this.run(
      PUBLISH_SCRIPT,
      [this.keys.meta(topic), this.keys.history(topic)],
      [
        freshEpoch(),
        String(Math.ceil(options.historyTtlMs)),
        String(Math.floor(options.historySize)),
        this.keys.channel(topic),
        publicationFlags(data, options.key),
        key,
        data,
      ],
    );
    return readPositionReply(reply);
  }

  async history(topic: string, query: HistoryQuery): Promise<HistoryResult> {
    const reply = await this.run(
      HISTORY_SCRIPT,
      [this.keys.meta(topic), this.keys.history(topic)],
      [
        freshEpoch(),
        String(Math.ceil(query.historyTtlMs)),
        query.since === undefined ? '' : String(query.since.offset),
        query.since === undefined ? '' : query.since.epoch,
        String(query.limit ?? -1),
      ],
    );
    return readHistoryReply(topic, reply);
  }

  async subscribe(topic: string): Promise<void> {
    this.check();
    const channel = this.keys.channel(topic);
    if (this.channels.has(channel)) return;
    this.channels.set(channel, topic);
    this.staleChannels.delete(channel);
    try {
      await this.pending.guard(this.link.subscribe([channel]));
    } catch (error) {
      this.channels.delete(channel);
      throw error;
    }
  }

  async unsubscribe(topic: string): Promise<void> {
    const channel = this.keys.channel(topic);
    if (!this.channels.delete(channel) || this.closed) return;
    if (this.current === 'down') {
      this.staleChannels.add(channel);
      return;
    }
    // Not subscribed in Redis once the link drops: nothing to undo then.
    await this.link.unsubscribe([channel]).catch(() => {});
  }

  async addPresence(topic: string, entry: PresenceEntry): Promise<void> {
    this.check();
    let entries = this.ownPresence.get(topic);
    if (!entries) {
      entries = new Map();
      this.ownPresence.set(topic, entries);
    }
    entries.set(entry.id, entry);
    await this.writePresence(topic, entry);
  }

  async removePresence(topic: string, id: string): Promise<void> {
    const entries = this.ownPresence.get(topic);
    if (!entries?.delete(id)) return;
    if (entries.size === 0) this.ownPresence.delete(topic);
    if (this.current === 'down' || this.closed) return; // expires with this process's owner key
    await this.run(
      REMOVE_PRESENCE_SCRIPT,
      [this.keys.presence(topic)],
      [this.keys.channel(topic), id, this.ownerId],
    ).catch(() => {});
  }

  async listPresence(topic: string): Promise<PresenceEntry[]> {
    const reply = await this.run(
      LIST_PRESENCE_SCRIPT,
      [this.keys.presence(topic)],
      [this.keys.channel(topic), this.keys.owner('')],
    );
    const entries: PresenceEntry[] = [];
    for (const json of readStringList(reply)) entries.push(JSON.parse(json) as PresenceEntry);
    return entries;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.current === 'up') {
      for (const [topic, entries] of [...this.ownPresence]) {
        for (const id of [...entries.keys()]) await this.removePresence(topic, id);
      }
      await this.link.command(['DEL', this.ownerKey]).catch(() => {});
    }
    this.closed = true;
    this.current = 'down';
    clearInterval(this.timer);
    clearTimeout(this.retry);
    this.pending.rejectAll(new ConnectionClosedError('the broker is closed'));
    this.channels.clear();
    this.ownPresence.clear();
    await this.link.close();
  }

  private async start(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new BrokerUnavailableError(`Redis did not become ready within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([
        this.link.start({
          message: (channel, message) => this.deliver(channel, message),
          lost: (error) => this.lost(error),
          ready: () => void this.resync(),
        }),
        timeout,
      ]);
      await Promise.race([this.resync(), timeout]);
    } catch (error) {
      await this.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (this.current !== 'up') {
      await this.close();
      throw new BrokerUnavailableError('Redis went away while the broker started');
    }
    this.timer = setInterval(() => void this.tick(), Math.max(10, Math.floor(this.presenceTtlMs / 3)));
    this.timer.unref();
  }

  private deliver(channel: string, message: Buffer): void {
    const topic = this.channels.get(channel);
    if (topic === undefined) return; // unsubscribed while the message was on its way
    const decoded = decodeChannelMessage(topic, message);
    if (decoded === undefined) return;
    try {
      if ('offset' in decoded) this.handler.onPublication(decoded);
      else this.handler.onPresence(decoded);
    } catch {
      // A handler must not throw (BrokerHandler); one that does must not stop delivery.
    }
  }

  private lost(error: Error): void {
    this.generation++;
    const failure = new BrokerUnavailableError(`Redis is unreachable: ${error.message}`, { cause: error });
    this.pending.rejectAll(failure);
    if (this.current === 'down' || this.closed) return;
    this.current = 'down';
    this.report('down', failure);
  }

  /** After (re)connecting: subscribe every topic again, restore presence, then report `up`. */
  private async resync(): Promise<void> {
    if (this.closed || this.current === 'up' || !this.link.isReady()) return;
    const generation = this.generation;
    try {
      await this.scripts.load(ALL_SCRIPTS);
      await this.link.subscribe([...this.channels.keys()]);
      const stale = [...this.staleChannels];
      await this.link.unsubscribe(stale);
      for (const channel of stale) this.staleChannels.delete(channel);
      await this.refreshPresence();
    } catch {
      if (!this.closed && generation === this.generation) {
        clearTimeout(this.retry);
        this.retry = setTimeout(() => void this.resync(), 250);
        this.retry.unref();
      }
      return;
    }
    if (
      this.closed ||
      generation !== this.generation ||
      !this.link.isReady() ||
      (this.current as BrokerState) === 'up'
    )
      return;
    this.current = 'up';
    this.report('up');
  }

  /** Keeps this process's presence alive, restores it if Redis lost it, sweeps dead processes'. */
  private async tick(): Promise<void> {
    if (this.current !== 'up') return;
    try {
      await this.refreshPresence();
      for (const topic of this.channels.values()) await this.listPresence(topic);
    } catch {
      // The link reports its own loss; a failed refresh is retried on the next tick.
    }
  }

  private async refreshPresence(): Promise<void> {
    const hashes = [...this.ownPresence.keys()].map((topic) => this.keys.presence(topic));
    const existed = await this.scripts.run(
      REFRESH_PRESENCE_SCRIPT,
      [this.ownerKey, ...hashes],
      [String(this.presenceTtlMs)],
    );
    if (existed !== 0) return;
    for (const [topic, entries] of this.ownPresence) {
      for (const entry of entries.values()) await this.writePresence(topic, entry, true);
    }
  }

  private writePresence(topic: string, entry: PresenceEntry, direct = false): Promise<unknown> {
    const keys = [this.keys.presence(topic), this.ownerKey];
    const args = [
      this.keys.channel(topic),
      entry.id,
      this.ownerId,
      JSON.stringify(entry),
      String(this.presenceTtlMs),
    ];
    return direct
      ? this.scripts.run(ADD_PRESENCE_SCRIPT, keys, args)
      : this.run(ADD_PRESENCE_SCRIPT, keys, args);
  }

  /** Runs a script while `up`; rejects at once while `down`, and when the link drops before a reply. */
  private run(script: string, keys: string[], args: Array<string | Buffer>): Promise<unknown> {
    try {
      this.check();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.pending.guard(this.scripts.run(script, keys, args));
  }

  private check(): void {
    if (this.closed) throw new ConnectionClosedError('the broker is closed');
    if (this.current === 'down') throw new BrokerUnavailableError('Redis is unreachable');
  }

  private report(state: BrokerState, error?: Error): void {
    try {
      this.handler.onStateChange(state, error);
    } catch {
      // See deliver.
    }
  }
}
