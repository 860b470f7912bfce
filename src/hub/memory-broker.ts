import { reportUnhandled } from '../callback-errors.js';
import { BrokerUnavailableError, ConnectionClosedError } from '../errors.js';
import type {
  Broker,
  BrokerHandler,
  BrokerPayload,
  BrokerPublishOptions,
  BrokerState,
  HistoryQuery,
  HistoryResult,
  PresenceEntry,
  PresenceEvent,
  Publication,
  StreamPosition,
} from './broker.js';
import { MemoryBackend, type MemoryBackendMember } from './memory-backend.js';

/** Default presence TTL of the memory broker: 30 s (only reached by a broker that crashed). */
export const DEFAULT_PRESENCE_TTL_MS = 30_000;

export interface MemoryBrokerOptions {
  /**
   * The shared state, as a Redis server is shared by processes. Default: a new one of this broker's
   * own (one process). Tests pass one backend to several brokers to play several processes.
   */
  readonly backend?: MemoryBackend;
  /** See Broker.presenceTtlMs. Default 30 s; the broker refreshes its entries every third of it. */
  readonly presenceTtlMs?: number;
}

const noHandler: BrokerHandler = {
  onPublication() {},
  onPresence() {},
  onStateChange() {},
};

/**
 * The in-process broker: no dependencies, nothing leaves the process (unless several brokers share
 * one MemoryBackend). Live delivery is synchronous, inside `publish`, in one queue per backend.
 * Expired topics and presence entries are swept on a timer that does not keep the process alive.
 */
export class MemoryBroker implements Broker, MemoryBackendMember {
  readonly presenceTtlMs: number;
  private readonly backend: MemoryBackend;
  private handler: BrokerHandler = noHandler;
  private readonly topics = new Set<string>();
  private readonly ownPresence = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: MemoryBrokerOptions = {}) {
    this.backend = options.backend ?? new MemoryBackend();
    this.presenceTtlMs = options.presenceTtlMs ?? DEFAULT_PRESENCE_TTL_MS;
    if (!(this.presenceTtlMs > 0)) throw new RangeError('presenceTtlMs must be > 0');
    this.backend.attach(this);
    this.timer = setInterval(() => this.tick(), Math.max(10, Math.floor(this.presenceTtlMs / 3)));
    this.timer.unref();
  }

  get state(): BrokerState {
    return this.backend.available ? 'up' : 'down';
  }

  setHandler(handler: BrokerHandler): void {
    this.handler = handler;
  }

  publish(topic: string, data: BrokerPayload, options: BrokerPublishOptions): Promise<StreamPosition> {
    const failure = this.check();
    if (failure) return Promise.reject(failure);
    if (!(options.historyTtlMs > 0) || !(options.historySize >= 0)) {
      return Promise.reject(new RangeError('historySize must be >= 0 and historyTtlMs > 0'));
    }
    return Promise.resolve(this.backend.publish(topic, data, options));
  }

  history(topic: string, query: HistoryQuery): Promise<HistoryResult> {
    const failure = this.check();
    if (failure) return Promise.reject(failure);
    return Promise.resolve(this.backend.history(topic, query));
  }

  subscribe(topic: string): Promise<void> {
    const failure = this.check();
    if (failure) return Promise.reject(failure);
    this.topics.add(topic);
    this.backend.subscribe(topic, this);
    return Promise.resolve();
  }

  unsubscribe(topic: string): Promise<void> {
    this.topics.delete(topic);
    this.backend.unsubscribe(topic, this);
    return Promise.resolve();
  }

  addPresence(topic: string, entry: PresenceEntry): Promise<void> {
    const failure = this.check();
    if (failure) return Promise.reject(failure);
    let ids = this.ownPresence.get(topic);
    if (!ids) {
      ids = new Set();
      this.ownPresence.set(topic, ids);
    }
    ids.add(entry.id);
    this.backend.addPresence(topic, entry, this, this.presenceTtlMs);
    return Promise.resolve();
  }

  removePresence(topic: string, id: string): Promise<void> {
    const ids = this.ownPresence.get(topic);
    if (ids?.delete(id)) {
      if (ids.size === 0) this.ownPresence.delete(topic);
      this.backend.removePresence(topic, id, this);
    }
    return Promise.resolve();
  }

  listPresence(topic: string): Promise<PresenceEntry[]> {
    const failure = this.check();
    if (failure) return Promise.reject(failure);
    return Promise.resolve(this.backend.listPresence(topic));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const [topic, ids] of [...this.ownPresence]) {
      for (const id of [...ids]) await this.removePresence(topic, id);
    }
    this.stop();
  }

  /**
   * Stop as a killed process would: no leave, no cleanup. Its presence entries stay listed until
   * `presenceTtlMs` passes. For tests of the no-ghosts guarantee.
   */
  simulateCrash(): void {
    this.stop();
  }

  deliverPublication(publication: Publication): void {
    try {
      this.handler.onPublication(publication);
    } catch (error) {
      // A handler must not throw (BrokerHandler); one that does must not stop other processes' delivery.
      reportUnhandled(error, 'broker handler');
    }
  }

  deliverPresence(event: PresenceEvent): void {
    try {
      this.handler.onPresence(event);
    } catch (error) {
      reportUnhandled(error, 'broker handler'); // see deliverPublication
    }
  }

  backendStateChanged(up: boolean): void {
    if (this.closed) return;
    try {
      if (up) this.handler.onStateChange('up');
      else this.handler.onStateChange('down', new BrokerUnavailableError('memory backend is down'));
    } catch (error) {
      reportUnhandled(error, 'broker handler'); // see deliverPublication
    }
  }

  private tick(): void {
    if (!this.backend.available) return;
    this.backend.refreshPresence(this, this.presenceTtlMs);
    this.backend.sweep();
  }

  private check(): Error | undefined {
    if (this.closed) return new ConnectionClosedError('the broker is closed');
    if (!this.backend.available) return new BrokerUnavailableError('memory backend is down');
    return undefined;
  }

  private stop(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    for (const topic of this.topics) this.backend.unsubscribe(topic, this);
    this.topics.clear();
    this.ownPresence.clear();
    this.backend.detach(this);
  }
}
