import { WebSocketError } from '../errors.js';
import { isValidUtf8 } from '../protocol/utf8-validator.js';
import type { MessageData } from './message.js';

/** The bytes of what send() accepts, without copying where the input already is bytes. */
export function messageBytes(data: MessageData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  throw new WebSocketError(
    'ERR_INVALID_ARGUMENT',
    'data must be a string, Buffer, TypedArray, DataView or ArrayBuffer',
  );
}

/**
 * RFC 6455 5.6: a text message is UTF-8. A string always encodes to valid UTF-8 (lone surrogates
 * become U+FFFD), so only bytes handed in as text are checked.
 */
export function checkTextBytes(data: MessageData, bytes: Uint8Array): void {
  if (typeof data !== 'string' && !isValidUtf8(bytes)) {
    throw new WebSocketError(
      'ERR_INVALID_ARGUMENT',
      'text message is not valid UTF-8 (RFC 6455 5.6): send it as binary',
    );
  }
}
