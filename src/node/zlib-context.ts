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
// zlib writes into one process-wide scratch buffer; what it produced is copied out (see
// outputBuffer), and a deflated message goes from the scratch straight into its frame (see
// takeOutputView). Before, zlib wrote into a shared 64 KiB slab and its output left as views of it:
// no copy, but the deflate benchmark's server held about 3.5 MiB more RSS under load, for a CPU cost
// within noise (BENCHMARKS.md, "Deflate"). Safe to share because every call is synchronous: each
// caller takes the output before anything else can run zlib.
const SCRATCH_SIZE = 64 * 1024;
const MIN_INFLATE_STEP = 4096;
const OUTPUT_SLAB_SIZE = 16 * 1024;
const OUTPUT_SLAB_MAX = 4096;
let outputSlab = Buffer.allocUnsafeSlow(OUTPUT_SLAB_SIZE);
let outputSlabUsed = 0;
const scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
/** Bytes of output in `scratch` not taken yet. */
let scratchUsed = 0;
/** Full scratches copied out while one call's output was longer than the scratch, in order. */
let spilled: Buffer[] | null = null;
let spilledBytes = 0;
/** The context whose output sits in the scratch, or null when it is empty. */
let pendingOwner: ZlibContext | null = null;

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

/** A raw deflate or inflate stream whose every call completes synchronously. */
export class ZlibContext {
  readonly kind: ZlibContextKind;
  private readonly stream: zlib.DeflateRaw | zlib.InflateRaw;
  private readonly handle: ZlibHandle;
  private readonly state: Uint32Array;
  private fault: ZlibDataError | undefined;
  private leftover = 0;
  /** The most output one zlib call may produce (see the constructor). */
  private readonly step: number;

