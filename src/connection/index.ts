// The connection layer (re-exports only).
export type { BroadcastResult } from './broadcast.js';
export { broadcast } from './broadcast.js';
export type { BudgetMember, BufferBudgetOptions } from './buffer-budget.js';
export { BufferBudget } from './buffer-budget.js';
export type { Clock } from './clock.js';
export { timerClock } from './clock.js';
export { Connection, isNormalClosure } from './connection.js';
export type { ConnectionObserver } from './connection-observer.js';
export type {
  BackpressurePolicy,
  ConnectionOptions,
  HeartbeatOptions,
  UpgradeRequestInfo,
} from './connection-options.js';
export {
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_MESSAGES,
} from './connection-options.js';
export type { ConnectionStats, DropReason } from './connection-stats.js';
export type {
  CloseInfo,
  Message,
  MessageData,
  MessageStream,
  MessageType,
  ReadyState,
  SendOptions,
} from './message.js';
export type { PrepareOptions } from './prepared-message.js';
export { PreparedMessage, prepareMessage } from './prepared-message.js';
export type { Transport, TransportHandler } from './transport.js';
