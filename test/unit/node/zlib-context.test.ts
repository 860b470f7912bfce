import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import { assertSyncZlib, ZlibContext, ZlibDataError } from '../../../src/node/zlib-context.js';

describe('ZlibContext: the synchronous adapter over Node zlib', () => {
  test('this Node offers the synchronous handle (the startup check passes)', () => {
    assert.doesNotThrow(() => assertSyncZlib());
  });

  test('a deflate context keeps its history across calls, each ending in a sync flush', () => {
    const deflater = new ZlibContext('deflate', 15);
    const first = deflater.process(Buffer.from('Hello'), 1000) as Buffer;
    assert.deepEqual(first, Buffer.from([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff]));
    // RFC 7692 7.2.3.2: the second "Hello" is a back-reference into the shared window.
    const second = deflater.process(Buffer.from('Hello'), 1000) as Buffer;
    assert.deepEqual(second, Buffer.from([0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff]));
    deflater.reset();
    assert.deepEqual(deflater.process(Buffer.from('Hello'), 1000), first);
    deflater.close();
  });

  test('process returns undefined once the output passes the limit', () => {
    const data = zlib.deflateRawSync(Buffer.alloc(100_000));
    const inflater = new ZlibContext('inflate', 15);
    assert.equal(inflater.process(data, 99_999), undefined);
    inflater.close();
    const again = new ZlibContext('inflate', 15);
    assert.equal(again.process(data, 100_000)?.length, 100_000);
    again.close();
  });

  test('corrupt input throws ZlibDataError synchronously, with no later error event', async () => {
    const inflater = new ZlibContext('inflate', 15);
    assert.throws(
      () => inflater.process(Buffer.from([0xff, 0xff, 0xff, 0xff]), 1000),
      (error: unknown) => error instanceof ZlibDataError && error.code === 'Z_DATA_ERROR',
    );
    inflater.close();
    // An 'error' emitted on a later tick would be an uncaught exception and fail this test file.
    await new Promise((resolve) => setImmediate(resolve));
  });

  test('unread counts input left after the end of the deflate stream', () => {
    const inflater = new ZlibContext('inflate', 15);
    const stream = Buffer.concat([zlib.deflateRawSync(Buffer.from('abc')), Buffer.from([1, 2, 3])]);
    assert.equal(inflater.process(stream, 1000)?.toString(), 'abc');
    assert.equal(inflater.unread, 3);
    inflater.reset();
    assert.equal(inflater.unread, 0);
    inflater.close();
  });
});

/** Raw deflate with a sync flush, as a permessage-deflate peer sends it (00 00 ff ff kept). */
function deflated(data: Buffer): Buffer {
  return zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
}

/** Random bytes that compress (bytes 0..15 only) so the output size, not the input, is the point. */
function lowEntropy(size: number): Buffer {
  const data = randomBytes(size);
  for (let i = 0; i < size; i++) data[i] = (data[i] as number) & 0x0f;
  return data;
}

