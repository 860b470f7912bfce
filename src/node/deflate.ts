// permessage-deflate (RFC 7692) over Node's zlib, synchronous: the PerMessageExtension the protocol core
// calls for RSV1 messages. Negotiation is in src/protocol/extensions/permessage-deflate.ts.
//
// Memory: a side that keeps its context across messages (context takeover) gets its own zlib context,
// created at its first message and freed by dispose(); a side that resets per message borrows a reset
// context from a process-wide pool for the length of one message, so idle connections hold none.
// A negotiated window of 8 bits compresses with 9: zlib refuses 8 for raw deflate, and its compressor
// never emits a distance over w_size - 262 = 250 bytes with a 512-byte window, so the peer's 256-byte
// window still decodes it. The inflater takes 8 as is.
import { ConnectionClosedError, CorruptDataError, MessageTooBigError } from '../errors.js';
import type { PerMessageExtension } from '../protocol/extensions/extension.js';
import {
  type DeflateParameters,
  PERMESSAGE_DEFLATE,
  type PerMessageDeflateOptions,
  validateDeflateOptions,
} from '../protocol/extensions/permessage-deflate.js';
import type { Role } from '../protocol/types.js';
import { ZlibContext, ZlibDataError } from './zlib-context.js';
import { releasePooledContext, takePooledContext } from './zlib-context-pool.js';

/** Messages under this many bytes go out uncompressed by default: see `PerMessageDeflate.threshold`. */
export const DEFAULT_DEFLATE_THRESHOLD = 1024;
const DEFAULT_LEVEL = 6;
const DEFAULT_MEM_LEVEL = 8;

// RFC 7692 7.2.2: the receiver appends these 4 octets to a message's payload before inflating it.
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
// RFC 7692 7.2.3.6: an empty message compresses to one 0x00 octet.
const EMPTY_MESSAGE = Buffer.from([0x00]);
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/** One side's compression: its window, and whether its context carries over between messages. */
interface Direction {
  readonly windowBits: number;
  readonly takeover: boolean;
  context: ZlibContext | null;
  /** The context came from the pool and goes back at the message's end. */
  pooled: boolean;
  /** Inflate only: this message's deflate stream ended (BFINAL); the rest of the message is ignored. */
  streamEnded: boolean;
}

/** The negotiated permessage-deflate of one connection. */
export class PerMessageDeflate implements PerMessageExtension {
  readonly name = PERMESSAGE_DEFLATE;
  readonly params: DeflateParameters;
  /**
   * Messages with fewer bytes are sent uncompressed unless the write asks for compression (the
   * `compress` flag of frameMessage). Default 1024: below about a kilobyte deflate saves a few dozen
   * bytes at best (its block header and Huffman tables eat into a small input, and the message fits
   * one TCP segment either way) while the zlib call costs more than framing the message itself; ws
   * settled on the same figure.
   */
  readonly threshold: number;
  private readonly level: number;
  private readonly memLevel: number;
  private readonly outgoing: Direction;
  private readonly incoming: Direction;
  private disposed = false;

  /**
   * @param role which end this connection is: it decides which negotiated half applies to sending.
   * @param params what the negotiation agreed (acceptDeflateOffers / acceptDeflateResponse).
   * @param options `threshold`, `level`, `memLevel` (the negotiation fields are already in `params`).
   */
  constructor(role: Role, params: DeflateParameters, options: PerMessageDeflateOptions = {}) {
    validateDeflateOptions(options);
    this.params = params;
    this.threshold = options.threshold ?? DEFAULT_DEFLATE_THRESHOLD;
    this.level = options.level ?? DEFAULT_LEVEL;
    this.memLevel = options.memLevel ?? DEFAULT_MEM_LEVEL;
    const server = role === 'server';
    const sendBits = server ? params.serverMaxWindowBits : params.clientMaxWindowBits;
    const receiveBits = server ? params.clientMaxWindowBits : params.serverMaxWindowBits;
    this.outgoing = {
      windowBits: sendBits === 8 ? 9 : sendBits,
      takeover: !(server ? params.serverNoContextTakeover : params.clientNoContextTakeover),
      context: null,
      pooled: false,
      streamEnded: false,
    };
    this.incoming = {
      windowBits: receiveBits,
      takeover: !(server ? params.clientNoContextTakeover : params.serverNoContextTakeover),
      context: null,
      pooled: false,
      streamEnded: false,
    };
  }

  /** True when a message of `size` bytes should be compressed, given the write's `compress` flag. */
  shouldCompress(size: number, compress?: boolean): boolean {
    return compress ?? size >= this.threshold;
  }

  /**
   * Deflates a whole message (`end`) or one fragment of a streamed message (RFC 7692 7.2.1): sync
   * flush, then on the last part the trailing 00 00 ff ff removed. Fragments keep theirs: the receiver
   * appends the 4 octets only once, at the message's end.
   */
  compress(data: Buffer, end: boolean): Buffer {
    return this.deflate(data, end, false);
  }

