// The shared memory budget on the inbound side (src/connection/inbound.ts, message-inbox.ts): bytes
// held for a message not yet complete, or whole and unread, are charged to the budget, released
// when the application gets the message or the connection ends, and a message growing past its
// connection's own bound while the budget is exceeded fails that connection with 1013, no other.
// Connections run over a synchronous fake transport, fed client frames by hand.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BufferBudget, INBOUND_OVER_BUDGET_REASON } from '../../../src/connection/buffer-budget.js';
import { Connection } from '../../../src/connection/connection.js';
import type { ConnectionOptions } from '../../../src/connection/connection-options.js';
import { CHUNK_OVERHEAD } from '../../../src/connection/message-gatherer.js';
import type { Transport, TransportHandler } from '../../../src/connection/transport.js';
import { MessageTooBigError } from '../../../src/errors.js';
import type { PerMessageExtension } from '../../../src/protocol/extensions/extension.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { parseFrames } from '../../helpers/frames.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BINARY = 0x2;
const CONTINUATION = 0x0;
const CLOSE = 0x8;
/** What gathering `bytes` payload bytes in `chunks` chunks is charged (payload plus bookkeeping). */
const held = (bytes: number, chunks = 1): number => bytes + chunks * CHUNK_OVERHEAD;

/** Records what the connection writes; the test delivers bytes with feed(), synchronously. */
class FakeTransport implements Transport {
  handler: TransportHandler | null = null;
  readonly written: Buffer[] = [];
  paused = false;
  destroyed = false;
  readonly writableLength = 0;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 1;

