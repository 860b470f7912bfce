// Corrupt compressed data (src/node/deflate.ts through the protocol core): RFC 7692 leaves the close
// code open, so this is our choice, named here rather than in test/conformance/.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { CorruptDataError } from '../../../src/errors.js';
import { PerMessageDeflate } from '../../../src/node/deflate.js';
import { drainContextPool } from '../../../src/node/zlib-context-pool.js';
import { Opcode } from '../../../src/protocol/opcodes.js';
import { deflateClient, deflateServer, TAKEOVER } from '../../helpers/deflate-endpoints.js';
import { clientFrame, frame, hex, toHex } from '../../helpers/frames.js';

const client = deflateClient;
const server = deflateServer;

after(() => drainContextPool());

// RFC 7692 leaves the close code for undecodable data open. A text message whose payload cannot be
// inflated holds data not consistent with its type (1007, RFC 6455 7.4.1); a binary one fails with 1002.
// 0xff starts a block with BTYPE 11, which RFC 1951 reserves: zlib refuses it at once.
describe('corrupt compressed data fails with 1007 in a text message, 1002 otherwise', () => {
  // The Close frame that fails the connection: unmasked from the server, masked with the RFC 5.7
  // key (37 fa 21 3d) from the client; 03 ef is 1007 and 03 ea is 1002 (34 15 / 34 10 masked).
  const closes = {
    server: { 1007: '88 02 03 ef', 1002: '88 02 03 ea' },
    client: { 1007: '88 82 37 fa 21 3d 34 15', 1002: '88 82 37 fa 21 3d 34 10' },
  } as const;
  const kinds = [
    { type: 'text', opcode: Opcode.text, closeCode: 1007 },
    { type: 'binary', opcode: Opcode.binary, closeCode: 1002 },
  ] as const;

  for (const role of ['server', 'client'] as const) {
    for (const { type, opcode, closeCode } of kinds) {
      test(`${role}: a corrupt compressed ${type} message fails with ${closeCode}, and its Close carries it`, () => {
        const { handler, protocol, extension } = role === 'server' ? server() : client();
        const spec = { opcode, rsv1: true, payload: hex('ff ff ff ff') };
        assert.doesNotThrow(() => protocol.receive(role === 'server' ? clientFrame(spec) : frame(spec)));
        const failure = handler.failure();
        assert.ok(failure instanceof CorruptDataError);
        assert.equal(failure.closeCode, closeCode);
        assert.equal(failure.code, 'ERR_PROTOCOL');
        assert.match(failure.message, /corrupt compressed data/);
        assert.ok(failure.cause instanceof Error, 'the zlib error is kept as the cause');
        assert.equal(toHex(handler.output()), closes[role][closeCode]);
        assert.equal(handler.messages().length, 0);
        assert.equal(protocol.closeSent, true);
        extension.dispose();
      });
    }
  }

  test('without context takeover (a pooled inflater) the codes are the same', () => {
    for (const { opcode, closeCode } of kinds) {
      const { handler, protocol, extension } = server({
        ...TAKEOVER,
        clientNoContextTakeover: true,
        serverNoContextTakeover: true,
      });
      protocol.receive(clientFrame({ opcode, rsv1: true, payload: hex('ff ff ff ff') }));
      assert.equal(handler.failure()?.closeCode, closeCode);
      assert.equal(toHex(handler.output()), closes.server[closeCode]);
      extension.dispose();
    }
  });

  test('a fragmented text message corrupt only in a later fragment fails with 1007 there, at every split', () => {
    // The first fragment is a valid sync-flushed "Hel" (ends 00 00 ff ff, a block boundary); the
    // continuation starts a reserved block. The type is known from the first frame only.
    const sender = new PerMessageDeflate('client', TAKEOVER);
    const first = sender.compress(Buffer.from('Hel'), false);
    sender.dispose();
    const wire = Buffer.concat([
      clientFrame({ opcode: Opcode.text, rsv1: true, fin: false, payload: first }),
      clientFrame({ opcode: Opcode.ping, payload: 'p' }),
      clientFrame({ opcode: Opcode.continuation, payload: hex('ff ff') }),
    ]);
    for (let split = 0; split <= wire.length; split++) {
      const { handler, protocol, extension } = server();
      // Copies: the core unmasks in place, so each run needs the masked bytes afresh.
      protocol.receive(Buffer.from(wire.subarray(0, split)));
      protocol.receive(Buffer.from(wire.subarray(split)));
      const failure = handler.failure();
      assert.ok(failure instanceof CorruptDataError, `split ${split}`);
      assert.equal(failure.closeCode, 1007, `split ${split}`);
      assert.ok(failure.cause instanceof Error);
      // The first fragment was valid and already delivered (and the ping between the fragments was
      // read): the failure came with the continuation.
      const delivered = handler.events.flatMap((event) => (event.kind === 'data' ? [event.data] : []));
      assert.equal(Buffer.concat(delivered).toString(), 'Hel', `split ${split}`);
      assert.ok(handler.events.some((event) => event.kind === 'ping'));
      assert.equal(toHex(handler.output()), '88 02 03 ef', `split ${split}`);
      assert.equal(handler.messages().length, 0);
      extension.dispose();
    }
  });

  test('the same shape as a binary message fails with 1002', () => {
    const sender = new PerMessageDeflate('client', TAKEOVER);
    const first = sender.compress(Buffer.from('Hel'), false);
    sender.dispose();
    const { handler, protocol, extension } = server();
    protocol.receive(
      Buffer.concat([
        clientFrame({ opcode: Opcode.binary, rsv1: true, fin: false, payload: first }),
        clientFrame({ opcode: Opcode.continuation, payload: hex('ff ff') }),
      ]),
    );
    const failure = handler.failure();
    assert.ok(failure instanceof CorruptDataError);
    assert.equal(failure.closeCode, 1002);
    assert.equal(toHex(handler.output()), '88 02 03 ea');
    extension.dispose();
  });
});
