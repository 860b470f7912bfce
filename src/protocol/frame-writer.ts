import { WebSocketError } from '../errors.js';
import type { PerMessageExtension } from './extensions/extension.js';
import { COMBINE_THRESHOLD, serializeFrame } from './frame-serializer.js';
import type { MaskFunction } from './mask.js';
import { type MaskSource, PooledMaskSource } from './mask-source.js';
import { Opcode } from './opcodes.js';
import type { MessageType } from './types.js';

/** No fragmented message being sent. */
const NONE = 0;

function typeOpcode(type: MessageType): number {
  if (type === 'text') return Opcode.text;
  if (type === 'binary') return Opcode.binary;
  throw new WebSocketError('ERR_INVALID_ARGUMENT', `unknown message type ${String(type)}`);
}

function checkData(data: unknown): asserts data is Buffer {
  if (!(data instanceof Uint8Array)) {
    throw new WebSocketError('ERR_INVALID_ARGUMENT', 'payload must be a Buffer or Uint8Array');
  }
}

/**
 * The frames one endpoint sends (RFC 6455 sections 5.2-5.5): a fresh mask per client frame, data
 * split at `fragmentSize`, compression through the negotiated extension, and the fragmented message
 * being sent, which nothing may interleave. Protocol decides whether sending is still allowed (the
 * close state) before it calls this.
 */
export class FrameWriter {
  readonly #isServer: boolean;
  readonly #fragmentSize: number;
  readonly #extension: PerMessageExtension | null;
  #maskSource: MaskSource | null;
  readonly #applyMask: MaskFunction;

  // The outgoing fragmented message (fragment()).
  #sendingOpcode: number = NONE;
  #sendingCompressed = false;

  constructor(
    isServer: boolean,
    fragmentSize: number,
    extension: PerMessageExtension | null,
    maskSource: MaskSource | null,
    applyMask: MaskFunction,
  ) {
    this.#isServer = isServer;
    this.#fragmentSize = fragmentSize;
    this.#extension = extension;
    this.#maskSource = maskSource;
    this.#applyMask = applyMask;
  }

  /** Protocol.frameMessage() once the close state allows it. */
  message(type: MessageType, data: Buffer, out: Buffer[], compress: boolean): number {
    const opcode = typeOpcode(type);
    checkData(data);
    if (this.#sendingOpcode !== NONE) {
      // Section 5.4: fragments of different messages MUST NOT be interleaved.
      throw new WebSocketError('ERR_INVALID_ARGUMENT', 'a fragmented message is being sent');
    }
    const extension = this.#extension;
    if (compress && extension !== null) {
      if (extension.compressTransient === undefined)
        return this.#frameData(opcode, extension.compress(data, true), true, true, out);
      let payload = extension.compressTransient(data);
      // The extension will reuse that memory: a frame that would reference the payload instead of
      // copying it behind its header (unmasked, over COMBINE_THRESHOLD) gets a copy of its own.
      if (this.#isServer && payload.length > COMBINE_THRESHOLD) payload = Buffer.from(payload);
      return this.#frameData(opcode, payload, true, true, out);
    }
    return this.#frameData(opcode, data, true, false, out);
  }

  /** Protocol.frameFragment() once the close state allows it. */
  fragment(type: MessageType, chunk: Buffer, fin: boolean, out: Buffer[], compress: boolean): number {
    const opcode = typeOpcode(type);
    checkData(chunk);
    let frameOpcode: number;
    let rsv1 = false;
    if (this.#sendingOpcode === NONE) {
      frameOpcode = opcode;
      rsv1 = compress && this.#extension !== null;
      this.#sendingOpcode = opcode;
      this.#sendingCompressed = rsv1;
    } else if (this.#sendingOpcode !== opcode) {
      throw new WebSocketError('ERR_INVALID_ARGUMENT', `a ${type} fragment inside a message of another type`);
    } else {
      frameOpcode = Opcode.continuation;
    }
    const payload = this.#sendingCompressed ? this.#extension!.compress(chunk, fin) : chunk;
    if (fin) this.#sendingOpcode = NONE;
    return this.#frameData(frameOpcode, payload, fin, rsv1, out);
  }

  /** A Ping, Pong or Close frame (section 5.5: one frame, at most 125 bytes of payload). */
  control(opcode: number, payload: Uint8Array, out: Buffer[]): number {
    checkData(payload);
    if (payload.length > 125) {
      throw new WebSocketError('ERR_INVALID_ARGUMENT', 'control frame payload over 125 bytes');
    }
    return serializeFrame(opcode, true, false, payload, this.#nextMask(), out, this.#applyMask);
  }

  #nextMask(): Uint8Array | null {
    if (this.#isServer) return null;
    // Section 5.3: a fresh, unpredictable mask for every client frame.
    this.#maskSource ??= new PooledMaskSource();
    return this.#maskSource.next();
  }

  #frameData(opcode: number, payload: Uint8Array, fin: boolean, rsv1: boolean, out: Buffer[]): number {
    const size = this.#fragmentSize;
    const length = payload.length;
    if (size === 0 || length <= size)
      return serializeFrame(opcode, fin, rsv1, payload, this.#nextMask(), out, this.#applyMask);
    let total = 0;
    for (let offset = 0; ; offset += size) {
      const endOffset = Math.min(offset + size, length);
      const last = endOffset === length;
      const first = offset === 0;
      total += serializeFrame(
        first ? opcode : Opcode.continuation,
        fin && last,
        first && rsv1,
        payload.subarray(offset, endOffset),
        this.#nextMask(),
        out,
        this.#applyMask,
      );
      if (last) return total;
    }
  }
}
