import { MessageTooBigError, ProtocolError } from '../errors.js';
import { applyMask, type MaskFunction, rotateMaskKey } from './mask.js';

/**
 * The parser's named states (RFC 6455 section 5.2 field order). `stopped` is terminal: after a fault
 * or a received Close the rest of the input is ignored.
 */
export const ParserState = {
  header: 0,
  length16: 1,
  length64: 2,
  mask: 3,
  payload: 4,
  stopped: 5,
} as const;

export type ParserState = (typeof ParserState)[keyof typeof ParserState];

/** What the parser reports. The current header's fields are readable on the parser during the calls. */
export interface FrameParserHandler {
  /** A whole header was read; no payload byte was buffered yet. Call `parser.stop()` to reject it. */
  onFrameHeader(parser: FrameParser): void;
  /**
   * Unmasked payload bytes of the current frame (still masked when `leaveMasked` was set for a data
   * frame), as a view into the received chunk (control frames
   * split across chunks are gathered into a fresh Buffer and arrive whole). `frameEnd` marks the
   * frame's last bytes; an empty frame arrives as one empty view with `frameEnd` true.
   */
  onFramePayload(payload: Buffer, frameEnd: boolean): void;
  /** The framing itself is malformed; the parser has stopped. */
  onFrameError(error: ProtocolError): void;
}

const EMPTY = Buffer.alloc(0);
const maskScratch = new Uint8Array(4);
/** Section 5.2: the 64-bit length's top bit MUST be 0. Values past 2^53 - 1 do not fit a JS number. */
const MAX_HIGH_WORD = 0x1fffff;

/**
 * Incremental, sans-I/O frame parser. Feed it any chunking of the byte stream, down to one byte at a
 * time. Payloads are unmasked in place (unless the handler asked for a data frame's bytes as they came)
 * and handed on as they arrive, so a frame of any size is never buffered; only header fields (at most 8 bytes) and control payloads (at most 125) are gathered.
 */
export class FrameParser {
  // The current frame's header.
  fin = false;
  rsv1 = false;
  rsv2 = false;
  rsv3 = false;
  opcode = 0;
  masked = false;
  payloadLength = 0;
  /**
   * Set by the handler in onFrameHeader: hand this data frame's payload on still masked when the frame
   * spans chunks, for a handler that unmasks while it copies (a frame whole in one chunk is unmasked
   * in place: it is usually handed on as it is). Cleared with each new header.
   */
  leaveMasked = false;
  /**
   * During onFramePayload: the key the payload is still masked with from its first byte on
   * (see maskKeyBytes), 0 when it is plain.
   */
  payloadKey = 0;
  /** The masking key as two 16-bit halves (small integers: no typed array per connection). */
  #maskHigh = 0;
  #maskLow = 0;

  #state: ParserState = ParserState.header;
  readonly #handler: FrameParserHandler;
  readonly #applyMask: MaskFunction;
  /** Payload bytes of the current frame already delivered (the mask phase). */
  #consumed = 0;
  /** Header bytes gathered across chunks; allocated the first time a header is split (idle connections never need it). */
  #scratch: Buffer | null = null;
  #scratchLength = 0;
  /** A control payload split across chunks. */
  #control: Buffer | null = null;
  // Where #gather left the requested bytes.
  #source: Buffer = EMPTY;
  #offset = 0;
  #position = 0;

  /** `unmask` defaults to the portable `applyMask`; a platform layer may pass a native one. */
  constructor(handler: FrameParserHandler, unmask: MaskFunction = applyMask) {
    this.#handler = handler;
    this.#applyMask = unmask;
  }

