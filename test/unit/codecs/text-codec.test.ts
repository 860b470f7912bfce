import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { textCodec } from '../../../src/codecs/text-codec.js';
import { WebSocketError } from '../../../src/errors.js';

describe('textCodec', () => {
  test('passes strings through as text and refuses binary messages', () => {
    assert.equal(textCodec.type, 'text');
    assert.equal(textCodec.encode('héllo'), 'héllo');
    assert.equal(textCodec.decode('héllo'), 'héllo');
    assert.throws(() => textCodec.decode(Buffer.from('x')), WebSocketError);
    assert.throws(() => textCodec.encode(1 as unknown as string), WebSocketError);
  });
});
