import type { Connection } from '../connection/connection.js';
import type { Message } from '../connection/message.js';
import { type Hub, HubLimitError } from './hub.js';
import {
  type ClientFrame,
  errorFrame,
  historyFrame,
  PONG_FRAME,
  parseClientFrame,
  presenceFrame,
  publishedFrame,
  type RequestId,
  subscribedFrame,
  unsubscribedFrame,
  type WireErrorCode,
  welcomeFrame,
} from './hub-wire.js';
import { TokenBucket } from './token-bucket.js';

type PublishFrame = Extract<ClientFrame, { op: 'publish' }>;

/** Publish permissions remembered per connection, at most this many topics (then forgotten). */
const MAX_REMEMBERED_PERMISSIONS = 256;

/**
 * One hub-protocol client (docs/hub-protocol.md). Every request is answered (an ack or an `error`
 * frame with the request's id) and a bad one costs only itself: the connection stays open. Publishes
 * are published in the order they arrive, also while a `canPublish` answer is awaited.
 */
export class HubSession {
  readonly #hub: Hub;
  readonly #connection: Connection;
  readonly #bucket: TokenBucket;
  readonly #mayPublish = new Map<string, boolean>();
  /** Publishes waiting behind an async permission check, in arrival order. */
  #waiting: PublishFrame[] | undefined;
  readonly #maxFrameChars: number;

