// Payload handed on still masked (FrameParser.leaveMasked, ProtocolOptions.leaveBinaryMasked): a data
// frame split across chunks arrives with the key that unmasks each piece from its first byte, a
// frame whole in one chunk is unmasked in place as before, and text, compressed and control payloads
// are always plain. Checked against a byte-by-byte XOR (RFC 6455 5.3).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PerMessageExtension } from '../../../src/protocol/extensions/extension.js';
import { FrameParser } from '../../../src/protocol/frame-parser.js';
import { maskKeyBytes } from '../../../src/protocol/mask.js';
import { Protocol } from '../../../src/protocol/protocol.js';
import { frame } from '../../helpers/frames.js';

const MASK = [0x9a, 0x01, 0xe7, 0x5c] as const;

function plain(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index++) bytes[index] = (index * 11 + 3) % 249;
  return bytes;
}

/** Reference unmasking of a chunk reported with `key` (0: plain). */
function unmasked(chunk: Buffer, key: number): Buffer {
  const keyBytes = Uint8Array.from(maskKeyBytes(key));
  const out = Buffer.alloc(chunk.length);
  for (let index = 0; index < chunk.length; index++) out[index] = chunk[index]! ^ keyBytes[index % 4]!;
  return out;
}

/** Cut `bytes` at `first`, then every `size` bytes. */
function cut(bytes: Buffer, first: number, size: number): Buffer[] {
  const out = [bytes.subarray(0, first)];
  for (let start = first; start < bytes.length; start += size) out.push(bytes.subarray(start, start + size));
  return out;
}

describe('FrameParser.leaveMasked', () => {
  // 7-, 16- and 64-bit lengths.
  for (const length of [1, 125, 126, 1000, 65535, 65536, 70001]) {
    test(`a ${length}-byte frame split at every offset modulo 8 arrives with keys that unmask it`, () => {
      const payload = plain(length);
      const bytes = frame({ opcode: 2, payload, mask: MASK });
      for (let first = 1; first <= 16; first++) {
        for (const size of [3, 4096, 8191]) {
          if (size === 3 && length > 1000) continue; // a byte-sized cut of a big frame adds nothing
          const pieces: { data: Buffer; key: number; end: boolean }[] = [];
          const parser = new FrameParser({
            onFrameHeader(p) {
              p.leaveMasked = true;
            },
            onFramePayload(data, end) {
              pieces.push({ data: Buffer.from(data), key: parser.payloadKey, end });
            },
            onFrameError(error) {
              throw error;
            },
          });
          const chunks = cut(Buffer.from(bytes), first, size);
          for (const chunk of chunks) parser.parse(chunk);
          const got = Buffer.concat(pieces.map((piece) => unmasked(piece.data, piece.key)));
          assert.ok(got.equals(payload), `first ${first}, size ${size}`);
          assert.ok(pieces.at(-1)!.end);
          if (pieces.length === 1)
            assert.equal(pieces[0]!.key, 0, 'a frame whole in one chunk is unmasked in place');
          else
            assert.ok(
              pieces.some((piece) => piece.key !== 0),
              'a split frame is left masked',
            );
        }
      }
    });
  }

  test('is cleared by every header: a control frame and the next frame are unmasked unless asked again', () => {
    const payload = plain(300);
    const bytes = Buffer.concat([
      frame({ opcode: 2, payload, mask: MASK, fin: false }),
      frame({ opcode: 9, payload: 'ping', mask: MASK }),
      frame({ opcode: 0, payload, mask: MASK }),
    ]);
    const keys: { frame: number; key: number }[] = [];
    const data: Buffer[] = [];
    let headers = 0;
    const parser = new FrameParser({
      onFrameHeader(p) {
        if (headers++ === 0) p.leaveMasked = true; // only the first frame
      },
      onFramePayload(chunk) {
        keys.push({ frame: headers, key: parser.payloadKey });
        data.push(unmasked(chunk, parser.payloadKey));
      },
      onFrameError(error) {
        throw error;
      },
    });
    for (const chunk of cut(bytes, 101, 100)) parser.parse(chunk);
    const first = keys.filter((piece) => piece.frame === 1);
    assert.ok(
      first.length > 1 && first.every((piece) => piece.key !== 0),
      'the first frame, split, stays masked',
    );
    const later = keys.filter((piece) => piece.frame > 1);
    assert.ok(
      later.length > 2 && later.every((piece) => piece.key === 0),
      'the ping and the next frame are plain',
    );
    assert.equal(
      Buffer.concat(data).toString('latin1'),
      Buffer.concat([payload, Buffer.from('ping'), payload]).toString('latin1'),
    );
  });
});

describe('ProtocolOptions.leaveBinaryMasked', () => {
  function receive(options: { leaveBinaryMasked?: boolean; extension?: PerMessageExtension }, bytes: Buffer) {
    const seen: { data: Buffer; key: number }[] = [];
    const protocol = new Protocol(
      {
        onMessageStart() {},
        onMessageData(chunk, _end, _frameLeft, key) {
          seen.push({ data: Buffer.from(chunk), key });
        },
        onPing() {},
        onPong() {},
        onCloseFrame() {},
        onOutput() {},
        onFail(error) {
          throw error;
        },
      },
      { role: 'server', ...options },
    );
    for (const chunk of cut(bytes, 7, 1000)) protocol.receive(chunk);
    return seen;
  }

  test('binary frames split across reads come masked, with keys that unmask them', () => {
    const payload = plain(5000);
    const seen = receive({ leaveBinaryMasked: true }, frame({ opcode: 2, payload, mask: MASK }));
    assert.ok(seen.some((piece) => piece.key !== 0));
    assert.ok(Buffer.concat(seen.map((piece) => unmasked(piece.data, piece.key))).equals(payload));
  });

  test('text is always plain (its UTF-8 is checked as it arrives)', () => {
    const text = 'plain text, checked as UTF-8 on arrival: é ü ✓ '.repeat(100);
    const seen = receive({ leaveBinaryMasked: true }, frame({ opcode: 1, payload: text, mask: MASK }));
    assert.ok(seen.every((piece) => piece.key === 0));
    assert.equal(Buffer.concat(seen.map((piece) => piece.data)).toString(), text);
  });

  test('a compressed message is always plain (it is inflated here)', () => {
    const identity: PerMessageExtension = {
      name: 'x-identity',
      decompress: (chunk) => Buffer.from(chunk),
      compress: (data) => data,
      dispose() {},
    };
    const payload = plain(3000);
    const bytes = frame({ opcode: 2, rsv1: true, payload, mask: MASK });
    const seen = receive({ leaveBinaryMasked: true, extension: identity }, bytes);
    assert.ok(seen.every((piece) => piece.key === 0));
    assert.ok(Buffer.concat(seen.map((piece) => piece.data)).equals(payload));
  });

  test('off by default: every chunk is plain', () => {
    const payload = plain(5000);
    const seen = receive({}, frame({ opcode: 2, payload, mask: MASK }));
    assert.ok(seen.length > 1 && seen.every((piece) => piece.key === 0));
    assert.ok(Buffer.concat(seen.map((piece) => piece.data)).equals(payload));
  });
});
