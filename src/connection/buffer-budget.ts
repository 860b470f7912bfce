import { WebSocketError } from '../errors.js';

/**
 * The reason given with the close (budget `closeCode`, 1013 by default) of a connection whose incoming
 * message grew past its own bound while the budget was exceeded.
 */
export const INBOUND_OVER_BUDGET_REASON =
  'server over its memory budget: incoming message too large to hold now';

/** The reason given with the close of a connection over its bound, sent to while the budget was exceeded. */
export const OUTBOUND_OVER_BUDGET_REASON = 'server over its memory budget';

/** What a connection shows the budget: the bytes it holds, and a way to shed it. */
export interface BudgetMember {
  /**
   * Bytes the budget counts for this connection: outgoing bytes held in its own queues (not yet
   * handed to the transport) plus incoming bytes held for the message being received and for whole
   * messages waiting unread.
   */
  readonly heldBytes: number;
  /** Close now with `code`, dropping the held backlog (reported as unsent). */
  shed(code: number, reason: string): void;
}

export interface BufferBudgetOptions {
  /**
   * What a send does when the budget is exceeded and its connection is over its own
   * `maxBufferedBytes` under the `'wait'` policy (the only one that would otherwise keep queueing):
   * `'close'` (default) closes that connection with `closeCode`; `'drop-newest'` drops the message
   * and counts it. The other policies already hold a connection near its bound and act as usual.
   */
  readonly overflow?: 'close' | 'drop-newest';
  /** 1013 (try again later, default) or 1008 (policy violation). */
  readonly closeCode?: number;
}

/**
 * A process-wide cap on the message bytes held by the connections that share it (option `budget`),
 * both ways. Per-connection bounds alone let memory grow as peers × `maxBufferedBytes` outbound and
 * peers × `maxPayload` inbound; the budget caps the sum.
 *
 * What it counts, outbound: bytes framed into a member's write queue and not yet handed to its
 * transport, plus whole messages waiting behind a streaming writer. A healthy connection hands
 * everything over each turn, so only congested peers hold bytes here. Each transport also keeps its
 * own buffer (at most about its high-water mark plus one 128 KiB batch): that part is bounded per
 * connection and not counted.
 *
 * Inbound (`usedInbound`): the payload bytes held for a message not yet complete (the chunks gathered
 * so far, or a streaming reader's queue not yet read), and whole messages waiting unread in the
 * inbox. A message stops counting once the application has it (a listener or read() took it, or a
 * streamed message's last chunk was queued), and everything a connection held stops counting when it
 * fails or closes. A message that arrives in one read (most do) is never counted at all.
 *
 * What it does: nothing to a connection under its own bound (a well-behaved peer is never punished
 * for others). While `used > limit`:
 * - a send to a connection over its own bound under the `'wait'` policy gets the `overflow` action
 *   instead of being queued;
 * - a connection whose incoming message grows past its own `maxBufferedBytes` is closed with
 *   `closeCode` (always, whatever `overflow` says: part of a message cannot be dropped), and what it
 *   held is released at once. Messages of any size up to `maxPayload` still pass while there is room.
 * `shedLargest()` closes the biggest holders (1013 by default) for callers that want to get back
 * under the limit at once.
 */
export class BufferBudget {
  readonly limit: number;
  readonly overflow: 'close' | 'drop-newest';
  readonly closeCode: number;
  #used = 0;
  #usedInbound = 0;
  readonly #members = new Set<BudgetMember>();

  constructor(limit: number, options: BufferBudgetOptions = {}) {
    if (!Number.isSafeInteger(limit) || limit < 0)
      throw new WebSocketError('ERR_INVALID_ARGUMENT', 'budget limit must be a non-negative integer');
    const closeCode = options.closeCode ?? 1013;
    if (closeCode !== 1013 && closeCode !== 1008)
      throw new WebSocketError('ERR_INVALID_ARGUMENT', 'budget closeCode must be 1013 or 1008');
    this.limit = limit;
    this.overflow = options.overflow ?? 'close';
    this.closeCode = closeCode;
  }

  /** Bytes held by all members now, both ways. */
  get used(): number {
    return this.#used;
  }

  /** The part of `used` held for incoming messages (being received, or whole and unread). */
  get usedInbound(): number {
    return this.#usedInbound;
  }

  get exceeded(): boolean {
    return this.#used > this.limit;
  }

  /** Connections sharing this budget now. */
  get size(): number {
    return this.#members.size;
  }

  /** A member's held bytes changed by `delta` (called by the write queue, not by applications). */
  charge(delta: number): void {
    this.#used += delta;
  }

  /** A member's incoming bytes changed by `delta` (called by the inbound path, not by applications). */
  chargeInbound(delta: number): void {
    this.#used += delta;
    this.#usedInbound += delta;
  }

  join(member: BudgetMember): void {
    this.#members.add(member);
  }

  leave(member: BudgetMember): void {
    this.#members.delete(member);
  }

  /**
   * Close the connections holding the most bytes, largest first, until the budget is no longer
   * exceeded or `max` were closed (default: as many as needed). Their backlogs are dropped (each
   * connection's `closed` reports them as unsent). Returns how many connections were closed.
   */
  shedLargest(max = Number.POSITIVE_INFINITY, code = this.closeCode): number {
    if (!this.exceeded || max <= 0) return 0;
    const holders = [...this.#members].filter((member) => member.heldBytes > 0);
    holders.sort((a, b) => b.heldBytes - a.heldBytes);
    let closed = 0;
    for (const member of holders) {
      if (!this.exceeded || closed >= max) break;
      member.shed(code, 'server over its memory budget');
      closed++;
    }
    return closed;
  }
}
