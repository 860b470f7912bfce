// MessageGatherer (src/connection/message-gatherer.ts): a message in progress is held in memory that
// follows its payload bytes however it is fragmented (RFC 6455 5.4), and `held` (what the budget is
// charged) is what the kept buffers really are.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHUNK_OVERHEAD, MessageGatherer } from '../../../src/connection/message-gatherer.js';
import { maskKeyBytes, rotateMaskKey } from '../../../src/protocol/mask.js';

const KiB = 1024;

/** One big read whose byte k is k & 0xff; chunks are slices of it, as frames are of a socket read. */
const READ = Buffer.alloc(192 * KiB);
for (let index = 0; index < READ.length; index++) READ[index] = index & 0xff;

/** Bytes start..start+length-1 of the pattern, as a small slice of a big read (so it is copied). */
function sliceOfRead(length: number, start = 0): Buffer {
  return READ.subarray(start, start + length);
}

/** A chunk that is its whole read (a view worth keeping as is). */
function wholeRead(length: number, fill: number): Buffer {
  return Buffer.alloc(length, fill);
}

describe('MessageGatherer', () => {
  test('65,536 one-byte chunks are held in under twice their bytes, in a few buffers', () => {
    const gatherer = new MessageGatherer();
    let charged = 0;
    for (let index = 0; index < 65536; index++) charged += gatherer.add(sliceOfRead(1, index));
    assert.equal(gatherer.bytes, 65536);
    assert.equal(charged, gatherer.held, 'add() returns the changes of held');
    // Doubling from 256 bytes: 256, 256, 512, ... 32 KiB: under 2x the bytes, 10 buffers' bookkeeping.
    assert.ok(
      gatherer.held <= 2 * 65536 + 16 * CHUNK_OVERHEAD,
      `held ${gatherer.held} for 65,536 bytes (65,536 views would be ${65536 * (1 + CHUNK_OVERHEAD)})`,
    );
    const message = gatherer.finish(sliceOfRead(1, 65536));
    assert.equal(message.length, 65537);
    for (let index = 0; index < message.length; index++)
      assert.equal(message[index], index & 0xff, `byte ${index}`);
    assert.equal(gatherer.held, 0);
    assert.ok(gatherer.empty);
  });

  test('a chunk that is most of its read is kept as a view, not copied, until the final join', () => {
    const gatherer = new MessageGatherer();
    const first = wholeRead(64 * KiB, 1);
    assert.equal(gatherer.add(first), 64 * KiB + CHUNK_OVERHEAD);
    first[0] = 9; // a view sees the change; a copy would not
    const message = gatherer.finish(wholeRead(64 * KiB, 2));
    assert.equal(message.length, 128 * KiB);
    assert.equal(message[0], 9);
    assert.equal(message[64 * KiB], 2);
  });

  test('a small slice of a big read is copied: the message does not keep the read alive', () => {
    const gatherer = new MessageGatherer();
    const slice = sliceOfRead(10);
    gatherer.add(slice);
    assert.equal(gatherer.held, 256 + CHUNK_OVERHEAD, 'the smallest buffer, charged in full');
    const message = gatherer.finish(sliceOfRead(5, 10));
    assert.deepEqual([...message], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    assert.ok(message.buffer.byteLength <= 256, `backing store ${message.buffer.byteLength} bytes`);
  });

  test('a frame cut by a read boundary is copied once, into a buffer of its declared size', () => {
    const gatherer = new MessageGatherer();
    gatherer.add(sliceOfRead(3 * KiB), 7 * KiB); // 7 KiB of the frame still to come
    assert.equal(gatherer.held, 10 * KiB + CHUNK_OVERHEAD);
    const rest = sliceOfRead(7 * KiB, 3 * KiB);
    const message = gatherer.finish(rest);
    assert.equal(message.length, 10 * KiB);
    assert.equal(message.buffer.byteLength, 10 * KiB, 'the message is that buffer: no second copy');
    for (let index = 0; index < message.length; index++) assert.equal(message[index], index & 0xff);
  });

  test('a claimed frame size is trusted with at most 16 KiB', () => {
    const gatherer = new MessageGatherer();
    gatherer.add(sliceOfRead(1), 64 * 1024 * 1024);
    assert.equal(gatherer.held, 256 + CHUNK_OVERHEAD, 'one byte in hand: a small buffer, whatever the claim');
    gatherer.clear();
    gatherer.add(sliceOfRead(1), 16 * KiB - 1);
    assert.equal(gatherer.held, 16 * KiB + CHUNK_OVERHEAD);
  });

  test('a buffer left under half full by a view is trimmed; views and copies keep their order', () => {
    const gatherer = new MessageGatherer();
    gatherer.add(sliceOfRead(1, 0x11));
    gatherer.add(wholeRead(8 * KiB, 0x22));
    assert.equal(
      gatherer.held,
      1 + CHUNK_OVERHEAD + 8 * KiB + CHUNK_OVERHEAD,
      'the 256-byte buffer became 1 byte',
    );
    gatherer.add(sliceOfRead(1, 0x33));
    gatherer.add(wholeRead(8 * KiB, 0x44));
    const parts = gatherer.take();
    assert.deepEqual(
      parts.map((part) => [part.length, part[0]]),
      [
        [1, 0x11],
        [8 * KiB, 0x22],
        [1, 0x33],
        [8 * KiB, 0x44],
      ],
    );
    assert.equal(gatherer.held, 0, 'taken: the caller holds them now');
  });

  test('held stays within about twice the bytes for any mix of views and tiny chunks', () => {
    const gatherer = new MessageGatherer();
    let bytes = 0;
    let views = 0;
    for (let round = 0; round < 200; round++) {
      const tiny = 1 + (round % 7) * 50;
      for (let index = 0; index < round % 13; index++) {
        gatherer.add(sliceOfRead(tiny));
        bytes += tiny;
      }
      if (round % 3 === 0) {
        gatherer.add(wholeRead(4 * KiB, 0));
        bytes += 4 * KiB;
        views++;
      }
      // Each view, the buffer it closed, and the doubling buffers since: that many parts at most.
      const parts = 2 * views + 16;
      assert.ok(
        gatherer.held <= 2 * bytes + 256 + parts * CHUNK_OVERHEAD,
        `round ${round}: held ${gatherer.held} for ${bytes} bytes`,
      );
    }
    assert.equal(gatherer.bytes, bytes);
    assert.equal(gatherer.finish(Buffer.alloc(0)).length, bytes);
  });

  describe('chunks still masked (ProtocolOptions.leaveBinaryMasked)', () => {
    /** The plain message: byte k is a function of k that repeats only every 251 bytes. */
    function plain(length: number, seed = 0): Buffer {
      const bytes = Buffer.alloc(length);
      for (let index = 0; index < length; index++) bytes[index] = (index * 7 + seed) % 251;
      return bytes;
    }

    /** Reference XOR, byte by byte: `bytes` masked with `key` from its byte `phase` on. */
    function masked(bytes: Buffer, key: number, phase: number): Buffer {
      const keyBytes = Uint8Array.from(maskKeyBytes(key));
      const out = Buffer.alloc(bytes.length);
      for (let index = 0; index < bytes.length; index++)
        out[index] = bytes[index]! ^ keyBytes[(index + phase) % 4]!;
      return out;
    }

    /**
     * `bytes` masked with `key` from frame offset `phase`, as a read of its own whose payload starts at
     * byte offset `at` (so a chunk of 4 KiB or more is kept as a view), with the key as it applies
     * from the chunk's first byte (what the parser reports).
     */
    function read(bytes: Buffer, key: number, phase: number, at: number): [Buffer, number] {
      const chunk = Buffer.alloc(at + bytes.length).subarray(at);
      masked(bytes, key, phase).copy(chunk);
      return [chunk, rotateMaskKey(key, phase)];
    }

    const KEY = 0x37fa213d;

    test('one frame cut at every offset modulo 8, its reads at every alignment, joins to the plain bytes', () => {
      const message = plain(3 * 8 * KiB + 13);
      for (let firstCut = 1; firstCut <= 9; firstCut++) {
        for (const bigFirst of [false, true]) {
          for (let at = 0; at < 8; at++) {
            const gatherer = new MessageGatherer();
            const cuts = [bigFirst ? 4 * KiB + firstCut : firstCut];
            while (cuts[cuts.length - 1]! + 8 * KiB < message.length)
              cuts.push(cuts[cuts.length - 1]! + 8 * KiB);
            let start = 0;
            for (const [index, end] of cuts.entries()) {
              // Reads after the first keep one alignment, or wander (a partial read of odd length).
              const [chunk, key] = read(
                message.subarray(start, end),
                KEY,
                start,
                index === 0 ? at : (at * index) & 7,
              );
              gatherer.add(chunk, message.length - end, key);
              start = end;
            }
            const [last, lastKey] = read(message.subarray(start), KEY, start, 0);
            const joined = gatherer.finish(last, lastKey);
            assert.ok(joined.equals(message), `first cut ${cuts[0]}, alignment ${at}`);
            assert.ok(gatherer.empty);
          }
        }
      }
    });

    test('fragments with their own keys, cut into views and small copies, keep their phase', () => {
      const frames = [5000, 3, 9000, 1, 4100, 130];
      const keys = [0x01020304, 0xdeadbeef, 0x80000001, 0x7f7f7f7f, 0xfffefdfc, 0x37fa213d];
      const message = plain(
        frames.reduce((sum, length) => sum + length, 0),
        5,
      );
      for (let cut = 1; cut <= 8; cut++) {
        for (const taken of [false, true]) {
          const gatherer = new MessageGatherer();
          const chunks: [Buffer, number][] = [];
          let start = 0;
          for (const [index, length] of frames.entries()) {
            const payload = message.subarray(start, start + length);
            // Each frame: a small first piece (copied), then the rest (a view when 4 KiB or more).
            const first = Math.min(cut, length);
            chunks.push(read(payload.subarray(0, first), keys[index]!, 0, (cut + index) & 7));
            if (first < length)
              chunks.push(read(payload.subarray(first), keys[index]!, first, (cut * index) & 7));
            start += length;
          }
          const [last, lastKey] = chunks.pop()!;
          for (const [chunk, key] of chunks) gatherer.add(chunk, 0, key);
          let joined: Buffer;
          if (taken) {
            // A streaming reader takes over: what it gets is plain, then the rest arrives as it is sent.
            const parts = gatherer.take();
            const rest = Buffer.from(last);
            const keyBytes = maskKeyBytes(lastKey);
            for (let index = 0; index < rest.length; index++)
              rest[index] = rest[index]! ^ keyBytes[index % 4]!;
            joined = Buffer.concat([...parts, rest]);
          } else {
            joined = gatherer.finish(last, lastKey);
          }
          assert.ok(joined.equals(message), `first pieces of ${cut} bytes, ${taken ? 'taken' : 'finished'}`);
        }
      }
    });

    test('a masked last chunk that fits the one open buffer is unmasked into it: one copy', () => {
      const message = plain(10 * KiB, 9);
      const gatherer = new MessageGatherer();
      const [first, firstKey] = read(message.subarray(0, 3 * KiB), KEY, 0, 0);
      // A slice of a bigger read: copied into a buffer sized for the frame.
      const inBigRead = Buffer.alloc(64 * KiB).subarray(5, 5 + first.length);
      first.copy(inBigRead);
      gatherer.add(inBigRead, 7 * KiB, firstKey);
      const [last, lastKey] = read(message.subarray(3 * KiB), KEY, 3 * KiB, 3);
      const joined = gatherer.finish(last, lastKey);
      assert.ok(joined.equals(message));
      assert.equal(joined.buffer.byteLength, 10 * KiB, 'the buffer opened for the frame is the message');
    });

    test('a masked chunk copied across two buffers keeps its phase in the second', () => {
      for (let used = 1; used <= 8; used++) {
        const message = plain(used + 1000, 4);
        const gatherer = new MessageGatherer();
        // `used` bytes open a 256-byte buffer; the next chunk fills it and spills into a new one.
        gatherer.add(sliceOfRead(used), 0, 0);
        message.subarray(0, used).set(sliceOfRead(used));
        const [chunk, key] = read(message.subarray(used, used + 999), KEY, 1, 0);
        const inBigRead = Buffer.alloc(8 * KiB).subarray(3, 3 + chunk.length);
        chunk.copy(inBigRead);
        gatherer.add(inBigRead, 0, key);
        const [last, lastKey] = read(message.subarray(used + 999), KEY, 1000, 0);
        assert.ok(gatherer.finish(last, lastKey).equals(message), `${used} bytes before`);
      }
    });

    test('a message that is one masked view is unmasked in place, not copied', () => {
      const message = plain(6 * KiB, 2);
      const gatherer = new MessageGatherer();
      const [chunk, key] = read(message, KEY, 2, 1);
      gatherer.add(chunk, 0, key);
      const joined = gatherer.finish(Buffer.alloc(0), 0);
      assert.equal(joined.buffer, chunk.buffer, 'the same memory');
      assert.ok(joined.equals(message));
    });

    test('the join starts at the alignment its masked views share with their places in it', () => {
      const message = plain(4 * 8 * KiB);
      for (let at = 0; at < 8; at++) {
        const gatherer = new MessageGatherer();
        for (let start = 0; start < message.length - 8 * KiB; start += 8 * KiB) {
          const [chunk, key] = read(message.subarray(start, start + 8 * KiB), KEY, start, at);
          gatherer.add(chunk, 0, key);
        }
        const [last, lastKey] = read(
          message.subarray(message.length - 8 * KiB),
          KEY,
          message.length - 8 * KiB,
          at,
        );
        const joined = gatherer.finish(last, lastKey);
        assert.ok(joined.equals(message));
        assert.equal(joined.byteOffset & 7, at, 'every view copies word by word into its place');
      }
    });
  });
});
