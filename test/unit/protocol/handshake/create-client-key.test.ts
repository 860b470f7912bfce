import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nodeRandomFill } from '../../../../src/node/crypto.js';
import { isWebSocketKey } from '../../../../src/protocol/handshake/accept-key.js';
import { createClientKey } from '../../../../src/protocol/handshake/create-client-key.js';

describe('createClientKey', () => {
  test('base64-encodes the 16 bytes the random port gives', () => {
    const key = createClientKey((target) => {
      assert.equal(target.byteLength, 16);
      for (let i = 0; i < target.length; i++) target[i] = i;
    });
    assert.equal(key, 'AAECAwQFBgcICQoLDA0ODw==');
    assert.equal(Buffer.from(key, 'base64').length, 16);
  });

  test('with the Node port, keys are valid and differ per call', () => {
    const a = createClientKey(nodeRandomFill);
    const b = createClientKey(nodeRandomFill);
    assert.ok(isWebSocketKey(a));
    assert.ok(isWebSocketKey(b));
    assert.notEqual(a, b);
  });
});
