import type { Codec } from '../codecs/codec.js';
import { HubClientError } from './hub-client-error.js';
import { decodePayload } from './payload.js';
import type { Position, TopicMessage } from './subscription.js';

/** A topic's history as `history()` reads it. */
export type HistoryAnswer<T> =
  | { readonly ok: true; readonly position: Position; readonly messages: readonly TopicMessage<T>[] }
  | { readonly ok: false; readonly position: Position; readonly reason: string };

interface ReadHooks {
  readonly send: (frame: Record<string, unknown>) => void;
  readonly connected: () => boolean;
  readonly nextId: () => number;
  readonly state: () => string;
}

interface PendingRead {
  readonly op: 'presence' | 'history';
  readonly topic: string;
  readonly resolve: (answer: never) => void;
  readonly reject: (error: HubClientError) => void;
}

/**
 * The client's read requests (presence lists and history), matched to their answers by request id.
 * Reads are sent only while connected and are not queued or retried: a dropped connection fails them
 * with `connection-lost`, and the application asks again after the next `connected`.
 */
export class ReadRequests<T> {
  readonly #codec: Codec<T>;
  readonly #hooks: ReadHooks;
  readonly #pending = new Map<number, PendingRead>();

  constructor(codec: Codec<T>, hooks: ReadHooks) {
    this.#codec = codec;
    this.#hooks = hooks;
  }

  /** Sends the request and returns the promise of its answer (`not-connected` when not connected). */
  read<A>(op: PendingRead['op'], fields: { readonly topic: string }): Promise<A> {
    if (!this.#hooks.connected()) {
      const state = this.#hooks.state();
      const code = state === 'closed' ? 'closed' : 'not-connected';
      return Promise.reject(new HubClientError(code, `${op}() needs a connection (state: ${state})`));
    }
    const id = this.#hooks.nextId();
    const answer = new Promise<A>((resolve, reject) => {
      this.#pending.set(id, { op, topic: fields.topic, resolve: resolve as never, reject });
    });
    this.#hooks.send({ op, id, ...fields });
    return answer;
  }

  /** A `presence` or `history` frame: true when it answered one of ours. */
  answered(frame: Record<string, unknown>): boolean {
    const pending = this.#take(frame.id, frame.op);
    if (pending === undefined) return false;
    if (pending.op === 'presence') {
      pending.resolve((Array.isArray(frame.entries) ? frame.entries : []) as never);
      return true;
    }
    const position = frame.position as Position;
    if (frame.ok !== true) {
      pending.resolve({ ok: false, position, reason: String(frame.reason) } as never);
      return true;
    }
    try {
      const messages = (frame.publications as Record<string, unknown>[]).map((publication) => ({
        topic: pending.topic,
        offset: publication.offset as number,
        epoch: publication.epoch as string,
        data: decodePayload(this.#codec, publication.data as string, publication.binary === true),
      }));
      pending.resolve({ ok: true, position, messages } as never);
    } catch (error) {
      pending.reject(error as HubClientError);
    }
    return true;
  }

  /** An `error` frame: true when it refused one of ours. */
  refused(id: unknown, error: HubClientError): boolean {
    const pending = this.#take(id);
    pending?.reject(error);
    return pending !== undefined;
  }

  /** Fails every read still owed an answer with `error`. */
  failAll(error: HubClientError): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  #take(id: unknown, op?: unknown): PendingRead | undefined {
    const pending = this.#pending.get(id as number);
    if (pending === undefined || (op !== undefined && pending.op !== op)) return undefined;
    this.#pending.delete(id as number);
    return pending;
  }
}
