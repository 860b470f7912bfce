/**
 * The broker: what carries publications, history and presence between the processes of one hub.
 *
 * A broker is the hub's view of a shared backend (the process itself, Redis, NATS). It assigns every
 * publication its place in its topic (an offset, counted per topic, and the topic's epoch) in the
 * same atomic step that appends it to the topic's history and hands it to live delivery, so every
 * process sees one order per topic. It keeps no per-connection state: the hub counts subscribers.
 *
 * ## Design note: recovery, and who does it
 *
 * A subscriber that comes back with its last position (offset X in epoch E) must get every
 * publication after X exactly once, in order, before the live ones, or be told that this is not
 * possible. Reading history and then subscribing leaves a window: a publication made between the
 * read and the subscribe is lost. Subscribing and then reading history leaves the opposite window:
 * a publication can arrive live and also be in the history read. So the hub (not the broker) does:
 *
 * 1. subscribe the process to the topic live first (`subscribe`, resolved once live delivery is on),
 *    and buffer that subscriber's live publications from now on;
 * 2. read `history(topic, { since: { offset: X, epoch: E } })`;
 * 3. send the history in order, then the buffered live publications whose offset is past the last
 *    one sent (same epoch), dropping the others as duplicates; then switch the subscriber to live.
 *
 * Offsets are what make the merge exact: within an epoch they are consecutive integers, so a
 * duplicate is an offset already sent and a gap is a jump by more than one. The hub also watches the
 * live stream of each topic for jumps (a broker can lose live messages while its link is down) and
 * fills them from history, or tells the subscribers that recovery was not possible.
 *
 * ## Contract every broker keeps (test/unit/hub/broker-contract.ts checks it)
 *
 * - Offsets start at 1 in each epoch and grow by exactly 1 per publication; the epoch is an opaque
 *   string that changes whenever the topic's state (offset counter, history) was lost: the topic was
 *   idle for longer than its history TTL, or the backend lost its data.
 * - Live publications of one topic reach each subscribed process in offset order, never twice. They
 *   may be lost while the broker is `down`; nothing else loses them.
 * - A publication's payload keeps its type: a string stays text, a Buffer stays binary.
 * - A dead process's presence entries disappear within `presenceTtlMs`.
 */

/** A message's payload: a string is text, a Buffer is binary; brokers keep the distinction. */
export type BrokerPayload = string | Buffer;

/** A place in a topic's sequence: the last offset seen and the epoch it belongs to. */
export interface StreamPosition {
  /** The offset of the last publication (0 before the first one of the epoch). */
  readonly offset: number;
  /** The topic's epoch: offsets are only comparable within one epoch. */
  readonly epoch: string;
}

/** One publication as the broker delivers it (live or from history). */
export interface Publication {
  readonly topic: string;
  /** Per topic, 1 for the first publication of an epoch, then +1 each (see StreamPosition). */
  readonly offset: number;
  readonly epoch: string;
  readonly data: BrokerPayload;
  /** The key for the `latest-by-key` slow-consumer policy, when the publisher gave one. */
  readonly key?: string;
}

/** How one publication is kept: the hub passes its topic's settings with every publish. */
export interface BrokerPublishOptions {
  /** Publications kept in the topic's history (the newest ones). 0 keeps none. */
  readonly historySize: number;
  /**
   * How long a publication stays in history, in milliseconds. The topic's offset counter and epoch
   * are kept this long after its last publication too; past that an idle topic starts a new epoch.
   * Must be > 0.
   */
  readonly historyTtlMs: number;
  /** Carried to every subscriber for the `latest-by-key` policy. */
  readonly key?: string;
}

/** What `history` is asked. */
export interface HistoryQuery {
  /**
   * The topic's history TTL (as in BrokerPublishOptions). A topic with no state yet is given one
   * here (offset 0, a new epoch) that lives this long, so a subscriber that saw position 0 of that
   * epoch is told `epoch-changed` rather than silently missing an epoch that came and went.
   */
  readonly historyTtlMs: number;
  /**
   * Return the publications after this position. Without it, the newest `limit` publications
   * retained (or only the current position when `limit` is 0).
   */
  readonly since?: StreamPosition;
  /** At most this many publications (the oldest first after `since`, else the newest). Default: all. */
  readonly limit?: number;
}