describe('ZlibContext: output through the shared scratch', () => {
  test('every output is a Buffer of its own: later calls of any context leave it unchanged', () => {
    const first = lowEntropy(5000);
    const second = lowEntropy(5000);
    const inflater = new ZlibContext('inflate', 15);
    const other = new ZlibContext('inflate', 15);
    const deflater = new ZlibContext('deflate', 15);
    const out1 = inflater.process(deflated(first), 1_000_000) as Buffer;
    inflater.reset();
    const out2 = other.process(deflated(second), 1_000_000) as Buffer;
    const out3 = deflater.process(second, 1_000_000) as Buffer;
    const out4 = inflater.process(deflated(first), 1_000_000) as Buffer;
    assert.deepEqual(out1, first);
    assert.deepEqual(out2, second);
    assert.deepEqual(zlib.inflateRawSync(out3, { finishFlush: zlib.constants.Z_SYNC_FLUSH }), second);
    assert.deepEqual(out4, first);
    // Exact size, and no byte shared with another output.
    assert.equal(out1.length, 5000);
    out4.fill(0);
    assert.deepEqual(out1, first);
    for (const context of [inflater, other, deflater]) context.close();
  });

  test('small outputs never share bytes with each other, nor with a later output', () => {
    const inflater = new ZlibContext('inflate', 15);
    const outputs: Buffer[] = [];
    const messages: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      const message = lowEntropy(100 + i * 97); // 100 B .. 3.9 KiB: carved from the shared slab
      messages.push(message);
      outputs.push(inflater.process(deflated(message), 1_000_000) as Buffer);
      inflater.reset();
    }
    for (const output of outputs.slice(0, 20)) output.fill(0xee);
    for (let i = 20; i < 40; i++) assert.deepEqual(outputs[i], messages[i]);
    inflater.close();
  });

  test('the outputs of several writes come out as one buffer (a chunk, then 00 00 ff ff)', () => {
    const message = lowEntropy(3000);
    const wire = deflated(message);
    const inflater = new ZlibContext('inflate', 15);
    const cut = Math.floor(wire.length / 2);
    assert.equal(inflater.write(wire.subarray(0, cut), 1_000_000), true);
    assert.equal(inflater.write(wire.subarray(cut), 1_000_000), true);
    assert.deepEqual(inflater.takeOutput(), message);
    // Taken: nothing is left for a second take.
    assert.equal(inflater.takeOutput().length, 0);
    inflater.close();
  });

  test('output longer than the 64 KiB scratch comes out whole, at every size around the edge', () => {
    for (const size of [65_535, 65_536, 65_537, 131_072, 200_001]) {
      const message = lowEntropy(size);
      const inflater = new ZlibContext('inflate', 15);
      const output = inflater.process(deflated(message), size) as Buffer;
      assert.equal(output.length, size, `size ${size}`);
      assert.ok(output.equals(message), `size ${size}`);
      inflater.close();
    }
  });

  test('the limit holds exactly, also when the output crosses the scratch', () => {
    for (const size of [4096, 65_536, 65_537, 100_000]) {
      const wire = deflated(lowEntropy(size));
      const exact = new ZlibContext('inflate', 15);
      assert.equal(exact.process(wire, size)?.length, size, `size ${size} at its limit`);
      exact.close();
      const short = new ZlibContext('inflate', 15);
      assert.equal(short.process(wire, size - 1), undefined, `size ${size} over its limit`);
      // The failed call left nothing behind: the scratch serves the next context from zero.
      const next = new ZlibContext('inflate', 15);
      assert.deepEqual(next.process(deflated(Buffer.from('after')), 100), Buffer.from('after'));
      short.close();
      next.close();
    }
  });

  test('takeOutputView lends the scratch itself: valid until the next write of any context', () => {
    const deflater = new ZlibContext('deflate', 15);
    const message = lowEntropy(2000);
    deflater.write(message, Number.MAX_SAFE_INTEGER);
    const view = deflater.takeOutputView();
    const copy = Buffer.from(view);
    assert.deepEqual(zlib.inflateRawSync(copy, { finishFlush: zlib.constants.Z_SYNC_FLUSH }), message);
    // The view is reused memory: another context's output lands on the same bytes.
    const other = new ZlibContext('deflate', 15);
    other.process(Buffer.alloc(2000, 0x61), Number.MAX_SAFE_INTEGER);
    assert.notDeepEqual(view, copy);
    // The copy taken before is the caller's own and did not move.
    assert.deepEqual(zlib.inflateRawSync(copy, { finishFlush: zlib.constants.Z_SYNC_FLUSH }), message);
    deflater.close();
    other.close();
  });

  test("output left untaken is dropped, never mixed into the next context's output", () => {
    const abandoned = new ZlibContext('inflate', 15);
    assert.equal(abandoned.write(deflated(Buffer.from('left behind')), 100), true);
    const next = new ZlibContext('inflate', 15);
    assert.deepEqual(next.process(deflated(Buffer.from('mine')), 100), Buffer.from('mine'));
    assert.equal(abandoned.takeOutput().length, 0);
    abandoned.close();
    next.close();
  });

  test('closing a context with output pending, or a corrupt input, frees the scratch', () => {
    const closed = new ZlibContext('inflate', 15);
    closed.write(deflated(Buffer.from('pending')), 100);
    closed.close();
    const corrupt = new ZlibContext('inflate', 15);
    assert.equal(corrupt.write(deflated(Buffer.from('good start ')), 100), true);
    assert.throws(() => corrupt.write(Buffer.from([0xff, 0xff, 0xff, 0xff]), 100), ZlibDataError);
    corrupt.close();
    const next = new ZlibContext('inflate', 15);
    assert.deepEqual(next.process(deflated(Buffer.from('clean')), 100), Buffer.from('clean'));
    next.close();
  });

  test('an inflater refuses a reference past its window plus one step, even within one scratch', () => {
    // 10-bit window (1 KiB), steps of 4 KiB: repeats 6,000 bytes apart are out of reach. One zlib call
    // over the whole 12,000 bytes would accept them (inflate reads back into its own output too).
    const block = randomBytes(6000);
    const inflater = new ZlibContext('inflate', 10);
    assert.throws(() => inflater.process(deflated(Buffer.concat([block, block])), 1_000_000), ZlibDataError);
    inflater.close();
  });
});
