// A server connection unmasks binary payload while it gathers it (ProtocolOptions.leaveBinaryMasked:
// the parser hands split frames on still masked, the gatherer unmasks as it copies). Whatever the
// cut of the byte stream, the header length, the fragmenting and the masks, every message must equal
// its plain bytes, as a plain byte-by-byte XOR of RFC 6455 5.3 gives them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Connection } from '../../../src/connection/connection.js';
import type { Transport, TransportHandler } from '../../../src/connection/transport.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { frame } from '../../helpers/frames.js';

const KiB = 1024;

/** Delivers what feed() gets, synchronously; drops what the connection writes. */
class FeedTransport implements Transport {
  handler: TransportHandler | null = null;
  readonly writableLength = 0;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 1;
  setHandler(handler: TransportHandler): void {
    this.handler = handler;
  }
  write(): boolean {
    return true;
  }
  pause(): void {}
  resume(): void {}
  end(): void {}
  destroy(): void {}
  /** Each read as a Buffer of its own (as a socket delivers them), starting at byte offset `at`. */
  feed(read: Buffer, at = 0): void {
    const copy = Buffer.alloc(at + read.length).subarray(at);
    read.copy(copy);
    this.handler?.onData(copy);
  }
}

function plain(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index++) bytes[index] = (index * 31 + seed) % 253;
  return bytes;
}

const MASKS = [
  [0x37, 0xfa, 0x21, 0x3d],
  [0x01, 0x02, 0x03, 0x04],
  [0xff, 0x00, 0x80, 0x7f],
  [0x00, 0x00, 0x00, 0x00],
] as const;

interface Sent {
  type: 'binary' | 'text';
  data: Buffer;
}

/** `message` as frames of the given payload sizes (one frame when none), each with its own mask. */
function frames(message: Sent, sizes: number[], maskOffset: number): Buffer[] {
  const cuts = sizes.length === 0 ? [message.data.length] : sizes;
  const out: Buffer[] = [];
  let start = 0;
  for (const [index, size] of cuts.entries()) {
    const last = index === cuts.length - 1;
    const end = last ? message.data.length : start + size;
    out.push(
      frame({
        opcode: index === 0 ? (message.type === 'binary' ? 2 : 1) : 0,
        fin: last,
        payload: message.data.subarray(start, end),
        mask: MASKS[(maskOffset + index) % MASKS.length],
      }),
    );
    start = end;
  }
  return out;
}

/** Cut `stream` into reads: first `first` bytes, then `size`, `size + 1`, ... (lengths of every residue modulo 8). */
function reads(stream: Buffer, first: number, size: number): Buffer[] {
  const out: Buffer[] = [stream.subarray(0, first)];
  for (let start = first, step = 0; start < stream.length; step++) {
    const end = Math.min(stream.length, start + size + (step % 8));
    out.push(stream.subarray(start, end));
    start = end;
  }
  return out;
}

function serve(): { transport: FeedTransport; connection: Connection; received: Sent[] } {
  const transport = new FeedTransport();
  const connection = new Connection(transport, { role: 'server', clock: new FakeClock() });
  const received: Sent[] = [];
  connection.onRawMessage((data, type) => {
    received.push({ type, data: Buffer.from(data) });
  });
  return { transport, connection, received };
}

describe('binary payload unmasked while it is gathered', () => {
  // Payload sizes for every header length: 7-bit (0, 1, 125), 16-bit (126, 4,099, 65,535), 64-bit.
  const messages: Sent[] = [
    { type: 'binary', data: plain(0, 1) },
    { type: 'binary', data: plain(1, 2) },
    { type: 'binary', data: plain(125, 3) },
    { type: 'binary', data: plain(126, 4) },
    { type: 'binary', data: plain(4099, 5) },
    {
      type: 'text',
      data: Buffer.from('text is unmasked by the parser: its UTF-8 is checked as it comes'.repeat(80)),
    },
    { type: 'binary', data: plain(65535, 6) },
    { type: 'binary', data: plain(65536, 7) },
    { type: 'binary', data: plain(70001, 8) },
  ];

  test('every header length, reads cut at every offset modulo 8 and of every length residue', () => {
    for (const size of [4093, 8 * KiB, 64 * KiB]) {
      for (let first = 1; first <= 16; first++) {
        const stream = Buffer.concat(messages.flatMap((message, index) => frames(message, [], index)));
        const { transport, received } = serve();
        for (const [index, read] of reads(stream, first, size).entries()) transport.feed(read, index % 8);
        assert.equal(received.length, messages.length, `reads of ${size}, first ${first}`);
        for (const [index, message] of messages.entries()) {
          assert.equal(received[index]!.type, message.type);
          assert.ok(
            received[index]!.data.equals(message.data),
            `message ${index} (${message.data.length} bytes), reads of ${size}, first ${first}`,
          );
        }
      }
    }
  });

  test('fragmented messages with a mask per frame and a Ping between fragments keep their phase', () => {
    const message: Sent = { type: 'binary', data: plain(40 * KiB + 7, 9) };
    const fragmentings = [
      [1, 2, 3],
      [5000, 1, 9000, 3],
      [4096, 4097, 4098, 4099, 4100],
      [13, 20 * KiB],
    ];
    const ping = frame({ opcode: 9, payload: 'ping', mask: MASKS[0] });
    for (const [which, sizes] of fragmentings.entries()) {
      for (let first = 1; first <= 9; first++) {
        const pieces = frames(message, sizes, which);
        pieces.splice(1, 0, ping);
        const stream = Buffer.concat(pieces);
        const { transport, received } = serve();
        for (const [index, read] of reads(stream, first, 4 * KiB + 3).entries())
          transport.feed(read, (index * 3) & 7);
        assert.equal(received.length, 1);
        assert.ok(
          received[0]!.data.equals(message.data),
          `fragments ${sizes.join(',')}, first read ${first}`,
        );
      }
    }
  });

  test('a streaming reader taking over a message half gathered reads plain bytes', async () => {
    const message: Sent = { type: 'binary', data: plain(30 * KiB + 3, 10) };
    const stream = Buffer.concat(frames(message, [6 * KiB, 5, 9 * KiB], 1));
    for (const first of [5, 8 * KiB + 3]) {
      const transport = new FeedTransport();
      const connection = new Connection(transport, { role: 'server', clock: new FakeClock() });
      const cut = reads(stream, first, 5 * KiB);
      transport.feed(cut[0]!, 3);
      transport.feed(cut[1]!, 0);
      const { readable } = await connection.readStream();
      for (const read of cut.slice(2)) transport.feed(read, 1);
      const chunks: Uint8Array[] = [];
      for await (const chunk of readable) chunks.push(chunk as Uint8Array);
      assert.ok(Buffer.concat(chunks).equals(message.data), `first read ${first}`);
    }
  });
});