  constructor(hub: Hub, connection: Connection) {
    this.#hub = hub;
    this.#connection = connection;
    const limits = hub.limits;
    this.#bucket = new TokenBucket(limits.publishRate, limits.publishBurst);
    // Base64 grows a payload by 4/3 and JSON escapes may double text: a frame past this cannot be valid.
    this.#maxFrameChars = limits.maxMessageBytes * 2 + 4096;
    connection.send(welcomeFrame(hub.clientId(connection), hub.pingInterval, limits));
    connection.onMessage((message) => this.#onMessage(message));
  }

  #onMessage(message: Message): void {
    if (message.type === 'binary') {
      this.#error('bad-request', 'the hub protocol speaks JSON text frames');
      return;
    }
    if (message.data.length > this.#maxFrameChars) {
      this.#error('too-big', `a hub frame is at most ${this.#maxFrameChars} characters`);
      return;
    }
    const parsed = parseClientFrame(message.data, this.#hub.limits.maxMessageBytes);
    if (!parsed.ok) {
      this.#error(parsed.code, parsed.message, parsed.id, parsed.topic);
      return;
    }
    const frame = parsed.frame;
    switch (frame.op) {
      case 'publish':
        this.#publish(frame);
        return;
      case 'subscribe':
        return void this.#subscribe(frame);
      case 'unsubscribe':
        return void this.#unsubscribe(frame);
      case 'history':
        return void this.#history(frame);
      case 'presence':
        return void this.#presence(frame);
      case 'ping':
        this.#send(frame.id === undefined ? PONG_FRAME : JSON.stringify({ op: 'pong', id: frame.id }));
        return;
      case 'pong':
        return;
      default: {
        const unreachable: never = frame;
        void unreachable;
      }
    }
  }

  #publish(frame: PublishFrame): void {
    if (!this.#bucket.take()) {
      this.#error(
        'rate-limited',
        `at most ${this.#hub.limits.publishRate} publications per second`,
        frame.id,
        frame.topic,
      );
      return;
    }
    if (this.#waiting) {
      this.#waiting.push(frame);
      return;
    }
    const known = this.#mayPublish.get(frame.topic);
    if (known !== undefined) {
      this.#publishAllowed(frame, known);
      return;
    }
    const answer = this.#hub.mayPublish(this.#connection, frame.topic);
    if (typeof answer === 'boolean') {
      this.#remember(frame.topic, answer);
      this.#publishAllowed(frame, answer);
      return;
    }
    this.#waiting = [frame];
    void answer.then((allowed) => {
      this.#remember(frame.topic, allowed);
      const waiting = this.#waiting ?? [];
      this.#waiting = undefined;
      for (const next of waiting) this.#publish(next);
    });
  }

  #remember(topic: string, allowed: boolean): void {
    if (this.#mayPublish.size >= MAX_REMEMBERED_PERMISSIONS) this.#mayPublish.clear();
    this.#mayPublish.set(topic, allowed);
  }

  #publishAllowed(frame: PublishFrame, allowed: boolean): void {
    if (!allowed) {
      this.#error('forbidden', `not allowed to publish on ${frame.topic}`, frame.id, frame.topic);
      return;
    }
    const id = frame.id;
    this.#hub.publish(frame.topic, frame.data, frame.key === undefined ? undefined : { key: frame.key }).then(
      (position) => {
        if (id !== undefined) this.#send(publishedFrame(id, frame.topic, position));
      },
      (error: unknown) => this.#failed(error, id, frame.topic),
    );
  }

  async #subscribe(frame: Extract<ClientFrame, { op: 'subscribe' }>): Promise<void> {
    try {
      await this.#hub.subscribe(
        this.#connection,
        frame.topic,
        { format: 'envelope', ...(frame.since ? { since: frame.since } : {}) },
        (outcome) =>
          this.#send(
            subscribedFrame(
              frame.id,
              frame.topic,
              outcome.position,
              frame.since
                ? {
                    recovered: outcome.recovered === true,
                    ...(outcome.reason ? { reason: outcome.reason } : {}),
                  }
                : undefined,
            ),
          ),
      );
    } catch (error) {
      this.#failed(error, frame.id, frame.topic);
    }
  }

  async #unsubscribe(frame: Extract<ClientFrame, { op: 'unsubscribe' }>): Promise<void> {
    if (await this.#hub.unsubscribe(this.#connection, frame.topic))
      this.#send(unsubscribedFrame(frame.id, frame.topic));
    else this.#error('not-subscribed', `not subscribed to ${frame.topic}`, frame.id, frame.topic);
  }

  async #history(frame: Extract<ClientFrame, { op: 'history' }>): Promise<void> {
    try {
      if (!(await this.#hub.maySubscribe(this.#connection, frame.topic))) {
        this.#error('forbidden', `not allowed to read ${frame.topic}`, frame.id, frame.topic);
        return;
      }
      const query = {
        ...(frame.since ? { since: frame.since } : {}),
        ...(frame.limit === undefined ? {} : { limit: frame.limit }),
      };
      this.#send(historyFrame(frame.id, frame.topic, await this.#hub.history(frame.topic, query)));
    } catch (error) {
      this.#failed(error, frame.id, frame.topic);
    }
  }

  async #presence(frame: Extract<ClientFrame, { op: 'presence' }>): Promise<void> {
    try {
      if (!(await this.#hub.maySubscribe(this.#connection, frame.topic))) {
        this.#error('forbidden', `not allowed to read ${frame.topic}`, frame.id, frame.topic);
        return;
      }
      this.#send(presenceFrame(frame.id, frame.topic, await this.#hub.presence(frame.topic)));
    } catch (error) {
      this.#failed(error, frame.id, frame.topic);
    }
  }

  /** An operation failed: tell the client with the matching error code. */
  #failed(error: unknown, id: RequestId | undefined, topic: string): void {
    const code = (error as { code?: string }).code;
    const message = error instanceof Error ? error.message : String(error);
    let wire: WireErrorCode;
    if (error instanceof HubLimitError) wire = 'too-many-topics';
    else if (code === 'ERR_POLICY') wire = 'forbidden';
    else if (code === 'ERR_BROKER_UNAVAILABLE') wire = 'unavailable';
    else if (code === 'ERR_INVALID_ARGUMENT') wire = 'bad-request';
    else if (code === 'ERR_CLOSED') return;
    else {
      this.#hub.report(error);
      wire = 'internal';
    }
    this.#error(wire, message, id, topic);
  }

  #error(code: WireErrorCode, message: string, id?: RequestId, topic?: string): void {
    this.#send(errorFrame(code, message, id, topic));
  }

  #send(text: string): void {
    if (this.#connection.readyState === 'open') this.#connection.send(text);
  }
}
