import type { Codec } from '../codecs/codec.js';
import { HubClientError } from './hub-client-error.js';

/** JSON in, JSON out: the default codec (any `Codec` from fullduplex, e.g. jsonCodec({ validate }), fits). */
export const plainJson: Codec<unknown> = {
  type: 'text',
  encode: (value: unknown): string => {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError('value has no JSON representation');
    return text;
  },
  decode: (data: string | Uint8Array): unknown =>
    JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data)),
};

/** The `data` and `binary` fields of a publish request for `value`. */
export function encodePayload<T>(codec: Codec<T>, value: T): { data: string; binary?: true } {
  let encoded: string | Uint8Array;
  try {
    encoded = codec.encode(value);
  } catch (error) {
    throw new HubClientError('encode', 'the codec could not encode the value', { cause: error });
  }
  if (typeof encoded === 'string' && codec.type === 'text') return { data: encoded };
  const bytes = typeof encoded === 'string' ? new TextEncoder().encode(encoded) : encoded;
  return { data: toBase64(bytes), binary: true };
}

/** The application value of a `message` frame's `data` (base64 when `binary`). */
export function decodePayload<T>(codec: Codec<T>, data: string, binary: boolean): T {
  try {
    return codec.decode(binary ? fromBase64(data) : data);
  } catch (error) {
    throw new HubClientError('decode', 'the codec could not decode a message', { cause: error });
  }
}

// btoa/atob exist in browsers and in Node >= 16; they work on "binary strings" (one char per byte).
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
