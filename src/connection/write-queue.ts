import type { BufferBudget } from './buffer-budget.js';
import type { Transport } from './transport.js';

/**
 * What a queued unit of frames is. `'message'`: a whole uncompressed message, which a slow-consumer
 * policy may drop or replace. `'pinned'`: a whole message that must go out once framed: a compressed
 * one (with context takeover the peer's inflater needs every compressed message, in order) or the
 * final fragment of a streamed message. `'fragment'`: a non-final fragment. `'close'`: a Close frame.
 * Units are never split, so no frame is ever split.
 */
export type UnitKind = 'message' | 'pinned' | 'fragment' | 'close';

/** A unit dropped in place (its buffers released), skipped when the queue is flushed. */
type StoredKind = UnitKind | 'dropped';

/**
 * While our own queue holds data, each transport write takes about this many bytes of whole units
 * (at least one). Keeping the rest here, rather than in the socket, is what lets a pong overtake
 * queued data.
 */
const BATCH_BYTES = 128 * 1024;

/** Compact the head-indexed arrays when this many entries are dead at the front. */
const COMPACT_AT = 1024;

/**
 * The one outgoing path of a connection (ARCHITECTURE.md "One writer"). Frames are appended by the
 * protocol into `data` (whole units, in call order) or `control` (ping, pong); `flush()` hands them to
 * the transport: control first, then data units, never splitting a unit. While the transport is
 * over its high-water mark (its `write()` returned false) nothing is written until `onDrain()`, so
 * owed pongs can still be coalesced under a flood and control frames go ahead of data still held here.
 */
export class WriteQueue {
  /** Data lane; the protocol appends frames here. Read from `#dataHead`. */
  data: Buffer[] = [];
  /** Control lane (pings); the protocol appends frames here. */
  control: Buffer[] = [];
  /**
   * Owed pongs, oldest first, one frame (one Buffer: control payloads are copied behind their
   * header) per ping answered. The protocol appends frames here.
   */
  pong: Buffer[] = [];

  /** How many whole messages the last `dropOldest()` dropped. */
  lastDropCount = 0;

  readonly #transport: Transport;
  readonly #budget: BufferBudget | null;
  #dataHead = 0;
  // One entry per unit, in parallel arrays (no object per message): where it ends in `data`, its size, its kind.
  #unitEnd: number[] = [];
  #unitBytes: number[] = [];
  #unitKind: StoredKind[] = [];
  #unitHead = 0;
  /** Units dropped in place and still in the arrays: the hand-over-the-whole-array path needs none. */
  #holes = 0;
  /** Units get ids that survive compaction: id = #unitBase + index. */
  #unitBase = 0;
  /** Units before this id hold no droppable message (dropOldest need not look at them again). */
  #scanFrom = 0;
  /** 'latest-by-key': the id of the last unit queued with each key (checked before use, created lazily). */
  #keys: Map<string, number> | null = null;
  #dataBytes = 0;
  #controlBytes = 0;
  #pongBytes = 0;
  #congested = false;
  #endAfterFlush = false;
  #ended = false;

  constructor(transport: Transport, budget: BufferBudget | null = null) {
    this.#transport = transport;
    this.#budget = budget;
  }

  /** Bytes held here, not yet handed to the transport. */
  get bytes(): number {
    return this.#dataBytes + this.#controlBytes + this.#pongBytes;
  }

