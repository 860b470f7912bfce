// Parser and serializer micro-benchmark against ws's own Receiver and Sender, same bytes, same run.
//
//   node .build/bench/micro/parser.js [--quick]
//
// Parse: a stream of masked client-to-server binary frames, cut into 64 KiB chunks as a socket
// delivers them, fed to our Protocol (server role) and to ws's Receiver (isServer). Both unmask in
// place, so each pass flips the payload back and forth; binary frames make that harmless. ws gathers
// a frame into one Buffer and emits it; we hand on zero-copy views (what Protocol promises).
// Serialize: frameMessage() against Sender.frame() for unmasked (server) and masked (client) frames;
// ws gets readOnly: true when masking, since we never mask the caller's buffer in place either. Small
// frames cost us a copy ws does not make (we hand one Buffer per frame to writev, ws hands two), and
// for 16 KiB / 1 MiB unmasked frames both only write a header: those rows measure per-call overhead.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { ProtocolError } from '../../src/errors.js';
import { applyMask, type MaskFunction } from '../../src/protocol/mask.js';
import { Protocol, type ProtocolHandler } from '../../src/protocol/protocol.js';

// ws exports Receiver and Sender from its ESM wrapper, but @types/ws does not declare them.
interface WsReceiver {
  write(chunk: Buffer): boolean;
  on(event: 'message', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
}
interface WsModule {
  Receiver: new (options: { isServer: boolean; maxPayload: number }) => WsReceiver;
  Sender: {
    frame(
      data: Buffer,
      options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean },
    ): Buffer[];
  };
}
const { Receiver, Sender } = (await import('ws')) as unknown as WsModule;

/** bufferutil's native XOR behind our MaskFunction port (what a Node layer could plug in), if installed. */
function nativeMask(): MaskFunction | null {
  let unmask: (data: Uint8Array, mask: Uint8Array) => void;
  try {
    unmask = (createRequire(import.meta.url)('bufferutil') as { unmask: typeof unmask }).unmask;
  } catch {
    return null;
  }
  const rotated = Buffer.alloc(4);
  return (data, mask, phase) => {
    if (data.length < 256) return applyMask(data, mask, phase);
    for (let i = 0; i < 4; i++) rotated[i] = mask[(i + phase) & 3]!;
    unmask(data, rotated);
  };
}

export interface ParserBenchOptions {
  /** Shorter windows (about a quarter of the time). */
  quick?: boolean;
  /** Payload sizes in bytes (default 64 B, 16 KiB, 1 MiB). */
  sizes?: number[];
  /** Rounds per measurement; the median is kept (default 3). */
  rounds?: number;
  /** Print the table to stdout (default true when run directly). */
  print?: boolean;
}

export interface ParserBenchRow {
  operation:
    | 'parse (masked)'
    | 'parse (masked, native mask port)'
    | 'serialize (unmasked)'
    | 'serialize (masked)';
  /** Payload bytes per frame. */
  size: number;
  oursMBps: number;
  wsMBps: number;
  /** ours / ws; >= 1 means we are at or above ws. */
  ratio: number;
}

export interface ParserBenchResult {
  node: string;
  rows: ParserBenchRow[];
  table: string;
}

const CHUNK = 64 * 1024;

function label(size: number): string {
  return size >= 1 << 20 ? `${size / (1 << 20)} MiB` : size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
}

function maskedFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? 6 : length < 65536 ? 8 : 14;
  const frame = Buffer.alloc(header + length);
  frame[0] = 0x82;
  if (length < 126) {
    frame[1] = 0x80 | length;
  } else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.set([0x37, 0xfa, 0x21, 0x3d], header - 4);
  for (let i = 0; i < length; i++) frame[header + i] = payload[i]! ^ frame[header - 4 + (i & 3)]!;
  return frame;
}

/** The byte stream of `count` frames of `size`, cut into separately allocated 64 KiB chunks. */
function stream(size: number, count: number): Buffer[] {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 7) & 0xff;
  const frame = maskedFrame(payload);
  const whole = Buffer.concat(Array.from({ length: count }, () => frame));
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < whole.length; offset += CHUNK) {
    chunks.push(Buffer.from(whole.subarray(offset, offset + CHUNK)));
  }
  return chunks;
}

/** MB/s of `pass` (which returns the bytes it processed), run for at least `windowMs`. */
function throughput(pass: () => number, windowMs: number): number {
  pass(); // warm up
  let bytes = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    bytes += pass();
    elapsed = performance.now() - start;
  } while (elapsed < windowMs);
  return bytes / 1e6 / (elapsed / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Alternate ours and ws for `rounds` rounds and keep the median of each. */
function compare(
  ours: () => number,
  theirs: () => number,
  rounds: number,
  windowMs: number,
): [number, number] {
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      a.push(throughput(ours, windowMs));
      b.push(throughput(theirs, windowMs));
    } else {
      b.push(throughput(theirs, windowMs));
      a.push(throughput(ours, windowMs));
    }
  }
  return [median(a), median(b)];
}

