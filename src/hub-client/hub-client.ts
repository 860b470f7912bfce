import type { Codec } from '../codecs/codec.js';
import { backoffDelay, type ResolvedReconnectOptions, resolveReconnectOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { fatalError } from './fatal-error.js';
import { HubClientError } from './hub-client-error.js';
import {
  type ClientClock,
  HUB_PROTOCOL,
  type HubClientOptions,
  systemClock,
  type WebSocketConstructor,
  type WebSocketLike,
} from './hub-client-options.js';
import { Lifecycle } from './lifecycle.js';
import { encodePayload, plainJson } from './payload.js';
import { type PublishAck, Publisher } from './publisher.js';
import { type HistoryAnswer, ReadRequests } from './read-requests.js';
import type { Position, PresenceEntry, Subscription } from './subscription.js';
import { type RecoveredEvent, TopicRegistry } from './topic-registry.js';

export type ClientState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface HubClientEvents {
  state: ClientState;
  connecting: { readonly attempt: number };
  connected: { readonly client: string; readonly ping: number; readonly reconnected: boolean };
  /** The connection ended; `delay` is when the next attempt starts (none when giving up). */
  disconnected: {
    readonly code: number;
    readonly reason: string;
    readonly willReconnect: boolean;
    readonly delay?: number;
  };
  /** Every subscription was answered after a reconnect; `complete` is false if any topic lost messages. */
  recovered: RecoveredEvent;
  /** The client gave up for good (unauthorized, protocol-mismatch, attempts-exhausted). */
  failed: HubClientError;
  /** Something went wrong that the client survives: a listener threw, a payload did not decode, a stray server error. */
  error: Error;
}

/**
 * A hub client that keeps itself connected: it reconnects with backoff, resubscribes each topic from
 * its last position, queues publishes while offline, and notices a dead connection by the server's
 * pings. Runs in browsers and in Node over any WHATWG WebSocket constructor.
 */
export class HubClient<T = unknown> {
  readonly url: string;
  readonly #WebSocket: WebSocketConstructor;
  readonly #codec: Codec<T>;
  readonly #reconnect: ResolvedReconnectOptions;
  readonly #publisher: Publisher;
  readonly #clock: ClientClock;
  readonly #random: () => number;
  readonly #heartbeatOption: number | undefined;
  readonly #connectTimeout: number;
  readonly #events = new Emitter<HubClientEvents>((error) => this.#reportError(error));
  readonly #lifecycle: Lifecycle | null;
  readonly #topics: TopicRegistry<T>;
  readonly #reads: ReadRequests<T>;
  #state: ClientState = 'idle';
  #socket: WebSocketLike | null = null;
  #welcomed = false;
  #everConnected = false;
  #failedAttempts = 0;
  #nextId = 1;
  #timer: unknown = null;
  #heartbeatTimeout = 0;
  #lastSeen = 0;

  constructor(url: string, options: HubClientOptions<T> = {}) {
    this.url = url;
    const ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (ctor === undefined)
      throw new TypeError(
        "no WebSocket constructor: pass options.WebSocket (e.g. WebSocket from 'fullduplex')",
      );
    this.#WebSocket = ctor;
    this.#codec = options.codec ?? (plainJson as Codec<T>);
    this.#topics = new TopicRegistry(this.#codec, {
      send: (frame) => this.#send(frame),
      connected: () => this.#welcomed,
      nextId: () => this.#nextId++,
      reportError: (error) => this.#reportError(error),
      recovered: (event) => this.#events.emit('recovered', event),
    });
    this.#reads = new ReadRequests(this.#codec, {
      send: (frame) => this.#send(frame),
      connected: () => this.#welcomed,
      nextId: () => this.#nextId++,
      state: () => this.#state,
    });
    this.#reconnect = resolveReconnectOptions(options.reconnect);
    this.#publisher = new Publisher(
      options.queue,
      (frame) => this.#send(frame),
      () => this.#nextId++,
    );
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#heartbeatOption = options.heartbeatTimeout;
    this.#connectTimeout = options.connectTimeout ?? 10_000;
    this.#lifecycle =
      options.lifecycleEvents === false ? null : Lifecycle.ifAvailable(() => this.reconnectNow());
  }

  get state(): ClientState {
    return this.#state;
  }

  on<K extends keyof HubClientEvents>(event: K, listener: (value: HubClientEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  off<K extends keyof HubClientEvents>(event: K, listener: (value: HubClientEvents[K]) => void): void {
    this.#events.off(event, listener);
  }

  /** Starts connecting (and keeps connected until close() or a fatal error). */
  connect(): void {
    if (this.#state !== 'idle') return;
    this.#lifecycle?.start();
    this.#open();
  }

  /** When waiting to retry, tries again now (the browser came online, the tab became visible). */
  reconnectNow(): void {
    if (this.#state !== 'disconnected') return;
    this.#clearTimer();
    this.#open();
  }

  /** Closes for good: queued and unacknowledged publishes fail with `closed`, subscriptions end. */
  close(code = 1000, reason = ''): void {
    if (this.#state === 'closed') return;
    this.#shutdown(new HubClientError('closed', 'the client was closed'));
    const socket = this.#socket;
    this.#socket = null;
    if (socket !== null) {
      detach(socket);
      socket.close(code, reason);
    }
  }

  /**
   * Follows `topic` from now (or from `since`, to recover what came after it). The subscription lives
   * across reconnects until `unsubscribe()`; one per topic per client.
   */
  subscribe(topic: string, options: { since?: Position } = {}): Subscription<T> {
    if (this.#state === 'closed') throw new HubClientError('closed', 'the client was closed');
    return this.#topics.add(topic, options.since ?? null);
  }

  /**
   * Publishes `value` on `topic`; resolves with its offset and epoch. While disconnected it waits in
   * the offline queue; a full queue with policy `error` throws `queue-full` here.
   */
  publish(topic: string, value: T, options: { key?: string } = {}): Promise<PublishAck> {
    if (this.#state === 'closed')
      return Promise.reject(new HubClientError('closed', 'the client was closed'));
    let payload: { data: string; binary?: true };
    try {
      payload = encodePayload(this.#codec, value);
    } catch (error) {
      return Promise.reject(error);
    }
    const request: Record<string, unknown> = { op: 'publish', topic, ...payload };
    if (options.key !== undefined) request.key = options.key;
    return this.#publisher.publish(request, this.#welcomed);
  }

  /** Who is subscribed to `topic` now (every process), for a topic with presence on. Only while connected. */
  presence(topic: string): Promise<PresenceEntry[]> {
    return this.#reads.read('presence', { topic });
  }

  /** `topic`'s history: the newest `limit` publications, or those after `since`. Only while connected. */
  history(topic: string, query: { since?: Position; limit?: number } = {}): Promise<HistoryAnswer<T>> {
    return this.#reads.read('history', { topic, ...query });
  }

  #open(): void {
    this.#setState('connecting');
    this.#welcomed = false;
    this.#events.emit('connecting', { attempt: this.#failedAttempts + 1 });
    let socket: WebSocketLike;
    try {
      socket = new this.#WebSocket(this.url, HUB_PROTOCOL);
    } catch (error) {
      this.#fail(
        new HubClientError('invalid-url', `cannot connect to ${this.url}`, { cause: error }),
        1006,
        '',
      );
      return;
    }
    this.#socket = socket;
    let failure: unknown;
    socket.onopen = () => {
      if (socket.protocol !== HUB_PROTOCOL) {
        const message = `the server did not select the ${HUB_PROTOCOL} subprotocol (got '${socket.protocol}')`;
        this.#dropSocket(socket, 1000, 'protocol mismatch');
        this.#fail(new HubClientError('protocol-mismatch', message), 1006, 'protocol mismatch');
      }
    };
    socket.onmessage = (event: { readonly data: unknown }) => {
      this.#lastSeen = this.#clock.now();
      if (typeof event.data === 'string') this.#onFrame(event.data);
    };
    socket.onerror = (event: unknown) => {
      failure = (event as { error?: unknown }).error;
    };
    socket.onclose = (event: { readonly code: number; readonly reason: string }) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#onClosed(event.code, event.reason, failure);
    };
    this.#setTimer(this.#connectTimeout, () => {
      this.#dropSocket(socket, 4000, 'connect timeout');
      this.#onClosed(1006, 'connect timeout', undefined);
    });
  }

  #onFrame(text: string): void {
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      this.#reportError(
        new HubClientError('bad-frame', 'the server sent a frame that is not JSON', { cause: error }),
      );
      return;
    }
    switch (frame.op) {
      case 'welcome':
        this.#onWelcome(frame);
        return;
      case 'message':
        this.#topics.onMessage(frame);
        return;
      case 'ping':
        this.#send({ op: 'pong' });
        return;
      case 'subscribed':
        this.#topics.onSubscribed(frame);
        return;
      case 'published':
        this.#publisher.acked(frame.id, { offset: frame.offset as number, epoch: frame.epoch as string });
        return;
      case 'gap':
        this.#topics.onGap(frame);
        return;
      case 'join':
      case 'leave':
        this.#topics.onPresence(frame);
        return;
      case 'presence':
      case 'history':
        this.#reads.answered(frame);
        return;
      case 'error':
        this.#onError(frame);
        return;
      default:
        // unsubscribed, pong and ops of later versions need nothing from us.
        return;
    }
  }

  #onWelcome(frame: Record<string, unknown>): void {
    this.#clearTimer();
    const reconnected = this.#everConnected;
    this.#welcomed = true;
    this.#everConnected = true;
    this.#failedAttempts = 0;
    this.#setState('connected');
    const ping = typeof frame.ping === 'number' ? frame.ping : 0;
    this.#heartbeatTimeout = this.#heartbeatOption ?? ping * 2000;
    this.#lastSeen = this.#clock.now();
    if (this.#heartbeatTimeout > 0) this.#setTimer(this.#heartbeatTimeout, () => this.#checkHeartbeat());
    this.#topics.resubscribeAll(reconnected);
    this.#publisher.flush();
    this.#events.emit('connected', { client: String(frame.client), ping, reconnected });
  }

  #checkHeartbeat(): void {
    const silent = this.#clock.now() - this.#lastSeen;
    if (silent < this.#heartbeatTimeout) {
      this.#setTimer(this.#heartbeatTimeout - silent, () => this.#checkHeartbeat());
      return;
    }
    const socket = this.#socket;
    if (socket === null) return;
    // A stalled peer may never finish a closing handshake: stop waiting for it and move on.
    this.#dropSocket(socket, 4000, 'heartbeat timeout');
    this.#onClosed(1006, 'heartbeat timeout', undefined);
  }

  #onError(frame: Record<string, unknown>): void {
    const error = new HubClientError(String(frame.code), String(frame.message ?? frame.code));
    const id = frame.id as number;
    if (this.#publisher.refused(id, error) || this.#reads.refused(id, error)) return;
    if (!this.#topics.refused(id, error)) this.#reportError(error);
  }

  #send(frame: Record<string, unknown>): void {
    try {
      this.#socket?.send(JSON.stringify(frame));
    } catch {
      // The socket is closing: its close event follows and settles what was in flight.
    }
  }

  #onClosed(code: number, reason: string, failure: unknown): void {
    this.#clearTimer();
    const wasWelcomed = this.#welcomed;
    this.#welcomed = false;
    this.#topics.detachAll();
    this.#publisher.connectionLost();
    this.#reads.failAll(new HubClientError('connection-lost', 'the connection dropped before the answer'));
    if (this.#state === 'closed') return;
    const fatal = fatalError(failure, code, reason, wasWelcomed);
    if (fatal !== null) {
      this.#fail(fatal, code, reason);
      return;
    }
    if (!wasWelcomed) this.#failedAttempts++;
    if (this.#failedAttempts >= this.#reconnect.maxAttempts) {
      const message = `gave up after ${this.#failedAttempts} failed connection attempts (last: ${code} ${reason})`;
      this.#fail(new HubClientError('attempts-exhausted', message, { cause: failure }), code, reason);
      return;
    }
    const delay = backoffDelay(Math.max(1, this.#failedAttempts), this.#reconnect, this.#random);
    this.#setState('disconnected');
    this.#events.emit('disconnected', { code, reason, willReconnect: true, delay });
    this.#setTimer(delay, () => this.#open());
  }

  #fail(error: HubClientError, code: number, reason: string): void {
    this.#shutdown(error);
    this.#events.emit('disconnected', { code, reason, willReconnect: false });
    this.#events.emit('failed', error);
  }

  #shutdown(error: HubClientError): void {
    this.#clearTimer();
    this.#lifecycle?.stop();
    this.#welcomed = false;
    this.#setState('closed');
    this.#publisher.shutdown(error);
    this.#reads.failAll(error);
    this.#topics.endAll();
  }

  #dropSocket(socket: WebSocketLike, code: number, reason: string): void {
    if (this.#socket === socket) this.#socket = null;
    detach(socket);
    try {
      socket.close(code, reason);
    } catch {
      // Already closing.
    }
  }

  #setState(state: ClientState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#events.emit('state', state);
  }

  #setTimer(ms: number, fn: () => void): void {
    this.#clearTimer();
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      fn();
    }, ms);
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #reportError(error: unknown): void {
    const reported = error instanceof Error ? error : new Error(String(error));
    // An error listener that throws must not loop back here.
    try {
      this.#events.emit('error', reported);
    } catch {}
  }
}

function detach(socket: WebSocketLike): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onerror = null;
  socket.onclose = null;
}
