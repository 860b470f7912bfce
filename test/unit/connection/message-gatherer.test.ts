// MessageGatherer (src/connection/message-gatherer.ts): a message in progress is held in memory that
// follows its payload bytes however it is fragmented (RFC 6455 5.4), and `held` (what the budget is
// charged) is what the kept buffers really are.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHUNK_OVERHEAD, MessageGatherer } from '../../../src/connection/message-gatherer.js';

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
});
