import type { MessageType } from '../protocol/types.js';
import type { BackpressurePolicy } from './connection-options.js';

export type { MessageType };

/** One whole message: text arrives as a string (UTF-8 already validated), binary as a Buffer. */
export type Message =
  | { readonly type: 'text'; readonly data: string }
  | { readonly type: 'binary'; readonly data: Buffer };

/** The next message as a stream of its payload chunks, yielded as frames arrive. */
export interface MessageStream {
  readonly type: MessageType;
  readonly readable: ReadableStream<Uint8Array>;
}

/** What send(), write() and writeStream() accept. */
export type MessageData = string | Buffer | Uint8Array | ArrayBuffer | ArrayBufferView;

export interface SendOptions {
  /** Send as a binary message. Default: false for a string, true for bytes (bytes sent as text must be UTF-8). */
  readonly binary?: boolean;
  /** Compress with the negotiated extension. Default: messages at or over its threshold (1 KiB). */
  readonly compress?: boolean;
  /** The slow-consumer policy for this send; default: the connection's `backpressure` option. */
  readonly backpressure?: BackpressurePolicy;
  /** With `'latest-by-key'`: a still-queued message sent with the same key is replaced by this one. */
  readonly key?: string;
}

/** How a connection ended. */
export interface CloseInfo {
  /**
   * The code of the peer's Close frame (1005 when it had none). Without one: the code we failed the
   * connection with (1002, 1007, 1009, 1011, 1013...), else 1006.
   */
  readonly code: number;
  readonly reason: string;
  /** True when a Close frame went each way (RFC 6455 7.1.5, "cleanly"). */
  readonly wasClean: boolean;
  /** Messages accepted by send()/write() that never reached the transport (nothing is dropped silently). */
  readonly unsentMessages: number;
}

export type ReadyState = 'connecting' | 'open' | 'closing' | 'closed';
