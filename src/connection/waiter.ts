import type { Message, MessageStream } from './message.js';

/** A pending promise's settle functions, kept in a connection's queues of waiting callers. */
export interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A read() or readStream() waiting for the next message. */
export interface Reader extends Waiter<Message | MessageStream> {
  readonly stream: boolean;
}

/** A ping() waiting for its pong (RFC 6455 5.5.3: a pong answers it and every earlier ping). */
export interface PendingPing extends Waiter<number> {
  readonly payload: Buffer;
  readonly sentAt: number;
}

/**
 * The empty list every per-connection list starts as (most connections never queue a reader, a
 * waiter or a deferred message): one shared array instead of a dozen per connection. It must stay
 * empty: take `owned(list)` before pushing to any of them.
 */
export const NO_ITEMS: never[] = [];

export function owned<T>(list: T[]): T[] {
  return list === NO_ITEMS ? [] : list;
}

/**
 * A pong arrived: settle the ping it answers and every earlier one (RFC 6455 5.5.3), each with its
 * round-trip time. A pong matching no pending ping (unsolicited, or a heartbeat's) settles none.
 */
export function settlePings(pings: PendingPing[], payload: Buffer, now: number): void {
  for (let index = 0; index < pings.length; index++) {
    if ((pings[index] as PendingPing).payload.equals(payload)) {
      for (const ping of pings.splice(0, index + 1)) ping.resolve(now - ping.sentAt);
      return;
    }
  }
}
