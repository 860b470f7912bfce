import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nodeCrypto, nodeRandomFill, nodeSha1 } from '../../../src/node/crypto.js';

describe('node crypto ports', () => {
  test('nodeSha1 returns the 20-byte SHA-1 digest (FIPS 180 "abc" vector)', () => {
    const digest = nodeSha1('abc');
    assert.equal(digest.byteLength, 20);
    assert.equal(Buffer.from(digest).toString('hex'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  });

  test('nodeSha1 hashes the UTF-8 bytes of the input', () => {
    assert.equal(Buffer.from(nodeSha1('')).toString('hex'), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
  });

  test('nodeSha1.base64 is the same digest as base64 text (RFC 6455 1.3 accept-key example)', () => {
    assert.ok(nodeSha1.base64 !== undefined);
    const input = 'dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
    assert.equal(nodeSha1.base64(input), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    assert.equal(nodeSha1.base64('abc'), Buffer.from(nodeSha1('abc')).toString('base64'));
  });

  test('nodeRandomFill fills the whole view and only the view', () => {
    const backing = new Uint8Array(64);
    const view = backing.subarray(8, 40);
    // 32 zero bytes staying zero has probability 2^-256.
    nodeRandomFill(view);
    assert.ok(view.some((b) => b !== 0));
    assert.ok(backing.subarray(0, 8).every((b) => b === 0));
    assert.ok(backing.subarray(40).every((b) => b === 0));
  });

  test('two fills differ', () => {
    const a = new Uint8Array(16);
    const b = new Uint8Array(16);
    nodeRandomFill(a);
    nodeRandomFill(b);
    assert.notDeepEqual(a, b);
  });

  test('nodeCrypto bundles both ports', () => {
    assert.equal(nodeCrypto.sha1, nodeSha1);
    assert.equal(nodeCrypto.randomFill, nodeRandomFill);
  });
});
