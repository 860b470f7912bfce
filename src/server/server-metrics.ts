// A server's metrics (server.metrics()) and the observer its connections report rare events to. The
// hot path pays nothing here: message and byte counts are read from the connections when a snapshot
// is taken (open ones) or when they close (added to the totals); everything else is counted as it
// happens, and none of it happens per message.
import type { BufferBudget } from '../connection/buffer-budget.js';
import { INBOUND_OVER_BUDGET_REASON, OUTBOUND_OVER_BUDGET_REASON } from '../connection/buffer-budget.js';
import type { Connection } from '../connection/connection.js';
import { addTraffic, type TrafficTotals } from '../connection/connection-internals.js';
import type { ConnectionObserver } from '../connection/connection-observer.js';
import type { DropReason } from '../connection/connection-stats.js';
import type { CloseInfo } from '../connection/message.js';
import {
  budgetShedChannel,
  heartbeatTimeoutChannel,
  messageDroppedChannel,
  protocolErrorChannel,
} from './diagnostics.js';
import type {
  ClosedBy,
  HubFigures,
  RefusalReason,
  RoundTripSummary,
  ServerMetrics,
} from './metrics-snapshot.js';

/** Bucket bounds of the ping round-trip histogram, in milliseconds. */
export const ROUND_TRIP_BUCKETS_MS: readonly number[] = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

const DROP_REASONS: readonly DropReason[] = ['drop-newest', 'drop-oldest', 'latest-by-key', 'budget'];

/** Why the memory budget closed a connection: its incoming message, a send, or a new upgrade. */
export type BudgetShedCause = 'inbound' | 'outbound' | 'admission';

/** What a snapshot reads from its server besides the counters here. */
export interface MetricsSources {
  readonly connections: ReadonlySet<Connection>;
  readonly pendingHandshakes: number;
  readonly budget: BufferBudget | null;
  readonly hub: (() => HubFigures) | undefined;
}

export class ServerObserver implements ConnectionObserver {
  /** The server's budget, reported with the budget events. */
  readonly budget: BufferBudget | null;
  #opened = 0;
  #closed = 0;
  /** Traffic of the connections already closed. */
  readonly #closedTraffic: TrafficTotals = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 };
  readonly #dropped = new Map<DropReason, { messages: number; bytes: number }>();
  /** By `${code} ${closedBy}`. */
  readonly #closes = new Map<string, { code: number; closedBy: ClosedBy; count: number }>();
  /** By `${status} ${reason}`. */
  readonly #refusals = new Map<string, { status: number; reason: RefusalReason; count: number }>();
  readonly #protocolErrors = new Map<number, number>();
  #heartbeatTimeouts = 0;
  #budgetShed = 0;
  #rttCount = 0;
  #rttSum = 0;
  #rttMin = Number.POSITIVE_INFINITY;
  #rttMax = 0;
  /** Per bucket (not cumulative; the last one counts what exceeds every bound). */
  readonly #rttBuckets = new Array<number>(ROUND_TRIP_BUCKETS_MS.length + 1).fill(0);

  constructor(budget: BufferBudget | null) {
    this.budget = budget;
    for (const reason of DROP_REASONS) this.#dropped.set(reason, { messages: 0, bytes: 0 });
  }

  opened(): void {
    this.#opened++;
  }

