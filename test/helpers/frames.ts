// Tests speak bytes: build frames by hand (independent of src/protocol/frame-serializer.ts), record
// what a Protocol reports, and feed byte streams cut in any way.
import type { ProtocolError } from '../../src/errors.js';
import type { MaskSource } from '../../src/protocol/mask-source.js';
import type { MessageType, ProtocolHandler } from '../../src/protocol/protocol.js';

/** `hex('81 05 48 65')` -> Buffer. Whitespace is ignored. */
export function hex(text: string): Buffer {
  const digits = text.replace(/\s+/g, '');
  if (digits.length % 2 !== 0 || /[^0-9a-f]/i.test(digits)) throw new Error(`bad hex: ${text}`);
  return Buffer.from(digits, 'hex');
}

/** Buffer -> '81 05 48 65' (for readable assertion messages). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
}

/** The example mask of RFC 6455 section 5.7. */
export const RFC_MASK = [0x37, 0xfa, 0x21, 0x3d] as const;

export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array | string;
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** Mask key; omitted or null for an unmasked frame. */
  mask?: readonly number[] | null;
  /** Force the length encoding: 7, 16 or 64 bits (default: the minimal one). */
  lengthBits?: 7 | 16 | 64;
  /** Claim this length in the header instead of the payload's (payload bytes are still appended). */
  declaredLength?: number | bigint;
}

/** Build one frame byte by byte, as RFC 6455 section 5.2 draws it. */
export function frame(spec: FrameSpec): Buffer {
  const payload =
    typeof spec.payload === 'string' ? Buffer.from(spec.payload) : Buffer.from(spec.payload ?? []);
  const declared = BigInt(spec.declaredLength ?? payload.length);
  const bits = spec.lengthBits ?? (declared < 126n ? 7 : declared < 65536n ? 16 : 64);
  const bytes: number[] = [];
  bytes.push(
    ((spec.fin ?? true) ? 0x80 : 0) |
      (spec.rsv1 ? 0x40 : 0) |
      (spec.rsv2 ? 0x20 : 0) |
      (spec.rsv3 ? 0x10 : 0) |
      spec.opcode,
  );
  const maskBit = spec.mask ? 0x80 : 0;
  if (bits === 7) {
    bytes.push(maskBit | Number(declared));
  } else if (bits === 16) {
    bytes.push(maskBit | 126, Number(declared >> 8n) & 0xff, Number(declared) & 0xff);
  } else {
    bytes.push(maskBit | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) bytes.push(Number((declared >> shift) & 0xffn));
  }
  const header = Buffer.from(bytes);
  if (!spec.mask) return Buffer.concat([header, payload]);
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i]! ^ spec.mask[i % 4]!;
  return Buffer.concat([header, Buffer.from(spec.mask), masked]);
}

/** A frame as a client sends it (masked with the RFC example mask unless told otherwise). */
export function clientFrame(spec: FrameSpec): Buffer {
  return frame({ mask: RFC_MASK, ...spec });
}

/** Close payload bytes: code then UTF-8 reason. */
export function closeBody(code: number, reason: string | Uint8Array = ''): Buffer {
  const head = Buffer.from([code >> 8, code & 0xff]);
  return Buffer.concat([head, typeof reason === 'string' ? Buffer.from(reason) : Buffer.from(reason)]);
}

/** A MaskSource that always answers the same key (RFC 6455 section 5.7's by default). */
export function fixedMaskSource(mask: readonly number[] = RFC_MASK): MaskSource {
  const bytes = Uint8Array.from(mask);
  return { next: () => bytes };
}

/** A MaskSource that answers the given keys in turn, cycling. */
export function sequenceMaskSource(masks: readonly (readonly number[])[]): MaskSource {
  let index = 0;
  return { next: () => Uint8Array.from(masks[index++ % masks.length]!) };
}

export type ProtocolEvent =
  | { kind: 'start'; type: MessageType }
  | { kind: 'data'; data: Buffer; end: boolean }
  | { kind: 'ping'; payload: Buffer }
  | { kind: 'pong'; payload: Buffer }
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'output'; bytes: Buffer }
  | { kind: 'fail'; error: ProtocolError };

/** A ProtocolHandler that records every call (payloads copied, as views may be reused). */
export class RecordingHandler implements ProtocolHandler {
  readonly events: ProtocolEvent[] = [];

