import { broadcast } from '../connection/broadcast.js';
import type { Connection } from '../connection/connection.js';
import type { SendOptions } from '../connection/message.js';
import { prepareMessage } from '../connection/prepared-message.js';
import type { Broker, HistoryResult, PresenceEvent, Publication, StreamPosition } from './broker.js';
import type { ResolvedTopicOptions } from './hub-options.js';
import { gapFrame, messageFrame, presenceEventFrame } from './hub-wire.js';

/** How a subscriber receives publications: the payload as it was published, or hub-protocol frames. */
export type DeliveryFormat = 'raw' | 'envelope';

/** What a subscribe found: where the subscriber starts, and how its recovery went (when it asked). */
export interface SubscribeOutcome {
  /** The position just before the first publication the subscriber is sent. */
  readonly position: StreamPosition;
  readonly recovered?: boolean;
  readonly reason?: string;
}

/** Publications buffered for one subscriber during its recovery, at most (then it recovers again). */
const MAX_RECOVERY_BUFFER = 10_000;

interface Recovery {
  readonly format: DeliveryFormat;
  /** Live publications received while its history is read. */
  buffer: Publication[];
  overflow: boolean;
  /**
   * Set once history was sent through a position the live stream has not reached yet: live
   * publications up to it are skipped, the next one makes the subscriber live.
   */
  sent: StreamPosition | undefined;
}

type Notice = { kind: 'ack'; announce: (outcome: SubscribeOutcome) => void } | { kind: 'gap' };

/**
 * One topic's subscribers in this process. Live publications from the broker go through `receive`,
 * which checks their offsets against the last one delivered (a jump or an unexpected epoch means the
 * broker lost some) and fans each out framed once per format with `broadcast`. A subscriber that
 * recovers, and every subscriber while a gap is repaired, is held aside with a buffer of the live
 * publications meanwhile and gets history, then that buffer without duplicates (broker.ts, the note).
 */
export class LocalTopic {
  readonly name: string;
  readonly options: ResolvedTopicOptions;
  readonly raw = new Set<Connection>();
  readonly envelope = new Set<Connection>();
  readonly recovering = new Map<Connection, Recovery>();
  /** The last publication delivered (offset 0 of epoch '' until the broker told us the head). */
  #offset = 0;
  #epoch = '';
  #known = false;
  /** The broker was down since the last delivery: an epoch change may hide lost publications. */
  suspect = false;
  #ready: Promise<void> | undefined;
  readonly #broker: Broker;
  readonly #onError: (error: unknown) => void;
  readonly #sendOptions: SendOptions;

  /** The hub's count of publication messages handed to subscribers, shared by its topics. */
  readonly #counts: { deliveries: number };

  constructor(
    name: string,
    options: ResolvedTopicOptions,
    broker: Broker,
    onError: (error: unknown) => void,
    counts: { deliveries: number },
  ) {
    this.#counts = counts;
    this.name = name;
    this.options = options;
    this.#broker = broker;
    this.#onError = onError;
    this.#sendOptions = { backpressure: options.backpressure };
  }

  get size(): number {
    return this.raw.size + this.envelope.size + this.recovering.size;
  }

  has(connection: Connection): boolean {
    return this.raw.has(connection) || this.envelope.has(connection) || this.recovering.has(connection);
  }

  get position(): StreamPosition | undefined {
    return this.#known ? { offset: this.#offset, epoch: this.#epoch } : undefined;
  }

