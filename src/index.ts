export type { WebSocketErrorCode } from './errors.js';
export {
  ConnectionClosedError,
  HandshakeError,
  MessageTooBigError,
  ProtocolError,
  TimeoutError,
  WebSocketError,
} from './errors.js';
