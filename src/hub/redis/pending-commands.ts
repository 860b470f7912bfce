import { BrokerUnavailableError, ConnectionClosedError } from '../../errors.js';

/** An error Redis itself replied (a script bug, a wrong type), as opposed to a lost connection. */
function isReplyError(error: unknown): boolean {
  const name = (error as { constructor?: { name?: string } })?.constructor?.name;
  return name === 'ErrorReply' || name === 'ReplyError' || name === 'SimpleError' || name === 'BlobError';
}

/**
 * The Redis broker's commands awaiting a reply: each one settles with its reply, or is rejected at
 * once when the link drops or the broker closes (rejectAll), rather than whenever the client library
 * gives up on it.
 */
export class PendingCommands {
  readonly #pending = new Set<(error: Error) => void>();
  readonly #isClosed: () => boolean;

  /** `isClosed` tells whether the broker was closed (its commands then fail ConnectionClosedError). */
  constructor(isClosed: () => boolean) {
    this.#isClosed = isClosed;
  }

  /** `work`, rejected early by rejectAll(); a failure that is not Redis's own reply becomes BrokerUnavailableError. */
  guard<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.add(reject);
      work.then(
        (value) => {
          this.#pending.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          this.#pending.delete(reject);
          reject(this.#classify(error));
        },
      );
    });
  }

  rejectAll(error: Error): void {
    for (const reject of this.#pending) reject(error);
    this.#pending.clear();
  }

  #classify(error: unknown): Error {
    if (this.#isClosed()) return new ConnectionClosedError('the broker is closed');
    if (isReplyError(error)) return error as Error;
    return new BrokerUnavailableError(`Redis command failed: ${(error as Error)?.message}`, { cause: error });
  }
}
