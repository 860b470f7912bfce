import type { PerMessageExtension } from '../protocol/extensions/extension.js';
import type { MaskSource } from '../protocol/mask-source.js';
import type { Role } from '../protocol/types.js';
import type { BufferBudget } from './buffer-budget.js';
import type { Clock } from './clock.js';
import type { ConnectionObserver } from './connection-observer.js';

/**
 * What a send does when the connection's buffer is already over `maxBufferedBytes` (a slow consumer):
 * - `'wait'`: queue it anyway; `send()` returns false, `write()` waits for the drain.
 * - `'close'`: close the connection with `backpressureCloseCode`; the backlog is dropped and reported.
 * - `'drop-newest'`: do not queue this message (counted in `stats`, reported to `onDrop`).
 * - `'drop-oldest'`: evict whole, uncompressed messages not yet handed to the transport from the head
 *   of the queue to make room, then queue this one. Never a fragment of a streamed message, a
 *   compressed message (the peer's inflate context depends on it) or a control frame.
 * - `'latest-by-key'`: a send with a `key` replaces a still-queued, uncompressed message sent with the
 *   same key, in that message's place in the queue (over the bound or not); a send whose key is not
 *   queued (or without a key) is queued as with `'wait'`. The backlog is then at most one message per
 *   key.
 * Only `'wait'` may grow past the bound without limit; a shared `budget` caps that.
 */
export type BackpressurePolicy = 'wait' | 'close' | 'drop-newest' | 'drop-oldest' | 'latest-by-key';

/** The upgrade request a server connection was opened by (Node's IncomingMessage fits). */
export interface UpgradeRequestInfo {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface HeartbeatOptions {
  /** Send a ping this often (ms). */
  readonly pingInterval: number;
  /** Terminate when neither a pong nor any other frame arrives this long after a ping (ms). */
  readonly pongTimeout: number;
}

export interface ConnectionOptions {
  readonly role: Role;
  /** The negotiated subprotocol, '' for none. */
  readonly protocol?: string;
  /** The negotiated Sec-WebSocket-Extensions value, '' for none. */
  readonly extensions?: string;
  /** The negotiated RSV1 extension (permessage-deflate); the connection disposes of it on close. */
  readonly extension?: PerMessageExtension | null;
  readonly request?: UpgradeRequestInfo | null;
  /** Bytes read past the handshake; fed to the protocol before anything else. */
  readonly head?: Buffer | null;
  /** Whole-message limit in bytes, after inflation (protocol default: 64 MiB). */
  readonly maxPayload?: number;
  /** Frames per message; more fails with 1009. Default: no limit (`maxPayload` bounds the bytes). */
  readonly maxFragments?: number;
  /** Payload bytes one incoming frame may declare (protocol default: maxPayload); more fails with 1009. */
  readonly maxFrameSize?: number;
  /** Split outgoing messages into frames of this payload size; 0 = never. */
  readonly fragmentSize?: number;
  readonly maskSource?: MaskSource;
  readonly clock?: Clock;
  /** How long to wait for the close handshake and then for TCP to close (ms). Default 10 s. */
  readonly closeTimeout?: number;
  /**
   * Bound on outgoing bytes held by the connection and its transport. Default 1 MiB: above the
   * bandwidth-delay product the kernel's own send buffer does not already cover, and small enough
   * that 10,000 slow readers cost at most 10 GiB rather than the unbounded memory of ws.
   */
  readonly maxBufferedBytes?: number;
  /** The slow-consumer policy of sends that do not name one (see BackpressurePolicy). Default `'wait'`. */
  readonly backpressure?: BackpressurePolicy;
  /** 1013 (try again later, default) or 1008 (policy violation). */
  readonly backpressureCloseCode?: number;
  /**
   * A process-wide cap on bytes held by the connections sharing it: outgoing queues, and incoming
   * messages in progress or unread (see BufferBudget).
   */
  readonly budget?: BufferBudget | null;
  /** Stop reading the transport when this many whole messages wait unread. Default 16. */
  readonly maxQueuedMessages?: number;
  /** ... or when they hold this many bytes. Default 1 MiB. */
  readonly maxQueuedBytes?: number;
  /** Answer pings with pongs (RFC 6455 5.5.2). Default true. */
  readonly autoPong?: boolean;
  readonly heartbeat?: HeartbeatOptions | null;
  /** Close with 1001 after this long without a data message either way (ms); 0 = never (default). */
  readonly idleTimeout?: number;
  /**
   * Told of drops, local failures, protocol errors, heartbeat timeouts and ping round trips (a
   * WebSocketServer sets its own, for its metrics and diagnostics events). Default: none.
   */
  readonly observer?: ConnectionObserver | null;
}

export const DEFAULT_CLOSE_TIMEOUT = 10_000;
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
export const DEFAULT_MAX_QUEUED_MESSAGES = 16;
export const DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;