  /**
   * `compress(data, true)` returning a view of the shared zlib scratch instead of a copy: valid only
   * until the next compression or decompression of any connection (the frame writer copies it at once).
   */
  compressTransient(data: Buffer): Buffer {
    return this.deflate(data, true, true);
  }

  private deflate(data: Buffer, end: boolean, transient: boolean): Buffer {
    const context = this.contextFor(this.outgoing, 'deflate');
    context.write(data, NO_LIMIT);
    const output = transient ? context.takeOutputView() : context.takeOutput();
    if (end) this.messageDone(this.outgoing);
    if (!end) return output;
    const length = output.length;
    // A sync flush ends in an empty stored block, 00 00 ff ff (7.2.1 removes it). zlib emits nothing at
    // all for an empty message flushed right after another flush: that message is the single 0x00.
    if (length >= 4 && output.readUInt32BE(length - 4) === 0x0000ffff) {
      return length === 4 ? EMPTY_MESSAGE : output.subarray(0, length - 4);
    }
    return length === 0 ? EMPTY_MESSAGE : output;
  }

  /**
   * Inflates one chunk of a compressed message; on `end` the 00 00 ff ff of 7.2.2 goes in after it.
   * Throws MessageTooBigError (1009) once the output would pass `limit`, having produced at most one
   * step (one window, at least 4 KiB) beyond it, and CorruptDataError (1002) on corrupt data. This
   * layer does not know the message's type: the protocol core turns the error into 1007 for a text
   * message (RFC 7692 leaves the code open; 1007 is data not consistent with the message's type,
   * RFC 6455 7.4.1). The returned Buffer is the caller's own (exact size, not shared).
   */
  decompress(chunk: Buffer, end: boolean, limit: number): Buffer {
    const direction = this.incoming;
    const context = this.contextFor(direction, 'inflate');
    let fits = true;
    try {
      // After a block with BFINAL set (7.2.3.4) the stream is over: zlib leaves what follows unread,
      // as the RFC's own example needs (its trailing 0x00 and our 00 00 ff ff come after the end).
      if (chunk.length > 0 && !direction.streamEnded) fits = context.write(chunk, limit);
      if (context.unread > 0) direction.streamEnded = true;
      // The trailer's output (if any) joins the chunk's in the same scratch: one copy out, no join.
      if (fits && end && !direction.streamEnded) {
        fits = context.write(TRAILER, limit);
        if (context.unread > 0) direction.streamEnded = true;
      }
    } catch (error) {
      if (!(error instanceof ZlibDataError)) throw error;
      this.corrupt(direction, error.message, error);
    }
    const output = fits ? context.takeOutput() : undefined;
    if (output === undefined) {
      this.drop(direction);
      throw new MessageTooBigError(`inflated data exceeds the ${limit} bytes left for this message`, limit);
    }
    if (end) {
      // A stream that ended cannot take the next message: start a fresh one, as the sender must have.
      if (direction.streamEnded) {
        direction.streamEnded = false;
        if (direction.context !== null && !direction.pooled) direction.context.reset();
      }
      this.messageDone(direction);
    }
    return output;
  }

  /** Frees this connection's contexts (a pooled one in mid-message goes back reset). Idempotent. */
  dispose(): void {
    this.disposed = true;
    this.drop(this.outgoing);
    this.drop(this.incoming);
  }

  private contextFor(direction: Direction, kind: 'deflate' | 'inflate'): ZlibContext {
    if (direction.context !== null) return direction.context;
    if (this.disposed) throw new ConnectionClosedError('permessage-deflate was disposed');
    const level = kind === 'deflate' ? this.level : 0;
    const memLevel = kind === 'deflate' ? this.memLevel : 0;
    if (direction.takeover) {
      direction.context = new ZlibContext(kind, direction.windowBits, level, memLevel);
      direction.pooled = false;
    } else {
      direction.context = takePooledContext(kind, direction.windowBits, level, memLevel);
      direction.pooled = true;
    }
    return direction.context;
  }

  /** At a message's end: a no-context-takeover side resets (RFC 7692 7.1.1) by going back to the pool. */
  private messageDone(direction: Direction): void {
    if (!direction.pooled || direction.context === null) return;
    this.release(direction);
  }

  private release(direction: Direction): void {
    const context = direction.context as ZlibContext;
    const deflate = context.kind === 'deflate';
    releasePooledContext(
      context,
      direction.windowBits,
      deflate ? this.level : 0,
      deflate ? this.memLevel : 0,
    );
    direction.context = null;
  }

  private drop(direction: Direction): void {
    direction.streamEnded = false;
    if (direction.context === null) return;
    if (direction.pooled) this.release(direction);
    else {
      direction.context.close();
      direction.context = null;
    }
  }

  /** Corrupt input leaves a context in an unknown state: free it (never pool it) and fail. */
  private corrupt(direction: Direction, reason: string, cause?: unknown): never {
    direction.context?.close();
    direction.context = null;
    direction.streamEnded = false;
    throw new CorruptDataError(`permessage-deflate: corrupt compressed data (${reason})`, 1002, { cause });
  }
}
