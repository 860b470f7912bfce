// The server's process-wide budget on message bytes held both ways, able to shed the connections that cause it.
import { BufferBudget } from '../connection/buffer-budget.js';
import type { Connection } from '../connection/connection.js';
import { inboundHeld, shedConnection } from '../connection/connection-internals.js';

/** The reason sent (and reported locally) with the 1013 of a connection shed by the budget. */
export const BUDGET_SHED_REASON = 'server over its memory budget';

/**
 * A BufferBudget shared by every connection of one WebSocketServer (option `memoryBudget`): outgoing
 * bytes queued, and incoming bytes held for messages being received or waiting unread.
 *
 * Each connection enforces it as bytes arrive or leave: while the budget is exceeded, a send to a
 * connection over its own `maxBufferedBytes`, or an incoming message growing past that same bound,
 * closes the connection with 1013. The server adds two things: it refuses new upgrades while the
 * budget is exceeded, and before refusing it sheds the connections over their own bound, so a pile
 * of peers that stopped reading (and get no more sends), or that stopped halfway through a big
 * message, cannot keep the server refusing everyone. Connections under their own bound are never
 * shed: a well-behaved peer is not punished for others.
 */
export class ServerMemoryBudget extends BufferBudget {
  /**
   * While exceeded: close with `closeCode` (1013) those of `connections` (the server's own, which all
   * share this budget) over their own bound, one way or the other (outgoing bytes not yet written,
   * or an incoming message not yet complete), largest holder first, until the budget is met or none
   * is left; what they held is dropped. Unread whole messages count towards the size, not towards
   * the bound: holding them is the application's choice, not the peer's doing. Returns how many were
   * closed. The server's connection set is walked rather than a map kept here: no bookkeeping per
   * idle connection.
   */
  shedOverBound(
    connections: Iterable<Connection>,
    onShed?: (connection: Connection, code: number, reason: string) => void,
  ): number {
    if (!this.exceeded) return 0;
    const over: { connection: Connection; held: number }[] = [];
    for (const connection of connections) {
      if (connection.readyState !== 'open') continue;
      const bound = connection.maxBufferedBytes;
      const outgoing = connection.bufferedAmount;
      const incoming = inboundHeld(connection);
      if (outgoing > bound || incoming.messageBytes > bound)
        over.push({ connection, held: outgoing + incoming.heldBytes });
    }
    over.sort((a, b) => b.held - a.held);
    let closed = 0;
    for (const { connection } of over) {
      if (!this.exceeded) break;
      onShed?.(connection, this.closeCode, BUDGET_SHED_REASON);
      shedConnection(connection, this.closeCode, BUDGET_SHED_REASON);
      closed++;
    }
    return closed;
  }
}
