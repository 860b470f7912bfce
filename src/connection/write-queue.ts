import type { Transport } from './transport.js';

/**
 * What a queued unit of frames is: a whole message (or the final fragment of a streamed one), a
 * non-final fragment, or a Close frame. Units are never split, so no frame is ever split.
 */
export type UnitKind = 'message' | 'fragment' | 'close';

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
 * queued pongs can still be replaced and control frames go ahead of data still held here.
 */
export class WriteQueue {
  /** Data lane; the protocol appends frames here. Read from `#dataHead`. */
  data: Buffer[] = [];
  /** Control lane (pings); the protocol appends frames here. */
  control: Buffer[] = [];
  /** The one queued pong: a newer ping replaces it (RFC 6455 5.5.3 allows answering only the last). */
  pong: Buffer[] = [];

  readonly #transport: Transport;
  #dataHead = 0;
  // One entry per unit, in parallel arrays (no object per message): where it ends in `data`, its size, its kind.
  #unitEnd: number[] = [];
  #unitBytes: number[] = [];
  #unitKind: UnitKind[] = [];
  #unitHead = 0;
  #dataBytes = 0;
  #controlBytes = 0;
  #pongBytes = 0;
  #congested = false;
  #endAfterFlush = false;
  #ended = false;

  constructor(transport: Transport) {
    this.#transport = transport;
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
    this.#unitEnd.push(this.data.length);
    this.#unitBytes.push(bytes);
    this.#unitKind.push(kind);
    this.#dataBytes += bytes;
  }

  commitControl(bytes: number): void {
    this.#controlBytes += bytes;
  }

  /** Empty the pong slot before framing a newer pong into it. */
  clearPong(): void {
    this.pong.length = 0;
    this.#pongBytes = 0;
  }

  commitPong(bytes: number): void {
    this.#pongBytes = bytes;
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
    while (!this.#congested && !this.#ended) {
      const hasControl = this.#controlBytes + this.#pongBytes > 0;
      const units = this.#unitKind.length - this.#unitHead;
      if (!hasControl && units === 0) break;
      let batch: Buffer[];
      if (!hasControl && this.#dataHead === 0 && this.#dataBytes <= BATCH_BYTES) {
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
      } else if (kind === 'message') {
        dropped++;
      }
      start = end;
    }
    this.data = data;
    this.#dataHead = 0;
    this.#unitEnd = unitEnd;
    this.#unitBytes = unitBytes;
    this.#unitKind = unitKind;
    this.#unitHead = 0;
    this.#dataBytes = bytes;
    return dropped;
  }

  /** Forget everything (the transport is gone). Returns how many whole messages were never handed over. */
  clear(): number {
    let unsent = 0;
    for (let unit = this.#unitHead; unit < this.#unitKind.length; unit++) {
      if (this.#unitKind[unit] === 'message') unsent++;
    }
    this.#resetData();
    this.control = [];
    this.pong = [];
    this.#controlBytes = 0;
    this.#pongBytes = 0;
    this.#ended = true;
    return unsent;
  }

  #takeUnits(batch: Buffer[]): void {
    let taken = 0;
    let unit = this.#unitHead;
    let index = this.#dataHead;
    const units = this.#unitKind.length;
    while (unit < units && (taken === 0 || taken < BATCH_BYTES)) {
      const end = this.#unitEnd[unit] as number;
      for (; index < end; index++) batch.push(this.data[index] as Buffer);
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
    const head = this.#dataHead;
    this.data = this.data.slice(head);
    this.#unitEnd = this.#unitEnd.slice(this.#unitHead).map((end) => end - head);
    this.#unitBytes = this.#unitBytes.slice(this.#unitHead);
    this.#unitKind = this.#unitKind.slice(this.#unitHead);
    this.#dataHead = 0;
    this.#unitHead = 0;
  }

  #resetData(): void {
    this.data = [];
    this.#dataHead = 0;
    this.#unitEnd = [];
    this.#unitBytes = [];
    this.#unitKind = [];
    this.#unitHead = 0;
    this.#dataBytes = 0;
  }
}
