import type { ErrorRoute } from '../callback-errors.js';
import type { Connection } from './connection.js';
import type { ConnectionStats, DropReason } from './connection-stats.js';

/** A user callback, called with its connection as `this`; it may return a promise, whose rejection is handled like a throw. */
export type Listener<A extends unknown[]> = ((this: Connection, ...args: A) => void) | null;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * What a connection holds only once the application asks for it: the listeners other than message
 * listeners, the drop counters and the route for rejected listener promises. One side object made
 * on first use (ConnectionEngine.extras) instead of seven fields in every connection, most of which
 * never set one.
 */
export class ConnectionExtras {
  ping: Listener<[Buffer]> = null;
  pong: Listener<[Buffer]> = null;
  drain: Listener<[]> = null;
  error: Listener<[unknown]> = null;
  drop: Listener<[DropReason, number, number]> = null;
  /** Created by the first drop or the first read of `stats`. */
  stats: Mutable<ConnectionStats> | null = null;
  /** Made the first time a listener returns a promise. */
  asyncFailed: ErrorRoute | null = null;
}
