import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PooledMaskSource } from '../../../src/protocol/mask-source.js';

describe('PooledMaskSource', () => {
  test('draws random bytes in blocks, not per mask', () => {
    let calls = 0;
    let counter = 0;
    const source = new PooledMaskSource((target) => {
      calls++;
      for (let i = 0; i < target.length; i++) target[i] = counter++ & 0xff;
    });
    const first = Array.from(source.next());
    const second = Array.from(source.next());
    assert.deepEqual(first, [0, 1, 2, 3]);
    assert.deepEqual(second, [4, 5, 6, 7]);
    for (let i = 0; i < 1022; i++) source.next();
    assert.equal(calls, 1);
    source.next();
    assert.equal(calls, 2);
  });

  test('returns 4 bytes and defaults to WebCrypto (no node: import)', () => {
    const source = new PooledMaskSource();
    const seen = new Set<string>();
    for (let i = 0; i < 64; i++) {
      const mask = source.next();
      assert.equal(mask.length, 4);
      seen.add(Array.from(mask).join(','));
    }
    assert.ok(seen.size > 60, 'masks differ from frame to frame');
  });
});
