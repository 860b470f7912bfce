// RFC 6455 4.1: "There MUST be no more than one connection in a CONNECTING state" to one remote
// host and port; a later connect waits until the earlier one is open or has failed. Keyed by
// hostname:port as written in the URL (the RFC says IP address, which is known only after DNS; two
// names for one address are therefore not serialized with each other).

const tails = new Map<string, Promise<void>>();

export interface ConnectingTurn {
  /** Resolves when every earlier handshake to the same host and port has finished. */
  readonly ready: Promise<void>;
  /** This handshake has finished (open, failed or abandoned); the next one may start. Idempotent. */
  readonly leave: () => void;
}

/** Takes a place in the queue of handshakes to `hostname:port`. */
export function takeConnectingTurn(hostname: string, port: number): ConnectingTurn {
  const key = `${hostname.toLowerCase()}:${port}`;
  const ready = tails.get(key) ?? Promise.resolve();
  let leave!: () => void;
  const finished = new Promise<void>((resolve) => {
    leave = resolve;
  });
  // A waiter that gives up early still lets its successors go in order: they wait for both.
  const tail = ready.then(() => finished);
  tails.set(key, tail);
  tail.then(() => {
    if (tails.get(key) === tail) tails.delete(key);
  });
  return { ready, leave };
}
