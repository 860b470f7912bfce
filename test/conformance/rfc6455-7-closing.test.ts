// RFC 6455 section 7 (closing the connection) as bytes in and exact events and bytes out.
// Each test name states the MUST it proves. TCP itself is the I/O layer's: the core reports state.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectionClosedError, ProtocolError } from '../../src/errors.js';
import { Protocol, type ProtocolOptions, type Role } from '../../src/protocol/protocol.js';
import { rawPair, until } from '../helpers/connection-pair.js';
import {
  clientFrame,
  closeBody,
  feedBytewise,
  feedSplit,
  fixedMaskSource,
  frame,
  hex,
  RecordingHandler,
  toHex,
} from '../helpers/frames.js';

function make(role: Role = 'server', options: Partial<ProtocolOptions> = {}) {
  const handler = new RecordingHandler();
  const protocol = new Protocol(handler, { role, maskSource: fixedMaskSource(), ...options });
  return { handler, protocol };
}

/** Events for a server fed `bytes` whole, checked equal for every split point and byte-at-a-time. */
function receive(bytes: Buffer, role: Role = 'server'): string[] {
  const whole = make(role);
  whole.protocol.receive(Buffer.from(bytes));
  const expected = whole.handler.summary();
  for (let cut = 1; cut < bytes.length; cut++) {
    const split = make(role);
    feedSplit((chunk) => split.protocol.receive(chunk), bytes, [cut]);
    assert.deepEqual(split.handler.summary(), expected, `split at ${cut}`);
  }
  const bytewise = make(role);
  feedBytewise((chunk) => bytewise.protocol.receive(chunk), bytes);
  assert.deepEqual(bytewise.handler.summary(), expected, 'one byte at a time');
  return expected;
}

function sent(build: (out: Buffer[]) => number): string {
  const out: Buffer[] = [];
  build(out);
  return toHex(Buffer.concat(out));
}

const close = (code: number, reason: string | Uint8Array = '') =>
  clientFrame({ opcode: 8, payload: closeBody(code, reason) });

