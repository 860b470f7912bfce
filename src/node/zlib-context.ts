// One raw-deflate or raw-inflate zlib stream, driven SYNCHRONOUSLY so the protocol core stays sans-I/O
// and a context can live across messages (context takeover, RFC 7692 7.2.1).
//
// Why not `zlib.deflateRawSync` or `_processChunk`: the *Sync functions start a fresh context per call,
// and on Node 20 `_processChunk(chunk, flag)` without a callback runs processChunkSync, which closes the
// handle when it returns (a second call throws). What stays usable across calls is the native handle
// under the stream object: `_handle.writeSync(flush, in, inOff, inLen, out, outOff, outLen)`, which
// reports avail_out/avail_in in `_writeState` and faults through `_handle.onerror`, both synchronously.
// That is private API; this file is the only place that touches it, and `assertSyncZlib()` checks its
// shape once, failing with a clear message instead of a TypeError deep in a message.
//
// Concurrency: every call runs to completion on the calling thread, so at most one zlib operation per
// thread is ever in flight: the bound on concurrent zlib work (and on its memory) holds by construction,
// with no thread-pool queue to grow.
import zlib from 'node:zlib';

interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void;
  reset(): void;
  close(): void;
  onerror: (message: string, errno: number, code?: string) => void;
}

interface ZlibInternals {
  _handle: ZlibHandle | null;
  _writeState: Uint32Array;
}

export type ZlibContextKind = 'deflate' | 'inflate';

/** A zlib fault (corrupt input). `code` is zlib's, e.g. Z_DATA_ERROR. */
export class ZlibDataError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'ZlibDataError';
    this.code = code;
  }
}

const SYNC_FLUSH = zlib.constants.Z_SYNC_FLUSH;
const MIN_CHUNK = zlib.constants.Z_MIN_CHUNK;
// Output goes into a process-wide slab and leaves as views of it: no copy for the common message that
// fits, and nothing held per connection. Safe to share because every call is synchronous.
const SLAB_SIZE = 64 * 1024;
// Below this much room, start a new slab rather than cut the output into slivers.
const SLAB_MIN_ROOM = 2048;
let slab = Buffer.allocUnsafe(SLAB_SIZE);
let slabOffset = 0;

let checked: string | undefined;

/**
 * Checks once that this Node exposes the synchronous zlib handle this adapter needs.
 * Throws an Error naming the Node version when it does not.
 */
export function assertSyncZlib(): void {
  if (checked === 'ok') return;
  if (checked === undefined) {
    checked = probe();
  }
  if (checked !== 'ok') {
    throw new Error(
      `permessage-deflate needs synchronous access to Node's zlib handle, which Node ${process.version} ` +
        `does not offer (${checked}). Turn compression off (perMessageDeflate: false).`,
    );
  }
}

