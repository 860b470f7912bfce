import { WebSocketError } from '../errors.js';
import type { Codec } from './codec.js';

/** Bytes as binary messages; decodes to a Buffer (a Uint8Array). Refuses text messages. */
export const binaryCodec: Codec<Uint8Array> = {
  type: 'binary',
  encode(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array))
      throw new WebSocketError('ERR_INVALID_ARGUMENT', 'binaryCodec encodes Uint8Array');
    return value;
  },
  decode(data: string | Uint8Array): Uint8Array {
    if (typeof data === 'string')
      throw new WebSocketError('ERR_DECODE', 'expected a binary message, got text');
    return data;
  },
};
