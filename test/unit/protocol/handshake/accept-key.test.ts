import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nodeSha1 } from '../../../../src/node/crypto.js';
import {
  computeAcceptKey,
  isWebSocketKey,
  WEBSOCKET_GUID,
} from '../../../../src/protocol/handshake/accept-key.js';

describe('accept-key', () => {
  test('computes the RFC 6455 1.3 example', () => {
    assert.equal(computeAcceptKey('dGhlIHNhbXBsZSBub25jZQ==', nodeSha1), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  test('hashes key + GUID through the port', () => {
    let seen = '';
    const accept = computeAcceptKey('k', (input) => {
      seen = input;
      return new Uint8Array(20);
    });
    assert.equal(seen, `k${WEBSOCKET_GUID}`);
    assert.equal(accept, 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=');
  });

  test("a port's base64 form, when given, is used instead of encoding the bytes", () => {
    let seen = '';
    const port = Object.assign(() => new Uint8Array(20).fill(0xff), {
      base64: (input: string) => {
        seen = input;
        return 'from-base64';
      },
    });
    assert.equal(computeAcceptKey('k', port), 'from-base64');
    assert.equal(seen, `k${WEBSOCKET_GUID}`);
  });

  test('the bytes and the base64 form of nodeSha1 give the same accept key', () => {
    const bytesOnly = (input: string) => nodeSha1(input);
    for (const key of ['dGhlIHNhbXBsZSBub25jZQ==', 'AAAAAAAAAAAAAAAAAAAAAA==', '+/+/+/+/+/+/+/+/+/+/+w==']) {
      assert.equal(computeAcceptKey(key, bytesOnly), computeAcceptKey(key, nodeSha1));
    }
  });

  test('uses only the digest view, not its whole backing buffer', () => {
    const backing = new Uint8Array(40).fill(0xff);
    const digest = backing.subarray(10, 30).fill(0);
    assert.equal(
      computeAcceptKey('k', () => digest),
      'AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    );
  });

  test('isWebSocketKey accepts base64 of 16 bytes only', () => {
    assert.equal(isWebSocketKey('dGhlIHNhbXBsZSBub25jZQ=='), true);
    assert.equal(isWebSocketKey('AAAAAAAAAAAAAAAAAAAAAA=='), true);
    assert.equal(isWebSocketKey('dGhlIHNhbXBsZSBub25jZQ'), false, 'unpadded');
    assert.equal(isWebSocketKey('dGhlIHNhbXBsZSBub25jZQ=== '), false);
    assert.equal(isWebSocketKey('dGhlIHNhbXBsZSBub25j'), false, '15 bytes');
    assert.equal(isWebSocketKey('AAAAAAAAAAAAAAAAAAAAAAAA'), false, '18 bytes');
    assert.equal(
      isWebSocketKey('AAAAAAAAAAAAAAAAAAAAA-==') || isWebSocketKey('AAAAAAAAAAAAAAAAAAAAA_=='),
      false,
      'base64url',
    );
    assert.equal(isWebSocketKey(''), false);
  });
});
