import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ConnectionClosedError,
  CorruptDataError,
  MessageTooBigError,
  ProtocolError,
  WebSocketError,
} from '../../../src/errors.js';
import { Protocol, type ProtocolOptions } from '../../../src/protocol/protocol.js';
import { InvertingExtension, invert } from '../../helpers/fake-extension.js';
import {
  clientFrame,
  closeBody,
  fixedMaskSource,
  frame,
  hex,
  RecordingHandler,
  toHex,
} from '../../helpers/frames.js';

/** Like InvertingExtension, but a 0xff byte on the wire throws CorruptDataError (1002), as deflate does. */
class CorruptDataExtension extends InvertingExtension {
  thrown: CorruptDataError | undefined;

  constructor(readonly cause: Error) {
    super();
  }

  override decompress(chunk: Buffer, end: boolean, limit: number): Buffer {
    if (!chunk.includes(0xff)) return super.decompress(chunk, end, limit);
    this.thrown = new CorruptDataError('undecodable payload', 1002, { cause: this.cause });
    throw this.thrown;
  }
}

function server(options: Partial<ProtocolOptions> = {}) {
  const handler = new RecordingHandler();
  const protocol = new Protocol(handler, { role: 'server', ...options });
  return { handler, protocol };
}

function client(options: Partial<ProtocolOptions> = {}) {
  const handler = new RecordingHandler();
  const protocol = new Protocol(handler, { role: 'client', maskSource: fixedMaskSource(), ...options });
  return { handler, protocol };
}

function framed(build: (out: Buffer[]) => number): string {
  const out: Buffer[] = [];
  const count = build(out);
  const bytes = Buffer.concat(out);
  assert.equal(count, bytes.length);
  return toHex(bytes);
}

const isInvalidArgument = (error: unknown) =>
  error instanceof WebSocketError && error.code === 'ERR_INVALID_ARGUMENT';

