// The server's events on node:diagnostics_channel (docs/observability.md). Channel objects are made
// once here; every publish is guarded by hasSubscribers and builds its message inside the guard, so
// with nobody subscribed an event costs one property read.
import diagnostics from 'node:diagnostics_channel';
import type { Connection } from '../connection/connection.js';
import type { CloseInfo } from '../connection/message.js';
import type { ClosedBy, RefusalReason } from './metrics-snapshot.js';

export const connectionOpenChannel = diagnostics.channel('fullduplex:connection:open');
export const connectionCloseChannel = diagnostics.channel('fullduplex:connection:close');
export const handshakeRefusedChannel = diagnostics.channel('fullduplex:handshake:refused');
export const messageDroppedChannel = diagnostics.channel('fullduplex:message:dropped');
export const budgetShedChannel = diagnostics.channel('fullduplex:budget:shed');
export const heartbeatTimeoutChannel = diagnostics.channel('fullduplex:heartbeat:timeout');
export const protocolErrorChannel = diagnostics.channel('fullduplex:protocol:error');
/** start/end/asyncStart/asyncEnd/error around one upgrade: from the request to the Connection (or none). */
export const upgradeTracingChannel = diagnostics.tracingChannel('fullduplex:upgrade');

/** When each server connection opened (ms, performance.now()), for the close event's duration. */
const openedAt = new WeakMap<Connection, number>();

export function publishOpen(connection: Connection): void {
  if (!connectionOpenChannel.hasSubscribers && !connectionCloseChannel.hasSubscribers) return;
  openedAt.set(connection, performance.now());
  if (connectionOpenChannel.hasSubscribers)
    connectionOpenChannel.publish({
      connection,
      remoteAddress: connection.remoteAddress,
      protocol: connection.protocol,
      extensions: connection.extensions,
    });
}

export function publishClose(connection: Connection, info: CloseInfo, closedBy: ClosedBy): void {
  if (!connectionCloseChannel.hasSubscribers) return;
  const opened = openedAt.get(connection);
  connectionCloseChannel.publish({
    connection,
    code: info.code,
    reason: info.reason,
    closedBy,
    wasClean: info.wasClean,
    unsentMessages: info.unsentMessages,
    durationMs: opened === undefined ? undefined : performance.now() - opened,
  });
}

/**
 * `response` is the HTTP answer written to the socket: its status, and its body as the reason;
 * `category` is the metrics' reason label.
 */
export function publishRefused(
  response: string,
  status: number,
  category: RefusalReason,
  remoteAddress: string | undefined,
): void {
  if (!handshakeRefusedChannel.hasSubscribers) return;
  const bodyStart = response.indexOf('\r\n\r\n');
  handshakeRefusedChannel.publish({
    status,
    reason: bodyStart === -1 ? '' : response.slice(bodyStart + 4).trim(),
    category,
    remoteAddress,
  });
}

/** The HTTP status of an answer we wrote ('HTTP/1.1 503 ...'). */
export function answerStatus(response: string): number {
  return Number(response.slice(9, 12));
}
