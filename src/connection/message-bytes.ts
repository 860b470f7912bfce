import { WebSocketError } from '../errors.js';
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
