import { isThenable } from '../callback-errors.js';
import { WebSocketError } from '../errors.js';
import type { Codec } from './codec.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface JsonCodecOptions<T> {
  /**
   * Check a decoded value: a type guard (false refuses it) or a parser that returns the typed value
   * or throws (a zod schema's `parse` fits). Without it, decoding trusts the peer: the type is a claim.
   * It must be synchronous: one that returns a promise refuses every message (ERR_VALIDATION).
   */
  readonly validate?: ((value: unknown) => value is T) | ((value: unknown) => T);
  readonly reviver?: (this: unknown, key: string, value: unknown) => unknown;
  readonly replacer?: (this: unknown, key: string, value: unknown) => unknown;
}

/**
 * JSON in text messages, typed by `T`. Decodes text and binary (UTF-8) messages alike, since some
 * peers send JSON as binary.
 */
export function jsonCodec<T = unknown>(options: JsonCodecOptions<T> = {}): Codec<T> {
  const { validate, reviver, replacer } = options;
  return {
    type: 'text',
    encode(value: T): string {
      const text = JSON.stringify(value, replacer);
      // JSON.stringify returns undefined for undefined, functions and symbols: nothing to send.
      if (text === undefined)
        throw new WebSocketError('ERR_INVALID_ARGUMENT', 'value has no JSON representation');
      return text;
    },
    decode(data: string | Uint8Array): T {
      let value: unknown;
      try {
        value = JSON.parse(typeof data === 'string' ? data : utf8.decode(data), reviver);
      } catch (error) {
        throw new WebSocketError('ERR_DECODE', 'message is not valid JSON', { cause: error });
      }
      if (!validate) return value as T;
      let result: unknown;
      try {
        result = validate(value);
      } catch (error) {
        throw new WebSocketError('ERR_VALIDATION', 'message failed validation', { cause: error });
      }
      if (result === false) throw new WebSocketError('ERR_VALIDATION', 'message failed validation');
      if (isThenable(result)) {
        // decode() is synchronous: an async validator's verdict would come too late. Its rejection is
        // observed here (never left unhandled) and the message is refused.
        result.then(undefined, () => {});
        throw new WebSocketError('ERR_VALIDATION', 'validate returned a promise; it must be synchronous');
      }
      // A type guard returns true: the value itself is the result. A parser returns the value to use.
      return (result === true ? value : result) as T;
    },
  };
}
