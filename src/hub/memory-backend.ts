import { randomBytes } from 'node:crypto';
import type {
  BrokerPayload,
  BrokerPublishOptions,
  HistoryQuery,
  HistoryResult,
  PresenceEntry,
  PresenceEvent,
  Publication,
  StreamPosition,
} from './broker.js';

/** What the backend needs from each broker attached to it. */
export interface MemoryBackendMember {
  deliverPublication(publication: Publication): void;
  deliverPresence(event: PresenceEvent): void;
  backendStateChanged(up: boolean): void;
}

interface TopicState {
  epoch: string;
  offset: number;
  /** Retained publications from index `start`, oldest first, with the time each was published. */
  history: Publication[];
  publishedAt: number[];
  /** Entries before it are trimmed (compacted away in batches: trimming one is O(1)). */
  start: number;
  historyTtlMs: number;
  /** The state is forgotten at this time unless a publish extends it. */
  expiresAt: number;
}

interface PresenceRecord {
  entry: PresenceEntry;
  owner: MemoryBackendMember;
  expiresAt: number;
}

type Delivery = { kind: 'publication'; value: Publication } | { kind: 'presence'; value: PresenceEvent };

/**
 * The state several MemoryBrokers share, as processes share a Redis server: topics (offset, epoch,
 * history), presence and who is subscribed. One backend per process is the usual case; tests attach
 * several brokers to one backend to play several processes. Deliveries go through one queue, so a
 * publish made from inside a delivery callback is delivered after the one being delivered, to
 * everyone (one order per topic).
 */
export class MemoryBackend {
  available = true;
  private readonly topics = new Map<string, TopicState>();
  private readonly presence = new Map<string, Map<string, PresenceRecord>>();
  private readonly subscribers = new Map<string, Set<MemoryBackendMember>>();
  private readonly members = new Set<MemoryBackendMember>();
  private readonly queue: Delivery[] = [];
  private draining = false;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Tests: take the backend down (or bring it back) for every attached broker. */
  setAvailable(available: boolean): void {
    if (available === this.available) return;
    this.available = available;
    for (const member of [...this.members]) member.backendStateChanged(available);
  }

  attach(member: MemoryBackendMember): void {
    this.members.add(member);
  }

  detach(member: MemoryBackendMember): void {
    this.members.delete(member);
    for (const [topic, set] of this.subscribers) {
      set.delete(member);
      if (set.size === 0) this.subscribers.delete(topic);
    }
  }

  subscribe(topic: string, member: MemoryBackendMember): void {
    let set = this.subscribers.get(topic);
    if (!set) {
      set = new Set();
      this.subscribers.set(topic, set);
    }
    set.add(member);
  }

  unsubscribe(topic: string, member: MemoryBackendMember): void {
    const set = this.subscribers.get(topic);
    if (!set) return;
    set.delete(member);
    if (set.size === 0) this.subscribers.delete(topic);
  }

  publish(topic: string, data: BrokerPayload, options: BrokerPublishOptions): StreamPosition {
    const now = this.now();
    const state = this.liveState(topic, now, options.historyTtlMs);
    state.offset++;
    state.historyTtlMs = options.historyTtlMs;
    state.expiresAt = now + options.historyTtlMs;
    const publication: Publication =
      options.key === undefined
        ? { topic, offset: state.offset, epoch: state.epoch, data }
        : { topic, offset: state.offset, epoch: state.epoch, data, key: options.key };
    if (options.historySize > 0) {
      state.history.push(publication);
      state.publishedAt.push(now);
      const excess = state.history.length - state.start - options.historySize;
      if (excess > 0) trim(state, excess);
    } else if (state.history.length > 0) {
      state.history = [];
      state.publishedAt = [];
      state.start = 0;
    }
    this.enqueue({ kind: 'publication', value: publication });
    return { offset: state.offset, epoch: state.epoch };
  }