  closed(connection: Connection, info: CloseInfo, closedBy: ClosedBy): void {
    this.#closed++;
    addTraffic(connection, this.#closedTraffic);
    const key = `${info.code} ${closedBy}`;
    const entry = this.#closes.get(key);
    if (entry === undefined) this.#closes.set(key, { code: info.code, closedBy, count: 1 });
    else entry.count++;
  }

  refused(status: number, reason: RefusalReason): void {
    const key = `${status} ${reason}`;
    const entry = this.#refusals.get(key);
    if (entry === undefined) this.#refusals.set(key, { status, reason, count: 1 });
    else entry.count++;
  }

  /** The memory budget closed `connection` (`cause`). */
  budgetShed(connection: Connection, code: number, reason: string, cause: BudgetShedCause): void {
    const budget = this.budget;
    this.#budgetShed++;
    if (budgetShedChannel.hasSubscribers)
      budgetShedChannel.publish({
        connection,
        code,
        reason,
        cause,
        budgetUsedBytes: budget?.used,
        budgetLimitBytes: budget?.limit,
      });
  }

  // ConnectionObserver: called by the connections themselves.

  dropped(connection: Connection, reason: DropReason, messages: number, bytes: number): void {
    const entry = this.#dropped.get(reason);
    if (entry !== undefined) {
      entry.messages += messages;
      entry.bytes += bytes;
    }
    if (messageDroppedChannel.hasSubscribers)
      messageDroppedChannel.publish({ connection, policy: reason, messages, bytes });
  }

  failing(connection: Connection, code: number, reason: string): void {
    if (reason === INBOUND_OVER_BUDGET_REASON) this.budgetShed(connection, code, reason, 'inbound');
    else if (reason === OUTBOUND_OVER_BUDGET_REASON) this.budgetShed(connection, code, reason, 'outbound');
  }

  protocolError(connection: Connection, code: number, message: string): void {
    this.#protocolErrors.set(code, (this.#protocolErrors.get(code) ?? 0) + 1);
    if (protocolErrorChannel.hasSubscribers) protocolErrorChannel.publish({ connection, code, message });
  }

  heartbeatTimeout(connection: Connection, reason: string): void {
    this.#heartbeatTimeouts++;
    if (heartbeatTimeoutChannel.hasSubscribers) heartbeatTimeoutChannel.publish({ connection, reason });
  }

  roundTrip(_connection: Connection, milliseconds: number): void {
    this.#rttCount++;
    this.#rttSum += milliseconds;
    if (milliseconds < this.#rttMin) this.#rttMin = milliseconds;
    if (milliseconds > this.#rttMax) this.#rttMax = milliseconds;
    let bucket = 0;
    while (bucket < ROUND_TRIP_BUCKETS_MS.length && milliseconds > (ROUND_TRIP_BUCKETS_MS[bucket] as number))
      bucket++;
    this.#rttBuckets[bucket] = (this.#rttBuckets[bucket] as number) + 1;
  }

  snapshot(sources: MetricsSources): ServerMetrics {
    const traffic: TrafficTotals = { ...this.#closedTraffic };
    for (const connection of sources.connections) addTraffic(connection, traffic);
    const dropped = {} as Record<DropReason, { messages: number; bytes: number }>;
    for (const [reason, entry] of this.#dropped) dropped[reason] = { ...entry };
    const budget = sources.budget;
    const hub = sources.hub?.();
    return {
      connectionsOpen: sources.connections.size,
      handshakesPending: sources.pendingHandshakes,
      connectionsOpened: this.#opened,
      connectionsClosed: this.#closed,
      messagesReceived: traffic.messagesIn,
      messagesSent: traffic.messagesOut,
      bytesReceived: traffic.bytesIn,
      bytesSent: traffic.bytesOut,
      dropped,
      closes: [...this.#closes.values()].map((entry) => ({ ...entry })),
      refusals: [...this.#refusals.values()].map((entry) => ({ ...entry })),
      protocolErrors: [...this.#protocolErrors].map(([code, count]) => ({ code, count })),
      heartbeatTimeouts: this.#heartbeatTimeouts,
      budgetShed: this.#budgetShed,
      pingRoundTrip: this.#roundTrips(),
      memoryBudget:
        budget === null
          ? null
          : { limitBytes: budget.limit, usedBytes: budget.used, usedInboundBytes: budget.usedInbound },
      ...(hub === undefined ? {} : { hub }),
    };
  }

  #roundTrips(): RoundTripSummary {
    let cumulative = 0;
    const buckets = ROUND_TRIP_BUCKETS_MS.map((leMs, index) => {
      cumulative += this.#rttBuckets[index] as number;
      return { leMs, count: cumulative };
    });
    buckets.push({ leMs: Number.POSITIVE_INFINITY, count: this.#rttCount });
    return {
      count: this.#rttCount,
      sumMs: this.#rttSum,
      minMs: this.#rttCount === 0 ? 0 : this.#rttMin,
      maxMs: this.#rttMax,
      buckets,
    };
  }
}