  /** The current frame's masking key (a copy). */
  get mask(): Uint8Array {
    return Uint8Array.from(this.#maskBytes());
  }

  /** The current frame's masking key as one number (big-endian), 0 when unmasked. */
  get maskKey(): number {
    return this.masked ? ((this.#maskHigh << 16) | this.#maskLow) >>> 0 : 0;
  }

  /** The key in the scratch array shared by all parsers (used at once, before any other parser runs). */
  #maskBytes(): Uint8Array {
    const bytes = maskScratch;
    bytes[0] = this.#maskHigh >>> 8;
    bytes[1] = this.#maskHigh & 0xff;
    bytes[2] = this.#maskLow >>> 8;
    bytes[3] = this.#maskLow & 0xff;
    return bytes;
  }

  get state(): ParserState {
    return this.#state;
  }

  /** Ignore all further input (a fault, or the peer's Close was received: section 5.5.1). */
  stop(): void {
    this.#state = ParserState.stopped;
    this.#control = null;
  }

  parse(chunk: Buffer): void {
    this.#position = 0;
    const length = chunk.length;
    while (this.#position < length) {
      switch (this.#state) {
        case ParserState.header:
          if (this.#gather(chunk, 2)) this.#readHeader();
          break;
        case ParserState.length16:
          if (this.#gather(chunk, 2)) {
            const source = this.#source;
            const offset = this.#offset;
            this.payloadLength = (source[offset]! << 8) | source[offset + 1]!;
            this.#afterLength();
          }
          break;
        case ParserState.length64:
          if (this.#gather(chunk, 8)) this.#readLength64();
          break;
        case ParserState.mask:
          if (this.#gather(chunk, 4)) {
            const source = this.#source;
            const offset = this.#offset;
            this.#maskHigh = (source[offset]! << 8) | source[offset + 1]!;
            this.#maskLow = (source[offset + 2]! << 8) | source[offset + 3]!;
            this.#headerDone();
          }
          break;
        case ParserState.payload:
          if ((this.opcode & 0x8) !== 0) this.#readControlPayload(chunk);
          else this.#readDataPayload(chunk);
          break;
        case ParserState.stopped:
          return;
        default: {
          const unreachable: never = this.#state;
          throw new Error(`unknown parser state ${unreachable}`);
        }
      }
    }
    // Do not keep the last chunk (and the read buffer under it) alive while the connection idles.
    this.#source = EMPTY;
  }

  /**
   * Make `need` bytes readable at #source[#offset]: straight from the chunk when they are all there,
   * else gathered into #scratch across calls. False while still incomplete (the chunk is used up).
   */
  #gather(chunk: Buffer, need: number): boolean {
    const position = this.#position;
    const available = chunk.length - position;
    if (this.#scratchLength === 0 && available >= need) {
      this.#source = chunk;
      this.#offset = position;
      this.#position = position + need;
      return true;
    }
    const take = Math.min(need - this.#scratchLength, available);
    const scratch = (this.#scratch ??= Buffer.alloc(8));
    chunk.copy(scratch, this.#scratchLength, position, position + take);
    this.#scratchLength += take;
    this.#position = position + take;
    if (this.#scratchLength < need) return false;
    this.#scratchLength = 0;
    this.#source = scratch;
    this.#offset = 0;
    return true;
  }

  #readHeader(): void {
    const first = this.#source[this.#offset]!;
    const second = this.#source[this.#offset + 1]!;
    this.fin = (first & 0x80) !== 0;
    this.rsv1 = (first & 0x40) !== 0;
    this.rsv2 = (first & 0x20) !== 0;
    this.rsv3 = (first & 0x10) !== 0;
    this.opcode = first & 0x0f;
    this.masked = (second & 0x80) !== 0;
    const length = second & 0x7f;
    if (length === 126) {
      this.#state = ParserState.length16;
    } else if (length === 127) {
      this.#state = ParserState.length64;
    } else {
      this.payloadLength = length;
      this.#afterLength();
    }
  }

  #readLength64(): void {
    const source = this.#source;
    const offset = this.#offset;
    const high = source.readUInt32BE(offset);
    const low = source.readUInt32BE(offset + 4);
    if (high > MAX_HIGH_WORD) {
      this.stop();
      // Section 5.2: "the most significant bit MUST be 0".
      if (high >= 0x80000000) {
        this.#handler.onFrameError(new ProtocolError('64-bit payload length with the top bit set', 1002));
      } else {
        this.#handler.onFrameError(
          new MessageTooBigError('payload length above 2^53 - 1 bytes', Number.MAX_SAFE_INTEGER),
        );
      }
      return;
    }
    this.payloadLength = high * 0x100000000 + low;
    this.#afterLength();
  }

  #afterLength(): void {
    if (this.masked) this.#state = ParserState.mask;
    else this.#headerDone();
  }

  #headerDone(): void {
    this.#consumed = 0;
    this.leaveMasked = false;
    this.payloadKey = 0;
    this.#state = ParserState.payload;
    this.#handler.onFrameHeader(this);
    if (this.#state !== ParserState.payload) return; // the handler rejected the frame
    if (this.payloadLength === 0) {
      this.#state = ParserState.header;
      this.#handler.onFramePayload(EMPTY, true);
    }
  }

  /** Payload bytes of the current frame not yet delivered. */
  get payloadLeft(): number {
    return this.payloadLength - this.#consumed;
  }

  #readDataPayload(chunk: Buffer): void {
    const position = this.#position;
    const remaining = this.payloadLength - this.#consumed;
    const available = chunk.length - position;
    const take = Math.min(available, remaining);
    const view = chunk.subarray(position, position + take);
    let key = 0;
    if (this.masked) {
      if (this.leaveMasked && take !== this.payloadLength) key = rotateMaskKey(this.maskKey, this.#consumed);
      else this.#applyMask(view, this.#maskBytes(), this.#consumed);
    }
    this.payloadKey = key;
    this.#position = position + take;
    this.#consumed += take;
    const frameEnd = take === remaining;
    if (frameEnd) this.#state = ParserState.header;
    this.#handler.onFramePayload(view, frameEnd);
  }

  #readControlPayload(chunk: Buffer): void {
    const position = this.#position;
    const length = this.payloadLength;
    const available = chunk.length - position;
    let payload: Buffer;
    if (this.#control === null && available >= length) {
      payload = chunk.subarray(position, position + length);
      this.#position = position + length;
    } else {
      // Section 5.4: control frames may arrive between data fragments and, like any bytes, be cut by
      // TCP; gather the (at most 125) bytes so the handler sees the payload whole.
      this.#control ??= Buffer.allocUnsafe(length);
      const take = Math.min(length - this.#consumed, available);
      chunk.copy(this.#control, this.#consumed, position, position + take);
      this.#consumed += take;
      this.#position = position + take;
      if (this.#consumed < length) return;
      payload = this.#control;
      this.#control = null;
    }
    if (this.masked) this.#applyMask(payload, this.#maskBytes(), 0);
    this.#state = ParserState.header;
    this.#handler.onFramePayload(payload, true);
  }
}
