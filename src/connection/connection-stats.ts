/**
 * Why a message was not sent: `'drop-newest'` (it arrived while the connection was over its bound),
 * `'drop-oldest'` (evicted from the head of the queue to make room), `'latest-by-key'` (a newer
 * message with the same key took its place) or `'budget'` (the shared BufferBudget was exceeded).
 */
export type DropReason = 'drop-newest' | 'drop-oldest' | 'latest-by-key' | 'budget';

/** Counters of one connection's slow-consumer decisions (a live object: read it any time). */
export interface ConnectionStats {
  /** Messages a slow-consumer policy kept from the wire: dropped on arrival, evicted or replaced. */
  readonly messagesDropped: number;
  /** Their frame bytes (header and payload, before compression). */
  readonly bytesDropped: number;
  /** The part of `messagesDropped` replaced by a newer message with the same key. */
  readonly messagesReplaced: number;
  /**
   * Pings left without their own pong under a ping flood: past MAX_OWED_PONGS (128) pongs owed, a
   * newer ping's pong replaced the newest owed one (RFC 6455 5.5.3). 0 for any peer that reads.
   */
  readonly pongsCoalesced: number;
}
