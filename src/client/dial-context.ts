// One connect() attempt's deadline, abort signal and sockets. Every socket opened for the attempt is
// adopted here, so that a failure of any kind (timeout, abort, refusal, TLS) destroys all of them.
import type { Duplex } from 'node:stream';
import { TimeoutError, WebSocketError } from '../errors.js';

type Settle<T> = { resolve: (value: T) => void; reject: (error: Error) => void };

export class DialContext {
  readonly #sockets = new Set<Duplex>();
  readonly #abortWaiters = new Set<(error: Error) => void>();
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: () => void;
  #failure: Error | undefined;

  constructor(timeoutMs: number, signal: AbortSignal | undefined, what: string) {
    this.#timer = setTimeout(() => {
      this.fail(
        new TimeoutError(`the WebSocket handshake with ${what} did not complete within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    this.#signal = signal;
    this.#onAbort = () => {
      this.fail(
        new WebSocketError('ERR_ABORTED', `connect to ${what} was aborted`, { cause: signal?.reason }),
      );
    };
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (signal?.aborted === true) this.#onAbort();
  }

  /** Throws the failure if the attempt already failed (checked between steps). */
  check(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Tracks a socket: it is destroyed if the attempt fails. */
  adopt<S extends Duplex>(socket: S): S {
    this.#sockets.add(socket);
    if (this.#failure !== undefined) socket.destroy();
    return socket;
  }

  /** Hands the sockets over (to a Connection): the attempt no longer destroys them. */
  releaseAll(): void {
    this.#sockets.clear();
  }

  /** Destroys every socket of the attempt (the current hop is done with, e.g. after a redirect). */
  destroySockets(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  /** Fails the attempt: every socket is destroyed and every pending `wait` rejects with `error`. */
  fail(error: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.destroySockets();
    for (const waiter of this.#abortWaiters) waiter(error);
    this.#abortWaiters.clear();
  }

  /**
   * Waits for one outcome of socket events. `start` registers listeners and returns their removal,
   * which runs on every outcome, including a timeout or abort of the whole attempt.
   */
  wait<T>(start: (settle: Settle<T>) => () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#failure !== undefined) {
        reject(this.#failure);
        return;
      }
      let done = false;
      let cleanup: (() => void) | undefined;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        this.#abortWaiters.delete(onFail);
        cleanup?.();
        return true;
      };
      const onFail = (error: Error): void => {
        if (finish()) reject(error);
      };
      this.#abortWaiters.add(onFail);
      cleanup = start({
        resolve: (value) => {
          if (finish()) resolve(value);
        },
        reject: (error) => {
          if (finish()) reject(error);
        },
      });
      if (done) cleanup();
    });
  }

  /** Ends the attempt's timer and abort listener; sockets still adopted (a failure) are destroyed. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.destroySockets();
  }
}
