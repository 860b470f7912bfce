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
export type { ExtensionOffer, ExtensionParam } from './extensions/extension-header.js';
export { parseExtensionHeader, serializeExtensionHeader } from './extensions/extension-header.js';
export type { FrameParserHandler } from './frame-parser.js';
export { FrameParser, ParserState } from './frame-parser.js';
export { frameHeaderSize, serializeFrame } from './frame-serializer.js';
export { computeAcceptKey, isWebSocketKey, WEBSOCKET_GUID } from './handshake/accept-key.js';
export type { AcceptResponseOptions } from './handshake/build-accept-response.js';
export { buildAcceptResponse } from './handshake/build-accept-response.js';
export { buildErrorResponse } from './handshake/build-error-response.js';
export type { BuildUpgradeRequestOptions } from './handshake/build-upgrade-request.js';
export { buildUpgradeRequest } from './handshake/build-upgrade-request.js';
export { createClientKey } from './handshake/create-client-key.js';
export type { HeaderRecord } from './handshake/header-fields.js';
export type {
  HttpHeadKind,
  HttpHeadOf,
  HttpHeadParserOptions,
  HttpRequestHead,
  HttpResponseHead,
  ParsedHttpHead,
} from './handshake/http-head-parser.js';
export { HttpHeadParser } from './handshake/http-head-parser.js';
export type {
  UpgradeRequest,
  UpgradeRequestLike,
  ValidateUpgradeRequestOptions,
} from './handshake/validate-upgrade-request.js';
export { validateUpgradeRequest } from './handshake/validate-upgrade-request.js';
export type {
  UpgradeOffer,
  UpgradeResponseLike,
  UpgradeResult,
} from './handshake/validate-upgrade-response.js';
export { validateUpgradeResponse } from './handshake/validate-upgrade-response.js';
export type { MaskFunction } from './mask.js';
export { applyMask } from './mask.js';
export type { MaskSource } from './mask-source.js';
export { PooledMaskSource } from './mask-source.js';
export { isControlOpcode, isKnownOpcode, Opcode } from './opcodes.js';
export type { CryptoPorts, RandomFill, Sha1 } from './ports.js';
export type { ProtocolHandler, ProtocolOptions } from './protocol.js';
export { DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_PAYLOAD, Protocol } from './protocol.js';
export type { MessageType, ProtocolState, Role } from './types.js';
export { isValidUtf8, Utf8Validator } from './utf8-validator.js';
