// The server's process-wide budget on outgoing bytes, able to shed the connections that cause it.
import { type BudgetMember, BufferBudget } from '../connection/buffer-budget.js';
import type { Connection } from '../connection/connection.js';

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
  /** connection -> its budget member: the handle that closes it and drops its backlog. */
  readonly #members = new Map<Connection, BudgetMember>();
  #lastJoined: BudgetMember | null = null;

  override join(member: BudgetMember): void {
    super.join(member);
    this.#lastJoined = member;
  }

  override leave(member: BudgetMember): void {
    super.leave(member);
    if (this.#lastJoined === member) this.#lastJoined = null;
  }

  /**
   * Call right after constructing `connection` with this budget: a Connection joins its budget once,
   * synchronously, in its constructor, so the last member to join is its own.
   */
  adopt(connection: Connection): void {
    const member = this.#lastJoined;
    this.#lastJoined = null;
    if (member === null) return;
    this.#members.set(connection, member);
    const forget = (): void => {
      this.#members.delete(connection);
    };
    connection.closed.then(forget, forget);
  }

  /**
   * While exceeded: close with `closeCode` (1013) the connections over their own bound, largest
   * backlog first, until the budget is met or none is left. Returns how many were closed.
   */
  shedOverBound(): number {
    if (!this.exceeded) return 0;
    const over: Connection[] = [];
    for (const connection of this.#members.keys()) {
      if (connection.readyState === 'open' && connection.bufferedAmount > connection.maxBufferedBytes)
        over.push(connection);
    }
    over.sort((a, b) => b.bufferedAmount - a.bufferedAmount);
    let closed = 0;
    for (const connection of over) {
      if (!this.exceeded) break;
      this.#members.get(connection)?.shed(this.closeCode, BUDGET_SHED_REASON);
      closed++;
    }
    return closed;
  }
}
