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
export type { HubPublishOptions, HubSubscribeOptions } from './hub.js';
export { createHub, Hub, HubLimitError } from './hub.js';
export { HubEndpoint } from './hub-endpoint.js';
export type { HubLimits, HubOptions, TopicAuthorizer, TopicOptions } from './hub-options.js';
export { DEFAULT_HUB_LIMITS, DEFAULT_HUB_PING_INTERVAL, DEFAULT_TOPIC_OPTIONS } from './hub-options.js';
export type { ClientFrame, RequestId, WireErrorCode } from './hub-wire.js';
export { HUB_SUBPROTOCOL } from './hub-wire.js';
export type { DeliveryFormat, SubscribeOutcome } from './local-topic.js';
export { MemoryBackend } from './memory-backend.js';
export type { MemoryBrokerOptions } from './memory-broker.js';
export { DEFAULT_PRESENCE_TTL_MS, MemoryBroker } from './memory-broker.js';
export { PLAIN_TOPIC_PREFIX } from './plain-session.js';
export { checkTopicName, MAX_TOPIC_LENGTH, topicNameProblem } from './topic-name.js';
