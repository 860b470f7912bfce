import type { Connection } from './connection.js';
import type { DropReason } from './connection-stats.js';

/**
 * Who watches a group of connections (a WebSocketServer: its metrics and diagnostics events). One
 * object shared by every connection built with the same options; called only on rare events, never
 * per message, and never when the option is unset.
 */
export interface ConnectionObserver {
  /** A slow-consumer policy or the budget kept `messages` (`bytes` of frames) from the wire. */
  dropped(connection: Connection, reason: DropReason, messages: number, bytes: number): void;
  /** We are closing the connection with our own code: a policy, the budget, a listener that threw. */
  failing(connection: Connection, code: number, reason: string): void;
  /** The peer broke the protocol; `code` is the one we close with (1002, 1007, 1009...). */
  protocolError(connection: Connection, code: number, message: string): void;
  /** The heartbeat gave up on the peer (terminated, reported as 1006). */
  heartbeatTimeout(connection: Connection, reason: string): void;
  /** A heartbeat ping was answered after `milliseconds`. */
  roundTrip(connection: Connection, milliseconds: number): void;
}