/** Why history cannot give what was asked. */
export type RecoveryFailure =
  /** The position belongs to another epoch: the topic's state was lost or restarted since. */
  | 'epoch-changed'
  /** Some publications after the position are gone (trimmed by size, expired by TTL). */
  | 'history-gap'
  /** The position is past the topic's current offset (never issued in this epoch). */
  | 'offset-ahead'
  /** More publications follow the position than `limit` allows. */
  | 'limit-exceeded';

/** The answer to `history`. `position` is the topic's current position either way. */
export type HistoryResult =
  | {
      readonly ok: true;
      /** In offset order; consecutive when `since` was given. */
      readonly publications: readonly Publication[];
      readonly position: StreamPosition;
    }
  | { readonly ok: false; readonly reason: RecoveryFailure; readonly position: StreamPosition };

/** One subscriber as presence lists it. `id` is unique across every process of the hub. */
export interface PresenceEntry {
  readonly id: string;
  /** Application data about the subscriber (JSON-serializable), e.g. a user name. */
  readonly info?: unknown;
}

/** A subscriber joined or left a topic (on any process). */
export interface PresenceEvent {
  readonly type: 'join' | 'leave';
  readonly topic: string;
  readonly entry: PresenceEntry;
}

/** The broker's link to its backend: `up` (working) or `down` (publish fails, live may be lost). */
export type BrokerState = 'up' | 'down';

/**
 * The broker's events, set once by its one owner (the hub). Callbacks must not throw; they run in the
 * broker's delivery turn, so they must not wait for anything.
 */
export interface BrokerHandler {
  /** A live publication on a topic this process is subscribed to (offset order per topic). */
  onPublication(publication: Publication): void;
  /** A join or leave on a topic this process is subscribed to (from any process, itself included). */
  onPresence(event: PresenceEvent): void;
  /**
   * The link went down or came back. After `up`, the broker has already resubscribed every topic
   * that was subscribed; publications made while it was down may be missing from live delivery
   * (the hub detects that by offset and recovers from history).
   */
  onStateChange(state: BrokerState, error?: Error): void;
}

/**
 * A broker a hub runs on: the in-process MemoryBroker, or an adapter for Redis or NATS.
 *
 * Concurrency: every method may be called at any time, concurrently; each call's effects on one
 * topic happen in call order. Methods reject with BrokerUnavailableError while `state` is `down`
 * (except `unsubscribe`, `removePresence` and `close`, which the broker completes or forgets), and
 * with ConnectionClosedError after `close`.
 */
export interface Broker {
  /** The link's current state; changes are reported to `onStateChange`. */
  readonly state: BrokerState;
  /** A dead process's presence entries are gone this long (milliseconds) after its last refresh. */
  readonly presenceTtlMs: number;

  /** Set the one handler of live publications, presence events and state changes. */
  setHandler(handler: BrokerHandler): void;

  /**
   * Assign the next offset of `topic`, append to its history (per `options`) and deliver it live to
   * every subscribed process, as one atomic step. Resolves with the publication's position.
   */
  publish(topic: string, data: BrokerPayload, options: BrokerPublishOptions): Promise<StreamPosition>;

  /** Read a topic's history (see HistoryQuery); never throws for a position it cannot serve. */
  history(topic: string, query: HistoryQuery): Promise<HistoryResult>;

  /**
   * Receive `topic`'s live publications and presence events in this process, from the moment the
   * promise resolves. Idempotent: a set of topics, not a count (the hub counts its subscribers).
   */
  subscribe(topic: string): Promise<void>;
  /** Stop receiving `topic`. Idempotent. */
  unsubscribe(topic: string): Promise<void>;

  /**
   * Add (or replace, by `entry.id`) this process's entry in `topic`'s presence and announce a join.
   * The broker keeps the entry alive while this process lives; it expires `presenceTtlMs` after the
   * process stops refreshing it.
   */
  addPresence(topic: string, entry: PresenceEntry): Promise<void>;
  /** Remove an entry this process added, and announce a leave. Unknown ids are ignored. */
  removePresence(topic: string, id: string): Promise<void>;
  /** Every live entry of `topic`, from every process. */
  listPresence(topic: string): Promise<PresenceEntry[]>;

  /** Remove this process's presence entries, stop every subscription, release the backend link. */
  close(): Promise<void>;
}
