// The public surface of the sans-I/O protocol core (re-exports only).
export type { ClosePayload } from './close-payload.js';
export {
  buildClosePayload,
  CLOSE_ABNORMAL,
  CLOSE_NO_STATUS,
  isValidCloseCode,
  MAX_CLOSE_REASON_BYTES,
  parseClosePayload,
} from './close-payload.js';
export type { PerMessageExtension } from './extensions/extension.js';
export type { FrameParserHandler } from './frame-parser.js';
export { FrameParser, ParserState } from './frame-parser.js';
export { frameHeaderSize, serializeFrame } from './frame-serializer.js';
export { applyMask } from './mask.js';
export type { MaskSource } from './mask-source.js';
export { PooledMaskSource } from './mask-source.js';
export { isControlOpcode, isKnownOpcode, Opcode } from './opcodes.js';
export type { ProtocolHandler, ProtocolOptions } from './protocol.js';
export { DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_PAYLOAD, Protocol } from './protocol.js';
export type { MessageType, ProtocolState, Role } from './types.js';
export { isValidUtf8, Utf8Validator } from './utf8-validator.js';
