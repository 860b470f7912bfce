// The connection layer (re-exports only).
export type { Clock } from './clock.js';
export { timerClock } from './clock.js';
export { Connection, isNormalClosure } from './connection.js';
export type { ConnectionOptions, HeartbeatOptions, UpgradeRequestInfo } from './connection-options.js';
export {
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_MESSAGES,
} from './connection-options.js';
export type {
  CloseInfo,
  Message,
  MessageData,
  MessageStream,
  MessageType,
  ReadyState,
  SendOptions,
} from './message.js';
export type { Transport, TransportHandler } from './transport.js';
