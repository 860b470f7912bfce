// fullduplex/client: the reconnecting hub client (browsers and Node, no Node imports).
export type { ReconnectOptions } from './backoff.js';
export { backoffDelay } from './backoff.js';
export type { ClientState, HubClientEvents } from './hub-client.js';
export { HubClient } from './hub-client.js';
export { HubClientError } from './hub-client-error.js';
export type { HubClientOptions, WebSocketConstructor, WebSocketLike } from './hub-client-options.js';
export { HUB_PROTOCOL } from './hub-client-options.js';
export type { QueueOptions, QueuePolicy } from './offline-queue.js';
export type { PublishAck } from './publisher.js';
export type { HistoryAnswer } from './read-requests.js';
export type {
  GapEvent,
  Position,
  PresenceEntry,
  PresenceEvent,
  SubscribedEvent,
  Subscription,
  SubscriptionEvents,
  SubscriptionState,
  TopicMessage,
} from './subscription.js';
export type { RecoveredEvent } from './topic-registry.js';
