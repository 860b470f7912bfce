import type { ProtocolError } from '../errors.js';
import { WebSocketError } from '../errors.js';
import type { PerMessageExtension } from './extensions/extension.js';
import type { MaskFunction } from './mask.js';
import type { MaskSource } from './mask-source.js';
import type { MessageType, Role } from './types.js';

/**
 * What the core reports, synchronously from inside `receive()`. Callbacks must not throw: an
 * exception propagates out of `receive()` and leaves the rest of that chunk unread.
 */
export interface ProtocolHandler {
  onMessageStart(type: MessageType): void;
  /**
   * Zero-copy view of (unmasked, inflated, UTF-8-checked) payload; `end` on the message's last bytes.
   * `frameLeft`: payload bytes of the same frame still to come (its header declared them; within the
   * limits), a sizing hint for whoever gathers the message; 0 in a compressed message.
   * `maskKey`: 0 when `chunk` is plain. With `leaveBinaryMasked`, a binary chunk may come still
   * masked: XOR it with the key's four bytes (big-endian, `maskKeyBytes`) from its first byte on.
   */
  onMessageData(chunk: Buffer, end: boolean, frameLeft: number, maskKey: number): void;
  onPing(payload: Buffer): void;
  onPong(payload: Buffer): void;
  /** The peer's Close frame (1005 when it carried no code). The echo, if due, was already output. */
  onCloseFrame(code: number, reason: string): void;
  /** Bytes the core decided to send on its own: the close echo, the close that fails a connection. */
  onOutput(bytes: Buffer): void;
  /** The connection failed (section 7.1.7). The close frame with error.closeCode was already output. */
  onFail(error: ProtocolError): void;
}

export interface ProtocolOptions {
  role: Role;
  /** Whole-message limit in bytes (after inflation); default 64 MiB. `Infinity` lifts it. */
  maxPayload?: number;
  /**
   * Frames per message; default Infinity (no count limit: `maxPayload` bounds what a message holds
   * however it is cut). More fails with 1009.
   */
  maxFragments?: number;
  /**
   * Payload bytes one data frame may declare (on the wire); default: maxPayload. More fails with 1009.
   * A frame of a compressed message may exceed it by deflate's worst-case growth (compressedFrameBound).
   */
  maxFrameSize?: number;
  /** Outgoing frames are split at this payload size; 0 = never (default). */
  fragmentSize?: number;
  /** The negotiated RSV1 extension (permessage-deflate). */
  extension?: PerMessageExtension | null;
  /** Client masks; tests pass a fixed one. Default: PooledMaskSource over WebCrypto. */
  maskSource?: MaskSource;
  /**
   * How payloads are (un)masked: the portable `applyMask` by default. A platform layer may pass a
   * native XOR (bufferutil's `unmask`, wrapped to honour `phase`) for large frames.
   */
  applyMask?: MaskFunction;
  /**
   * Hand the payload of uncompressed binary messages to `onMessageData` still masked, with its key,
   * for a handler that unmasks while it copies (one pass over the bytes instead of two). Text is
   * unmasked here (its UTF-8 is checked as it arrives), and so is everything of a compressed message.
   * Default false.
   */
  leaveBinaryMasked?: boolean;
}

export const DEFAULT_MAX_PAYLOAD = 64 * 1024 * 1024;
/** No limit on frames per message: memory follows payload bytes, which maxPayload bounds. */
export const DEFAULT_MAX_FRAGMENTS = Number.POSITIVE_INFINITY;

/**
 * The most a frame of a compressed message may carry on the wire for `size` inflated bytes: zlib's
 * deflateBound for a sender whose window and memLevel we do not know (fixed-Huffman blocks with 9-bit
 * literals: size/8 + size/256 + size/512 + 4 more; stored blocks, 5 bytes per block of at least 127,
 * stay below it), plus what RFC 7692 7.2.1 adds at a fragment's end: a sync flush's empty stored block
 * (at most 5 bytes with its padding) and slack for a final empty block. Incompressible data grows
 * slightly when deflated, so a message of exactly maxPayload random bytes arrives in a frame a little
 * bigger than maxPayload.
 */
export function compressedFrameBound(size: number): number {
  if (!Number.isFinite(size)) return size;
  return size + Math.floor(size / 8) + Math.floor(size / 256) + Math.floor(size / 512) + 4 + 16;
}

/** `value` when it is a number of at least `min`, `fallback` when it is undefined; throws otherwise. */
export function checkLimit(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min) {
    throw new WebSocketError('ERR_INVALID_ARGUMENT', `${name} must be a number >= ${min}`);
  }
  return value;
}
