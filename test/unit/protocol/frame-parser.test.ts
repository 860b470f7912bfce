import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProtocolError } from '../../../src/errors.js';
import { FrameParser, type FrameParserHandler, ParserState } from '../../../src/protocol/frame-parser.js';
import { feedBytewise, feedSplit, frame, hex, RFC_MASK } from '../../helpers/frames.js';

interface Seen {
  headers: { fin: boolean; rsv: number; opcode: number; masked: boolean; length: number }[];
  payloads: { data: Buffer; end: boolean; view: Buffer }[];
  errors: ProtocolError[];
}

function recorder(reject?: (parser: FrameParser) => boolean): { parser: FrameParser; seen: Seen } {
  const seen: Seen = { headers: [], payloads: [], errors: [] };
  const handler: FrameParserHandler = {
    onFrameHeader(parser) {
      seen.headers.push({
        fin: parser.fin,
        rsv: (parser.rsv1 ? 4 : 0) | (parser.rsv2 ? 2 : 0) | (parser.rsv3 ? 1 : 0),
        opcode: parser.opcode,
        masked: parser.masked,
        length: parser.payloadLength,
      });
      if (reject?.(parser)) parser.stop();
    },
    onFramePayload(payload, end) {
      seen.payloads.push({ data: Buffer.from(payload), end, view: payload });
    },
    onFrameError(error) {
      seen.errors.push(error);
    },
  };
  const parser = new FrameParser(handler);
  return { parser, seen };
}

function joined(seen: Seen): string {
  return Buffer.concat(seen.payloads.map((p) => p.data)).toString();
}

