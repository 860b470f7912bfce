import { applyMask, copyMasked, type MaskFunction } from './mask.js';

/**
 * Payloads up to this size are copied behind their header into one Buffer: one write entry instead
 * of two costs less than copying a couple of KiB. Larger unmasked payloads are referenced, not copied.
 */
export const COMBINE_THRESHOLD = 2048;

/** Header size for a payload of `length` bytes (RFC 6455 section 5.2: 7-, 16- or 64-bit length). */
export function frameHeaderSize(length: number, masked: boolean): number {
  const base = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  return masked ? base + 4 : base;
}

/**
 * Small frames are carved from a 16 KiB slab: constructing a Buffer view over it costs about half of
 * Buffer.allocUnsafe (measured ~30 ns against ~51 ns on Node 20), and most frames are small. Like
 * Node's own pool, a live frame keeps its slab alive; frames over SLAB_MAX get their own memory.
 * `Buffer[Symbol.species]` is Node's internal FastBuffer (no argument checks); where a runtime's
 * species is Buffer itself, `Buffer.from(arrayBuffer, offset, length)` does the same job.
 */
const SLAB_SIZE = 16 * 1024;
const SLAB_MAX = 4 * 1024;
type BufferView = new (buffer: ArrayBuffer, byteOffset: number, length: number) => Buffer;
const Species = (Buffer as unknown as { [Symbol.species]?: BufferView })[Symbol.species];
const makeView: (buffer: ArrayBuffer, offset: number, length: number) => Buffer =
  Species !== undefined && Species !== (Buffer as unknown)
    ? (buffer, offset, length) => new Species(buffer, offset, length)
    : (buffer, offset, length) => Buffer.from(buffer, offset, length);
let slab = new ArrayBuffer(SLAB_SIZE);
let slabOffset = 0;

/**
 * A Buffer of `size` bytes whose byte at `at` sits at an address congruent to `alignment` modulo 8
 * (so a masked payload can be written word by word from its source); `alignment` -1 = any.
 */
function allocateFrame(size: number, at = 0, alignment = -1): Buffer {
  if (size > SLAB_MAX) {
    if (alignment < 0) return Buffer.allocUnsafe(size);
    const backing = Buffer.allocUnsafe(size + 7);
    const shift = (alignment - backing.byteOffset - at) & 7;
    return backing.subarray(shift, shift + size);
  }
  const shift = alignment < 0 ? 0 : (alignment - slabOffset - at) & 7;
  if (slabOffset + shift + size > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabOffset = 0;
    return allocateFrame(size, at, alignment);
  }
  const frame = makeView(slab, slabOffset + shift, size);
  slabOffset = (slabOffset + shift + size + 7) & ~7;
  return frame;
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Write the header into `target` at 0 and return its size. The mask bytes follow the length. */
function writeHeader(
  target: Buffer,
  opcode: number,
  fin: boolean,
  rsv1: boolean,
  length: number,
  mask: Uint8Array | null,
): number {
  target[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = mask === null ? 0 : 0x80;
  let offset: number;
  if (length < 126) {
    target[1] = maskBit | length;
    offset = 2;
  } else if (length < 0x10000) {
    target[1] = maskBit | 126;
    target[2] = length >>> 8;
    target[3] = length & 0xff;
    offset = 4;
  } else {
    // Section 5.2: 64-bit length in network order, most significant bit 0.
    target[1] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    target.writeUInt32BE(high, 2);
    target.writeUInt32BE(length >>> 0, 6);
    offset = 10;
  }
  if (mask !== null) {
    target[offset] = mask[0]!;
    target[offset + 1] = mask[1]!;
    target[offset + 2] = mask[2]!;
    target[offset + 3] = mask[3]!;
    offset += 4;
  }
  return offset;
}

/**
 * Append one frame to `out` and return the bytes appended. With a `mask` (client frames, section
 * 5.3) the payload is copied and masked in the copy: the caller's buffer is never changed. Without
 * one, small payloads share a Buffer with the header and large ones are pushed as they are (the
 * caller must not change them until written). `maskFunction` defaults to the portable `applyMask`.
 */
export function serializeFrame(
  opcode: number,
  fin: boolean,
  rsv1: boolean,
  payload: Uint8Array,
  mask: Uint8Array | null,
  out: Buffer[],
  maskFunction: MaskFunction = applyMask,
): number {
  const length = payload.length;
  const headerSize = frameHeaderSize(length, mask !== null);
  if (mask !== null) {
    if (maskFunction !== applyMask && length >= 64) {
      const frame = allocateFrame(headerSize + length);
      const offset = writeHeader(frame, opcode, fin, rsv1, length, mask);
      frame.set(payload, offset);
      maskFunction(frame.subarray(offset), mask, 0);
      out.push(frame);
      return frame.length;
    }
    // Portable path: place the payload at the source's alignment and mask while copying.
    const frame = allocateFrame(headerSize + length, headerSize, payload.byteOffset & 7);
    copyMasked(payload, frame, writeHeader(frame, opcode, fin, rsv1, length, mask), mask);
    out.push(frame);
    return frame.length;
  }
  if (length <= COMBINE_THRESHOLD) {
    const frame = allocateFrame(headerSize + length);
    frame.set(payload, writeHeader(frame, opcode, fin, rsv1, length, null));
    out.push(frame);
    return frame.length;
  }
  const header = allocateFrame(headerSize);
  writeHeader(header, opcode, fin, rsv1, length, null);
  out.push(header, toBuffer(payload));
  return headerSize + length;
}