  setHandler(handler: TransportHandler): void {
    this.handler = handler;
  }
  write(chunks: Buffer[]): boolean {
    for (const chunk of chunks) this.written.push(Buffer.from(chunk));
    return true;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  end(): void {}
  destroy(): void {
    this.destroyed = true;
  }

  feed(...chunks: Buffer[]): void {
    for (const chunk of chunks) this.handler?.onData(chunk);
  }

  /** The Close frame the connection sent, if any. */
  closeFrame(): { code: number; reason: string } | undefined {
    const close = parseFrames(Buffer.concat(this.written)).find((frame) => frame.opcode === CLOSE);
    if (close === undefined) return undefined;
    return { code: close.payload.readUInt16BE(0), reason: close.payload.subarray(2).toString('utf8') };
  }
}

/**
 * A masked client frame header claiming `length` payload bytes. The mask key is zero (RFC 6455 5.3
 * allows any key), so payload bytes go on the wire as they are and big payloads need no masking pass.
 */
function header(opcode: number, length: number, fin: boolean): Buffer {
  const bytes = Buffer.alloc(2 + 8 + 4);
  bytes[0] = (fin ? 0x80 : 0) | opcode;
  bytes[1] = 0x80 | 127;
  bytes.writeBigUInt64BE(BigInt(length), 2);
  return bytes;
}

/** `length` payload bytes (fresh: the connection unmasks in place). */
function payload(length: number, fill = 0x61): Buffer {
  return Buffer.alloc(length, fill);
}

/** A stand-in for permessage-deflate at its worst: every byte on the wire inflates to 64. */
class ExpandingExtension implements PerMessageExtension {
  readonly name = 'x-expand';
  decompress(chunk: Buffer, _end: boolean, limit: number): Buffer {
    const out = Buffer.alloc(chunk.length * 64, 0x61);
    if (out.length > limit) throw new MessageTooBigError('inflated message too big', limit);
    return out;
  }
  compress(data: Buffer): Buffer {
    return data;
  }
  dispose(): void {}
}

/** A compressed (RSV1, RFC 7692 6.1) first frame of a message, not the last. */
function compressedFrame(length: number): Buffer {
  const bytes = frame(BINARY, length, false);
  bytes[0] = (bytes[0] as number) | 0x40;
  return bytes;
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One whole frame. */
function frame(opcode: number, length: number, fin: boolean): Buffer {
  return Buffer.concat([header(opcode, length, fin), payload(length)]);
}

function open(budget: BufferBudget | null, options: Partial<ConnectionOptions> = {}) {
  const transport = new FakeTransport();
  const connection = new Connection(transport, {
    role: 'server',
    budget,
    clock: new FakeClock(),
    ...options,
  });
  return { transport, connection };
}

/** A connection whose every message lands in `messages` (the listener owns it from then on). */
function listening(budget: BufferBudget | null, options: Partial<ConnectionOptions> = {}) {
  const opened = open(budget, options);
  const messages: Buffer[] = [];
  opened.connection.onRawMessage((data) => messages.push(data));
  return { ...opened, messages };
}

describe('inbound bytes count against the shared budget', () => {
  test('a message in fragments is charged as it grows and released when delivered', () => {
    const budget = new BufferBudget(64 * MiB);
    const { transport, connection, messages } = listening(budget);
    transport.feed(frame(BINARY, 300 * KiB, false));
    assert.equal(budget.usedInbound, held(300 * KiB));
    transport.feed(frame(CONTINUATION, 300 * KiB, false));
    assert.equal(budget.usedInbound, held(600 * KiB, 2));
    assert.equal(budget.used, held(600 * KiB, 2), 'used counts both ways');
    transport.feed(frame(CONTINUATION, 100 * KiB, true));
    assert.equal(messages.length, 1);
    assert.equal(messages[0]?.length, 700 * KiB);
    assert.equal(budget.usedInbound, 0, 'the listener owns it now');
    assert.equal(connection.readyState, 'open');
  });

  test('one big frame arriving in reads is charged per read', () => {
    const budget = new BufferBudget(64 * MiB);
    const { transport, messages } = listening(budget);
    transport.feed(header(BINARY, 1 * MiB, true));
    for (let read = 1; read <= 3; read++) {
      transport.feed(payload(256 * KiB));
      assert.equal(budget.usedInbound, held(read * 256 * KiB, read));
    }
    transport.feed(payload(256 * KiB));
    assert.equal(messages[0]?.length, 1 * MiB);
    assert.equal(budget.usedInbound, 0);
  });

  test('a compressed message is charged for its inflated bytes, and closed once they pass the bound under pressure', () => {
    const budget = new BufferBudget(4 * MiB);
    const inflating = listening(budget, { extension: new ExpandingExtension() });
    inflating.transport.feed(compressedFrame(8 * KiB));
    assert.equal(budget.usedInbound, held(512 * KiB), '8 KiB on the wire, 512 KiB held');
    budget.charge(8 * MiB); // others push the budget over
    inflating.transport.feed(frame(CONTINUATION, 16 * KiB, false));
    assert.equal(inflating.connection.readyState, 'closing', '1.5 MiB inflated is past its bound');
    assert.equal(inflating.transport.closeFrame()?.code, 1013);
    assert.equal(budget.usedInbound, 0);
  });

  test('tiny fragments in big reads are copied together, charged what holds them, and keep no read alive', async () => {
    const budget = new BufferBudget(64 * MiB);
    const { transport, connection } = open(budget, { autoPong: false });
    // Each read: one 1-byte fragment, then ~50 KiB of pings (masked, zero key) the connection drops.
    const ping = Buffer.concat([Buffer.from([0x89, 0x80 | 125, 0, 0, 0, 0]), Buffer.alloc(125)]);
    const paddedRead = (opcode: number): Buffer =>
      Buffer.concat([frame(opcode, 1, false), ...Array.from({ length: 400 }, () => ping)]);
    for (let read = 0; read < 100; read++) transport.feed(paddedRead(read === 0 ? BINARY : CONTINUATION));
    // The 100 bytes sit in one small buffer (256 bytes, the smallest one opened), charged in full.
    assert.equal(budget.usedInbound, held(256), 'one buffer, not 100 chunks nor 100 reads');
    // A streaming reader sees the same: its chunk is a copy, not a view holding the whole read.
    const pending = connection.readStream();
    const { readable } = await pending;
    const reader = readable.getReader();
    const read = paddedRead(CONTINUATION);
    transport.feed(read);
    const chunks: Uint8Array[] = [];
    for (let bytes = 0; bytes < 101; bytes += (chunks.at(-1) as Uint8Array).length)
      chunks.push((await reader.read()).value as Uint8Array);
    assert.deepEqual(
      chunks.map((chunk) => chunk.length),
      [100, 1],
      'what was gathered, then the new byte',
    );
    const last = chunks[1] as Uint8Array;
    assert.ok(last.buffer.byteLength < read.length / 4, `backing store ${last.buffer.byteLength} bytes`);
    assert.equal(connection.readyState, 'open');
  });

  test('65,536 one-byte fragments are charged (and held) in under twice their bytes, and arrive whole', () => {
    const budget = new BufferBudget(64 * MiB);
    const { transport, connection, messages } = listening(budget);
    const fragment = (opcode: number, fin: boolean, byte: number): Buffer =>
      Buffer.from([(fin ? 0x80 : 0) | opcode, 0x81, 0, 0, 0, 0, byte]);
    const frames: Buffer[] = [];
    for (let index = 0; index < 65536; index++)
      frames.push(fragment(index === 0 ? BINARY : CONTINUATION, false, index & 0xff));
    transport.feed(Buffer.concat(frames));
    // Each fragment kept as its own chunk would be 65,536 x (1 + CHUNK_OVERHEAD) = 12.1 MiB.
    assert.ok(
      budget.usedInbound <= 2 * 65536 + 16 * CHUNK_OVERHEAD,
      `charged ${budget.usedInbound} bytes for 65,536 bytes of payload`,
    );
    transport.feed(fragment(CONTINUATION, true, 0));
    assert.equal(messages.length, 1);
    const message = messages[0] as Buffer;
    assert.equal(message.length, 65537);
    for (let index = 0; index < message.length; index++) assert.equal(message[index], index & 0xff);
    assert.equal(budget.usedInbound, 0);
    assert.equal(connection.readyState, 'open');
  });

  test('a message arriving in one read is never charged', () => {
    const budget = new BufferBudget(1);
    budget.charge(2); // exceeded throughout
    const { transport, connection, messages } = listening(budget);
    transport.feed(frame(BINARY, 4 * MiB, true));
    assert.equal(messages[0]?.length, 4 * MiB, 'delivered straight to the listener, whatever the budget');
    assert.equal(budget.usedInbound, 0);
    assert.equal(connection.readyState, 'open');
  });

  test('an unread message is charged in the inbox until read, then released', async () => {
    const budget = new BufferBudget(64 * MiB);
    const { transport, connection } = open(budget);
    transport.feed(frame(BINARY, 768 * KiB, false));
    transport.feed(frame(CONTINUATION, 768 * KiB, true));
    assert.equal(budget.usedInbound, 1536 * KiB, 'whole and unread: still held');
    assert.ok(transport.paused, 'over maxQueuedBytes: reading paused');
    const message = await connection.read();
    assert.equal((message.data as Buffer).length, 1536 * KiB);
    assert.equal(budget.usedInbound, 0);
    assert.equal(transport.paused, false);
  });

  test('the connection closing releases its partial message, and its unread messages stay readable uncounted', async () => {
    const budget = new BufferBudget(64 * MiB);
    const { transport, connection } = open(budget);
    transport.feed(frame(BINARY, 512 * KiB, true)); // unread
    transport.feed(frame(BINARY, 512 * KiB, false)); // partial
    assert.equal(budget.usedInbound, 512 * KiB + held(512 * KiB), 'the unread one and the partial one');
    transport.handler?.onClose();
    assert.equal(connection.readyState, 'closed');
    assert.equal(budget.usedInbound, 0);
    assert.equal(budget.used, 0);
    assert.equal(budget.size, 0, 'left the budget');
    const unread = await connection.read();
    assert.equal((unread.data as Buffer).length, 512 * KiB);
    assert.equal(budget.used, 0, 'reading after close charges nothing back');
  });

  test('terminate() releases what the connection held', () => {
    const budget = new BufferBudget(64 * MiB);
    const { transport, connection } = open(budget);
    transport.feed(frame(BINARY, 700 * KiB, false));
    connection.terminate();
    assert.equal(budget.used, 0);
  });

  test('a message larger than the bound passes while the budget has room', () => {
    const budget = new BufferBudget(4 * MiB);
    const { transport, connection, messages } = listening(budget);
    transport.feed(header(BINARY, 3 * MiB, true));
    for (let read = 0; read < 12; read++) transport.feed(payload(256 * KiB));
    assert.equal(messages[0]?.length, 3 * MiB);
    assert.equal(connection.readyState, 'open');
    assert.equal(budget.used, 0);
  });

  test('a 16 MiB message passes with the server default budget (256 MiB)', () => {
    const budget = new BufferBudget(256 * MiB);
    const { transport, messages } = listening(budget, { maxPayload: 64 * MiB });
    transport.feed(header(BINARY, 16 * MiB, true));
    for (let read = 0; read < 256; read++) transport.feed(payload(64 * KiB));
    assert.equal(messages[0]?.length, 16 * MiB);
    assert.equal(budget.used, 0);
  });
});

describe('over the budget, only a connection growing a message past its own bound is closed (1013)', () => {
  test('two senders of big messages are closed in turn; a peer under its bound keeps going and completes', async () => {
    const budget = new BufferBudget(3 * MiB);
    const honest = listening(budget);
    const bigB = listening(budget);
    const bigC = listening(budget);
    // The well-behaved peer is partway through a 1.5 MiB message: 768 KiB held, under its 1 MiB bound.
    honest.transport.feed(frame(BINARY, 768 * KiB, false));
    bigB.transport.feed(header(BINARY, 8 * MiB, true));
    bigC.transport.feed(header(BINARY, 8 * MiB, true));
    let reads = 0;
    for (
      ;
      reads < 64 && (bigB.connection.readyState === 'open' || bigC.connection.readyState === 'open');
      reads++
    ) {
      for (const big of [bigB, bigC])
        if (big.connection.readyState === 'open') big.transport.feed(payload(256 * KiB));
      assert.ok(
        budget.used <= budget.limit + held(256 * KiB),
        `used ${budget.used} stays within one read of the limit`,
      );
    }
    for (const big of [bigB, bigC]) {
      assert.deepEqual(big.transport.closeFrame(), { code: 1013, reason: INBOUND_OVER_BUDGET_REASON });
      assert.equal(
        big.connection.readyState,
        'closing',
        'our Close is out; the peer answers or the timer cuts it',
      );
      assert.equal(big.messages.length, 0);
    }
    assert.ok(reads < 64, 'both were stopped long before their 8 MiB');
    // The honest peer was never touched, and finishes its message.
    assert.equal(honest.connection.readyState, 'open');
    assert.equal(honest.transport.closeFrame(), undefined);
    honest.transport.feed(frame(CONTINUATION, 768 * KiB, true));
    assert.equal(honest.messages[0]?.length, 1536 * KiB);
    assert.equal(budget.usedInbound, 0, 'the closed ones let go of their partial messages at once');
    // More data from a closed one is read and dropped, not held.
    bigB.transport.feed(payload(256 * KiB));
    assert.equal(budget.used, 0);
    const info = await (async () => {
      bigB.transport.handler?.onClose();
      return bigB.connection.closed;
    })();
    assert.equal(info.code, 1013);
    assert.equal(info.reason, INBOUND_OVER_BUDGET_REASON);
  });

  test('under its bound a message is never closed, however far over the budget is', () => {
    const budget = new BufferBudget(1 * MiB);
    budget.charge(10 * MiB); // others hold ten times the limit
    const { transport, connection, messages } = listening(budget);
    transport.feed(header(BINARY, 1 * MiB, true));
    for (let read = 0; read < 4; read++) transport.feed(payload(256 * KiB));
    assert.equal(connection.readyState, 'open');
    assert.equal(messages[0]?.length, 1 * MiB, 'exactly the bound still passes');
  });

  test('the budget close code is used (1008 when configured), and the budget overflow option does not apply', () => {
    const budget = new BufferBudget(1 * MiB, { closeCode: 1008, overflow: 'drop-newest' });
    budget.charge(2 * MiB);
    const { transport, connection } = listening(budget);
    transport.feed(frame(BINARY, 600 * KiB, false));
    transport.feed(frame(CONTINUATION, 600 * KiB, false));
    assert.equal(connection.readyState, 'closing');
    assert.equal(transport.closeFrame()?.code, 1008);
  });

  test('while closing, a message past its bound is dropped and the close handshake goes on', async () => {
    const budget = new BufferBudget(1 * MiB);
    const { transport, connection, messages } = listening(budget);
    void connection.close(1000, 'bye');
    budget.charge(2 * MiB);
    transport.feed(header(BINARY, 2 * MiB, true));
    for (let read = 0; read < 8; read++) transport.feed(payload(256 * KiB));
    assert.equal(messages.length, 0, 'dropped rather than delivered');
    assert.equal(budget.usedInbound, 0);
    assert.equal(transport.closeFrame()?.code, 1000, 'our Close is the one already sent');
    budget.charge(-2 * MiB);
    // The peer's answer completes the handshake.
    transport.feed(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]));
    transport.handler?.onClose();
    assert.equal((await connection.closed).code, 1000);
  });
});

