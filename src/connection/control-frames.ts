import type { Protocol } from '../protocol/protocol.js';
import type { Clock } from './clock.js';
import type { MessageData } from './message.js';
import { messageBytes } from './message-bytes.js';
import { NO_ITEMS, owned, type PendingPing, settlePings } from './waiter.js';
import type { WriteQueue } from './write-queue.js';

/** What pings and pongs need from their connection (the connection's ports object: no closures). */
export interface ControlFramesHost {
  readonly writeQueue: WriteQueue;
  scheduleFlush(): void;
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
  }

  /**
   * Answer a ping with a pong carrying the same payload. RFC 6455 5.5.3 lets a newer ping's pong
   * replace one not yet sent, so a ping flood queues one pong, not one per ping.
   */
  answer(payload: Buffer): void {
    const queue = this.#host.writeQueue;
    queue.clearPong();
    try {
      queue.commitPong(this.#core.framePong(payload, queue.pong));
    } catch {
      queue.clearPong(); // a Close went out meanwhile: no pong after Close (RFC 6455 5.5.1)
    }
    this.#host.scheduleFlush();
  }

  pongReceived(payload: Buffer): void {
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
