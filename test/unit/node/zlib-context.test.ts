import assert from 'node:assert/strict';
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