describe('a streaming reader is charged only for what it has not read yet', () => {
  test("queued chunks count until read; the rest of the message after its end is the reader's", async () => {
    const budget = new BufferBudget(64 * MiB);
    const { transport, connection } = open(budget);
    const pending = connection.readStream();
    transport.feed(header(BINARY, 512 * KiB, true));
    transport.feed(payload(128 * KiB));
    const { readable } = await pending;
    assert.equal(budget.usedInbound, held(128 * KiB), 'a queued chunk is charged its bookkeeping too');
    assert.ok(transport.paused, 'the queue is over its high-water mark');
    const reader = readable.getReader();
    const first = await reader.read();
    assert.equal(first.value?.length, 128 * KiB);
    assert.equal(budget.usedInbound, 0, 'read: no longer held for the connection');
    assert.equal(transport.paused, false);
    transport.feed(payload(128 * KiB));
    transport.feed(payload(128 * KiB));
    assert.equal(budget.usedInbound, held(256 * KiB, 2));
    transport.feed(payload(128 * KiB));
    assert.equal(budget.usedInbound, 0, 'complete: released');
    let total = first.value?.length ?? 0;
    for (let index = 0; index < 8; index++) {
      const next = await reader.read();
      if (next.done) break;
      total += next.value.length;
    }
    assert.equal(total, 512 * KiB);
  });

  test('a message already gathering moves its charge to the stream; cancelling releases it', async () => {
    const budget = new BufferBudget(64 * MiB);
    const { transport, connection } = open(budget);
    transport.feed(frame(BINARY, 200 * KiB, false));
    assert.equal(budget.usedInbound, held(200 * KiB));
    const { readable } = await connection.readStream();
    assert.equal(budget.usedInbound, held(200 * KiB), "the same chunk, now in the reader's queue");
    transport.feed(frame(CONTINUATION, 100 * KiB, false));
    assert.equal(budget.usedInbound, held(300 * KiB, 2));
    await readable.cancel();
    assert.equal(budget.usedInbound, 0);
    transport.feed(frame(CONTINUATION, 100 * KiB, true)); // the rest is dropped
    assert.equal(budget.usedInbound, 0);
    assert.equal(connection.readyState, 'open');
  });

  test('a connection ending under a stream releases its queue', async () => {
    const budget = new BufferBudget(64 * MiB);
    const { transport, connection } = open(budget);
    const pending = connection.readStream();
    transport.feed(header(BINARY, 1 * MiB, true), payload(100 * KiB));
    const { readable } = await pending;
    transport.handler?.onClose();
    assert.equal(budget.used, 0);
    await assert.rejects(readable.getReader().read());
  });

  test('a reader that does not read while its message outgrows the bound under pressure: 1013', async () => {
    const budget = new BufferBudget(1 * MiB);
    const { transport, connection } = open(budget);
    const pending = connection.readStream();
    budget.charge(2 * MiB);
    transport.feed(header(BINARY, 4 * MiB, true));
    // One read can be far bigger than the stream's high-water mark (a whole frame in one chunk).
    transport.feed(payload(1536 * KiB));
    const { readable } = await pending;
    assert.equal(connection.readyState, 'closing');
    assert.equal(transport.closeFrame()?.code, 1013);
    assert.equal(budget.usedInbound, 0);
    await assert.rejects(readable.getReader().read());
  });
});

describe('heldBytes and shedLargest() see inbound bytes too', () => {
  test('the connection holding the biggest partial message is shed first', async () => {
    const budget = new BufferBudget(4 * MiB);
    const big = listening(budget);
    const small = listening(budget);
    big.transport.feed(header(BINARY, 8 * MiB, true), payload(2 * MiB));
    small.transport.feed(frame(BINARY, 512 * KiB, false));
    assert.equal(big.connection.readyState, 'open', 'the budget had room as it grew');
    budget.charge(2 * MiB); // now exceeded by others
    assert.equal(budget.shedLargest(1), 1);
    assert.equal(big.connection.readyState, 'closing');
    await macrotask(); // a Close queued outside a read goes out on the next flush
    assert.equal(big.transport.closeFrame()?.code, 1013);
    assert.equal(small.connection.readyState, 'open');
    assert.equal(budget.usedInbound, held(512 * KiB));
  });
});
