// The few frames a scale generator reads and writes: the server's unmasked frames, read whole across
// chunk boundaries, and the client's masked frames (RFC 6455 section 5.3: every client frame is masked).

export interface ServerFrame {
  opcode: number;
  fin: boolean;
  payload: Buffer;
}

/** Splits a server's byte stream into frames; keeps only an unfinished frame's bytes between chunks. */
export class ServerFrameReader {
  private pending: Buffer | null = null;

  /** Calls `onFrame` for each complete frame in `chunk`; false if a frame was masked (a protocol error). */
  feed(chunk: Buffer, onFrame: (frame: ServerFrame) => void): boolean {
    let data = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    while (data.length >= 2) {
      const first = data[0] as number;
      const second = data[1] as number;
      if ((second & 0x80) !== 0) return false;
      let length = second & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (data.length < 4) break;
        length = data.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (data.length < 10) break;
        length = Number(data.readBigUInt64BE(2));
        offset = 10;
      }
      if (data.length < offset + length) break;
      onFrame({
        opcode: first & 0x0f,
        fin: (first & 0x80) !== 0,
        payload: data.subarray(offset, offset + length),
      });
      data = data.subarray(offset + length);
    }
    if (data.length > 0) this.pending = Buffer.from(data);
    return true;
  }
}

const maskKey = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** One final client frame of `opcode` carrying `payload` (under 126 bytes), masked with a fixed key. */
export function maskedFrame(opcode: number, payload: Buffer): Buffer {
  if (payload.length > 125) throw new Error('maskedFrame: payload over 125 bytes');
  const frame = Buffer.allocUnsafe(6 + payload.length);
  frame[0] = 0x80 | opcode;
  frame[1] = 0x80 | payload.length;
  maskKey.copy(frame, 2);
  for (let index = 0; index < payload.length; index++) {
    frame[6 + index] = (payload[index] as number) ^ (maskKey[index & 3] as number);
  }
  return frame;
}

export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;
