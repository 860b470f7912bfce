import type { Connection } from '../connection/connection.js';
import type { MessageType } from '../protocol/types.js';
import type { Hub } from './hub.js';
import { TokenBucket } from './token-bucket.js';

/** The request path prefix of the plain endpoint: `/topics/NAME`. */
export const PLAIN_TOPIC_PREFIX = '/topics/';

/**
 * A plain WebSocket client (no subprotocol) on `/topics/NAME`: subscribed to NAME, receives every
 * publication on it as it was published (its own included), and each of its messages is published to
 * NAME unchanged (text as text, binary as binary). It cannot be sent errors in band, so a refusal or
 * a broken limit closes it: 1008 (not allowed), 1009 (message over maxMessageBytes), 1013 (broker
 * unavailable: try again later), 1011 (other failure). Its publish rate is enforced by not reading
 * from it until a token is there (TCP backpressure; nothing is dropped).
 */
export class PlainSession {
  readonly #hub: Hub;
  readonly #connection: Connection;
  readonly #topic: string;
  readonly #bucket: TokenBucket;
  #resumeTimer: NodeJS.Timeout | undefined;

  constructor(hub: Hub, connection: Connection, topic: string) {
    this.#hub = hub;
    this.#connection = connection;
    this.#topic = topic;
    this.#bucket = new TokenBucket(hub.limits.publishRate, hub.limits.publishBurst);
    void connection.closed.then(() => clearTimeout(this.#resumeTimer));
    void this.#start();
  }

  async #start(): Promise<void> {
    const connection = this.#connection;
    try {
      await this.#hub.subscribe(connection, this.#topic, { format: 'raw' });
      if (!(await this.#hub.mayPublish(connection, this.#topic))) {
        // Read-only subscriber: its messages are refused by closing.
        connection.onRawMessage(() => connection.close(1008, 'not allowed to publish here'));
        return;
      }
    } catch (error) {
      this.#fail(error);
      return;
    }
    connection.onRawMessage((data, type) => this.#publish(data, type));
  }

  #publish(data: Buffer, type: MessageType): void {
    const connection = this.#connection;
    if (connection.readyState !== 'open') return;
    if (data.length > this.#hub.limits.maxMessageBytes) {
      connection.close(1009, `message over ${this.#hub.limits.maxMessageBytes} bytes`);
      return;
    }
    if (!this.#bucket.take()) {
      // Should not happen (we pause before running out), but a burst already read is still published.
      this.#pauseFor(this.#bucket.wait());
    } else if (this.#bucket.wait() > 0) {
      this.#pauseFor(this.#bucket.wait());
    }
    this.#hub
      .publish(this.#topic, type === 'text' ? data.toString('utf8') : data)
      .then(undefined, this.#onPublishError);
  }

  /** One rejection handler for every publish (no closure per message). */
  readonly #onPublishError = (error: unknown): void => this.#fail(error);

  #pauseFor(ms: number): void {
    if (this.#resumeTimer) return;
    this.#connection.pause();
    this.#resumeTimer = setTimeout(() => {
      this.#resumeTimer = undefined;
      this.#connection.resume();
    }, ms);
  }

  #fail(error: unknown): void {
    const code = (error as { code?: string }).code;
    const message = error instanceof Error ? error.message : String(error);
    if (code === 'ERR_CLOSED' && this.#connection.readyState !== 'open') return;
    if (code !== 'ERR_POLICY') this.#hub.report(error);
    const closeCode = code === 'ERR_POLICY' ? 1008 : code === 'ERR_BROKER_UNAVAILABLE' ? 1013 : 1011;
    this.#connection.close(closeCode, truncateReason(message));
  }
}

/** A close reason is at most 123 bytes (RFC 6455 5.5: control frame payloads are at most 125). */
export function truncateReason(text: string): string {
  let reason = text;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}
