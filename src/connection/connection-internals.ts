// Every privileged operation another module may perform on a Connection, beyond its public API. Not
// re-exported from any index: the package's users never see these. `grep connection-internals`
// lists every caller (test/unit/architecture.test.ts keeps them inside connection/ and server/).
import type { Connection } from './connection.js';
import type { ConnectionEngine } from './connection-engine.js';
import type { CloseInfo, SendOptions } from './message.js';
import { DROPPED } from './outbound.js';
import type { PreparedMessage } from './prepared-message.js';

/** What happened to one connection's send in a broadcast. */
export type SendOutcome = 'queued' | 'dropped' | 'closed';

/** The one door from a Connection to its engine; opened by Connection's static block, nowhere else. */
let engineOf: (connection: Connection) => ConnectionEngine;

/** Called once, by Connection's static block. */
export function grantEngineAccess(access: (connection: Connection) => ConnectionEngine): void {
  engineOf = access;
}

/**
 * For broadcast() (connection/broadcast.ts): send a prepared message and say what became of it, which
 * the boolean of sendPrepared() cannot tell.
 */
export function offerPrepared(
  connection: Connection,
  prepared: PreparedMessage,
  options: SendOptions | undefined,
): SendOutcome {
  const engine = engineOf(connection);
  if (engine.readyState !== 'open') return 'closed';
  try {
    const outcome = engine.offer(
      prepared.type,
      prepared.data,
      options?.compress ?? prepared.compress,
      prepared,
      options,
    );
    if (outcome === DROPPED) {
      engine.out.overBound = true;
      return 'dropped';
    }
    if (engine.bufferedAmount > engine.settings.maxBufferedBytes) engine.out.overBound = true;
    return 'queued';
  } catch (error) {
    // The policy (or a throwing onDrop listener) closed it; anything else is the caller's bug.
    if (engine.readyState !== 'open') return 'closed';
    throw error;
  }
}

/**
 * For the server's bookkeeping: call `watcher` once, synchronously, when the connection closes,
 * without the promises `closed.then()` would cost per connection. One watcher per connection.
 */
export function watchClosed(connection: Connection, watcher: (connection: Connection) => void): void {
  const engine = engineOf(connection);
  if (engine.close.info !== null) watcher(connection);
  else engine.closeWatcher = watcher;
}

/** For the server's close event: how the connection ended, null while open. */
export function closeInfoOf(connection: Connection): CloseInfo | null {
  return engineOf(connection).close.info;
}

/**
 * For the server: who ended a closed connection. 'remote': the peer's Close came first; 'local': ours
 * did, or we failed it; 'abnormal': no Close from the peer and no code of ours (1006: dropped,
 * terminated, timed out).
 */
export function closedByOf(connection: Connection): 'local' | 'remote' | 'abnormal' {
  const close = engineOf(connection).close;
  if (close.info?.code === 1006) return 'abnormal';
  return close.remoteFirst ? 'remote' : 'local';
}

/** What a server's metrics add up over its connections. */
export interface TrafficTotals {
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
}

/** For the server's metrics: add the connection's traffic so far to `totals`. */
export function addTraffic(connection: Connection, totals: TrafficTotals): void {
  const engine = engineOf(connection);
  totals.messagesIn += engine.inbound.messagesReceived;
  totals.messagesOut += engine.outbound?.messagesSent ?? 0;
  totals.bytesIn += engine.transport.bytesReceived ?? 0;
  totals.bytesOut += engine.transport.bytesSent ?? 0;
}

/** For the server: close now with `code`, dropping the backlog (memory budget, a failed onConnection). */
export function shedConnection(connection: Connection, code: number, reason: string): void {
  engineOf(connection).shed(code, reason);
}

/** What a connection holds inbound, as its budget counts it (Inbound's figures). */
export interface InboundHeld {
  /** Bytes held for the message being received (gathered, or queued unread for a streaming reader). */
  readonly messageBytes: number;
  /** That plus whole messages waiting unread. */
  readonly heldBytes: number;
}

/** For the server's memory budget: the connection's inbound figures. */
export function inboundHeld(connection: Connection): InboundHeld {
  return engineOf(connection).inbound;
}