class CountingHandler implements ProtocolHandler {
  messages = 0;
  bytes = 0;
  onMessageStart(): void {}
  onMessageData(chunk: Buffer, end: boolean): void {
    this.bytes += chunk.length;
    if (end) this.messages++;
  }
  onPing(): void {}
  onPong(): void {}
  onCloseFrame(): void {}
  onOutput(): void {}
  onFail(error: ProtocolError): void {
    throw error;
  }
}

/** One result row, keys in table order, figures rounded (MB/s to units, the ratio to hundredths). */
function row(operation: ParserBenchRow['operation'], size: number, ours: number, ws: number): ParserBenchRow {
  return {
    operation,
    size,
    oursMBps: Math.round(ours),
    wsMBps: Math.round(ws),
    ratio: Math.round((ours / ws) * 100) / 100,
  };
}

function parseRow(size: number, rounds: number, windowMs: number, unmask?: MaskFunction): ParserBenchRow {
  const count = Math.max(4, Math.floor((4 << 20) / size));
  const chunks = stream(size, count);
  const wireBytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);

  const handler = new CountingHandler();
  const protocol = new Protocol(handler, {
    role: 'server',
    maxPayload: 2 ** 31,
    ...(unmask ? { applyMask: unmask } : {}),
  });
  const ours = (): number => {
    for (let i = 0; i < chunks.length; i++) protocol.receive(chunks[i]!);
    return wireBytes;
  };

  const receiver = new Receiver({ isServer: true, maxPayload: 0 });
  let wsMessages = 0;
  receiver.on('message', () => {
    wsMessages++;
  });
  receiver.on('error', (error: Error) => {
    throw error;
  });
  const theirs = (): number => {
    for (let i = 0; i < chunks.length; i++) receiver.write(chunks[i]!);
    return wireBytes;
  };

  // Both must see every message, synchronously, or the comparison means nothing.
  ours();
  theirs();
  if (handler.messages !== count || wsMessages !== count) {
    throw new Error(
      `parse ${label(size)}: expected ${count} messages, ours ${handler.messages}, ws ${wsMessages}`,
    );
  }
  const [oursMBps, wsMBps] = compare(ours, theirs, rounds, windowMs);
  const operation = unmask ? 'parse (masked, native mask port)' : 'parse (masked)';
  return row(operation, size, oursMBps, wsMBps);
}

function serializeRow(size: number, masked: boolean, rounds: number, windowMs: number): ParserBenchRow {
  const data = Buffer.alloc(size, 0x61);
  const count = Math.max(1, Math.floor((4 << 20) / size));
  const protocol = new Protocol(new CountingHandler(), { role: masked ? 'client' : 'server' });
  // frameMessage appends to the connection's pending array, which is flushed (and replaced) once per
  // turn; model a turn as 16 frames. Sender.frame returns a new array per frame, which ws then writes.
  const ours = (): number => {
    let bytes = 0;
    let out: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      if ((i & 15) === 0) out = [];
      bytes += protocol.frameMessage('binary', data, out);
    }
    return bytes;
  };
  const options = { fin: true, opcode: 2, mask: masked, readOnly: masked, rsv1: false };
  const theirs = (): number => {
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const frame = Sender.frame(data, options);
      for (let j = 0; j < frame.length; j++) bytes += frame[j]!.length;
    }
    return bytes;
  };
  const [oursMBps, wsMBps] = compare(ours, theirs, rounds, windowMs);
  return row(masked ? 'serialize (masked)' : 'serialize (unmasked)', size, oursMBps, wsMBps);
}

function table(rows: ParserBenchRow[]): string {
  const lines = ['| operation | frame | ours MB/s | ws MB/s | ours/ws |', '|---|---|---:|---:|---:|'];
  for (const row of rows) {
    lines.push(
      `| ${row.operation} | ${label(row.size)} | ${row.oursMBps.toFixed(0)} | ${row.wsMBps.toFixed(0)} | ${row.ratio.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

/** Run the comparison; the bench suite (bench/run.ts) calls this, `node parser.js` prints it. */
export function runParserBench(options: ParserBenchOptions = {}): ParserBenchResult {
  const sizes = options.sizes ?? [64, 16 * 1024, 1024 * 1024];
  const rounds = options.rounds ?? 3;
  const windowMs = options.quick ? 100 : 400;
  const rows: ParserBenchRow[] = [];
  for (const size of sizes) rows.push(parseRow(size, rounds, windowMs));
  const native = nativeMask();
  if (native)
    for (const size of sizes.filter((s) => s >= 1024)) rows.push(parseRow(size, rounds, windowMs, native));
  for (const size of sizes) rows.push(serializeRow(size, false, rounds, windowMs));
  for (const size of sizes) rows.push(serializeRow(size, true, rounds, windowMs));
  const result = { node: process.version, rows, table: table(rows) };
  if (options.print)
    console.log(`Node ${result.node}, ws Receiver/Sender in the same process\n\n${result.table}`);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runParserBench({ quick: process.argv.includes('--quick'), print: true });
}
