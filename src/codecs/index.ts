// Codecs: typed values over messages (re-exports only).

export { binaryCodec } from './binary-codec.js';
export type { Codec, CodecMessageType } from './codec.js';
export { type JsonCodecOptions, jsonCodec } from './json-codec.js';
export { textCodec } from './text-codec.js';
