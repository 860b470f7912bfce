/**
 * What keeping one chunk of a message costs beyond its payload (the Buffer object, its list slot:
 * about 200 bytes measured in V8), charged with each chunk a connection keeps, so the budget sees
 * what a message really holds.
 */
export const CHUNK_OVERHEAD = 192;

/**
 * A chunk at least this long that is most of its read is kept as a view (its bookkeeping is at most
 * 5% of it). Anything smaller, or a small slice of a bigger read, is copied into a buffer.
 */
const VIEW_MIN = 4096;

/** The smallest buffer opened for copied chunks. */
const BUFFER_MIN = 256;

/**
 * A buffer may be sized for the rest of the current frame (its declared length) up to this much: a
 * frame cut by a read boundary is then copied once, straight into its final place. It is the most a
 * peer's claim alone can make a connection allocate (and is charged to the budget); bigger frames
 * grow by doubling, and their bytes mostly arrive as views anyway.
 */
const FRAME_HINT_MAX = 16 * 1024;

/** A chunk kept past its read holds that read's whole backing store unless it is most of it. */
function isMostOfItsRead(chunk: Buffer): boolean {
  return chunk.buffer.byteLength <= 2 * chunk.length;
}

/**
 * A chunk handed to a streaming reader outlives its read: a small slice of a bigger read is copied, or
 * one payload byte could keep a whole 64 KiB read alive while the budget sees 1 byte of it.
 */
export function detached(chunk: Buffer): Buffer {
  return isMostOfItsRead(chunk) ? chunk : Buffer.from(chunk);
}

/**
 * The chunks of a message that is not complete yet, kept so that memory follows payload bytes however
 * the peer cuts the message (RFC 6455 5.4 lets it use any number of fragments). Big chunks that are
 * most of their read are kept as they are (no copy until the final join); everything else is copied
 * into buffers that grow by doubling: each new one is as large as the bytes copied since the last
 * kept view, so the copied bytes are held in at most twice their size, a buffer left less than half
 * full by a view is trimmed, and 65,536 one-byte fragments cost about 64 KiB plus a dozen buffers
 * instead of 65,536 views. No buffer is larger than the bytes it will hold could be, so none exceeds
 * the message's limit.
 *
 * `held` is what the budget is charged: views' bytes, buffers' whole capacity, and CHUNK_OVERHEAD
 * for each part.
 */
export class MessageGatherer {
  /** Views and filled (or trimmed) buffers, in order; the open buffer is last when there is one. */
  #parts: Buffer[] = [];
  /** The buffer small chunks are copied into, or null. It is also the last of #parts. */
  #open: Buffer | null = null;
  #openUsed = 0;
  /** Bytes copied since the last view: the size of the next buffer (amortized doubling). */
  #copiedRun = 0;
  #held = 0;
  #bytes = 0;

  /** Bytes charged for what is kept now. */
  get held(): number {
    return this.#held;
  }

  /** Payload bytes gathered so far. */
  get bytes(): number {
    return this.#bytes;
  }

  get empty(): boolean {
    return this.#bytes === 0;
  }

  /**
   * Keep `chunk` (a view into a read the caller will not reuse). `frameLeft`: payload bytes of the
   * current frame still to come, when known (0 otherwise). Returns the change in `held`.
   */
  add(chunk: Buffer, frameLeft = 0): number {
    const before = this.#held;
    const length = chunk.length;
    if (length >= VIEW_MIN && isMostOfItsRead(chunk)) {
      this.#closeOpen();
      this.#parts.push(chunk);
      this.#held += length + CHUNK_OVERHEAD;
    } else {
      this.#copy(chunk, frameLeft);
    }
    this.#bytes += length;
    return this.#held - before;
  }

  /**
   * The whole message: what was kept, then `last`. When everything so far sits in the one open buffer
   * and `last` fits, `last` is copied in and that buffer is the message (no second copy). Resets.
   */
  finish(last: Buffer): Buffer {
    const open = this.#open;
    let message: Buffer;
    if (this.#parts.length === 1 && open !== null && last.length <= open.length - this.#openUsed) {
      last.copy(open, this.#openUsed);
      message = open.subarray(0, this.#openUsed + last.length);
    } else {
      const parts = this.take();
      if (last.length > 0) parts.push(last);
      message = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    }
    this.#reset();
    return message;
  }

  /** The chunks kept so far, in order, for a streaming reader taking the message over. Resets. */
  take(): Buffer[] {
    const open = this.#open;
    if (open !== null) this.#parts[this.#parts.length - 1] = open.subarray(0, this.#openUsed);
    const parts = this.#parts;
    this.#reset();
    return parts;
  }

  /** Let go of everything. */
  clear(): void {
    this.#reset();
  }

  #reset(): void {
    if (this.#bytes === 0 && this.#parts.length === 0) return;
    this.#parts = [];
    this.#open = null;
    this.#openUsed = 0;
    this.#copiedRun = 0;
    this.#held = 0;
    this.#bytes = 0;
  }

  #copy(chunk: Buffer, frameLeft: number): void {
    const length = chunk.length;
    let offset = 0;
    while (offset < length) {
      let open = this.#open;
      if (open === null || this.#openUsed === open.length)
        open = this.#openBuffer(length - offset, frameLeft);
      const take = Math.min(length - offset, open.length - this.#openUsed);
      chunk.copy(open, this.#openUsed, offset, offset + take);
      this.#openUsed += take;
      offset += take;
    }
    this.#copiedRun += length;
  }

  /** A new buffer for `need` more bytes; a full open one stays in #parts as it is. */
  #openBuffer(need: number, frameLeft: number): Buffer {
    let size = Math.max(need, this.#copiedRun, BUFFER_MIN);
    if (need + frameLeft <= FRAME_HINT_MAX) size = Math.max(size, need + frameLeft);
    // Not zero-filled: every byte handed on is written first (finish and take cut at #openUsed).
    const open = Buffer.allocUnsafeSlow(size);
    this.#parts.push(open);
    this.#open = open;
    this.#openUsed = 0;
    this.#held += size + CHUNK_OVERHEAD;
    return open;
  }

  /** A view follows: the open buffer ends here, trimmed if less than half of it was used. */
  #closeOpen(): void {
    const open = this.#open;
    if (open === null) return;
    const used = this.#openUsed;
    const last = this.#parts.length - 1;
    if (used * 2 < open.length) {
      const trimmed = Buffer.allocUnsafeSlow(used);
      open.copy(trimmed, 0, 0, used);
      this.#parts[last] = trimmed;
      this.#held -= open.length - used;
    } else {
      this.#parts[last] = open.subarray(0, used);
    }
    this.#open = null;
    this.#openUsed = 0;
    this.#copiedRun = 0;
  }
}
