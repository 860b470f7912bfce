import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyMask } from '../../../src/protocol/mask.js';

function reference(data: Uint8Array, mask: Uint8Array, phase: number): Uint8Array {
  return data.map((byte, i) => byte ^ mask[(i + phase) % 4]!);
}

describe('applyMask', () => {
  const mask = Uint8Array.from([0x37, 0xfa, 0x21, 0x3d]);

  test('masks "Hello" as in RFC 6455 section 5.7', () => {
    const data = Buffer.from('Hello');
    applyMask(data, mask);
    assert.deepEqual([...data], [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  });

  test('is its own inverse', () => {
    const data = Buffer.from('a longer message that takes the word path of the mask loop, twice over');
    const original = Buffer.from(data);
    applyMask(data, mask);
    assert.notDeepEqual(data, original);
    applyMask(data, mask);
    assert.deepEqual(data, original);
  });

  test('matches the byte-wise definition for every length 0-300, alignment 0-7 and phase 0-3', () => {
    const backing = new Uint8Array(310);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 31 + 7) & 0xff;
    for (let length = 0; length <= 300; length++) {
      for (let align = 0; align < 8; align++) {
        for (let phase = 0; phase < 4; phase++) {
          const copy = Uint8Array.from(backing);
          const view = copy.subarray(align, align + length);
          const expected = reference(view, mask, phase);
          applyMask(view, mask, phase);
          assert.deepEqual(view, expected, `length ${length} align ${align} phase ${phase}`);
          assert.deepEqual(copy.subarray(0, align), backing.subarray(0, align), 'bytes before untouched');
          assert.deepEqual(
            copy.subarray(align + length),
            backing.subarray(align + length),
            'bytes after untouched',
          );
        }
      }
    }
  });

  test('a payload masked in pieces with the running phase equals one pass', () => {
    const whole = Buffer.alloc(1000, 0x61);
    const pieces = Buffer.from(whole);
    applyMask(whole, mask);
    let offset = 0;
    for (const size of [1, 3, 7, 64, 200, 725]) {
      applyMask(pieces.subarray(offset, offset + size), mask, offset);
      offset += size;
    }
    assert.deepEqual(pieces, whole);
  });
});
