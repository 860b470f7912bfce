// Frames the load generator sends and expects, built once before a run (RFC 6455 section 5.2).
// Client frames are masked (section 5.3: a client MUST mask every frame) with one fixed non-zero key, so
// servers pay for unmasking exactly as they would with a browser; the bytes never change, so a batch of
// them is written again and again without copying.

export type FrameType = 'text' | 'binary';

/** A fixed, non-zero masking key: a zero key would let a server skip the XOR and flatter it. */
const maskKey = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

function opcodeOf(type: FrameType): number {
  return type === 'text' ? 0x1 : 0x2;
}

function headerLength(payloadLength: number): number {
  if (payloadLength < 126) return 2;
  if (payloadLength < 65536) return 4;
  return 10;
}

function writeHeader(frame: Buffer, firstByte: number, masked: boolean, payloadLength: number): number {
  frame[0] = firstByte;
  const maskBit = masked ? 0x80 : 0;
  if (payloadLength < 126) {
    frame[1] = maskBit | payloadLength;
    return 2;
  }
  if (payloadLength < 65536) {
    frame[1] = maskBit | 126;
    frame.writeUInt16BE(payloadLength, 2);
    return 4;
  }
  frame[1] = maskBit | 127;
  frame.writeBigUInt64BE(BigInt(payloadLength), 2);
  return 10;
}

/** One final, masked client frame. `compressed` sets RSV1 (RFC 7692 section 6). */
export function clientFrame(type: FrameType, payload: Buffer, compressed = false): Buffer {
  const frame = Buffer.allocUnsafe(headerLength(payload.length) + 4 + payload.length);
  const firstByte = 0x80 | (compressed ? 0x40 : 0) | opcodeOf(type);
  let offset = writeHeader(frame, firstByte, true, payload.length);
  maskKey.copy(frame, offset);
  offset += 4;
  for (let index = 0; index < payload.length; index++) {
    frame[offset + index] = (payload[index] as number) ^ (maskKey[index & 3] as number);
  }
  return frame;
}

/** The unmasked frame a WebSocket server sends back for `payload` (uncompressed, one frame). */
export function serverFrame(type: FrameType, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(headerLength(payload.length) + payload.length);
  const offset = writeHeader(frame, 0x80 | opcodeOf(type), false, payload.length);
  payload.copy(frame, offset);
  return frame;
}

/** `count` copies of `frame` back to back: the refill buffer, sliced with subarray() per write. */
export function repeatFrame(frame: Buffer, count: number): Buffer {
  const batch = Buffer.allocUnsafe(frame.length * count);
  for (let index = 0; index < count; index++) frame.copy(batch, index * frame.length);
  return batch;
}

/** A deterministic payload (not all zeros, so compression and XOR are honest). */
export function binaryPayload(size: number): Buffer {
  const payload = Buffer.allocUnsafe(size);
  let state = 0x9e3779b9;
  for (let index = 0; index < size; index++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    payload[index] = state >>> 24;
  }
  return payload;
}

/** JSON-like text of exactly `size` bytes: records of the kind a dashboard or chat would send. */
export function jsonPayload(size: number): Buffer {
  const records: string[] = [];
  let length = 2; // the brackets
  for (let id = 0; ; id++) {
    const record = JSON.stringify({
      id,
      user: `user-${(id * 7919) % 1000}`,
      email: `user${(id * 104729) % 10007}@example.com`,
      active: id % 3 !== 0,
      score: ((id * 2654435761) % 100000) / 100,
      tags: ['alpha', 'beta', 'gamma', 'delta'].slice(0, 1 + (id % 4)),
      updatedAt: new Date(Date.UTC(2024, 0, 1) + id * 3600_000).toISOString(),
    });
    if (length + record.length + 1 > size - 16) break;
    records.push(record);
    length += record.length + 1;
  }
  const body = `[${records.join(',')}]`;
  // Pad with one trailing record whose string fills the exact size.
  const filler = size - body.length - '[,{"pad":""}]'.length + 2;
  const text = `${body.slice(0, -1)},{"pad":"${'x'.repeat(Math.max(0, filler))}"}]`;
  const payload = Buffer.from(text);
  if (payload.length !== size) throw new Error(`json payload is ${payload.length} bytes, wanted ${size}`);
  return payload;
}