function probe(): string {
  try {
    const stream = zlib.createDeflateRaw() as unknown as ZlibInternals & zlib.DeflateRaw;
    const handle = stream._handle;
    const state = stream._writeState;
    if (handle === null || typeof handle !== 'object') return 'no _handle';
    if (typeof handle.writeSync !== 'function') return 'no _handle.writeSync';
    if (typeof handle.reset !== 'function' || typeof handle.close !== 'function') return 'no reset/close';
    if (!(state instanceof Uint32Array) || state.length < 2) return 'no _writeState';
    // One real round: "a" compressed with a sync flush must come back with the 00 00 ff ff marker.
    const out = Buffer.alloc(64);
    handle.writeSync(SYNC_FLUSH, Buffer.from('a'), 0, 1, out, 0, out.length);
    const produced = out.length - (state[0] as number);
    stream.close();
    if (produced < 4 || out.readUInt32BE(produced - 4) !== 0x0000ffff) return 'unexpected writeSync result';
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Room in the shared slab, starting a fresh one when little is left. */
function slabRoom(): number {
  if (SLAB_SIZE - slabOffset < SLAB_MIN_ROOM) {
    slab = Buffer.allocUnsafe(SLAB_SIZE);
    slabOffset = 0;
  }
  return SLAB_SIZE - slabOffset;
}

/** A raw deflate or inflate stream whose every call completes synchronously. */
export class ZlibContext {
  readonly kind: ZlibContextKind;
  private readonly stream: zlib.DeflateRaw | zlib.InflateRaw;
  private readonly handle: ZlibHandle;
  private readonly state: Uint32Array;
  private fault: ZlibDataError | undefined;
  private leftover = 0;

  /**
   * @param windowBits 9..15 for deflate (callers map a negotiated 8 to 9), 8..15 for inflate.
   * @param level and `memLevel` apply to deflate only.
   */
  constructor(kind: ZlibContextKind, windowBits: number, level = 6, memLevel = 8) {
    assertSyncZlib();
    this.kind = kind;
    // chunkSize is the stream's own output buffer, which this adapter never uses: the smallest zlib
    // allows (64) instead of the default 16 KiB saves that much per context (measured on Node 20).
    this.stream =
      kind === 'deflate'
        ? zlib.createDeflateRaw({ windowBits, level, memLevel, chunkSize: MIN_CHUNK })
        : zlib.createInflateRaw({ windowBits, chunkSize: MIN_CHUNK });
    const internals = this.stream as unknown as ZlibInternals;
    this.handle = internals._handle as ZlibHandle;
    this.state = internals._writeState;
    // Take faults here, synchronously, instead of letting the stream destroy itself and emit 'error'
    // on a later tick where nobody listens.
    this.handle.onerror = (message, _errno, code) => {
      this.fault = new ZlibDataError(message, code ?? 'Z_DATA_ERROR');
    };
  }

  /**
   * Runs `input` through with Z_SYNC_FLUSH and returns all the output (a view of the shared slab when
   * it fits, else one joined buffer). Returns `undefined` as soon as the output passes `limit` bytes:
   * output is produced in steps no larger than the slab, so a bomb costs at most `limit` plus one step.
   * Throws ZlibDataError on corrupt input; the context is then unusable and must be closed.
   */
  process(input: Buffer, limit: number): Buffer | undefined {
    const handle = this.handle;
    const state = this.state;
    let inOffset = 0;
    let inLength = input.length;
    let produced = 0;
    let first: Buffer | undefined;
    let rest: Buffer[] | undefined;
    for (;;) {
      let room = slabRoom();
      // Never ask for more than one byte past the limit: that byte is how we learn it was passed.
      if (room > limit - produced + 1) room = limit - produced + 1;
      const outOffset = slabOffset;
      handle.writeSync(SYNC_FLUSH, input, inOffset, inLength, slab, outOffset, room);
      if (this.fault !== undefined) throw this.fault;
      const availOut = state[0] as number;
      const availIn = state[1] as number;
      const have = room - availOut;
      if (have > 0) {
        const piece = slab.subarray(outOffset, outOffset + have);
        slabOffset += have;
        produced += have;
        if (produced > limit) return undefined;
        if (first === undefined) first = piece;
        else if (rest === undefined) rest = [first, piece];
        else rest.push(piece);
      }
      inOffset += inLength - availIn;
      inLength = availIn;
      // A full output buffer may hide more output; room left means zlib is done with this input.
      if (availOut !== 0) {
        // Input left over with room to spare: an inflate passed the end of the deflate stream.
        this.leftover = availIn;
        break;
      }
    }
    if (rest !== undefined) return Buffer.concat(rest, produced);
    return first ?? EMPTY;
  }

  /**
   * After `process`, how many input bytes were left unread because the deflate stream ended (a block
   * with BFINAL set); 0 normally. Cleared by `reset()`.
   */
  get unread(): number {
    return this.leftover;
  }

  /** Forgets the history (deflateReset/inflateReset): the next message starts a new stream. */
  reset(): void {
    this.handle.reset();
    this.leftover = 0;
  }

  /** Frees the native memory now rather than at garbage collection. */
  close(): void {
    this.stream.close();
  }
}

const EMPTY = Buffer.alloc(0);
