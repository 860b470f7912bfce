import { WebSocketError } from '../errors.js';
import type { Codec } from './codec.js';

/** Strings as text messages. Refuses binary messages rather than guess their encoding. */
export const textCodec: Codec<string> = {
  type: 'text',
  encode(value: string): string {
    if (typeof value !== 'string')
      throw new WebSocketError('ERR_INVALID_ARGUMENT', 'textCodec encodes strings');
    return value;
  },
  decode(data: string | Uint8Array): string {
    if (typeof data !== 'string')
      throw new WebSocketError('ERR_DECODE', 'expected a text message, got binary');
    return data;
  },
};