describe('RFC 6455', () => {
  describe('7.1.1 Close the WebSocket Connection', () => {
    test('the core reports closed once a Close went each way: the cue for the I/O layer to close TCP', () => {
      const { protocol } = make();
      assert.equal(protocol.state, 'open');
      protocol.receive(close(1000));
      assert.equal(protocol.state, 'closed');
      assert.ok(protocol.closeSent && protocol.closeReceived);
    });
  });

  describe('7.1.2 Start the WebSocket Closing Handshake', () => {
    test('frameClose sends a Close with the status code and reason and moves to closing', () => {
      const { protocol } = make();
      assert.equal(
        sent((out) => protocol.frameClose(1000, 'done', out)),
        '88 06 03 e8 64 6f 6e 65',
      );
      assert.equal(protocol.state, 'closing');
      assert.ok(protocol.closeSent);
      assert.ok(!protocol.closeReceived);
    });

    test('a client Close is masked like every client frame', () => {
      const { protocol } = make('client');
      assert.equal(
        sent((out) => protocol.frameClose(1000, '', out)),
        '88 82 37 fa 21 3d 34 12',
      );
    });

    test('a Close may carry no body at all', () => {
      assert.equal(
        sent((out) => make().protocol.frameClose(undefined, '', out)),
        '88 00',
      );
    });
  });

  describe('7.1.3 The WebSocket Closing Handshake is Started', () => {
    test('after sending a Close, received data is still delivered until the peer Close arrives', () => {
      const { handler, protocol } = make();
      protocol.frameClose(1000, '', []);
      protocol.receive(clientFrame({ opcode: 1, payload: 'late' }));
      protocol.receive(close(1000));
      assert.deepEqual(handler.summary(), ['start text', 'data 6c 61 74 65 end', 'close 1000']);
      assert.equal(protocol.state, 'closed');
    });

    test('the peer Close answering ours is not echoed again', () => {
      const { handler, protocol } = make();
      protocol.frameClose(1001, '', []);
      protocol.receive(close(1000));
      assert.deepEqual(handler.output(), Buffer.alloc(0));
    });

    test('receiving a Close first moves to closed at once, having output the echo', () => {
      assert.deepEqual(receive(close(1001, 'going')), ['output 88 02 03 e9', 'close 1001 going']);
    });
  });

  describe('7.1.4 The WebSocket Connection is Closed', () => {
    test('no data frame may be sent once closed; ConnectionClosedError carries the received code', () => {
      const { protocol } = make();
      protocol.receive(close(4001, 'app'));
      assert.throws(
        () => protocol.frameMessage('text', Buffer.from('x'), []),
        (error: unknown) =>
          error instanceof ConnectionClosedError && error.closeCode === 4001 && error.reason === 'app',
      );
      assert.throws(() => protocol.framePing(Buffer.alloc(0), []), ConnectionClosedError);
      assert.throws(() => protocol.frameClose(1000, '', []), ConnectionClosedError);
    });
  });

  describe('7.1.5 The WebSocket Connection Close Code', () => {
    test('the close code is the one in the first Close received', () => {
      const { handler, protocol } = make();
      protocol.receive(Buffer.concat([close(3001), close(3002)]));
      assert.deepEqual(handler.summary(), ['output 88 02 0b b9', 'close 3001']);
    });

    test('a Close with no status code is reported as 1005 and echoed with an empty body (1005 never sent)', () => {
      assert.deepEqual(receive(clientFrame({ opcode: 8 })), ['output 88 00', 'close 1005']);
    });
  });

  describe('7.1.6 The WebSocket Connection Close Reason', () => {
    test('the reason is the UTF-8 decoded rest of the body, empty when absent', () => {
      assert.deepEqual(receive(close(1000, 'κόσμε')), ['output 88 02 03 e8', 'close 1000 κόσμε']);
      assert.deepEqual(receive(close(1000)), ['output 88 02 03 e8', 'close 1000']);
    });

    test('a 123-byte reason (the most a control frame holds) is accepted', () => {
      const reason = 'r'.repeat(123);
      assert.deepEqual(receive(close(1000, reason)), ['output 88 02 03 e8', `close 1000 ${reason}`]);
    });

    test('a reason that is not valid UTF-8 fails the connection (1007)', () => {
      assert.deepEqual(receive(close(1000, hex('ed a0 80'))), ['output 88 02 03 ef', 'fail 1007']);
    });

    test('sending a reason over 123 bytes is refused', () => {
      assert.throws(() => make().protocol.frameClose(1000, 'r'.repeat(124), []), /123/);
    });
  });

  describe('7.1.7 Fail the WebSocket Connection', () => {
    test('a fault outputs a Close with the code, then reports onFail with a ProtocolError', () => {
      const { handler, protocol } = make();
      protocol.receive(frame({ opcode: 1, payload: 'unmasked' }));
      assert.deepEqual(handler.summary(), ['output 88 02 03 ea', 'fail 1002']);
      const failure = handler.failure();
      assert.ok(failure instanceof ProtocolError);
      assert.equal(failure.code, 'ERR_PROTOCOL');
      assert.equal(protocol.state, 'closed');
    });

    test('after failing, the endpoint MUST NOT try to process data from the peer, including a Close', () => {
      const { handler, protocol } = make();
      protocol.receive(
        Buffer.concat([clientFrame({ opcode: 0xb }), clientFrame({ opcode: 1, payload: 'x' })]),
      );
      protocol.receive(close(1000));
      assert.deepEqual(handler.summary(), ['output 88 02 03 ea', 'fail 1002']);
    });

    test('a fault after our Close was sent outputs no second Close', () => {
      const { handler, protocol } = make();
      protocol.frameClose(1000, '', []);
      protocol.receive(clientFrame({ opcode: 0xc }));
      assert.deepEqual(handler.summary(), ['fail 1002']);
      assert.equal(protocol.state, 'closed');
    });

    test('a client fails with a masked Close', () => {
      assert.deepEqual(receive(clientFrame({ opcode: 1, payload: 'x' }), 'client'), [
        'output 88 82 37 fa 21 3d 34 10',
        'fail 1002',
      ]);
    });

    test('to fail, the client MUST close the connection too: its Close (1002) goes out, then TCP ends', async () => {
      const { connection, peer } = rawPair({ role: 'client' });
      try {
        peer.send(clientFrame({ opcode: 1, payload: 'masked by a server' }));
        await until(() => peer.ended, 1000);
        assert.deepEqual(
          peer.frames().map((f) => [f.opcode, f.payload.readUInt16BE(0)]),
          [[8, 1002]],
        );
        peer.end.end();
        const info = await connection.closed;
        assert.equal(info.code, 1002);
        assert.equal(info.wasClean, false);
      } finally {
        connection.terminate();
      }
    });
  });

  describe('7.4.1 Defined Status Codes', () => {
    test('every defined code that may be on the wire is accepted and echoed: 1000-1003, 1007-1014', () => {
      for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014]) {
        const { handler, protocol } = make();
        protocol.receive(close(code));
        assert.deepEqual(handler.summary(), [`output 88 02 ${toHex(closeBody(code))}`, `close ${code}`]);
      }
    });

    test('1004, 1005, 1006 and 1015 MUST NOT be set in a Close frame: receiving one fails (1002)', () => {
      for (const code of [1004, 1005, 1006, 1015]) {
        assert.deepEqual(receive(close(code)), ['output 88 02 03 ea', 'fail 1002'], String(code));
      }
    });

    test('1005, 1006 and 1015 are never sent by frameClose', () => {
      for (const code of [1004, 1005, 1006, 1015]) {
        assert.throws(() => make().protocol.frameClose(code, '', []), { code: 'ERR_INVALID_ARGUMENT' });
      }
    });
  });

  describe('7.4.2 Reserved Status Code Ranges', () => {
    test('0-999 and 1016-2999 are not used: receiving them fails (1002)', () => {
      for (const code of [0, 1, 999, 1016, 1100, 2000, 2999]) {
        const { handler, protocol } = make();
        protocol.receive(close(code));
        assert.deepEqual(handler.summary(), ['output 88 02 03 ea', 'fail 1002'], String(code));
      }
    });

    test('3000-4999 (registered and private use) are accepted', () => {
      for (const code of [3000, 3999, 4000, 4999]) {
        const { handler, protocol } = make();
        protocol.receive(close(code));
        assert.deepEqual(handler.summary().at(-1), `close ${code}`);
      }
    });

    test('5000 and above fail (1002)', () => {
      for (const code of [5000, 65535]) {
        const { handler, protocol } = make();
        protocol.receive(close(code));
        assert.equal(handler.failure()?.closeCode, 1002, String(code));
      }
    });
  });
});
