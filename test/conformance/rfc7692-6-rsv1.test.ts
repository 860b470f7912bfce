// RFC 7692 section 6 (the "Per-Message Compressed" bit) with the real extension, both directions.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { PerMessageDeflate } from '../../src/node/deflate.js';
import { drainContextPool } from '../../src/node/zlib-context-pool.js';
import type { DeflateParameters } from '../../src/protocol/extensions/permessage-deflate.js';
import { Opcode } from '../../src/protocol/opcodes.js';
import { Protocol } from '../../src/protocol/protocol.js';
import { clientFrame, fixedMaskSource, hex, RecordingHandler } from '../helpers/frames.js';

const PARAMS: DeflateParameters = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

function server(withExtension = true) {
  const handler = new RecordingHandler();
  const extension = withExtension ? new PerMessageDeflate('server', PARAMS) : null;
  const protocol = new Protocol(handler, { role: 'server', extension });
  return { handler, protocol, dispose: () => extension?.dispose() };
}

after(() => drainContextPool());

describe('RFC 7692 6.1: receiving RSV1', () => {
  test('RSV1 on a continuation frame fails the connection with 1002', () => {
    const { handler, protocol, dispose } = server();
    protocol.receive(
      Buffer.concat([
        clientFrame({ opcode: Opcode.text, rsv1: true, fin: false, payload: hex('f2 48') }),
        clientFrame({ opcode: Opcode.continuation, rsv1: true, payload: hex('cd c9 c9 07 00') }),
      ]),
    );
    assert.equal(handler.failure()?.closeCode, 1002);
    dispose();
  });

  test('RSV1 on a control frame fails the connection with 1002', () => {
    const { handler, protocol, dispose } = server();
    protocol.receive(clientFrame({ opcode: Opcode.ping, rsv1: true, payload: 'x' }));
    assert.equal(handler.failure()?.closeCode, 1002);
    dispose();
  });

  test('RSV1 when permessage-deflate was not negotiated fails the connection with 1002', () => {
    const { handler, protocol } = server(false);
    protocol.receive(clientFrame({ opcode: Opcode.text, rsv1: true, payload: hex('f2 48 cd c9 c9 07 00') }));
    assert.equal(handler.failure()?.closeCode, 1002);
  });
});

describe('RFC 7692 6.1: sending RSV1', () => {
  test('a compressed message split into frames has RSV1 on the first frame only', () => {
    const handler = new RecordingHandler();
    const extension = new PerMessageDeflate('client', PARAMS);
    const protocol = new Protocol(handler, {
      role: 'client',
      extension,
      fragmentSize: 4,
      maskSource: fixedMaskSource(),
    });
    const out: Buffer[] = [];
    protocol.frameMessage('text', Buffer.from('Hello, Hello, Hello!'), out, true);
    assert.ok(out.length > 1);
    assert.equal((out[0] as Buffer)[0], 0x41);
    for (const frame of out.slice(1, -1)) assert.equal(frame[0], 0x00);
    assert.equal((out[out.length - 1] as Buffer)[0], 0x80);
    extension.dispose();
  });

  test('control frames are never compressed, even in the middle of a compressed stream', () => {
    const handler = new RecordingHandler();
    const extension = new PerMessageDeflate('server', PARAMS);
    const protocol = new Protocol(handler, { role: 'server', extension });
    const out: Buffer[] = [];
    protocol.frameFragment('binary', Buffer.from('abc'), false, out, true);
    protocol.framePing(Buffer.from('ping'), out);
    protocol.framePong(Buffer.from('pong'), out);
    protocol.frameFragment('binary', Buffer.from('def'), true, out, true);
    protocol.frameClose(1000, 'bye', out);
    const firstBytes = out.map((frame) => frame[0]);
    assert.deepEqual(firstBytes, [0x42, 0x89, 0x8a, 0x80, 0x88]);
    // The ping payload went out as given.
    assert.equal((out[1] as Buffer).subarray(2).toString(), 'ping');
    extension.dispose();
  });

  test('a message sent without compression on a negotiated connection has RSV1 clear', () => {
    const handler = new RecordingHandler();
    const extension = new PerMessageDeflate('server', PARAMS);
    const protocol = new Protocol(handler, { role: 'server', extension });
    const out: Buffer[] = [];
    protocol.frameMessage('text', Buffer.from('Hello'), out, false);
    assert.deepEqual(out, [Buffer.from([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f])]);
    extension.dispose();
  });
});
