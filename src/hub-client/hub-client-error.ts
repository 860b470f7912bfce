/**
 * Why the hub client failed something. `code` is stable:
 * - `unauthorized`: the server refused the handshake (401/403); the client does not retry.
 * - `protocol-mismatch`: the server did not select `fullduplex.hub.v1`; the client does not retry.
 * - `attempts-exhausted`: `reconnect.maxAttempts` connection attempts in a row failed.
 * - `closed`: `close()` was called; pending and queued publishes fail with it.
 * - `connection-lost`: the connection dropped after the publish was sent but before its ack: it may or
 *   may not have been published (it is not sent again, so it is never published twice); or before
 *   the answer to a `presence()` or `history()` read.
 * - `queue-full`: the offline queue is full and its policy is `error`.
 * - `dropped`: the offline queue is full and this publish was dropped (`drop-oldest` / `drop-newest`).
 * - `not-connected`: publish while disconnected with `queue.size` 0, or `presence()` / `history()`
 *   while not connected (reads are not queued).
 * - `encode` / `decode`: the codec refused a value or a payload.
 * - any server error code (`forbidden`, `rate-limited`, `too-big`, `invalid-topic`, ...), with the
 *   server's message.
 */
export class HubClientError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HubClientError';
    this.code = code;
  }
}
