import type { Protocol } from '../protocol/protocol.js';
import type { Clock } from './clock.js';
import type { MessageData } from './message.js';
import { messageBytes } from './message-bytes.js';
import { NO_ITEMS, owned, type PendingPing, settlePings } from './waiter.js';
import type { WriteQueue } from './write-queue.js';

/**
 * Pongs owed (framed, not yet handed to the transport) past which a newer ping's pong replaces the
 * newest owed one instead of queueing behind it. RFC 6455 5.5.3 allows answering only the most
 * recent ping; below this every ping gets its own pong, in order, as peers and test suites expect.
 * Pongs are owed only within one read or while the peer does not take our bytes, so only a flood
 * reaches it; it holds at most 128 x 127 bytes (16 KiB) per connection.
 */
export const MAX_OWED_PONGS = 128;

/** What pings and pongs need from their connection (the connection's engine, connection-engine.ts: no closures). */
export interface ControlFramesHost {
  readonly writeQueue: WriteQueue;
  scheduleFlush(): void;
  /** A pong was coalesced under a ping flood (counted in the connection's stats). */
  pongCoalesced(): void;
  /** A heartbeat ping was answered after `milliseconds`. */
  heartbeatAnswered(milliseconds: number): void;
}

/**
 * A connection's pings and pongs (RFC 6455 5.5.2, 5.5.3): ping() and the heartbeat's pings on the
 * queue's priority lane, the pings waiting for their pong, and the automatic pong. Made on the first
 * ping sent or received.
 */
export class ControlFrames {
  readonly #core: Protocol;
  readonly #clock: Clock;
  readonly #host: ControlFramesHost;
  #pending: PendingPing[] = NO_ITEMS;
  #counter = 0;
  /** When the heartbeat ping still unanswered was sent (the clock's ms), -1 if none. */
  #heartbeatSentAt = -1;

  constructor(core: Protocol, clock: Clock, host: ControlFramesHost) {
    this.#core = core;
    this.#clock = clock;
    this.#host = host;
  }

  /** ping() callers waiting for their pong. */
  get waiting(): number {
    return this.#pending.length;
  }

  /** Queue a ping; resolves with the round-trip time in ms when its pong (or a later one) arrives. */
  ping(data: MessageData | undefined): Promise<number> {
    let payload: Buffer;
    if (data === undefined) payload = this.#counterPayload();
    else payload = Buffer.from(messageBytes(data)); // a copy: we compare it with the pong later
    try {
      this.#sendPing(payload);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#pending = owned(this.#pending);
      this.#pending.push({ payload, sentAt: this.#clock.now(), resolve, reject });
    });
  }

  /** The heartbeat's ping: nobody waits for its pong (any frame proves the peer alive). */
  heartbeatPing(): void {
    this.#sendPing(this.#counterPayload());
    if (this.#heartbeatSentAt < 0) this.#heartbeatSentAt = this.#clock.now();
  }

  /** The automatic answer to a ping: a pong with the same payload (RFC 6455 5.5.3). */
  answer(payload: Buffer): void {
    try {
      this.pong(payload);
    } catch {
      // The connection closed meanwhile: nothing is owed any more.
    }
  }

  /**
   * Queue a pong on the priority lane, after the pongs already owed: every ping gets its own, in
   * order. Past MAX_OWED_PONGS the newest owed pong is replaced instead (5.5.3), and counted.
   * Throws what the protocol throws (over 125 bytes, or the connection is closed).
   */
  pong(payload: Buffer): void {
    const queue = this.#host.writeQueue;
    const owed = queue.pongsOwed;
    const bytes = this.#core.framePong(payload, queue.pong);
    if (owed >= MAX_OWED_PONGS) {
      queue.replaceNewestPong();
      this.#host.pongCoalesced();
    }
    queue.commitPong(bytes);
    this.#host.scheduleFlush();
  }

  pongReceived(payload: Buffer): void {
    const sentAt = this.#heartbeatSentAt;
    if (sentAt >= 0) {
      // A pong answers every earlier ping (RFC 6455 5.5.3): the oldest unanswered one is timed.
      this.#heartbeatSentAt = -1;
      this.#host.heartbeatAnswered(this.#clock.now() - sentAt);
    }
    const pending = this.#pending;
    if (pending.length > 0) settlePings(pending, payload, this.#clock.now());
  }

  /** The connection closed: no pong will come. */
  rejectPending(error: unknown): void {
    for (const ping of this.#pending.splice(0)) ping.reject(error);
  }

  #counterPayload(): Buffer {
    const payload = Buffer.allocUnsafe(4);
    payload.writeUInt32BE(this.#counter++ >>> 0);
    return payload;
  }

  #sendPing(payload: Buffer): void {
    const queue = this.#host.writeQueue;
    queue.commitControl(this.#core.framePing(payload, queue.control));
    this.#host.scheduleFlush();
  }
}
