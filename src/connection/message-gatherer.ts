import { applyMask, copyMasked, maskKeyBytes } from '../protocol/mask.js';

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
 *
 * Chunks may come still masked (with their key, ProtocolOptions.leaveBinaryMasked): copied chunks
 * are unmasked as they are copied, views stay masked until the final join unmasks them as it copies
 * them, so every byte is read and written once instead of twice (unmask in place, then copy).
 */
export class MessageGatherer {
  /** Views and filled (or trimmed) buffers, in order; the open buffer is last when there is one. */
  #parts: Buffer[] = [];
  /** Each part's masking key from its first byte on (see maskKeyBytes), 0 for plain bytes. */
  #keys: number[] = [];
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
   * current frame still to come, when known (0 otherwise). `maskKey`: the key `chunk` is still masked
   * with from its first byte on, 0 when it is plain. Returns the change in `held`.
   */
  add(chunk: Buffer, frameLeft = 0, maskKey = 0): number {
    const before = this.#held;
    const length = chunk.length;
    if (length >= VIEW_MIN && isMostOfItsRead(chunk)) {
      this.#closeOpen();
      this.#parts.push(chunk);
      this.#keys.push(maskKey);
      this.#held += length + CHUNK_OVERHEAD;
    } else {
      this.#copy(chunk, frameLeft, maskKey);
    }
    this.#bytes += length;
    return this.#held - before;
  }

  /**
   * The whole message: what was kept, then `last` (masked with `lastKey`, 0 when plain). When
   * everything so far sits in the one open buffer and `last` fits, `last` is copied in and that buffer
   * is the message (no second copy). Resets.
   */
  finish(last: Buffer, lastKey = 0): Buffer {
    const open = this.#open;
    let message: Buffer;
    if (this.#parts.length === 1 && open !== null && last.length <= open.length - this.#openUsed) {
      if (lastKey === 0) last.copy(open, this.#openUsed);
      else copyMasked(last, open, this.#openUsed, maskKeyBytes(lastKey));
      message = open.subarray(0, this.#openUsed + last.length);
    } else {
      this.#endOpen();
      const parts = this.#parts;
      const keys = this.#keys;
      if (last.length > 0) {
        parts.push(last);
        keys.push(lastKey);
      }
      message = parts.length === 1 ? unmaskInPlace(parts[0] as Buffer, keys[0] as number) : join(parts, keys);
    }
    this.#reset();
    return message;
  }

  /** The chunks kept so far, in order and unmasked, for a streaming reader taking the message over. Resets. */
  take(): Buffer[] {
    this.#endOpen();
    const parts = this.#parts;
    const keys = this.#keys;
    for (let index = 0; index < parts.length; index++)
      unmaskInPlace(parts[index] as Buffer, keys[index] as number);
    this.#reset();
    return parts;
  }

  /** The open buffer, if any, is cut to what it holds (it is the last part). */
  #endOpen(): void {
    const open = this.#open;
    if (open !== null) this.#parts[this.#parts.length - 1] = open.subarray(0, this.#openUsed);
  }

  /** Let go of everything. */
  clear(): void {
    this.#reset();
  }

  #reset(): void {
    if (this.#bytes === 0 && this.#parts.length === 0) return;
    this.#parts = [];
    this.#keys = [];
    this.#open = null;
    this.#openUsed = 0;
    this.#copiedRun = 0;
    this.#held = 0;
    this.#bytes = 0;
  }

  #copy(chunk: Buffer, frameLeft: number, maskKey: number): void {
    const length = chunk.length;
    let offset = 0;
    while (offset < length) {
      let open = this.#open;
      if (open === null || this.#openUsed === open.length)
        open = this.#openBuffer(length - offset, frameLeft);
      const take = Math.min(length - offset, open.length - this.#openUsed);
      if (maskKey === 0) chunk.copy(open, this.#openUsed, offset, offset + take);
      else
        copyMasked(
          chunk.subarray(offset, offset + take),
          open,
          this.#openUsed,
          maskKeyBytes(maskKey),
          offset,
        );
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
    this.#keys.push(0);
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

/** `part` unmasked in place when it is still masked (`key` non-zero); the part itself. */
function unmaskInPlace(part: Buffer, key: number): Buffer {
  if (key !== 0) applyMask(part, maskKeyBytes(key), 0);
  return part;
}

/** Weights of the eight alignments a join target may take (reused: joins do not nest). */
const alignmentWeights = new Float64Array(8);

/**
 * The parts copied into one new buffer, masked ones unmasked as they are copied. The buffer starts at
 * the alignment modulo 8 that most masked bytes share with their place in it, so that they unmask word
 * by word: reads start 8-aligned and mostly have lengths that are multiples of 8, so usually all do.
 */
function join(parts: Buffer[], keys: number[]): Buffer {
  let total = 0;
  let masked = false;
  const weights = alignmentWeights.fill(0);
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index] as Buffer;
    if (keys[index] !== 0) {
      masked = true;
      weights[(part.byteOffset - total) & 7]! += part.length;
    }
    total += part.length;
  }
  if (!masked) return Buffer.concat(parts, total);
  let alignment = 0;
  for (let residue = 1; residue < 8; residue++)
    if (weights[residue]! > weights[alignment]!) alignment = residue;
  // Not zero-filled: every byte is written below.
  const target = Buffer.allocUnsafeSlow(total + alignment).subarray(alignment);
  let position = 0;
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index] as Buffer;
    const key = keys[index] as number;
    if (key === 0) target.set(part, position);
    else copyMasked(part, target, position, maskKeyBytes(key));
    position += part.length;
  }
  return target;
}