  /**
   * Add a subscriber; `since` asks for recovery. `announce` runs before anything is sent to it (the
   * hub-protocol ack goes first). Rejects when the broker cannot subscribe the process.
   */
  async add(
    connection: Connection,
    format: DeliveryFormat,
    since: StreamPosition | undefined,
    announce: (outcome: SubscribeOutcome) => void,
  ): Promise<void> {
    if (!since && this.#known && this.#ready) {
      announce({ position: { offset: this.#offset, epoch: this.#epoch } });
      this.#setOf(format).add(connection);
      return;
    }
    const recovery: Recovery = { format, buffer: [], overflow: false, sent: undefined };
    this.recovering.set(connection, recovery);
    try {
      await this.#start();
      const result: HistoryResult = since
        ? await this.#broker.history(this.name, { since, historyTtlMs: this.options.historyTtlMs })
        : {
            ok: true,
            publications: [],
            position: startOf(recovery.buffer) ?? { offset: this.#offset, epoch: this.#epoch },
          };
      if (this.recovering.get(connection) !== recovery) return;
      this.#finish(connection, recovery, since, result, { kind: 'ack', announce });
    } catch (error) {
      if (this.recovering.get(connection) === recovery) this.recovering.delete(connection);
      throw error;
    }
  }

  /** Remove a subscriber; true when it was one. */
  remove(connection: Connection): boolean {
    return (
      this.raw.delete(connection) || this.envelope.delete(connection) || this.recovering.delete(connection)
    );
  }

  /** A live publication from the broker. */
  receive(publication: Publication): void {
    if (this.#known) {
      if (publication.epoch === this.#epoch) {
        if (publication.offset <= this.#offset) return; // already delivered
        if (publication.offset !== this.#offset + 1) {
          this.#repair(publication);
          return;
        }
      } else if (publication.offset !== 1 || this.suspect) {
        this.#repair(publication);
        return;
      }
    }
    this.#advance(publication);
    this.#deliver(publication);
  }

  /** A join or leave: hub-protocol subscribers are told. */
  presence(event: PresenceEvent): void {
    if (this.envelope.size > 0) broadcast(this.envelope, presenceEventFrame(event));
  }

  /** The broker is back: fetch what it may have lost meanwhile. */
  resync(): void {
    if (this.#known && this.#ready) this.#repair(undefined);
  }

  /** Subscribe the process on the broker once, and learn the head position. */
  #start(): Promise<void> {
    if (!this.#ready) {
      this.#ready = (async () => {
        await this.#broker.subscribe(this.name);
        const head = await this.#broker.history(this.name, {
          limit: 0,
          historyTtlMs: this.options.historyTtlMs,
        });
        if (!this.#known) this.#advance(head.position);
      })();
      this.#ready.catch(() => {
        this.#ready = undefined;
      });
    }
    return this.#ready;
  }