  /** The transport said it is over its high-water mark and has not drained since. */
  get congested(): boolean {
    return this.#congested;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Record that the last `bytes` appended to `data` form one unit. */
  commit(bytes: number, kind: UnitKind): void {
    this.#push(bytes, kind);
    if (this.#budget !== null) this.#budget.charge(bytes);
  }

  /** Like `commit(bytes, 'message')`, remembering `key` so a newer message can take this one's place. */
  commitKeyed(bytes: number, key: string): void {
    this.commit(bytes, 'message');
    this.#remember(key);
  }

  /** True when a message queued with `key` is still here, unsent and not dropped. */
  hasKeyed(key: string): boolean {
    return this.#keyedUnit(key) >= 0;
  }

  /**
   * Put `frames` (one uncompressed message of `bytes`) in the place of the queued message sent with
   * `key`, so it goes out where the stale one would have. When the frame count differs (a size class
   * changed) the stale one is dropped and the new one appended instead. Returns the replaced
   * message's bytes, or -1 when no such message is queued (then nothing changed). `frames` is read,
   * not kept.
   */
  replaceKeyed(key: string, frames: readonly Buffer[], bytes: number): number {
    const unit = this.#keyedUnit(key);
    if (unit < 0) return -1;
    const before = this.bytes;
    const old = this.#unitBytes[unit] as number;
    const start = unit === 0 ? 0 : (this.#unitEnd[unit - 1] as number);
    const end = this.#unitEnd[unit] as number;
    if (end - start === frames.length) {
      for (let index = 0; index < frames.length; index++) this.data[start + index] = frames[index] as Buffer;
      this.#unitBytes[unit] = bytes;
      this.#dataBytes += bytes - old;
    } else {
      this.#dropUnit(unit);
      for (const frame of frames) this.data.push(frame);
      this.#push(bytes, 'message');
      this.#remember(key);
      this.#skipDroppedHead();
    }
    this.#settle(before);
    return old;
  }

  /**
   * 'drop-oldest': drop whole uncompressed messages from the head of the queue (never a fragment,
   * a pinned message or a Close) until `need` bytes were freed or none is left. Nothing here was
   * handed to the transport yet, so no unit is ever partly written. Returns the bytes freed;
   * `lastDropCount` says how many messages.
   */
  dropOldest(need: number): number {
    const before = this.bytes;
    const kinds = this.#unitKind;
    let freed = 0;
    let count = 0;
    let unit = Math.max(this.#scanFrom - this.#unitBase, this.#unitHead);
    for (; unit < kinds.length && freed < need; unit++) {
      if (kinds[unit] !== 'message') continue;
      freed += this.#unitBytes[unit] as number;
      count++;
      this.#dropUnit(unit);
    }
    this.#scanFrom = this.#unitBase + unit;
    this.lastDropCount = count;
    if (count > 0) this.#skipDroppedHead();
    this.#settle(before);
    return freed;
  }

  commitControl(bytes: number): void {
    this.#controlBytes += bytes;
    if (this.#budget !== null) this.#budget.charge(bytes);
  }

  /** Pongs framed and not yet handed to the transport. */
  get pongsOwed(): number {
    return this.pong.length;
  }

  /** Record the pong just appended to `pong` (`bytes`: its frame). */
  commitPong(bytes: number): void {
    this.#pongBytes += bytes;
    if (this.#budget !== null) this.#budget.charge(bytes);
  }

  /**
   * The pong just appended (not committed) takes the place of the newest one owed before it: a
   * flood's newest ping is answered and the one before it is not (RFC 6455 5.5.3 allows that).
   */
  replaceNewestPong(): void {
    const pongs = this.pong;
    if (pongs.length < 2) return;
    const replaced = pongs[pongs.length - 2] as Buffer;
    pongs[pongs.length - 2] = pongs.pop() as Buffer;
    this.#pongBytes -= replaced.length;
    if (this.#budget !== null) this.#budget.charge(-replaced.length);
  }

  /** End the transport (FIN) once everything queued so far has been handed to it. */
  endAfterFlush(): void {
    this.#endAfterFlush = true;
  }

  onDrain(): void {
    this.#congested = false;
  }

  /** Hand queued frames to the transport while it accepts them; end it when asked and empty. */
  flush(): void {
    const transport = this.#transport;
    const before = this.#budget === null ? 0 : this.bytes;
    while (!this.#congested && !this.#ended) {
      const hasControl = this.#controlBytes + this.#pongBytes > 0;
      const units = this.#unitKind.length - this.#unitHead;
      if (!hasControl && units === 0) break;
      let batch: Buffer[];
      if (!hasControl && this.#dataHead === 0 && this.#holes === 0 && this.#dataBytes <= BATCH_BYTES) {
        // The common case (a turn's replies): hand over the whole array, no copy of the list.
        batch = this.data;
        this.#resetData();
      } else {
        batch = [];
        if (hasControl) {
          for (const chunk of this.control) batch.push(chunk);
          for (const chunk of this.pong) batch.push(chunk);
          this.control = [];
          this.pong = [];
          this.#controlBytes = 0;
          this.#pongBytes = 0;
        }
        this.#takeUnits(batch);
      }
      if (batch.length > 0) this.#congested = !transport.write(batch);
    }
    if (this.#budget !== null) this.#settle(before);
    // FIN follows the data already handed over, congested or not (the transport queues it).
    if (this.#endAfterFlush && !this.#ended && this.bytes === 0) {
      this.#ended = true;
      transport.end();
    }
  }

  /**
   * Drop queued data units, keeping Close frames (a failing connection sends its Close, not the
   * backlog). Returns how many whole messages were dropped.
   */
  dropData(): number {
    const before = this.bytes;
    let dropped = 0;
    const data: Buffer[] = [];
    const unitEnd: number[] = [];
    const unitBytes: number[] = [];
    const unitKind: UnitKind[] = [];
    let start = this.#dataHead;
    let bytes = 0;
    for (let unit = this.#unitHead; unit < this.#unitKind.length; unit++) {
      const end = this.#unitEnd[unit] as number;
      const kind = this.#unitKind[unit] as UnitKind;
      if (kind === 'close') {
        for (let index = start; index < end; index++) data.push(this.data[index] as Buffer);
        unitEnd.push(data.length);
        unitBytes.push(this.#unitBytes[unit] as number);
        unitKind.push(kind);
        bytes += this.#unitBytes[unit] as number;
      } else if (kind === 'message' || kind === 'pinned') {
        dropped++;
      }
      start = end;
    }
    this.#unitBase += this.#unitKind.length;
    this.#keys = null;
    this.#holes = 0;
    this.data = data;
    this.#dataHead = 0;
    this.#unitEnd = unitEnd;
    this.#unitBytes = unitBytes;
    this.#unitKind = unitKind;
    this.#unitHead = 0;
    this.#dataBytes = bytes;
    this.#settle(before);
    return dropped;
  }

  /** Forget everything (the transport is gone). Returns how many whole messages were never handed over. */
  clear(): number {
    const before = this.bytes;
    let unsent = 0;
    for (let unit = this.#unitHead; unit < this.#unitKind.length; unit++) {
      const kind = this.#unitKind[unit];
      if (kind === 'message' || kind === 'pinned') unsent++;
    }
    this.#resetData();
    this.control = [];
    this.pong = [];
    this.#controlBytes = 0;
    this.#pongBytes = 0;
    this.#ended = true;
    this.#settle(before);
    return unsent;
  }

  #takeUnits(batch: Buffer[]): void {
    let taken = 0;
    let unit = this.#unitHead;
    let index = this.#dataHead;
    const units = this.#unitKind.length;
    const data = this.data as (Buffer | undefined)[];
    while (unit < units && (taken === 0 || taken < BATCH_BYTES)) {
      const end = this.#unitEnd[unit] as number;
      if (this.#unitKind[unit] === 'dropped') {
        this.#holes--;
        index = end;
      } else {
        for (; index < end; index++) batch.push(data[index] as Buffer);
      }
      taken += this.#unitBytes[unit] as number;
      unit++;
    }
    this.#dataBytes -= taken;
    if (unit === units) {
      this.#resetData();
      return;
    }
    // Release references to handed-over buffers, then compact now and then.
    for (let dead = this.#dataHead; dead < index; dead++)
      (this.data as (Buffer | undefined)[])[dead] = undefined;
    this.#dataHead = index;
    this.#unitHead = unit;
    if (unit >= COMPACT_AT && unit * 2 >= units) this.#compact();
  }

  #compact(): void {
    this.#unitBase += this.#unitHead;
    const head = this.#dataHead;
    this.data = this.data.slice(head);
    this.#unitEnd = this.#unitEnd.slice(this.#unitHead).map((end) => end - head);
    this.#unitBytes = this.#unitBytes.slice(this.#unitHead);
    this.#unitKind = this.#unitKind.slice(this.#unitHead);
    this.#dataHead = 0;
    this.#unitHead = 0;
  }

  #push(bytes: number, kind: UnitKind): void {
    this.#unitEnd.push(this.data.length);
    this.#unitBytes.push(bytes);
    this.#unitKind.push(kind);
    this.#dataBytes += bytes;
  }

  /** The last unit pushed was sent with `key`. */
  #remember(key: string): void {
    this.#keys ??= new Map();
    this.#keys.set(key, this.#unitBase + this.#unitKind.length - 1);
  }

  /** Release one unit's buffers and mark it dropped; its entries stay until the head passes them. */
  #dropUnit(unit: number): void {
    const start = unit === 0 ? 0 : (this.#unitEnd[unit - 1] as number);
    const end = this.#unitEnd[unit] as number;
    const data = this.data as (Buffer | undefined)[];
    for (let index = start; index < end; index++) data[index] = undefined;
    this.#dataBytes -= this.#unitBytes[unit] as number;
    this.#unitBytes[unit] = 0;
    this.#unitKind[unit] = 'dropped';
    this.#holes++;
  }

  /** Move the head past dropped units, so a peer that never drains does not grow the arrays. */
  #skipDroppedHead(): void {
    const kinds = this.#unitKind;
    let unit = this.#unitHead;
    while (unit < kinds.length && kinds[unit] === 'dropped') {
      this.#dataHead = this.#unitEnd[unit] as number;
      this.#holes--;
      unit++;
    }
    if (unit === kinds.length) {
      this.#resetData();
      return;
    }
    this.#unitHead = unit;
    if (unit >= COMPACT_AT && unit * 2 >= kinds.length) this.#compact();
  }

  /** The index of the live unit queued with `key`, or -1. */
  #keyedUnit(key: string): number {
    const id = this.#keys?.get(key);
    if (id === undefined) return -1;
    const unit = id - this.#unitBase;
    return unit >= this.#unitHead && unit < this.#unitKind.length && this.#unitKind[unit] === 'message'
      ? unit
      : -1;
  }

  /** Tell the budget how much the bytes held here changed since `before`. */
  #settle(before: number): void {
    if (this.#budget !== null) this.#budget.charge(this.bytes - before);
  }

  #resetData(): void {
    this.#unitBase += this.#unitKind.length;
    if (this.#keys !== null && this.#keys.size > 0) this.#keys.clear();
    this.#holes = 0;
    this.data = [];
    this.#dataHead = 0;
    this.#unitEnd = [];
    this.#unitBytes = [];
    this.#unitKind = [];
    this.#unitHead = 0;
    this.#dataBytes = 0;
  }
}
