// The hub layer: topics over a broker (re-exports only). Imported as 'fullduplex/hub'.
export type {
  Broker,
  BrokerHandler,
  BrokerPayload,
  BrokerPublishOptions,
  BrokerState,
  HistoryQuery,
  HistoryResult,
  PresenceEntry,
  PresenceEvent,
  Publication,
  RecoveryFailure,
  StreamPosition,
} from './broker.js';
export { MemoryBackend } from './memory-backend.js';
export type { MemoryBrokerOptions } from './memory-broker.js';
export { DEFAULT_PRESENCE_TTL_MS, MemoryBroker } from './memory-broker.js';
