// The server's process-wide budget on outgoing bytes, able to shed the connections that cause it.
import { BufferBudget } from '../connection/buffer-budget.js';
import { type Connection, shedConnection } from '../connection/connection.js';

/** The reason sent (and reported locally) with the 1013 of a connection shed by the budget. */
export const BUDGET_SHED_REASON = 'server over its memory budget';

/**
 * A BufferBudget shared by every connection of one WebSocketServer (option `memoryBudget`).
 *
 * Each connection enforces it at send time (a send to a connection over its own `maxBufferedBytes`
 * while the budget is exceeded closes it with 1013). The server adds two things: it refuses new
 * upgrades while the budget is exceeded, and before refusing it sheds the connections over their own
 * bound, so a pile of peers that stopped reading (and get no more sends) cannot keep the server
 * refusing everyone. Connections under their own bound are never shed: a well-behaved peer is not
 * punished for others.
 */
export class ServerMemoryBudget extends BufferBudget {
  /**
   * While exceeded: close with `closeCode` (1013) those of `connections` (the server's own, which all
   * share this budget) over their own bound, largest backlog first, until the budget is met or none
   * is left; their backlogs are dropped. Returns how many were closed. The server's connection set is
   * walked rather than a map kept here: no bookkeeping per idle connection.
   */
  shedOverBound(connections: Iterable<Connection>): number {
    if (!this.exceeded) return 0;
    const over: Connection[] = [];
    for (const connection of connections) {
      if (connection.readyState === 'open' && connection.bufferedAmount > connection.maxBufferedBytes)
        over.push(connection);
    }
    over.sort((a, b) => b.bufferedAmount - a.bufferedAmount);
    let closed = 0;
    for (const connection of over) {
      if (!this.exceeded) break;
      shedConnection(connection, this.closeCode, BUDGET_SHED_REASON);
      closed++;
    }
    return closed;
  }
}
