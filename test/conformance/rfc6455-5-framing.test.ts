// RFC 6455 sections 5 (data framing), 6 (sending and receiving data) and 8.1 (UTF-8), as bytes in
// and exact events and bytes out. Each test name states the MUST it proves.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { prepareMessage } from '../../src/connection/prepared-message.js';
import { Protocol, type ProtocolOptions, type Role } from '../../src/protocol/protocol.js';
import { macrotask, rawPair, until } from '../helpers/connection-pair.js';
import { InvertingExtension, invert } from '../helpers/fake-extension.js';
import {
  clientFrame,
  feedBytewise,
  feedSplit,
  fixedMaskSource,
  frame,
  hex,
  RecordingHandler,
  sequenceMaskSource,
  toHex,
} from '../helpers/frames.js';

function make(role: Role, options: Partial<ProtocolOptions> = {}) {
  const handler = new RecordingHandler();
  const protocol = new Protocol(handler, { role, maskSource: fixedMaskSource(), ...options });
  return { handler, protocol };
}

/**
 * Events for `bytes` fed whole, after checking that every split point and byte-at-a-time give the
 * same events. (Only a fault may differ: a chunked stream can deliver the valid part of a message
 * before the bad byte arrives, so the `partial` prefix before a failure is left out of the match.)
 */
function receive(role: Role, bytes: Buffer, options: Partial<ProtocolOptions> = {}): string[] {
  const whole = make(role, options);
  whole.protocol.receive(Buffer.from(bytes));
  const expected = comparable(whole.handler.summary());
  for (let cut = 1; cut < bytes.length; cut++) {
    const split = make(role, options);
    feedSplit((chunk) => split.protocol.receive(chunk), bytes, [cut]);
    assert.deepEqual(comparable(split.handler.summary()), expected, `split at ${cut}`);
  }
  const bytewise = make(role, options);
  feedBytewise((chunk) => bytewise.protocol.receive(chunk), bytes);
  assert.deepEqual(comparable(bytewise.handler.summary()), expected, 'one byte at a time');
  return whole.handler.summary();
}

function comparable(events: string[]): string[] {
  return joinData(events).filter((event) => !event.startsWith('partial'));
}

/** Data events depend on chunking; join consecutive ones so summaries compare across chunkings. */
function joinData(events: string[]): string[] {
  const out: string[] = [];
  let pending: string[] | null = null;
  for (const event of events) {
    if (event.startsWith('data')) {
      const end = event.endsWith(' end');
      const body = event.slice(5, end ? -4 : undefined).trim();
      pending ??= [];
      if (body) pending.push(body);
      if (end) {
        out.push(`message ${pending.join(' ')}`.trimEnd());
        pending = null;
      }
    } else {
      if (pending) {
        out.push(`partial ${pending.join(' ')}`.trimEnd());
        pending = null;
      }
      out.push(event);
    }
  }
  if (pending) out.push(`partial ${pending.join(' ')}`.trimEnd());
  return out;
}

const FAIL_1002 = ['output 88 02 03 ea', 'fail 1002'];
const FAIL_1002_CLIENT = ['output 88 82 37 fa 21 3d 34 10', 'fail 1002'];
const FAIL_1007 = ['output 88 02 03 ef', 'fail 1007'];
const FAIL_1009 = ['output 88 02 03 f1', 'fail 1009'];

function sent(build: (out: Buffer[]) => number): string {
  const out: Buffer[] = [];
  build(out);
  return toHex(Buffer.concat(out));
}

