import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isValidUtf8, Utf8Validator } from '../../../src/protocol/utf8-validator.js';
import { hex } from '../../helpers/frames.js';

const valid = [
  '',
  'hello',
  'κόσμε',
  '\u0080',
  '\u07ff',
  '\u0800',
  '\ud7ff',
  '\ue000',
  '\uffff',
  '\u{10000}',
  '\u{10ffff}',
  'mixed ascii and ✓ and 😀 end',
];

const invalid: [string, string][] = [
  ['stray continuation', '80'],
  ['stray continuation after ascii', '41 bf'],
  ['overlong 2-byte C0', 'c0 80'],
  ['overlong 2-byte C1', 'c1 bf'],
  ['overlong 3-byte', 'e0 80 80'],
  ['overlong 3-byte E0 9F', 'e0 9f bf'],
  ['overlong 4-byte', 'f0 80 80 80'],
  ['overlong 4-byte F0 8F', 'f0 8f bf bf'],
  ['surrogate U+D800', 'ed a0 80'],
  ['surrogate U+DFFF', 'ed bf bf'],
  ['above U+10FFFF', 'f4 90 80 80'],
  ['lead F5', 'f5 80 80 80'],
  ['byte FF', 'ff'],
  ['byte FE', 'fe'],
  ['lead without continuation', 'c3 41'],
  ['3-byte cut by ascii', 'e2 82 41'],
  ['truncated at end', 'e2 82'],
  ['truncated 4-byte at end', 'f0 9f 98'],
];

describe('Utf8Validator', () => {
  test('accepts well-formed text, including the edges of each range', () => {
    for (const text of valid) assert.ok(isValidUtf8(Buffer.from(text)), JSON.stringify(text));
  });

  test('rejects overlongs, surrogates, > U+10FFFF, stray and truncated sequences', () => {
    for (const [name, bytes] of invalid) assert.equal(isValidUtf8(hex(bytes)), false, name);
  });

  test('agrees with TextDecoder(fatal) on every 1-, 2- and 3-byte prefix space sample', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const check = (bytes: Uint8Array) => {
      let expected = true;
      try {
        decoder.decode(bytes);
      } catch {
        expected = false;
      }
      assert.equal(isValidUtf8(bytes), expected, Buffer.from(bytes).toString('hex'));
    };
    for (let a = 0; a < 256; a++) {
      check(Uint8Array.of(a));
      for (let b = 0; b < 256; b++) check(Uint8Array.of(a, b));
    }
    for (let a = 0xe0; a < 0xf5; a++) for (let b = 0x70; b < 0xd0; b++) check(Uint8Array.of(a, b, 0x80));
  });

  test('validates across every split point with the same answer', () => {
    const samples = [...valid.map((text) => Buffer.from(text)), ...invalid.map(([, bytes]) => hex(bytes))];
    for (const bytes of samples) {
      const expected = isValidUtf8(bytes);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const validator = new Utf8Validator();
        const ok = validator.write(bytes, 0, cut) && validator.write(bytes, cut) && validator.end();
        assert.equal(ok, expected, `${bytes.toString('hex')} cut at ${cut}`);
      }
    }
  });

  test('fails at the first invalid byte, before the rest of the input', () => {
    const validator = new Utf8Validator();
    assert.equal(validator.write(hex('41 42 ed a0')), false);
    assert.ok(validator.failed);
    assert.equal(validator.write(Buffer.from('more')), false, 'stays failed');
    validator.reset();
    assert.ok(validator.write(Buffer.from('ok')) && validator.end());
  });

  test('a sequence cut by a chunk boundary is incomplete until the rest arrives', () => {
    const validator = new Utf8Validator();
    assert.ok(validator.write(hex('f0 9f')));
    assert.equal(validator.complete, false);
    assert.ok(validator.write(hex('98 80')));
    assert.ok(validator.complete);
  });

  test('a narrowed continuation range is forgotten once its sequence ends, even when ASCII ends the chunk', () => {
    // F4 narrows its first continuation to 80-8F; that sequence ends in the next chunk, whose ASCII tail
    // ends the write. The 3-byte E1 90 80 in the chunk after must get the full 80-BF range again.
    // (Found by the fuzz test: a text message cut into 6-byte fragments failed with 1007.)
    for (const [lead, first] of [
      ['f4', '80'],
      ['f0', '90'],
      ['e0', 'a0'],
      ['ed', '80'],
    ] as const) {
      const validator = new Utf8Validator();
      const rest = lead.startsWith('f') ? `${first} 80 80` : `${first} 80`;
      assert.ok(validator.write(hex(`41 ${lead}`)));
      assert.ok(validator.write(hex(`${rest} 00 00`)), lead);
      assert.ok(validator.write(hex('e1 90 80 c2 b0 f3 bf bf bf')), `after ${lead}`);
      assert.ok(validator.end());
    }
  });
});
