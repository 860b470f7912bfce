import type { Codec } from '../codecs/codec.js';
import type { ReconnectOptions } from './backoff.js';
import type { QueueOptions } from './offline-queue.js';

/** The subprotocol the client offers; a server that does not select it is the wrong server. */
export const HUB_PROTOCOL = 'fullduplex.hub.v1';

/** The part of the WHATWG WebSocket interface the client uses (browsers', Node 22's, fullduplex's). */
export interface WebSocketLike {
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // Typed loosely so that browsers' and fullduplex's WebSocket types fit; the client sets functions.
  onopen: unknown;
  onmessage: unknown;
  onerror: unknown;
  onclose: unknown;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Timers the client uses; tests pass a fake one. */
export interface ClientClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export interface HubClientOptions<T = unknown> {
  /** The WebSocket constructor (default: `globalThis.WebSocket`; in Node 20 pass fullduplex's `WebSocket`). */
  readonly WebSocket?: WebSocketConstructor;
  /** Turns payloads into values and back (default: JSON, untyped). */
  readonly codec?: Codec<T>;
  readonly reconnect?: ReconnectOptions;
  /** The offline queue of publishes (default 100, drop-oldest). */
  readonly queue?: QueueOptions;
  /**
   * Milliseconds without any frame from the server after which the connection counts as dead
   * (default: twice the server's announced ping interval; none when the server does not ping).
   */
  readonly heartbeatTimeout?: number;
  /** Milliseconds from starting an attempt to the server's welcome before it counts as failed (default 10000). */
  readonly connectTimeout?: number;
  /** Reconnect at once on the browser's `online` event and when the tab becomes visible (default true). */
  readonly lifecycleEvents?: boolean;
  /** @internal for tests */
  readonly clock?: ClientClock;
  /** @internal for tests: uniform in [0, 1) */
  readonly random?: () => number;
}

export const systemClock: ClientClock = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
  now: () => Date.now(),
};
