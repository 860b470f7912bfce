import type { Connection } from './connection.js';
import { offerPrepared } from './connection-internals.js';
import type { MessageData, SendOptions } from './message.js';
import { PreparedMessage, prepareMessage } from './prepared-message.js';

/** What one broadcast did, connection by connection. */
export interface BroadcastResult {
  /** Connections that queued the message (possibly over their bound under 'wait'). */
  sent: number;
  /** Connections whose policy dropped it ('drop-newest', or the budget's drop). */
  dropped: number;
  /** Connections already closing or closed, or closed now by their policy ('close', the budget). */
  closed: number;
}

/**
 * Send one message to many connections, framed once: every server connection that sends it
 * uncompressed queues the same frame Buffers (see PreparedMessage); the others frame it themselves.
 * `options` apply to every send (`backpressure: 'drop-newest'` is the usual choice for fan-out, so a
 * subscriber that stops reading costs at most its bound). Never throws for a closed connection.
 */
export function broadcast(
  connections: Iterable<Connection>,
  message: MessageData | PreparedMessage,
  options?: SendOptions,
): BroadcastResult {
  const prepared =
    message instanceof PreparedMessage
      ? message
      : prepareMessage(message, { binary: options?.binary, compress: options?.compress });
  const result: BroadcastResult = { sent: 0, dropped: 0, closed: 0 };
  for (const connection of connections) {
    const outcome = offerPrepared(connection, prepared, options);
    if (outcome === 'queued') result.sent++;
    else if (outcome === 'dropped') result.dropped++;
    else result.closed++;
  }
  return result;
}
