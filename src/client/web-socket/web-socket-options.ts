// The Node-only options of the WebSocket class (browsers have none), and binaryType's values.
import type { ConnectOptions } from '../client-options.js';

/** How binary messages arrive: as a Blob (the default) or an ArrayBuffer. */
export type BinaryType = 'blob' | 'arraybuffer';

/** Node-only options: the third constructor argument (browsers have none). */
export interface WebSocketOptions
  extends Omit<ConnectOptions, 'protocols' | 'signal' | 'connection' | 'perMessageDeflate'> {
  /** Offer permessage-deflate, as browsers do. Default true. */
  perMessageDeflate?: ConnectOptions['perMessageDeflate'];
  /** Milliseconds to wait for the close handshake and then for TCP to close. Default 10 000. */
  closeTimeout?: number;
  /**
   * The send buffer's bound in bytes: a send() that takes bufferedAmount past it flags the socket as
   * full and closes the connection (error, then close with 1006), as the standard allows. Default
   * 64 MiB; Infinity lifts it.
   */
  maxBufferedAmount?: number;
  /**
   * Incoming bytes whose message events are still queued at which reading from the network pauses
   * (TCP then pushes back on the server). Default 1 MiB.
   */
  maxQueuedBytes?: number;
}

export const DEFAULT_MAX_BUFFERED_AMOUNT = 64 * 1024 * 1024;
export const DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;

/** What connect() is given for a WebSocket with these options. */
export function connectOptionsFor(
  options: WebSocketOptions,
  protocols: readonly string[],
  signal: AbortSignal,
): ConnectOptions {
  const { closeTimeout, maxBufferedAmount, maxQueuedBytes, perMessageDeflate, ...connectOptions } = options;
  void maxBufferedAmount;
  void maxQueuedBytes;
  return {
    ...connectOptions,
    protocols,
    signal,
    perMessageDeflate: perMessageDeflate ?? true,
    connection: {
      // Every drain is reported, which is what moves bufferedAmount down (OutgoingMessages).
      maxBufferedBytes: 0,
      backpressure: 'wait',
      ...(closeTimeout === undefined ? {} : { closeTimeout }),
    },
  };
}
