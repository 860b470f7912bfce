// The public surface of fullduplex (re-exports only). test/unit/public-api.test.ts snapshots it.

export type { ClientConnectionOptions, ConnectOptions } from './client/client-options.js';
export { connect } from './client/connect.js';
export type { CloseEventInit } from './client/web-socket/close-event.js';
export { CloseEvent } from './client/web-socket/close-event.js';
export { WebSocket } from './client/web-socket/web-socket.js';
export type { BinaryType, WebSocketOptions } from './client/web-socket/web-socket-options.js';
export type { Codec, CodecMessageType, JsonCodecOptions } from './codecs/index.js';
export { binaryCodec, jsonCodec, textCodec } from './codecs/index.js';
export type {
  BackpressurePolicy,
  BroadcastResult,
  BudgetMember,
  BufferBudgetOptions,
  Clock,
  CloseInfo,
  ConnectionObserver,
  ConnectionOptions,
  ConnectionStats,
  DropReason,
  HeartbeatOptions,
  Message,
  MessageData,
  MessageStream,
  MessageType,
  PrepareOptions,
  ReadyState,
  SendOptions,
  Transport,
  TransportHandler,
  UpgradeRequestInfo,
} from './connection/index.js';
export {
  BufferBudget,
  broadcast,
  Connection,
  isNormalClosure,
  PreparedMessage,
  prepareMessage,
} from './connection/index.js';
export type { WebSocketErrorCode } from './errors.js';
export {
  BrokerUnavailableError,
  ConnectionClosedError,
  CorruptDataError,
  HandshakeError,
  MessageTooBigError,
  ProtocolError,
  TimeoutError,
  WebSocketError,
} from './errors.js';
export { nodeClock } from './node/clock.js';
export { PerMessageDeflate } from './node/deflate.js';
export { SocketTransport } from './node/socket-transport.js';
export type {
  DeflateParameters,
  PerMessageDeflateOptions,
} from './protocol/extensions/permessage-deflate.js';
export { DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_PAYLOAD } from './protocol/protocol.js';
export type {
  ClosedBy,
  HubFigures,
  RefusalReason,
  RoundTripSummary,
  ServerMetrics,
} from './server/metrics-snapshot.js';
export {
  PROMETHEUS_CONTENT_TYPE,
  type PrometheusTextOptions,
  prometheusText,
} from './server/prometheus-text.js';
export type {
  Authorize,
  AuthorizeResult,
  HandshakeRefusal,
  HandshakeRequest,
  PlainResponse,
  SelectSubprotocol,
  ServerCloseOptions,
  ServerConnectionOptions,
  ServerStats,
  WebSocketServerOptions,
} from './server/server-options.js';
export { WebSocketServer } from './server/web-socket-server.js';
