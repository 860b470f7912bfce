import { applyMask, type MaskFunction } from './mask.js';

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
    const frame = Buffer.allocUnsafe(headerSize + length);
    const offset = writeHeader(frame, opcode, fin, rsv1, length, mask);
    if (length < 64) {
      for (let i = 0; i < length; i++) frame[offset + i] = payload[i]! ^ mask[i & 3]!;
    } else {
      frame.set(payload, offset);
      maskFunction(frame.subarray(offset), mask, 0);
    }
    out.push(frame);
    return frame.length;
  }
  if (length <= COMBINE_THRESHOLD) {
    const frame = Buffer.allocUnsafe(headerSize + length);
    frame.set(payload, writeHeader(frame, opcode, fin, rsv1, length, null));
    out.push(frame);
    return frame.length;
  }
  const header = Buffer.allocUnsafe(headerSize);
  writeHeader(header, opcode, fin, rsv1, length, null);
  out.push(header, toBuffer(payload));
  return headerSize + length;
}