  /**
   * @param windowBits 9..15 for deflate (callers map a negotiated 8 to 9), 8..15 for inflate.
   * @param level and `memLevel` apply to deflate only.
   */
  constructor(kind: ZlibContextKind, windowBits: number, level = 6, memLevel = 8) {
    assertSyncZlib();
    this.kind = kind;
    // zlib's inflate lets a back-reference reach into the output of the same call as well as into the
    // window, so one call over a whole message would accept distances far past the agreed window
    // (RFC 7692 7.1.2). Calls producing at most one window (4 KiB at least, to keep calls few) make
    // it refuse any distance past twice the window, whatever the message's size.
    this.step = kind === 'inflate' ? Math.max(1 << windowBits, MIN_INFLATE_STEP) : SCRATCH_SIZE;
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
   * Runs `input` through with Z_SYNC_FLUSH and returns all the output, in a Buffer of its exact size
   * that the caller owns. Returns `undefined` as soon as the output passes `limit` bytes: output is
   * produced in steps of at most 64 KiB (inflate: one window, at least 4 KiB), so a bomb costs at most
   * `limit` plus one step. Throws ZlibDataError on corrupt input; the context is then unusable and must be closed.
   */
  process(input: Buffer, limit: number): Buffer | undefined {
    return this.write(input, limit) ? this.takeOutput() : undefined;
  }

  /**
   * Runs `input` through with Z_SYNC_FLUSH, adding its output to what this context produced since the
   * last `takeOutput()`: several inputs (a chunk, then RFC 7692's 00 00 ff ff) give one output without
   * a join. Returns false, dropping the output, once the output since the last take passes `limit`.
   * The output lives in a process-wide scratch: take it in the same synchronous call, before any other
   * context writes (a write from another context drops output left untaken).
   * Throws ZlibDataError on corrupt input (the output is dropped; close this context).
   */
  write(input: Buffer, limit: number): boolean {
    if (pendingOwner !== this) {
      // Output nobody took (its caller threw before taking it) is dropped, never mixed into ours.
      if (pendingOwner !== null) dropOutput();
      pendingOwner = this;
    }
    const handle = this.handle;
    const state = this.state;
    let inOffset = 0;
    let inLength = input.length;
    for (;;) {
      if (scratchUsed === SCRATCH_SIZE) spill();
      let room = SCRATCH_SIZE - scratchUsed;
      if (room > this.step) room = this.step;
      // Never ask for more than one byte past the limit: that byte is how we learn it was passed.
      const allowed = limit - (spilledBytes + scratchUsed) + 1;
      if (room > allowed) room = allowed;
      try {
        handle.writeSync(SYNC_FLUSH, input, inOffset, inLength, scratch, scratchUsed, room);
      } catch (error) {
        dropOutput();
        throw error;
      }
      if (this.fault !== undefined) {
        dropOutput();
        throw this.fault;
      }
      const availOut = state[0] as number;
      const availIn = state[1] as number;
      scratchUsed += room - availOut;
      if (spilledBytes + scratchUsed > limit) {
        dropOutput();
        return false;
      }
      inOffset += inLength - availIn;
      inLength = availIn;
      // A full output buffer may hide more output; room left means zlib is done with this input.
      if (availOut !== 0) {
        // Input left over with room to spare: an inflate passed the end of the deflate stream.
        this.leftover = availIn;
        return true;
      }
    }
  }

  /**
   * The output written since the last take as a view of the shared scratch, without a copy: it stays
   * valid only until the next `write` of any context, so the caller must copy it (into a frame) before
   * anything else runs zlib. Output longer than the scratch comes back as an owned Buffer.
   */
  takeOutputView(): Buffer {
    if (pendingOwner !== this || spilled !== null) return this.takeOutput();
    const view = scratch.subarray(0, scratchUsed);
    dropOutput();
    return view;
  }

  /** The output written since the last take, copied out at its exact size (empty when there is none). */
  takeOutput(): Buffer {
    if (pendingOwner !== this) return EMPTY;
    let output: Buffer;
    if (spilled === null) {
      output = scratchUsed === 0 ? EMPTY : outputBuffer(scratchUsed);
      scratch.copy(output, 0, 0, scratchUsed);
    } else {
      spilled.push(scratch.subarray(0, scratchUsed));
      output = Buffer.concat(spilled, spilledBytes + scratchUsed);
    }
    dropOutput();
    return output;
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
    if (pendingOwner === this) dropOutput();
    this.stream.close();
  }
}

/**
 * A Buffer of `size` bytes for output copied out of the scratch. Small outputs are cut from a private
 * 16 KiB slab (one allocation per several messages, as Node's own pool does), larger ones get memory
 * of their own. Private, not Node's pool: a long-lived Buffer of someone else's cut from the same
 * pool block would keep our messages' bytes alive with it (idle-deflate measured 2.6 KiB more per
 * connection that way). A message kept by the application keeps at most its 16 KiB slab alive.
 */
function outputBuffer(size: number): Buffer {
  if (size > OUTPUT_SLAB_MAX) return Buffer.allocUnsafeSlow(size);
  if (outputSlabUsed + size > OUTPUT_SLAB_SIZE) {
    outputSlab = Buffer.allocUnsafeSlow(OUTPUT_SLAB_SIZE);
    outputSlabUsed = 0;
  }
  const output = outputSlab.subarray(outputSlabUsed, outputSlabUsed + size);
  // 8-byte aligned, like Node's pool: word-wise readers (UTF-8 validation, masking) stay aligned.
  outputSlabUsed = (outputSlabUsed + size + 7) & ~7;
  return output;
}

/** The scratch is full and its owner's output goes on: keep a copy of it and start over. */
function spill(): void {
  const copy = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
  scratch.copy(copy);
  if (spilled === null) spilled = [copy];
  else spilled.push(copy);
  spilledBytes += SCRATCH_SIZE;
  scratchUsed = 0;
}

function dropOutput(): void {
  scratchUsed = 0;
  spilled = null;
  spilledBytes = 0;
  pendingOwner = null;
}

const EMPTY = Buffer.alloc(0);
