// The shape of `server.metrics()`: plain data, so it can be logged, serialized or exposed as
// Prometheus text (prometheus-text.ts). docs/observability.md lists every figure.
import type { DropReason } from '../connection/connection-stats.js';

/** Why a handshake was refused (the `reason` label of fullduplex_handshakes_refused_total). */
export type RefusalReason =
  | 'max-connections'
  | 'memory-budget'
  | 'max-pending-handshakes'
  | 'max-pending-handshakes-per-address'
  | 'timeout'
  | 'shutting-down'
  | 'rejected';

/** Who ended a connection: the peer's Close came first, ours did, or neither (1006). */
export type ClosedBy = 'local' | 'remote' | 'abnormal';

/** Figures of a hub serving through this server (set by HubEndpoint.serverOptions()). */
export interface HubFigures {
  /** Topics with a subscriber in this process now. */
  readonly topics: number;
  /** Subscriptions in this process now (a connection counts once per topic). */
  readonly subscriptions: number;
  /** Publications accepted by the broker from this process. */
  readonly publishes: number;
  /** Publication messages handed to subscribers' connections here (before any slow-consumer drop). */
  readonly deliveries: number;
  /** 'up', or 'down' while the broker (Redis) is unreachable. */
  readonly brokerState: 'up' | 'down';
}

/** Ping round trips of the heartbeat, in milliseconds. */
export interface RoundTripSummary {
  readonly count: number;
  readonly sumMs: number;
  /** 0 when count is 0. */
  readonly minMs: number;
  readonly maxMs: number;
  /** Cumulative counts: how many round trips took at most `leMs` (the last bucket is every one). */
  readonly buckets: readonly { readonly leMs: number; readonly count: number }[];
}

export interface ServerMetrics {
  /** Open connections now. */
  readonly connectionsOpen: number;
  /** Handshakes in progress now. */
  readonly handshakesPending: number;
  /** Connections opened (101 sent) since the server was made. */
  readonly connectionsOpened: number;
  /** Connections closed since; `closes` tells how. */
  readonly connectionsClosed: number;
  /** Whole messages received from peers (counted as they start). */
  readonly messagesReceived: number;
  /** Messages accepted for sending (not dropped on arrival by a slow-consumer policy). */
  readonly messagesSent: number;
  /** WebSocket bytes (frames, after the handshake) received from the sockets, and handed to them. */
  readonly bytesReceived: number;
  readonly bytesSent: number;
  /** Messages and frame bytes a slow-consumer policy or the memory budget kept from the wire. */
  readonly dropped: Readonly<Record<DropReason, { readonly messages: number; readonly bytes: number }>>;
  /** Closed connections by close code and who closed. */
  readonly closes: readonly { readonly code: number; readonly closedBy: ClosedBy; readonly count: number }[];
  /** Refused handshakes by HTTP status (0: closed before TLS, no answer) and reason. */
  readonly refusals: readonly {
    readonly status: number;
    readonly reason: RefusalReason;
    readonly count: number;
  }[];
  /** Connections failed for breaking the protocol, by the code we closed with. */
  readonly protocolErrors: readonly { readonly code: number; readonly count: number }[];
  /** Connections the heartbeat terminated (no pong, or no frame, within pongTimeout). */
  readonly heartbeatTimeouts: number;
  /** Connections closed (1013 or the budget's code) to keep the memory budget. */
  readonly budgetShed: number;
  readonly pingRoundTrip: RoundTripSummary;
  /** The memory budget, or null when it is off. */
  readonly memoryBudget: {
    readonly limitBytes: number;
    readonly usedBytes: number;
    readonly usedInboundBytes: number;
  } | null;
  /** Present when a hub serves through this server. */
  readonly hub?: HubFigures;
}