  history(topic: string, query: HistoryQuery): HistoryResult {
    const now = this.now();
    const state = this.liveState(topic, now, query.historyTtlMs);
    this.expireHistory(state, now);
    const position: StreamPosition = { offset: state.offset, epoch: state.epoch };
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    const since = query.since;
    const retained = state.history.length - state.start;
    if (!since) {
      const count = Math.min(limit, retained);
      return { ok: true, publications: state.history.slice(state.history.length - count), position };
    }
    if (since.epoch !== state.epoch) return { ok: false, reason: 'epoch-changed', position };
    if (since.offset > state.offset) return { ok: false, reason: 'offset-ahead', position };
    const missed = state.offset - since.offset;
    if (missed === 0) return { ok: true, publications: [], position };
    const oldest = retained > 0 ? state.history[state.start] : undefined;
    if (!oldest || oldest.offset > since.offset + 1) return { ok: false, reason: 'history-gap', position };
    if (missed > limit) return { ok: false, reason: 'limit-exceeded', position };
    return {
      ok: true,
      publications: state.history.slice(state.start + since.offset + 1 - oldest.offset),
      position,
    };
  }

  addPresence(topic: string, entry: PresenceEntry, owner: MemoryBackendMember, ttlMs: number): void {
    let records = this.presence.get(topic);
    if (!records) {
      records = new Map();
      this.presence.set(topic, records);
    }
    records.set(entry.id, { entry, owner, expiresAt: this.now() + ttlMs });
    this.enqueue({ kind: 'presence', value: { type: 'join', topic, entry } });
  }

  removePresence(topic: string, id: string, owner: MemoryBackendMember): void {
    const records = this.presence.get(topic);
    const record = records?.get(id);
    if (!records || !record || record.owner !== owner) return;
    records.delete(id);
    if (records.size === 0) this.presence.delete(topic);
    this.enqueue({ kind: 'presence', value: { type: 'leave', topic, entry: record.entry } });
  }

  /** Extend every entry `owner` holds (the owner's heartbeat). */
  refreshPresence(owner: MemoryBackendMember, ttlMs: number): void {
    const expiresAt = this.now() + ttlMs;
    for (const records of this.presence.values()) {
      for (const record of records.values()) if (record.owner === owner) record.expiresAt = expiresAt;
    }
  }

  listPresence(topic: string): PresenceEntry[] {
    const records = this.presence.get(topic);
    if (!records) return [];
    const now = this.now();
    const entries: PresenceEntry[] = [];
    for (const [id, record] of records) {
      if (record.expiresAt <= now) records.delete(id);
      else entries.push(record.entry);
    }
    if (records.size === 0) this.presence.delete(topic);
    return entries;
  }

  /** Forget expired topics and presence entries (lazy expiry covers reads; this bounds memory). */
  sweep(): void {
    const now = this.now();
    for (const [topic, state] of this.topics) if (state.expiresAt <= now) this.topics.delete(topic);
    for (const topic of [...this.presence.keys()]) this.listPresence(topic);
  }

  /** The topic's state, a fresh one (offset 0, new epoch) when it has none or it expired. */
  private liveState(topic: string, now: number, ttlMs: number): TopicState {
    let state = this.topics.get(topic);
    if (!state || state.expiresAt <= now) {
      state = {
        epoch: randomBytes(6).toString('base64url'),
        offset: 0,
        history: [],
        publishedAt: [],
        start: 0,
        historyTtlMs: ttlMs,
        expiresAt: now + ttlMs,
      };
      this.topics.set(topic, state);
    }
    return state;
  }

  private expireHistory(state: TopicState, now: number): void {
    const cutoff = now - state.historyTtlMs;
    let expired = 0;
    while (
      state.start + expired < state.publishedAt.length &&
      (state.publishedAt[state.start + expired] as number) <= cutoff
    ) {
      expired++;
    }
    if (expired > 0) trim(state, expired);
  }

  private enqueue(delivery: Delivery): void {
    this.queue.push(delivery);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let i = 0; i < this.queue.length; i++) this.deliver(this.queue[i] as Delivery);
    } finally {
      this.queue.length = 0;
      this.draining = false;
    }
  }

  private deliver(delivery: Delivery): void {
    const set = this.subscribers.get(delivery.value.topic);
    if (!set) return;
    for (const member of set) {
      if (delivery.kind === 'publication') member.deliverPublication(delivery.value);
      else member.deliverPresence(delivery.value);
    }
  }
}

/** Drop the `count` oldest retained publications; the arrays are compacted once half is dead. */
function trim(state: TopicState, count: number): void {
  state.start += count;
  if (state.start >= 1024 && state.start * 2 >= state.history.length) {
    state.history = state.history.slice(state.start);
    state.publishedAt = state.publishedAt.slice(state.start);
    state.start = 0;
  }
}