  onMessageStart(type: MessageType): void {
    this.events.push({ kind: 'start', type });
  }
  onMessageData(chunk: Buffer, end: boolean): void {
    this.events.push({ kind: 'data', data: Buffer.from(chunk), end });
  }
  onPing(payload: Buffer): void {
    this.events.push({ kind: 'ping', payload: Buffer.from(payload) });
  }
  onPong(payload: Buffer): void {
    this.events.push({ kind: 'pong', payload: Buffer.from(payload) });
  }
  onCloseFrame(code: number, reason: string): void {
    this.events.push({ kind: 'close', code, reason });
  }
  onOutput(bytes: Buffer): void {
    this.events.push({ kind: 'output', bytes: Buffer.from(bytes) });
  }
  onFail(error: ProtocolError): void {
    this.events.push({ kind: 'fail', error });
  }

  /** Whole messages, data chunks joined: `[{ type, data }]`. */
  messages(): { type: MessageType; data: Buffer }[] {
    const messages: { type: MessageType; data: Buffer }[] = [];
    let current: { type: MessageType; parts: Buffer[] } | null = null;
    for (const event of this.events) {
      if (event.kind === 'start') current = { type: event.type, parts: [] };
      else if (event.kind === 'data' && current) {
        current.parts.push(event.data);
        if (event.end) {
          messages.push({ type: current.type, data: Buffer.concat(current.parts) });
          current = null;
        }
      }
    }
    return messages;
  }

  /** Every byte the core output on its own, concatenated. */
  output(): Buffer {
    return Buffer.concat(this.events.flatMap((event) => (event.kind === 'output' ? [event.bytes] : [])));
  }

  failure(): ProtocolError | undefined {
    for (const event of this.events) if (event.kind === 'fail') return event.error;
    return undefined;
  }

  /** A compact, comparable summary: ['start text', 'data 48 65 end', 'output 88 02 03 e8', 'fail 1002']. */
  summary(): string[] {
    return this.events.map((event) => {
      switch (event.kind) {
        case 'start':
          return `start ${event.type}`;
        case 'data':
          return `data ${toHex(event.data)}${event.end ? ' end' : ''}`.replace('data  end', 'data end');
        case 'ping':
          return `ping ${toHex(event.payload)}`.trimEnd();
        case 'pong':
          return `pong ${toHex(event.payload)}`.trimEnd();
        case 'close':
          return `close ${event.code} ${event.reason}`.trimEnd();
        case 'output':
          return `output ${toHex(event.bytes)}`;
        case 'fail':
          return `fail ${event.error.closeCode}`;
        default:
          return 'unknown';
      }
    });
  }
}

/** Feed `bytes` to `receive` cut at the given offsets (each piece is a fresh copy). */
export function feedSplit(
  receive: (chunk: Buffer) => void,
  bytes: Uint8Array,
  cuts: readonly number[],
): void {
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut < start) continue;
    receive(Buffer.from(bytes.subarray(start, cut)));
    start = cut;
  }
}

/** Feed `bytes` one byte at a time. */
export function feedBytewise(receive: (chunk: Buffer) => void, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) receive(Buffer.from(bytes.subarray(i, i + 1)));
}

export interface ParsedFrame {
  fin: boolean;
  opcode: number;
  /** Unmasked, and a copy: later writes to the source do not change it. */
  payload: Buffer;
}

/** The whole frames in `bytes` (either direction: masked payloads are unmasked); a partial tail is left out. */
export function parseFrames(bytes: Buffer): ParsedFrame[] {
  const out: ParsedFrame[] = [];
  let offset = 0;
  while (offset + 2 <= bytes.length) {
    const b0 = bytes[offset] as number;
    const b1 = bytes[offset + 1] as number;
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) {
      length = bytes.readUInt16BE(offset + 2);
      header = 4;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(offset + 2));
      header = 10;
    }
    const masked = (b1 & 0x80) !== 0;
    const maskOffset = offset + header;
    if (masked) header += 4;
    if (offset + header + length > bytes.length) break;
    const payload = Buffer.from(bytes.subarray(offset + header, offset + header + length));
    if (masked)
      for (let i = 0; i < payload.length; i++)
        payload[i] = (payload[i] as number) ^ (bytes[maskOffset + (i & 3)] as number);
    out.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload });
    offset += header + length;
  }
  return out;
}
