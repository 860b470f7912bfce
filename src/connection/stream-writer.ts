import type { MessageType } from '../protocol/types.js';
import { Utf8Validator } from '../protocol/utf8-validator.js';
import type { PreparedMessage } from './prepared-message.js';
import type { Waiter } from './waiter.js';

/** A streaming writer: owns the data channel from its turn until close() or abort(). */
export interface StreamWriter {
  readonly type: MessageType;
  readonly compress: boolean | undefined;
  /** Checks a text message's bytes across chunks (RFC 6455 5.6); null for binary. */
  readonly utf8: Utf8Validator | null;
  controller: WritableStreamDefaultController | null;
  start: Waiter<void> | null;
  done: boolean;
}

/** A whole message waiting behind a streaming writer that holds the data channel ('latest-by-key' may replace it). */
export interface DeferredMessage {
  type: MessageType;
  data: Buffer;
  compress: boolean | undefined;
  prepared: PreparedMessage | null;
  readonly key: string | undefined;
}

export function createStreamWriter(type: MessageType, compress: boolean | undefined): StreamWriter {
  return {
    type,
    compress,
    utf8: type === 'text' ? new Utf8Validator() : null,
    controller: null,
    start: null,
    done: false,
  };
}

/** Tells the two kinds of item waiting for the data channel apart. */
export function isStreamWriter(item: DeferredMessage | StreamWriter): item is StreamWriter {
  return 'done' in item;
}
