import { HubClientError } from './hub-client-error.js';
import { OfflineQueue, type QueueOptions } from './offline-queue.js';

/** The server's answer to a publish. */
export interface PublishAck {
  readonly offset: number;
  readonly epoch: string;
}

interface PendingPublish {
  readonly request: Record<string, unknown>;
  readonly resolve: (ack: PublishAck) => void;
  readonly reject: (error: HubClientError) => void;
}

/**
 * The client's publishes: sent at once when connected (and matched to their acks by request id),
 * else kept in the bounded offline queue until the next welcome.
 */
export class Publisher {
  readonly #queue: OfflineQueue<PendingPublish>;
  readonly #inFlight = new Map<number, PendingPublish>();
  readonly #send: (frame: Record<string, unknown>) => void;
  readonly #nextId: () => number;

  constructor(
    options: QueueOptions | undefined,
    send: (frame: Record<string, unknown>) => void,
    nextId: () => number,
  ) {
    this.#queue = new OfflineQueue(options);
    this.#send = send;
    this.#nextId = nextId;
  }

  /** A promise of the ack; a full queue with policy `error` throws `queue-full` here instead. */
  publish(request: Record<string, unknown>, connected: boolean): Promise<PublishAck> {
    let pending!: PendingPublish;
    const promise = new Promise<PublishAck>((resolve, reject) => {
      pending = { request, resolve, reject };
    });
    if (connected) {
      this.#transmit(pending);
      return promise;
    }
    if (this.#queue.size === 0) {
      pending.reject(
        new HubClientError('not-connected', 'not connected and the offline queue is off (size 0)'),
      );
      return promise;
    }
    const offer = this.#queue.offer(pending);
    if (offer.kind === 'refused') {
      if (this.#queue.policy === 'error')
        throw new HubClientError('queue-full', `the offline queue is full (${this.#queue.size} publishes)`);
      pending.reject(new HubClientError('dropped', 'the offline queue was full: this publish was dropped'));
    } else if (offer.dropped !== undefined) {
      offer.dropped.reject(
        new HubClientError('dropped', 'the offline queue was full: the oldest publish was dropped'),
      );
    }
    return promise;
  }

  /** Sends what waited in the queue, oldest first. */
  flush(): void {
    for (const pending of this.#queue.drain()) this.#transmit(pending);
  }

  /** A `published` frame: true when it answered one of ours. */
  acked(id: unknown, ack: PublishAck): boolean {
    const pending = this.#take(id);
    pending?.resolve(ack);
    return pending !== undefined;
  }

  /** An `error` frame: true when it answered one of ours. */
  refused(id: unknown, error: HubClientError): boolean {
    const pending = this.#take(id);
    pending?.reject(error);
    return pending !== undefined;
  }

  /** Publishes sent but not acked may or may not have been made: fail them rather than risk a duplicate. */
  connectionLost(): void {
    const lost = new HubClientError(
      'connection-lost',
      'the connection dropped before the server acknowledged the publish',
    );
    for (const pending of this.#inFlight.values()) pending.reject(lost);
    this.#inFlight.clear();
  }

  /** Fails everything queued and in flight with `error`. */
  shutdown(error: HubClientError): void {
    for (const pending of this.#queue.drain()) pending.reject(error);
    for (const pending of this.#inFlight.values()) pending.reject(error);
    this.#inFlight.clear();
  }

  #transmit(pending: PendingPublish): void {
    const id = this.#nextId();
    this.#inFlight.set(id, pending);
    this.#send({ ...pending.request, id });
  }

  #take(id: unknown): PendingPublish | undefined {
    const pending = this.#inFlight.get(id as number);
    if (pending !== undefined) this.#inFlight.delete(id as number);
    return pending;
  }
}