describe('FrameParser', () => {
  test('reads the header fields of RFC 6455 section 5.7 examples', () => {
    const { parser, seen } = recorder();
    parser.parse(hex('01 03 48 65 6c 80 02 6c 6f 81 85 37 fa 21 3d 7f 9f 4d 51 58'));
    assert.deepEqual(seen.headers, [
      { fin: false, rsv: 0, opcode: 1, masked: false, length: 3 },
      { fin: true, rsv: 0, opcode: 0, masked: false, length: 2 },
      { fin: true, rsv: 0, opcode: 1, masked: true, length: 5 },
    ]);
    assert.equal(joined(seen), 'HelloHello');
  });

  test('reports RSV bits and reserved opcodes without judging them', () => {
    const { parser, seen } = recorder();
    parser.parse(frame({ opcode: 3, rsv1: true, rsv3: true, payload: 'x' }));
    assert.deepEqual(seen.headers[0], { fin: true, rsv: 5, opcode: 3, masked: false, length: 1 });
  });

  test('16- and 64-bit lengths', () => {
    const { parser, seen } = recorder();
    parser.parse(frame({ opcode: 2, payload: Buffer.alloc(300), lengthBits: 16 }));
    parser.parse(frame({ opcode: 2, payload: Buffer.alloc(70000) }));
    parser.parse(frame({ opcode: 2, payload: Buffer.alloc(5), lengthBits: 64 }));
    assert.deepEqual(
      seen.headers.map((h) => h.length),
      [300, 70000, 5],
    );
  });

  test('delivers payload as zero-copy views into the chunk, unmasked in place', () => {
    const { parser, seen } = recorder();
    const chunk = frame({ opcode: 2, payload: 'abcdef', mask: RFC_MASK });
    parser.parse(chunk);
    const view = seen.payloads[0]!.view;
    assert.equal(view.buffer, chunk.buffer);
    assert.equal(chunk.subarray(6).toString(), 'abcdef', 'unmasked inside the chunk');
  });

  test('a large frame arrives piece by piece, never buffered', () => {
    const { parser, seen } = recorder();
    const payload = Buffer.alloc(100_000, 0x61);
    const bytes = frame({ opcode: 2, payload, mask: RFC_MASK });
    feedSplit((c) => parser.parse(c), bytes, [5000, 20000, 60000]);
    assert.deepEqual(
      seen.payloads.map((p) => [p.data.length, p.end]),
      [
        [5000 - 14, false],
        [15000, false],
        [40000, false],
        [bytes.length - 60000, true],
      ],
    );
    assert.deepEqual(Buffer.concat(seen.payloads.map((p) => p.data)), payload);
  });

  test('a claimed 1 GiB frame allocates nothing: its header is reported before any payload', () => {
    const { parser, seen } = recorder(() => true);
    parser.parse(frame({ opcode: 2, declaredLength: 2 ** 30, mask: RFC_MASK }));
    assert.equal(seen.headers[0]!.length, 2 ** 30);
    assert.equal(seen.payloads.length, 0);
    assert.equal(parser.state, ParserState.stopped);
  });

  test('control frames split across chunks are gathered and delivered whole', () => {
    const { parser, seen } = recorder();
    const bytes = frame({ opcode: 9, payload: 'ping payload', mask: RFC_MASK });
    feedBytewise((c) => parser.parse(c), bytes);
    assert.equal(seen.payloads.length, 1);
    assert.equal(seen.payloads[0]!.data.toString(), 'ping payload');
    assert.ok(seen.payloads[0]!.end);
  });

  test('an empty frame arrives as one empty payload with frameEnd', () => {
    const { parser, seen } = recorder();
    parser.parse(hex('82 00 8a 00'));
    assert.deepEqual(
      seen.payloads.map((p) => [p.data.length, p.end]),
      [
        [0, true],
        [0, true],
      ],
    );
  });

  test('every split point and one byte at a time give the same frames', () => {
    const bytes = Buffer.concat([
      frame({ opcode: 1, fin: false, payload: 'Hel', mask: RFC_MASK }),
      frame({ opcode: 9, payload: 'p', mask: [1, 2, 3, 4] }),
      frame({ opcode: 0, payload: 'lo', mask: RFC_MASK }),
      frame({ opcode: 2, payload: Buffer.alloc(200, 7), mask: [9, 8, 7, 6] }),
      frame({ opcode: 2, payload: Buffer.alloc(3, 1), lengthBits: 64, mask: [9, 8, 7, 6] }),
    ]);
    const whole = recorder();
    whole.parser.parse(Buffer.from(bytes));
    const expected = Buffer.concat(whole.seen.payloads.map((p) => p.data));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const split = recorder();
      feedSplit((c) => split.parser.parse(c), bytes, [cut]);
      assert.deepEqual(split.seen.headers, whole.seen.headers, `cut ${cut}`);
      assert.deepEqual(Buffer.concat(split.seen.payloads.map((p) => p.data)), expected, `cut ${cut}`);
    }
    const bytewise = recorder();
    feedBytewise((c) => bytewise.parser.parse(c), bytes);
    assert.deepEqual(bytewise.seen.headers, whole.seen.headers);
    assert.deepEqual(Buffer.concat(bytewise.seen.payloads.map((p) => p.data)), expected);
  });

  test('a 64-bit length with the top bit set is an error 1002', () => {
    const { parser, seen } = recorder();
    parser.parse(hex('82 7f 80 00 00 00 00 00 00 01'));
    assert.equal(seen.errors[0]?.closeCode, 1002);
    assert.equal(seen.headers.length, 0);
    assert.equal(parser.state, ParserState.stopped);
  });

  test('a 64-bit length above 2^53 - 1 is an error 1009', () => {
    const { parser, seen } = recorder();
    parser.parse(hex('82 7f 00 20 00 00 00 00 00 00'));
    assert.equal(seen.errors[0]?.closeCode, 1009);
  });

  test('2^53 - 1 is accepted as a length', () => {
    const { parser, seen } = recorder(() => true);
    parser.parse(hex('82 7f 00 1f ff ff ff ff ff ff'));
    assert.equal(seen.headers[0]!.length, Number.MAX_SAFE_INTEGER);
  });

  test('stop() makes it ignore the rest of the input', () => {
    const { parser, seen } = recorder((p) => p.opcode === 8);
    parser.parse(Buffer.concat([hex('88 00'), hex('81 01 61')]));
    parser.parse(hex('81 01 61'));
    assert.equal(seen.headers.length, 1);
  });
});
