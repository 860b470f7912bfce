import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { binaryCodec } from '../../../src/codecs/binary-codec.js';
import { WebSocketError } from '../../../src/errors.js';

describe('binaryCodec', () => {
  test('passes bytes through as binary and refuses text messages', () => {
    assert.equal(binaryCodec.type, 'binary');
    const bytes = new Uint8Array([1, 2]);
    assert.equal(binaryCodec.encode(bytes), bytes);
    assert.equal(binaryCodec.decode(bytes), bytes);
    assert.throws(() => binaryCodec.decode('text'), WebSocketError);
    assert.throws(() => binaryCodec.encode('x' as unknown as Uint8Array), WebSocketError);
  });
});