describe('Protocol', () => {
  describe('options', () => {
    test('rejects a bad role and bad limits', () => {
      const handler = new RecordingHandler();
      assert.throws(() => new Protocol(handler, { role: 'peer' as 'client' }), isInvalidArgument);
      assert.throws(() => new Protocol(handler, { role: 'server', maxPayload: -1 }), isInvalidArgument);
      assert.throws(() => new Protocol(handler, { role: 'server', maxFragments: 0 }), isInvalidArgument);
      assert.throws(
        () => new Protocol(handler, { role: 'server', fragmentSize: Number.NaN }),
        isInvalidArgument,
      );
    });

    test('a client without a maskSource draws masks from WebCrypto', () => {
      const protocol = new Protocol(new RecordingHandler(), { role: 'client' });
      const out: Buffer[] = [];
      protocol.frameMessage('text', Buffer.from('hi'), out);
      protocol.frameMessage('text', Buffer.from('hi'), out);
      assert.equal(out[0]![1], 0x82, 'mask bit set');
      assert.notDeepEqual(out[0]!.subarray(2, 6), out[1]!.subarray(2, 6), 'a fresh mask per frame');
    });
  });

  describe('receiving', () => {
    test('fast path: a one-frame message in one chunk is one start and one zero-copy data call', () => {
      const { protocol } = server();
      const calls: string[] = [];
      let view: Buffer | undefined;
      const chunk = clientFrame({ opcode: 2, payload: 'abc' });
      const fast = new Protocol(
        {
          onMessageStart: (type) => calls.push(`start ${type}`),
          onMessageData: (data, end) => {
            view = data;
            calls.push(`data ${end}`);
          },
          onPing: () => {},
          onPong: () => {},
          onCloseFrame: () => {},
          onOutput: () => {},
          onFail: () => {},
        },
        { role: 'server' },
      );
      fast.receive(chunk);
      assert.deepEqual(calls, ['start binary', 'data true']);
      assert.equal(view!.buffer, chunk.buffer, 'a view into the received chunk');
      assert.equal(view!.toString(), 'abc');
      assert.equal(protocol.state, 'open');
    });

    test('a fragmented message streams each fragment as data, end on the last', () => {
      const { handler, protocol } = server();
      protocol.receive(clientFrame({ opcode: 1, fin: false, payload: 'Hel' }));
      protocol.receive(clientFrame({ opcode: 0, fin: false, payload: '' }));
      protocol.receive(clientFrame({ opcode: 0, payload: 'lo' }));
      assert.deepEqual(handler.summary(), ['start text', 'data 48 65 6c', 'data 6c 6f end']);
    });

    test('maxPayload counts all frames of a message, decided from the header', () => {
      const { handler, protocol } = server({ maxPayload: 5 });
      protocol.receive(clientFrame({ opcode: 2, fin: false, payload: 'abc' }));
      protocol.receive(clientFrame({ opcode: 0, declaredLength: 3 }).subarray(0, 6)); // header + mask only
      assert.deepEqual(handler.summary(), [
        'start binary',
        'data 61 62 63',
        'output 88 02 03 f1',
        'fail 1009',
      ]);
      assert.ok(handler.failure() instanceof MessageTooBigError);
    });

    test('maxPayload: a message of exactly maxPayload bytes passes', () => {
      const { handler, protocol } = server({ maxPayload: 5 });
      protocol.receive(clientFrame({ opcode: 2, payload: 'abcde' }));
      assert.equal(handler.messages()[0]!.data.toString(), 'abcde');
    });

    test('maxFrameSize: a frame declaring more fails with 1009 from its header; a message of several smaller frames passes', () => {
      const { handler, protocol } = server({ maxFrameSize: 3, maxPayload: 100 });
      protocol.receive(clientFrame({ opcode: 2, fin: false, payload: 'abc' }));
      protocol.receive(clientFrame({ opcode: 0, payload: 'def' }));
      assert.equal(Buffer.concat(handler.messages().map((message) => message.data)).toString(), 'abcdef');
      protocol.receive(clientFrame({ opcode: 2, declaredLength: 4 }).subarray(0, 6)); // header + mask only
      assert.equal(handler.failure()?.closeCode, 1009);
      assert.deepEqual(handler.output(), hex('88 02 03 f1'));
    });

    test('maxFrameSize defaults to maxPayload', () => {
      const { handler, protocol } = server({ maxPayload: 5 });
      protocol.receive(clientFrame({ opcode: 2, payload: 'abcde' }));
      assert.equal(handler.failure(), undefined);
    });

    test('by default the fragment count is not limited: 100,001 one-byte fragments are one message', () => {
      // RFC 6455 5.4: a message may be fragmented at any size; maxPayload bounds its bytes.
      const { handler, protocol } = server({ maxPayload: 100_001 });
      const frames: Buffer[] = [clientFrame({ opcode: 2, fin: false, payload: 'a' })];
      const continuation = clientFrame({ opcode: 0, fin: false, payload: 'a' });
      for (let index = 1; index < 100_000; index++) frames.push(continuation);
      frames.push(clientFrame({ opcode: 0, payload: 'a' }));
      protocol.receive(Buffer.concat(frames));
      assert.equal(handler.failure(), undefined);
      const [message] = handler.messages();
      assert.equal(message?.data.length, 100_001);
      assert.equal(protocol.state, 'open');
      // One byte more than maxPayload, in one-byte fragments, fails with 1009 at the frame past it.
      protocol.receive(Buffer.concat(frames.slice(0, -1))); // 100,000 bytes, not ended
      protocol.receive(continuation);
      assert.equal(handler.failure(), undefined, 'exactly maxPayload so far');
      protocol.receive(continuation);
      assert.equal(handler.failure()?.closeCode, 1009);
      assert.match(handler.failure()?.message ?? '', /^message exceeds 100001 bytes$/);
    });

    test('onMessageData tells how many bytes of the frame are still to come (0 at its end)', () => {
      const seen: string[] = [];
      const protocol = new Protocol(
        {
          onMessageStart: () => {},
          onMessageData: (data, end, frameLeft) => seen.push(`${data.length} ${end} ${frameLeft}`),
          onPing: () => {},
          onPong: () => {},
          onCloseFrame: () => {},
          onOutput: () => {},
          onFail: () => {},
        },
        { role: 'server' },
      );
      const first = clientFrame({ opcode: 2, fin: false, payload: 'abcdefghij' }); // 6 header bytes
      const last = clientFrame({ opcode: 0, payload: 'xyz' });
      protocol.receive(first.subarray(0, 9));
      protocol.receive(Buffer.concat([first.subarray(9), last.subarray(0, 7)]));
      protocol.receive(last.subarray(7));
      assert.deepEqual(seen, ['3 false 7', '7 false 0', '1 false 2', '2 true 0']);
    });

    test('maxFragments (opt-in): one frame more fails with 1009', () => {
      const { handler, protocol } = server({ maxFragments: 2 });
      protocol.receive(clientFrame({ opcode: 2, fin: false, payload: 'a' }));
      protocol.receive(clientFrame({ opcode: 0, fin: false, payload: 'b' }));
      protocol.receive(clientFrame({ opcode: 0, payload: 'c' }));
      assert.equal(handler.failure()?.closeCode, 1009);
      assert.deepEqual(handler.output(), hex('88 02 03 f1'));
    });

    test('compressed messages go through extension.decompress with the bytes still allowed', () => {
      const extension = new InvertingExtension();
      const { handler, protocol } = server({ extension, maxPayload: 100 });
      protocol.receive(clientFrame({ opcode: 1, rsv1: true, fin: false, payload: invert('Hel') }));
      protocol.receive(clientFrame({ opcode: 0, payload: invert('lo') }));
      assert.deepEqual(extension.decompressCalls, [
        { chunk: invert('Hel').toString('hex'), end: false, limit: 100 },
        { chunk: invert('lo').toString('hex'), end: true, limit: 97 },
      ]);
      assert.deepEqual(handler.messages(), [{ type: 'text', data: Buffer.from('Hello') }]);
    });

    test('a compressed message ended by an empty frame still calls decompress with end', () => {
      const extension = new InvertingExtension();
      const { handler, protocol } = server({ extension });
      protocol.receive(clientFrame({ opcode: 2, rsv1: true, fin: false, payload: invert('ab') }));
      protocol.receive(clientFrame({ opcode: 0, payload: '' }));
      assert.deepEqual(
        extension.decompressCalls.map((call) => call.end),
        [false, true],
      );
      assert.deepEqual(handler.summary(), ['start binary', 'data 61 62', 'data end']);
    });

    test('uncompressed messages bypass the extension', () => {
      const extension = new InvertingExtension();
      const { handler, protocol } = server({ extension });
      protocol.receive(clientFrame({ opcode: 1, payload: 'plain' }));
      assert.equal(extension.decompressCalls.length, 0);
      assert.equal(handler.messages()[0]!.data.toString(), 'plain');
    });

    test('corrupt compressed data fails with the extension error close code', () => {
      const extension = new InvertingExtension();
      const { handler, protocol } = server({ extension });
      protocol.receive(clientFrame({ opcode: 2, rsv1: true, payload: hex('ff') }));
      assert.equal(handler.failure()?.closeCode, 1007);
      assert.deepEqual(handler.output(), hex('88 02 03 ef'));
    });

    test('CorruptDataError from the extension: 1007 in a text message, with its message and cause', () => {
      const cause = new Error('invalid block type');
      const extension = new CorruptDataExtension(cause);
      const { handler, protocol } = server({ extension });
      protocol.receive(clientFrame({ opcode: 1, rsv1: true, payload: hex('ff') }));
      const failure = handler.failure();
      assert.ok(failure instanceof CorruptDataError);
      assert.equal(failure.closeCode, 1007);
      assert.equal(failure.code, 'ERR_PROTOCOL');
      assert.equal(failure.message, 'undecodable payload');
      assert.equal(failure.cause, cause);
      assert.deepEqual(handler.output(), hex('88 02 03 ef'));
    });

    test('CorruptDataError from the extension: 1002 in a binary message, passed through as thrown', () => {
      const extension = new CorruptDataExtension(new Error('invalid block type'));
      const { handler, protocol } = server({ extension });
      protocol.receive(clientFrame({ opcode: 2, rsv1: true, payload: hex('ff') }));
      assert.equal(handler.failure(), extension.thrown);
      assert.equal(handler.failure()?.closeCode, 1002);
      assert.deepEqual(handler.output(), hex('88 02 03 ea'));
    });

    test('CorruptDataError in a continuation of a text message is still 1007', () => {
      const extension = new CorruptDataExtension(new Error('invalid block type'));
      const { handler, protocol } = server({ extension });
      protocol.receive(clientFrame({ opcode: 1, rsv1: true, fin: false, payload: invert('Hel') }));
      protocol.receive(clientFrame({ opcode: 0, payload: hex('ff') }));
      assert.deepEqual(handler.summary(), ['start text', 'data 48 65 6c', 'output 88 02 03 ef', 'fail 1007']);
    });

    test('inflating past maxPayload fails with 1009', () => {
      const extension = new InvertingExtension();
      const { handler, protocol } = server({ extension, maxPayload: 3 });
      protocol.receive(clientFrame({ opcode: 2, rsv1: true, payload: invert('abcd') }));
      assert.ok(handler.failure() instanceof MessageTooBigError);
      assert.equal(handler.failure()?.message, 'message exceeds 3 bytes', 'the limit, plainly');
      assert.deepEqual(handler.output(), hex('88 02 03 f1'));
    });

    test('an extension throwing something else fails with 1011, never throws out of receive()', () => {
      const extension = new InvertingExtension();
      extension.throwForeign = true;
      const { handler, protocol } = server({ extension });
      protocol.receive(clientFrame({ opcode: 2, rsv1: true, payload: 'x' }));
      const failure = handler.failure();
      assert.ok(failure instanceof ProtocolError);
      assert.equal(failure.closeCode, 1011);
      assert.equal((failure.cause as Error).message, 'zlib exploded');
    });

    test('inflated text is UTF-8 checked', () => {
      const extension = new InvertingExtension();
      const { handler, protocol } = server({ extension });
      protocol.receive(clientFrame({ opcode: 1, rsv1: true, payload: invert(hex('ce ba ed a0 80')) }));
      assert.equal(handler.failure()?.closeCode, 1007);
    });

    test('after a fault, input is ignored and no second close goes out', () => {
      const { handler, protocol } = server();
      protocol.receive(frame({ opcode: 1, payload: 'unmasked' }));
      protocol.receive(clientFrame({ opcode: 1, payload: 'ignored' }));
      protocol.receive(clientFrame({ opcode: 8, payload: closeBody(1000) }));
      assert.deepEqual(handler.summary(), ['output 88 02 03 ea', 'fail 1002']);
      assert.equal(protocol.state, 'closed');
    });
  });

  describe('sending', () => {
    test('frameMessage: server frames are unmasked, client frames masked', () => {
      assert.equal(
        framed((out) => server().protocol.frameMessage('text', Buffer.from('Hello'), out)),
        '81 05 48 65 6c 6c 6f',
      );
      assert.equal(
        framed((out) => client().protocol.frameMessage('text', Buffer.from('Hello'), out)),
        '81 85 37 fa 21 3d 7f 9f 4d 51 58',
      );
    });

    test('frameMessage splits at fragmentSize: first frame has the opcode, FIN only on the last', () => {
      const { protocol } = server({ fragmentSize: 2 });
      assert.equal(
        framed((out) => protocol.frameMessage('binary', Buffer.from('abcde'), out)),
        '02 02 61 62 00 02 63 64 80 01 65',
      );
      assert.equal(
        framed((out) => protocol.frameMessage('binary', Buffer.from('ab'), out)),
        '82 02 61 62',
      );
    });

    test('frameMessage with compress sets RSV1 on the first frame only', () => {
      const extension = new InvertingExtension();
      const { protocol } = server({ extension, fragmentSize: 2 });
      assert.equal(
        framed((out) => protocol.frameMessage('text', Buffer.from('abc'), out, true)),
        `41 02 ${toHex(invert('ab'))} 80 01 ${toHex(invert('c'))}`,
      );
      assert.deepEqual(extension.compressCalls, [{ data: '616263', end: true }]);
    });

    test('compress without a negotiated extension sends the message uncompressed', () => {
      assert.equal(
        framed((out) => server().protocol.frameMessage('text', Buffer.from('a'), out, true)),
        '81 01 61',
      );
    });

    test('frameFragment: text then continuations, FIN on the last; compressed per fragment', () => {
      const extension = new InvertingExtension();
      const { protocol } = server({ extension });
      const bytes = framed(
        (out) =>
          protocol.frameFragment('text', Buffer.from('a'), false, out, true) +
          protocol.frameFragment('text', Buffer.from('b'), false, out, false) +
          protocol.frameFragment('text', Buffer.from('c'), true, out),
      );
      assert.equal(
        bytes,
        `41 01 ${toHex(invert('a'))} 00 01 ${toHex(invert('b'))} 80 01 ${toHex(invert('c'))}`,
      );
      assert.deepEqual(
        extension.compressCalls.map((call) => call.end),
        [false, false, true],
      );
      assert.equal(
        framed((out) => protocol.frameMessage('binary', Buffer.from('z'), out)),
        '82 01 7a',
      );
    });

    test('no data message may start inside a fragmented one, nor change type', () => {
      const { protocol } = server();
      protocol.frameFragment('binary', Buffer.from('a'), false, []);
      assert.throws(() => protocol.frameMessage('binary', Buffer.from('b'), []), isInvalidArgument);
      assert.throws(() => protocol.frameFragment('text', Buffer.from('b'), true, []), isInvalidArgument);
      assert.equal(
        framed((out) => protocol.framePing(Buffer.from('p'), out)),
        '89 01 70',
        'control frames interleave',
      );
      assert.equal(
        framed((out) => protocol.frameFragment('binary', Buffer.from('b'), true, out)),
        '80 01 62',
      );
    });

    test('bad arguments throw ERR_INVALID_ARGUMENT', () => {
      const { protocol } = server();
      assert.throws(() => protocol.frameMessage('json' as 'text', Buffer.from('a'), []), isInvalidArgument);
      assert.throws(() => protocol.frameMessage('text', 'a' as unknown as Buffer, []), isInvalidArgument);
      assert.throws(() => protocol.framePing(Buffer.alloc(126), []), isInvalidArgument);
      assert.throws(() => protocol.framePong(Buffer.alloc(126), []), isInvalidArgument);
      assert.throws(() => protocol.frameClose(1005, '', []), isInvalidArgument);
      assert.throws(() => protocol.frameClose(1000, 'x'.repeat(124), []), isInvalidArgument);
      assert.equal(protocol.closeSent, false, 'a refused close does not count as sent');
    });

    test('the caller buffer is never masked in place', () => {
      const { protocol } = client();
      const data = Buffer.from('x'.repeat(3000));
      const copy = Buffer.from(data);
      protocol.frameMessage('binary', data, []);
      protocol.frameFragment('binary', data, true, []);
      protocol.framePing(data.subarray(0, 10), []);
      assert.deepEqual(data, copy);
    });

    test('after frameClose, data frames throw ConnectionClosedError carrying the code we sent', () => {
      const { protocol } = server();
      assert.equal(
        framed((out) => protocol.frameClose(1001, 'bye', out)),
        '88 05 03 e9 62 79 65',
      );
      assert.equal(protocol.state, 'closing');
      assert.throws(
        () => protocol.frameMessage('text', Buffer.from('a'), []),
        (error: unknown) => error instanceof ConnectionClosedError && error.closeCode === 1001,
      );
      assert.throws(() => protocol.frameFragment('text', Buffer.from('a'), true, []), ConnectionClosedError);
      assert.throws(() => protocol.frameClose(1000, '', []), ConnectionClosedError);
      assert.equal(
        framed((out) => protocol.framePong(Buffer.alloc(0), out)),
        '8a 00',
        'pong while closing',
      );
    });

    test('once closed both ways, control frames throw too', () => {
      const { protocol } = server();
      protocol.frameClose(1000, '', []);
      protocol.receive(clientFrame({ opcode: 8, payload: closeBody(1000) }));
      assert.equal(protocol.state, 'closed');
      assert.throws(() => protocol.framePing(Buffer.alloc(0), []), ConnectionClosedError);
    });
  });
});
