import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  COMBINE_THRESHOLD,
  frameHeaderSize,
  serializeFrame,
} from '../../../src/protocol/frame-serializer.js';
import { frame, hex, RFC_MASK } from '../../helpers/frames.js';

const mask = Uint8Array.from(RFC_MASK);

function serialize(
  opcode: number,
  payload: Uint8Array,
  options: { fin?: boolean; rsv1?: boolean; mask?: Uint8Array | null } = {},
) {
  const out: Buffer[] = [];
  const count = serializeFrame(
    opcode,
    options.fin ?? true,
    options.rsv1 ?? false,
    payload,
    options.mask ?? null,
    out,
  );
  const bytes = Buffer.concat(out);
  assert.equal(count, bytes.length, 'returns the byte count appended');
  return { out, bytes };
}

describe('serializeFrame', () => {
  test('RFC 6455 section 5.7 examples', () => {
    assert.deepEqual(serialize(1, Buffer.from('Hello')).bytes, hex('81 05 48 65 6c 6c 6f'));
    assert.deepEqual(
      serialize(1, Buffer.from('Hello'), { mask }).bytes,
      hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'),
    );
    assert.deepEqual(serialize(1, Buffer.from('Hel'), { fin: false }).bytes, hex('01 03 48 65 6c'));
    assert.deepEqual(serialize(0, Buffer.from('lo')).bytes, hex('80 02 6c 6f'));
    assert.deepEqual(serialize(9, Buffer.from('Hello')).bytes, hex('89 05 48 65 6c 6c 6f'));
    assert.deepEqual(serialize(2, Buffer.alloc(256)).bytes.subarray(0, 4), hex('82 7e 01 00'));
    assert.deepEqual(
      serialize(2, Buffer.alloc(65536)).bytes.subarray(0, 10),
      hex('82 7f 00 00 00 00 00 01 00 00'),
    );
  });

  test('length encodings at the 125/126 and 65535/65536 edges', () => {
    for (const length of [0, 1, 125, 126, 127, 65535, 65536, 70000]) {
      for (const masked of [false, true]) {
        const payload = Buffer.alloc(length, 0x5a);
        const { bytes } = serialize(2, payload, { mask: masked ? mask : null });
        assert.deepEqual(
          bytes,
          frame({ opcode: 2, payload, mask: masked ? RFC_MASK : null }),
          `${length} ${masked}`,
        );
        assert.equal(bytes.length, frameHeaderSize(length, masked) + length);
      }
    }
  });

  test('sets RSV1 and clears FIN as asked', () => {
    assert.equal(serialize(1, Buffer.from('x'), { rsv1: true }).bytes[0], 0xc1);
    assert.equal(serialize(1, Buffer.from('x'), { fin: false, rsv1: true }).bytes[0], 0x41);
  });

  test('masking never changes the caller buffer', () => {
    for (const length of [5, 100, 5000]) {
      const payload = Buffer.alloc(length, 0x61);
      const before = Buffer.from(payload);
      serialize(2, payload, { mask });
      assert.deepEqual(payload, before);
    }
  });

  test('small frames are one Buffer; large unmasked ones reference the payload after a header', () => {
    assert.equal(serialize(2, Buffer.alloc(COMBINE_THRESHOLD)).out.length, 1);
    const large = Buffer.alloc(COMBINE_THRESHOLD + 1);
    const { out } = serialize(2, large);
    assert.equal(out.length, 2);
    assert.equal(out[1], large, 'the payload is pushed as is, not copied');
    assert.equal(
      serialize(2, large, { mask }).out.length,
      1,
      'masked frames are copied once, with the header',
    );
  });

  test('accepts a plain Uint8Array payload', () => {
    const payload = new Uint8Array(COMBINE_THRESHOLD + 10).fill(1);
    const { out } = serialize(2, payload);
    assert.ok(Buffer.isBuffer(out[1]));
  });

  test('masked frames are right for payloads at any alignment and size (word-wise copy path)', () => {
    const backing = Buffer.alloc(70_000);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 7) & 0xff;
    for (const length of [63, 64, 65, 127, 128, 200, 4000, 4200, 66_000]) {
      for (let align = 0; align < 8; align++) {
        const payload = backing.subarray(align, align + length);
        const { bytes } = serialize(2, payload, { mask });
        assert.deepEqual(bytes, frame({ opcode: 2, payload, mask: RFC_MASK }), `${length} at ${align}`);
      }
    }
  });

  test('frames carved from the shared slab never overlap', () => {
    const frames: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const { out } = serialize(2, Buffer.alloc(i % 300, i & 0xff), { mask: i % 2 ? mask : null });
      frames.push(...out);
    }
    for (let i = 0; i < 2000; i++) {
      const length = i % 300;
      const expected = frame({
        opcode: 2,
        payload: Buffer.alloc(length, i & 0xff),
        mask: i % 2 ? RFC_MASK : null,
      });
      assert.deepEqual(frames[i], expected, `frame ${i}`);
    }
  });
});
