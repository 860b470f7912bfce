import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyMask, copyMasked, maskKeyBytes, rotateMaskKey } from '../../../src/protocol/mask.js';

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

  test('copyMasked writes the masked copy for every length 0-300 and every pair of alignments', () => {
    const backing = new Uint8Array(320);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 13 + 5) & 0xff;
    for (let length = 0; length <= 300; length += length < 80 ? 1 : 7) {
      for (let sourceAlign = 0; sourceAlign < 8; sourceAlign++) {
        for (let targetAlign = 0; targetAlign < 8; targetAlign++) {
          const source = backing.subarray(sourceAlign, sourceAlign + length);
          const before = Uint8Array.from(source);
          const target = new Uint8Array(length + 20).fill(0xee);
          copyMasked(source, target, targetAlign + 3, mask);
          const where = `length ${length} source ${sourceAlign} target ${targetAlign}`;
          assert.deepEqual(
            target.subarray(targetAlign + 3, targetAlign + 3 + length),
            reference(source, mask, 0),
            where,
          );
          assert.ok(
            target.subarray(0, targetAlign + 3).every((b) => b === 0xee),
            `${where}: before untouched`,
          );
          assert.ok(
            target.subarray(targetAlign + 3 + length).every((b) => b === 0xee),
            `${where}: after untouched`,
          );
          assert.deepEqual(source, before, `${where}: source untouched`);
        }
      }
    }
  });

  test('copyMasked honours the phase for every length 0-200, alignment pair and phase 0-3', () => {
    const backing = new Uint8Array(220);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 29 + 11) & 0xff;
    for (let length = 0; length <= 200; length += length < 80 ? 1 : 5) {
      for (let sourceAlign = 0; sourceAlign < 8; sourceAlign++) {
        for (let targetAlign = 0; targetAlign < 8; targetAlign++) {
          for (let phase = 0; phase < 4; phase++) {
            const source = backing.subarray(sourceAlign, sourceAlign + length);
            const target = new Uint8Array(length + 16).fill(0xee);
            copyMasked(source, target, targetAlign, mask, phase);
            const where = `length ${length} source ${sourceAlign} target ${targetAlign} phase ${phase}`;
            assert.deepEqual(
              target.subarray(targetAlign, targetAlign + length),
              reference(source, mask, phase),
              where,
            );
            assert.ok(
              target.subarray(0, targetAlign).every((b) => b === 0xee),
              `${where}: before untouched`,
            );
            assert.ok(
              target.subarray(targetAlign + length).every((b) => b === 0xee),
              `${where}: after untouched`,
            );
          }
        }
      }
    }
  });

  test('a payload copied in pieces with the running phase equals one masked copy', () => {
    const source = Buffer.alloc(3000);
    for (let i = 0; i < source.length; i++) source[i] = (i * 7) & 0xff;
    const expected = reference(source, mask, 0);
    for (const cut of [1, 3, 5, 7, 64, 65, 1001]) {
      const target = Buffer.alloc(source.length);
      for (let offset = 0; offset < source.length; offset += cut) {
        const piece = source.subarray(offset, Math.min(offset + cut, source.length));
        copyMasked(piece, target, offset, mask, offset);
      }
      assert.ok(target.equals(expected), `pieces of ${cut}`);
    }
  });
});

describe('mask keys as numbers', () => {
  test('maskKeyBytes reads the key big-endian; 0 is the key that changes nothing', () => {
    assert.deepEqual([...maskKeyBytes(0x37fa213d)], [0x37, 0xfa, 0x21, 0x3d]);
    assert.deepEqual([...maskKeyBytes(0xff000001)], [0xff, 0x00, 0x00, 0x01]);
    const data = Buffer.from('unchanged');
    applyMask(data, maskKeyBytes(0), 0);
    assert.equal(data.toString(), 'unchanged');
  });

  test('rotateMaskKey(key, phase) masks from byte 0 what key masks from byte phase on', () => {
    const keys = [0x37fa213d, 0x01020304, 0xffffffff, 0x80000001, 0];
    const data = Buffer.alloc(40);
    for (let i = 0; i < data.length; i++) data[i] = (i * 13 + 1) & 0xff;
    for (const key of keys) {
      const bytes = Uint8Array.from(maskKeyBytes(key));
      const whole = reference(data, bytes, 0);
      for (let phase = 0; phase < 12; phase++) {
        const rotated = rotateMaskKey(key, phase);
        assert.ok(rotated >= 0 && rotated <= 0xffffffff, 'an unsigned 32-bit number');
        const piece = Uint8Array.from(data.subarray(phase));
        applyMask(piece, maskKeyBytes(rotated), 0);
        assert.ok(Buffer.from(piece).equals(whole.subarray(phase)), `key ${key.toString(16)} phase ${phase}`);
      }
    }
    assert.equal(rotateMaskKey(0, 3), 0, 'no key stays no key');
  });
});