  #advance(position: StreamPosition): void {
    this.#offset = position.offset;
    this.#epoch = position.epoch;
    this.#known = true;
    this.suspect = false;
  }

  #setOf(format: DeliveryFormat): Set<Connection> {
    return format === 'raw' ? this.raw : this.envelope;
  }

  #deliver(publication: Publication): void {
    const options =
      publication.key === undefined ? this.#sendOptions : { ...this.#sendOptions, key: publication.key };
    this.#counts.deliveries += this.raw.size + this.envelope.size;
    if (this.raw.size > 0) broadcast(this.raw, prepareMessage(publication.data), options);
    if (this.envelope.size > 0) broadcast(this.envelope, prepareMessage(messageFrame(publication)), options);
    for (const [connection, recovery] of this.recovering) {
      const sent = recovery.sent;
      if (!sent) {
        if (recovery.buffer.length < MAX_RECOVERY_BUFFER) recovery.buffer.push(publication);
        else recovery.overflow = true;
      } else if (publication.epoch === sent.epoch && publication.offset <= sent.offset) {
        // Sent from history already.
      } else if (
        publication.epoch === sent.epoch ? publication.offset === sent.offset + 1 : publication.offset === 1
      ) {
        this.#sendOne(connection, recovery.format, publication);
        this.recovering.delete(connection);
        this.#setOf(recovery.format).add(connection);
      } else {
        recovery.sent = undefined;
        this.#again(connection, recovery, sent, [publication]);
      }
    }
  }

  /** Live publications were lost after the last delivered one: every live subscriber recovers. */
  #repair(publication: Publication | undefined): void {
    const after = { offset: this.#offset, epoch: this.#epoch };
    const group = new Map<Connection, Recovery>();
    for (const format of ['raw', 'envelope'] as const) {
      const set = this.#setOf(format);
      for (const connection of set)
        group.set(connection, { format, buffer: [], overflow: false, sent: undefined });
      set.clear();
    }
    for (const [connection, recovery] of group) this.recovering.set(connection, recovery);
    if (publication) {
      this.#advance(publication);
      this.#deliver(publication);
    }
    void this.#recoverGroup(group, after);
  }

  async #recoverGroup(group: Map<Connection, Recovery>, since: StreamPosition): Promise<void> {
    let result: HistoryResult;
    try {
      result = await this.#broker.history(this.name, { since, historyTtlMs: this.options.historyTtlMs });
    } catch (error) {
      this.#onError(error);
      result = { ok: false, reason: 'history-gap', position: since };
    }
    // The topic's state was lost: what the old epoch lost is announced below; continue in the new one.
    if (!result.ok && result.reason === 'epoch-changed' && result.position.epoch !== this.#epoch) {
      this.#advance(result.position);
    }
    for (const [connection, recovery] of group) {
      if (this.recovering.get(connection) !== recovery) continue;
      this.#finish(connection, recovery, since, result, { kind: 'gap' });
    }
  }

  /**
   * Send the history, then the buffered live publications not yet sent; then the subscriber is live,
   * or waits (skipping what it got) until the live stream reaches what history gave it.
   */
  #finish(
    connection: Connection,
    recovery: Recovery,
    since: StreamPosition | undefined,
    result: HistoryResult,
    notice: Notice,
  ): void {
    let last: StreamPosition | undefined;
    if (result.ok) {
      if (notice.kind === 'ack') {
        notice.announce(since ? { position: since, recovered: true } : { position: result.position });
      }
      for (const publication of result.publications) this.#sendOne(connection, recovery.format, publication);
      last = result.position;
    } else if (notice.kind === 'ack') {
      notice.announce({ position: result.position, recovered: false, reason: result.reason });
    } else if (recovery.format === 'envelope' && since) {
      connection.send(gapFrame(this.name, since, result.reason));
    }
    const buffer = recovery.buffer;
    for (let i = 0; i < buffer.length; i++) {
      const publication = buffer[i] as Publication;
      if (last && publication.epoch === last.epoch) {
        if (publication.offset <= last.offset) continue;
        if (publication.offset !== last.offset + 1) {
          this.#again(connection, recovery, last, buffer.slice(i));
          return;
        }
      } else if (last && publication.offset !== 1) {
        this.#again(connection, recovery, last, buffer.slice(i));
        return;
      }
      this.#sendOne(connection, recovery.format, publication);
      last = publication;
    }
    if (recovery.overflow && last) {
      this.#again(connection, recovery, last, []);
      return;
    }
    recovery.buffer = [];
    if (last && this.#known && (last.epoch !== this.#epoch || last.offset > this.#offset)) {
      recovery.sent = { offset: last.offset, epoch: last.epoch };
      return;
    }
    this.recovering.delete(connection);
    this.#setOf(recovery.format).add(connection);
  }

  /** A hole inside a subscriber's buffer: recover it again from `last`. */
  #again(connection: Connection, recovery: Recovery, last: StreamPosition, rest: Publication[]): void {
    recovery.buffer = rest;
    recovery.overflow = false;
    void this.#recoverGroup(new Map([[connection, recovery]]), last);
  }

  #sendOne(connection: Connection, format: DeliveryFormat, publication: Publication): void {
    const data = format === 'raw' ? publication.data : messageFrame(publication);
    const options =
      publication.key === undefined ? this.#sendOptions : { ...this.#sendOptions, key: publication.key };
    if (connection.readyState !== 'open') return;
    this.#counts.deliveries++;
    connection.sendPrepared(prepareMessage(data), options);
  }
}

/** The position just before the first buffered publication. */
function startOf(buffer: readonly Publication[]): StreamPosition | undefined {
  const first = buffer[0];
  return first ? { offset: first.offset - 1, epoch: first.epoch } : undefined;
}