describe('RFC 6455', () => {
  describe('5.1 Overview', () => {
    test('a server MUST close the connection upon receiving a frame that is not masked (1002)', () => {
      assert.deepEqual(receive('server', frame({ opcode: 1, payload: 'Hello' })), FAIL_1002);
    });

    test('a server MUST close on an unmasked control frame too', () => {
      assert.deepEqual(receive('server', frame({ opcode: 9 })), FAIL_1002);
    });

    test('a client MUST close the connection if it detects a masked frame (1002, masked close)', () => {
      assert.deepEqual(receive('client', clientFrame({ opcode: 1, payload: 'Hello' })), FAIL_1002_CLIENT);
    });

    test('a client MUST mask all frames it sends', () => {
      const { protocol } = make('client');
      assert.equal(
        sent((out) => protocol.frameMessage('binary', Buffer.alloc(0), out)),
        '82 80 37 fa 21 3d',
      );
      assert.equal(
        sent((out) => protocol.framePing(Buffer.alloc(0), out)),
        '89 80 37 fa 21 3d',
      );
      assert.equal(
        sent((out) => protocol.framePong(Buffer.alloc(0), out)),
        '8a 80 37 fa 21 3d',
      );
      assert.equal(
        sent((out) => protocol.frameClose(1000, '', out)),
        '88 82 37 fa 21 3d 34 12',
      );
    });

    test('a server MUST NOT mask any frames it sends', () => {
      const { protocol } = make('server');
      assert.equal(
        sent((out) => protocol.frameMessage('text', Buffer.from('Hi'), out)),
        '81 02 48 69',
      );
      assert.equal(
        sent((out) => protocol.frameClose(1000, '', out)),
        '88 02 03 e8',
      );
    });
  });

  describe('5.2 Base Framing Protocol', () => {
    test('RSV1 MUST be 0 unless an extension defining it was negotiated (1002)', () => {
      assert.deepEqual(receive('server', clientFrame({ opcode: 1, rsv1: true, payload: 'x' })), FAIL_1002);
    });

    test('RSV2 MUST be 0: no negotiated extension defines it (1002)', () => {
      assert.deepEqual(receive('server', clientFrame({ opcode: 2, rsv2: true })), FAIL_1002);
      const extension = new InvertingExtension();
      assert.deepEqual(receive('server', clientFrame({ opcode: 2, rsv2: true }), { extension }), FAIL_1002);
    });

    test('RSV3 MUST be 0 (1002)', () => {
      assert.deepEqual(receive('server', clientFrame({ opcode: 2, rsv3: true })), FAIL_1002);
    });

    test('an endpoint receiving a reserved non-control opcode 0x3-0x7 MUST fail (1002)', () => {
      for (let opcode = 3; opcode <= 7; opcode++) {
        assert.deepEqual(receive('server', clientFrame({ opcode, payload: 'x' })), FAIL_1002, String(opcode));
      }
    });

    test('an endpoint receiving a reserved control opcode 0xB-0xF MUST fail (1002)', () => {
      for (let opcode = 0xb; opcode <= 0xf; opcode++) {
        assert.deepEqual(receive('server', clientFrame({ opcode })), FAIL_1002, String(opcode));
      }
    });

    test('the 7-bit, 16-bit and 64-bit payload lengths are all read', () => {
      for (const [length, bits] of [
        [125, 7],
        [126, 16],
        [65535, 16],
        [65536, 64],
        [3, 16],
        [3, 64],
      ] as const) {
        const { handler, protocol } = make('server');
        protocol.receive(clientFrame({ opcode: 2, payload: Buffer.alloc(length, 0x61), lengthBits: bits }));
        assert.equal(handler.messages()[0]!.data.length, length, `${length} as ${bits}-bit`);
      }
    });

    test('the most significant bit of a 64-bit length MUST be 0 (1002)', () => {
      assert.deepEqual(receive('server', hex('82 ff 80 00 00 00 00 00 00 00 37 fa 21 3d')), FAIL_1002);
    });

    test('a payload length beyond 2^53 - 1 cannot be processed (1009)', () => {
      assert.deepEqual(receive('server', hex('82 ff 00 20 00 00 00 00 00 00 37 fa 21 3d')), FAIL_1009);
    });

    test('the payload length is the length of the payload: frames follow each other exactly', () => {
      const bytes = Buffer.concat([
        clientFrame({ opcode: 1, payload: 'a' }),
        clientFrame({ opcode: 2, payload: 'bc' }),
      ]);
      assert.deepEqual(receive('server', bytes), [
        'start text',
        'data 61 end',
        'start binary',
        'data 62 63 end',
      ]);
    });

    test('the minimal number of bytes MUST be used to encode the length: 7 bits to 125, 16 to 65535, 64 above', () => {
      const server = make('server').protocol;
      for (const [length, header] of [
        [0, '82 00'],
        [125, '82 7d'],
        [126, '82 7e 00 7e'],
        [65535, '82 7e ff ff'],
        [65536, '82 7f 00 00 00 00 00 01 00 00'],
      ] as const) {
        const out: Buffer[] = [];
        const size = server.frameMessage('binary', Buffer.alloc(length), out);
        const bytes = Buffer.concat(out);
        assert.equal(toHex(bytes.subarray(0, header.length / 3 + 1)), header, String(length));
        assert.equal(size, bytes.length);
        assert.equal(bytes.length, (header.length + 1) / 3 + length, String(length));
      }
      // The same rule for a masked client frame, a streamed fragment and a control frame.
      const client = make('client').protocol;
      assert.equal(
        sent((out) => client.frameMessage('binary', Buffer.alloc(126), out)).slice(0, 23),
        '82 fe 00 7e 37 fa 21 3d',
      );
      assert.equal(
        sent((out) => server.frameFragment('text', Buffer.alloc(126, 0x61), true, out)).slice(0, 11),
        '81 7e 00 7e',
      );
      assert.equal(sent((out) => server.framePing(Buffer.alloc(125), out)).slice(0, 5), '89 7d');
    });
  });

  describe('5.3 Client-to-Server Masking', () => {
    test('the server unmasks with the 32-bit key from the header (payload[i] ^ key[i mod 4])', () => {
      assert.deepEqual(receive('server', hex('81 85 37 fa 21 3d 7f 9f 4d 51 58')), [
        'start text',
        'data 48 65 6c 6c 6f end',
      ]);
    });

    test('the client MUST pick a fresh masking key for each frame', () => {
      const { protocol } = make('client', {
        maskSource: sequenceMaskSource([
          [1, 2, 3, 4],
          [5, 6, 7, 8],
        ]),
      });
      assert.equal(
        sent((out) => protocol.frameMessage('binary', hex('00 00'), out)),
        '82 82 01 02 03 04 01 02',
      );
      assert.equal(
        sent((out) => protocol.frameMessage('binary', hex('00 00'), out)),
        '82 82 05 06 07 08 05 06',
      );
    });

    test('the key phase carries across frame chunks: a masked payload split anywhere unmasks right', () => {
      const payload = Buffer.from('the quick brown fox jumps over the lazy dog');
      const events = receive('server', clientFrame({ opcode: 1, payload }));
      assert.deepEqual(events, ['start text', `data ${toHex(payload)} end`]);
    });

    test('the default keys are unpredictable (checked statistically): 2100 frames, across pool refills', () => {
      // No maskSource: the PooledMaskSource over WebCrypto that production clients use.
      const protocol = new Protocol(new RecordingHandler(), { role: 'client' });
      const keys: number[] = [];
      const byteValues = new Set<number>();
      for (let i = 0; i < 2100; i++) {
        const out: Buffer[] = [];
        protocol.frameMessage('binary', Buffer.alloc(0), out);
        const bytes = Buffer.concat(out);
        assert.equal(bytes[1], 0x80, 'MASK bit set, length 0');
        keys.push(bytes.readUInt32BE(2));
        for (const value of bytes.subarray(2, 6)) byteValues.add(value);
      }
      // 2100 random 32-bit keys repeat one about once in 2,000 runs; ten repeats mean a broken source.
      assert.ok(new Set(keys).size >= 2090, 'a fresh key for each frame');
      // A counter or a fixed step would pass the test above; the step between keys must vary too.
      const steps = new Set(keys.slice(1).map((key, i) => (key - keys[i]!) >>> 0));
      assert.ok(steps.size >= 2090, 'one key does not give the next');
      // 8400 random bytes miss one of the 256 values with a probability near 1e-14.
      assert.equal(byteValues.size, 256, 'every byte value appears');
    });
  });

  describe('5.4 Fragmentation', () => {
    test('a fragmented message is one message: first frame opcode, continuations, FIN on the last', () => {
      const bytes = Buffer.concat([
        clientFrame({ opcode: 1, fin: false, payload: 'Hel' }),
        clientFrame({ opcode: 0, fin: false, payload: 'l' }),
        clientFrame({ opcode: 0, payload: 'o' }),
      ]);
      assert.deepEqual(joinData(receive('server', bytes)), ['start text', 'message 48 65 6c 6c 6f']);
    });

    test('control frames MAY be injected in the middle of a fragmented message', () => {
      const bytes = Buffer.concat([
        clientFrame({ opcode: 1, fin: false, payload: 'Hel' }),
        clientFrame({ opcode: 9, payload: 'p' }),
        clientFrame({ opcode: 0, payload: 'lo' }),
      ]);
      assert.deepEqual(receive('server', bytes), [
        'start text',
        'data 48 65 6c',
        'ping 70',
        'data 6c 6f end',
      ]);
    });

    test('fragments of one message MUST NOT be interleaved with another data message (1002)', () => {
      const bytes = Buffer.concat([
        clientFrame({ opcode: 1, fin: false, payload: 'a' }),
        clientFrame({ opcode: 2, payload: 'b' }),
      ]);
      assert.deepEqual(receive('server', bytes), ['start text', 'data 61', ...FAIL_1002]);
    });

    test('a continuation frame with no message to continue fails (1002)', () => {
      assert.deepEqual(receive('server', clientFrame({ opcode: 0, payload: 'x' })), FAIL_1002);
      const afterEnd = Buffer.concat([
        clientFrame({ opcode: 1, payload: 'a' }),
        clientFrame({ opcode: 0, payload: 'b' }),
      ]);
      assert.deepEqual(receive('server', afterEnd), ['start text', 'data 61 end', ...FAIL_1002]);
    });

    test('an endpoint MUST be capable of handling control frames in the middle of a fragmented message', () => {
      const bytes = Buffer.concat([
        clientFrame({ opcode: 2, fin: false, payload: 'a' }),
        clientFrame({ opcode: 10, payload: 'x' }),
        clientFrame({ opcode: 9 }),
        clientFrame({ opcode: 0, fin: false, payload: '' }),
        clientFrame({ opcode: 0, payload: 'b' }),
      ]);
      assert.deepEqual(receive('server', bytes), [
        'start binary',
        'data 61',
        'pong 78',
        'ping',
        'data 62 end',
      ]);
    });

    test('a sender MUST NOT interleave two messages: a data message inside a streamed one is refused', () => {
      const { protocol } = make('server');
      const out: Buffer[] = [];
      protocol.frameFragment('text', Buffer.from('Hel'), false, out);
      assert.throws(() => protocol.frameMessage('binary', hex('00'), []), { code: 'ERR_INVALID_ARGUMENT' });
      assert.throws(() => protocol.frameFragment('binary', hex('00'), true, []), {
        code: 'ERR_INVALID_ARGUMENT',
      });
      protocol.framePing(Buffer.from('p'), out); // control frames may go between fragments
      protocol.frameFragment('text', Buffer.from('lo'), true, out);
      assert.equal(toHex(Buffer.concat(out)), '01 03 48 65 6c 89 01 70 80 02 6c 6f');
    });

    test('a sender MAY fragment at any size: frameMessage with fragmentSize', () => {
      const { protocol } = make('server', { fragmentSize: 3 });
      assert.equal(
        sent((out) => protocol.frameMessage('text', Buffer.from('Hello'), out)),
        '01 03 48 65 6c 80 02 6c 6f',
      );
    });
  });

  describe('5.5 Control Frames', () => {
    test('all control frames MUST have a payload length of 125 bytes or less (126 fails, 1002)', () => {
      assert.deepEqual(receive('server', clientFrame({ opcode: 9, payload: Buffer.alloc(126) })), FAIL_1002);
      assert.deepEqual(receive('server', clientFrame({ opcode: 9, payload: Buffer.alloc(125, 1) })), [
        `ping ${toHex(Buffer.alloc(125, 1))}`,
      ]);
    });

    test('a control frame length is judged from the header, even in 16-bit form', () => {
      assert.deepEqual(receive('server', clientFrame({ opcode: 10, payload: 'x', lengthBits: 16 })), [
        'pong 78',
      ]);
      assert.deepEqual(
        receive('server', clientFrame({ opcode: 10, declaredLength: 200, payload: '' }).subarray(0, 8)),
        FAIL_1002,
      );
    });

    test('control frames MUST NOT be fragmented (1002)', () => {
      assert.deepEqual(receive('server', clientFrame({ opcode: 9, fin: false })), FAIL_1002);
      assert.deepEqual(receive('server', clientFrame({ opcode: 8, fin: false })), FAIL_1002);
    });

    test('RSV1 is not defined for control frames (1002, even with an extension)', () => {
      const extension = new InvertingExtension();
      assert.deepEqual(receive('server', clientFrame({ opcode: 9, rsv1: true }), { extension }), FAIL_1002);
    });

    test('sending a control frame over 125 bytes is refused', () => {
      const { protocol } = make('server');
      assert.throws(() => protocol.framePing(Buffer.alloc(126), []), /125/);
    });
  });

  describe('5.5.1 Close', () => {
    test('the close body, if any, MUST start with a 2-byte code; a 1-byte body fails (1002)', () => {
      assert.deepEqual(receive('server', clientFrame({ opcode: 8, payload: hex('03') })), FAIL_1002);
    });

    test('on a Close, an endpoint that has not sent one MUST send a Close in response (echoing the code)', () => {
      assert.deepEqual(receive('server', clientFrame({ opcode: 8, payload: hex('03 e8 62 79 65') })), [
        'output 88 02 03 e8',
        'close 1000 bye',
      ]);
    });

    test('a client echo is masked', () => {
      assert.deepEqual(receive('client', frame({ opcode: 8, payload: hex('0f a0') })), [
        'output 88 82 37 fa 21 3d 38 5a',
        'close 4000',
      ]);
    });

    test('after sending a Close, an endpoint MUST NOT send any more data frames', () => {
      const { protocol } = make('server');
      protocol.frameClose(1000, '', []);
      assert.throws(() => protocol.frameMessage('text', Buffer.from('late'), []), { code: 'ERR_CLOSED' });
    });

    test('after receiving a Close, the endpoint ignores anything the peer sends', () => {
      const bytes = Buffer.concat([
        clientFrame({ opcode: 8, payload: hex('03 e8') }),
        clientFrame({ opcode: 1, payload: 'after' }),
        hex('ff ff ff'),
      ]);
      assert.deepEqual(receive('server', bytes), ['output 88 02 03 e8', 'close 1000']);
    });

    test('a Close MAY arrive in the middle of a fragmented message and is handled at once', () => {
      const bytes = Buffer.concat([
        clientFrame({ opcode: 1, fin: false, payload: 'a' }),
        clientFrame({ opcode: 8, payload: hex('03 e9') }),
      ]);
      assert.deepEqual(receive('server', bytes), [
        'start text',
        'data 61',
        'output 88 02 03 e9',
        'close 1001',
      ]);
    });
  });

  describe('5.5.2 Ping', () => {
    test('a Ping is reported with its application data (any bytes, up to 125)', () => {
      assert.deepEqual(receive('server', clientFrame({ opcode: 9, payload: hex('00 ff 80') })), [
        'ping 00 ff 80',
      ]);
    });

    test('a Ping split across chunks is reported once, whole', () => {
      const { handler, protocol } = make('server');
      feedBytewise((chunk) => protocol.receive(chunk), clientFrame({ opcode: 9, payload: 'abc' }));
      assert.deepEqual(handler.summary(), ['ping 61 62 63']);
    });

    test("no Pong is due for a Ping that follows the peer's Close: the core does not report it", () => {
      const bytes = Buffer.concat([
        clientFrame({ opcode: 8, payload: hex('03 e8') }),
        clientFrame({ opcode: 9, payload: 'p' }),
      ]);
      assert.deepEqual(receive('server', bytes), ['output 88 02 03 e8', 'close 1000']);
    });

    test('a Ping received after our Close (the peer has not closed yet) MUST still get a Pong', async () => {
      const { connection, peer } = rawPair({ role: 'server' });
      try {
        void connection.close(1000, '');
        await until(() => peer.frames().length === 1, 100);
        peer.send(clientFrame({ opcode: 9, payload: 'p' }));
        for (let i = 0; i < 5; i++) await macrotask();
        const pongs = peer.frames().filter((f) => f.opcode === 0xa);
        assert.deepEqual(
          pongs.map((f) => f.payload.toString()),
          ['p'],
        );
      } finally {
        connection.terminate();
      }
    });
  });

  describe('5.5.3 Pong', () => {
    test('a Pong frame sent in response MUST carry the application data of the Ping (framePong)', () => {
      const { protocol } = make('server');
      assert.equal(
        sent((out) => protocol.framePong(hex('00 ff 80'), out)),
        '8a 03 00 ff 80',
      );
    });

    test('an unsolicited Pong is reported and needs no response', () => {
      assert.deepEqual(receive('server', clientFrame({ opcode: 10, payload: 'hb' })), ['pong 68 62']);
    });
  });

  describe('5.6 Data Frames', () => {
    test('text MUST be UTF-8 when sent: bytes sent as text that are not UTF-8 are refused, nothing goes out', async () => {
      const { connection, peer } = rawPair({ role: 'server' });
      try {
        assert.throws(() => connection.send(Buffer.from([0xed, 0xa0, 0x80]), { binary: false }), {
          code: 'ERR_INVALID_ARGUMENT',
        });
        assert.throws(() => prepareMessage(Buffer.from([0xc0, 0xaf]), { binary: false }), {
          code: 'ERR_INVALID_ARGUMENT',
        });
        connection.send(Buffer.from('é', 'utf8'), { binary: false });
        await until(() => peer.frames().length === 1, 100);
        assert.deepEqual(
          peer.frames().map((frame) => [frame.opcode, frame.payload.toString('hex')]),
          [[1, 'c3a9']],
        );
      } finally {
        connection.terminate();
      }
    });

    test('a text stream is checked across chunks: a character split between writes is fine, a bad one fails it', async () => {
      const { connection, peer } = rawPair({ role: 'server' });
      try {
        const good = connection.writeStream('text').getWriter();
        await good.write(Buffer.from([0xc3]));
        await good.write(Buffer.from([0xa9]));
        await good.close();
        const bad = connection.writeStream('text').getWriter();
        await bad.write(Buffer.from([0xe2, 0x82]));
        await assert.rejects(bad.close(), { code: 'ERR_INVALID_ARGUMENT' });
        const closed = await connection.closed;
        assert.equal(closed.code, 1011, 'a truncated text message fails the connection, as an abort does');
        const opcodes = peer.frames().map((frame) => frame.opcode);
        assert.deepEqual(opcodes.slice(0, 3), [1, 0, 0], 'the good message went out as fragments with FIN');
      } finally {
        connection.terminate();
      }
    });

    test('text (0x1) and binary (0x2) messages are reported with their type', () => {
      const bytes = Buffer.concat([
        clientFrame({ opcode: 1, payload: 'é' }),
        clientFrame({ opcode: 2, payload: hex('ff') }),
      ]);
      assert.deepEqual(receive('server', bytes), [
        'start text',
        'data c3 a9 end',
        'start binary',
        'data ff end',
      ]);
    });

    test('empty messages are messages', () => {
      const bytes = Buffer.concat([clientFrame({ opcode: 1 }), clientFrame({ opcode: 2 })]);
      assert.deepEqual(receive('server', bytes), ['start text', 'data end', 'start binary', 'data end']);
    });
  });

  describe('5.7 Examples', () => {
    test('single-frame unmasked text "Hello" (client view)', () => {
      assert.deepEqual(receive('client', hex('81 05 48 65 6c 6c 6f')), [
        'start text',
        'data 48 65 6c 6c 6f end',
      ]);
    });

    test('single-frame masked text "Hello" (server view)', () => {
      assert.deepEqual(receive('server', hex('81 85 37 fa 21 3d 7f 9f 4d 51 58')), [
        'start text',
        'data 48 65 6c 6c 6f end',
      ]);
    });

    test('fragmented unmasked text "Hel" + "lo"', () => {
      assert.deepEqual(receive('client', hex('01 03 48 65 6c 80 02 6c 6f')), [
        'start text',
        'data 48 65 6c',
        'data 6c 6f end',
      ]);
    });

    test('unmasked Ping and masked Pong with body "Hello"', () => {
      assert.deepEqual(receive('client', hex('89 05 48 65 6c 6c 6f')), ['ping 48 65 6c 6c 6f']);
      assert.deepEqual(receive('server', hex('8a 85 37 fa 21 3d 7f 9f 4d 51 58')), ['pong 48 65 6c 6c 6f']);
    });

    test('256 bytes and 64 KiB binary in one unmasked frame', () => {
      const small = hex('82 7e 01 00');
      assert.deepEqual(receive('client', Buffer.concat([small, Buffer.alloc(256, 0x61)])).length, 2);
      const { handler, protocol } = make('client');
      protocol.receive(Buffer.concat([hex('82 7f 00 00 00 00 00 01 00 00'), Buffer.alloc(65536, 0x62)]));
      assert.equal(handler.messages()[0]!.data.length, 65536);
    });

    test('the serializer produces the same example bytes', () => {
      const server = make('server').protocol;
      const client = make('client').protocol;
      assert.equal(
        sent((out) => server.frameMessage('text', Buffer.from('Hello'), out)),
        '81 05 48 65 6c 6c 6f',
      );
      assert.equal(
        sent((out) => client.frameMessage('text', Buffer.from('Hello'), out)),
        '81 85 37 fa 21 3d 7f 9f 4d 51 58',
      );
      assert.equal(
        sent((out) => server.framePing(Buffer.from('Hello'), out)),
        '89 05 48 65 6c 6c 6f',
      );
      assert.equal(
        sent((out) => client.framePong(Buffer.from('Hello'), out)),
        '8a 85 37 fa 21 3d 7f 9f 4d 51 58',
      );
    });
  });

  describe('5.8 Extensibility', () => {
    test('with a negotiated RSV1 extension, a compressed message goes through it', () => {
      const extension = new InvertingExtension();
      const bytes = clientFrame({ opcode: 1, rsv1: true, payload: invert('Hello') });
      assert.deepEqual(receive('server', bytes, { extension }), ['start text', 'data 48 65 6c 6c 6f end']);
    });

    test('RSV1 is allowed only on the first frame of a message (RFC 7692 6.1, 1002)', () => {
      const extension = new InvertingExtension();
      const bytes = Buffer.concat([
        clientFrame({ opcode: 1, rsv1: true, fin: false, payload: invert('a') }),
        clientFrame({ opcode: 0, rsv1: true, payload: invert('b') }),
      ]);
      assert.deepEqual(receive('server', bytes, { extension }), ['start text', 'data 61', ...FAIL_1002]);
    });
  });

  describe('6.1 Sending Data', () => {
    test('a message is sent as frames with the opcode of its type; the caller buffer is untouched', () => {
      const { protocol } = make('client');
      const data = Buffer.from('Hello');
      assert.equal(
        sent((out) => protocol.frameMessage('binary', data, out)),
        '82 85 37 fa 21 3d 7f 9f 4d 51 58',
      );
      assert.equal(data.toString(), 'Hello');
    });

    test('a streamed message: the first fragment carries the type, later ones are continuations', () => {
      const { protocol } = make('server');
      const bytes = sent(
        (out) =>
          protocol.frameFragment('binary', hex('01'), false, out) +
          protocol.frameFragment('binary', hex('02'), false, out) +
          protocol.frameFragment('binary', hex('03'), true, out),
      );
      assert.equal(bytes, '02 01 01 00 01 02 80 01 03');
    });
  });

  describe('6.2 Receiving Data', () => {
    test('a message of any chunking is delivered in order, with end on its last bytes', () => {
      const bytes = Buffer.concat([
        clientFrame({ opcode: 2, fin: false, payload: Buffer.alloc(130, 1) }),
        clientFrame({ opcode: 0, payload: Buffer.alloc(70, 2) }),
      ]);
      const events = joinData(receive('server', bytes));
      assert.deepEqual(events, [
        'start binary',
        `message ${toHex(Buffer.concat([Buffer.alloc(130, 1), Buffer.alloc(70, 2)]))}`,
      ]);
    });

    test('a message over maxPayload fails with 1009 before its payload is buffered', () => {
      const { handler, protocol } = make('server', { maxPayload: 1024 });
      protocol.receive(clientFrame({ opcode: 2, declaredLength: 2 ** 40 }).subarray(0, 14));
      assert.deepEqual(handler.summary(), FAIL_1009);
    });
  });

  describe('8.1 Handling Errors in UTF-8-Encoded Data', () => {
    test('invalid UTF-8 in a text message MUST fail the connection (1007)', () => {
      assert.deepEqual(receive('server', clientFrame({ opcode: 1, payload: hex('ce ba ed a0 80') })), [
        'start text',
        ...FAIL_1007,
      ]);
    });

    test('the failure happens on the first invalid fragment, before the message ends', () => {
      const bytes = Buffer.concat([
        clientFrame({ opcode: 1, fin: false, payload: 'ok' }),
        clientFrame({ opcode: 0, fin: false, payload: hex('c0 af') }),
      ]);
      assert.deepEqual(receive('server', bytes), ['start text', 'data 6f 6b', ...FAIL_1007]);
    });

    test('a code point split across fragments is valid', () => {
      const bytes = Buffer.concat([
        clientFrame({ opcode: 1, fin: false, payload: hex('f0 9f') }),
        clientFrame({ opcode: 0, payload: hex('98 80') }),
      ]);
      assert.deepEqual(joinData(receive('server', bytes)), ['start text', 'message f0 9f 98 80']);
    });

    test('text truncated in the middle of a code point at the message end fails (1007)', () => {
      assert.deepEqual(receive('server', clientFrame({ opcode: 1, payload: hex('41 e2 82') })), [
        'start text',
        ...FAIL_1007,
      ]);
    });

    test('binary messages are not checked', () => {
      assert.deepEqual(receive('server', clientFrame({ opcode: 2, payload: hex('ed a0 80') })), [
        'start binary',
        'data ed a0 80 end',
      ]);
    });
  });
});
