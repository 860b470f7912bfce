// RFC 7692 section 7.2 (compressing and decompressing messages) and the examples of 7.2.3, as exact
// frame bytes through the protocol core with the real zlib extension. The close codes for corrupt
// compressed data, which RFC 7692 leaves open, are in test/unit/node/corrupt-compressed-data.test.ts.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { PerMessageDeflate } from '../../src/node/deflate.js';
import { drainContextPool } from '../../src/node/zlib-context-pool.js';
import { Opcode } from '../../src/protocol/opcodes.js';
import { Protocol } from '../../src/protocol/protocol.js';
import { deflateClient, deflateServer, TAKEOVER } from '../helpers/deflate-endpoints.js';
import { clientFrame, frame, hex, RecordingHandler, toHex } from '../helpers/frames.js';

const client = deflateClient;
const server = deflateServer;

function texts(handler: RecordingHandler): string[] {
  return handler.messages().map((message) => message.data.toString());
}

after(() => drainContextPool());

describe('RFC 7692 7.2.3.1: a message compressed using one compressed DEFLATE block', () => {
  test('the server sends "Hello" as c1 07 f2 48 cd c9 c9 07 00', () => {
    const { protocol, extension } = server();
    const out: Buffer[] = [];
    protocol.frameMessage('text', Buffer.from('Hello'), out, true);
    assert.equal(toHex(Buffer.concat(out)), 'c1 07 f2 48 cd c9 c9 07 00');
    extension.dispose();
  });

  test('the client reads it unfragmented and fragmented (41 03 f2 48 cd, 80 04 c9 c9 07 00)', () => {
    const whole = client();
    whole.protocol.receive(hex('c1 07 f2 48 cd c9 c9 07 00'));
    assert.deepEqual(texts(whole.handler), ['Hello']);
    const fragmented = client();
    fragmented.protocol.receive(hex('41 03 f2 48 cd 80 04 c9 c9 07 00'));
    assert.deepEqual(texts(fragmented.handler), ['Hello']);
    whole.extension.dispose();
    fragmented.extension.dispose();
  });
});

describe('RFC 7692 7.2.3.2: sharing the LZ77 sliding window', () => {
  test('the second "Hello" is c1 05 f2 00 11 00 00 with context takeover, and reads back', () => {
    const sender = server();
    const out: Buffer[] = [];
    sender.protocol.frameMessage('text', Buffer.from('Hello'), out, true);
    sender.protocol.frameMessage('text', Buffer.from('Hello'), out, true);
    assert.equal(toHex(Buffer.concat(out)), 'c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00');
    const receiver = client();
    receiver.protocol.receive(Buffer.concat(out));
    assert.deepEqual(texts(receiver.handler), ['Hello', 'Hello']);
    sender.extension.dispose();
    receiver.extension.dispose();
  });

  test('with server_no_context_takeover the second "Hello" is compressed alone again', () => {
    const sender = server({ ...TAKEOVER, serverNoContextTakeover: true });
    const out: Buffer[] = [];
    sender.protocol.frameMessage('text', Buffer.from('Hello'), out, true);
    sender.protocol.frameMessage('text', Buffer.from('Hello'), out, true);
    assert.equal(toHex(Buffer.concat(out)), 'c1 07 f2 48 cd c9 c9 07 00 c1 07 f2 48 cd c9 c9 07 00');
    sender.extension.dispose();
  });
});

describe('RFC 7692 7.2.3.3: a DEFLATE block with no compression', () => {
  test('c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00 reads as "Hello"', () => {
    const { handler, protocol, extension } = client();
    protocol.receive(hex('c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00'));
    assert.deepEqual(texts(handler), ['Hello']);
    extension.dispose();
  });
});

describe('RFC 7692 7.2.3.4: a DEFLATE block with BFINAL set to 1', () => {
  test('c1 08 f3 48 cd c9 c9 07 00 00 reads as "Hello", and the next message starts a new stream', () => {
    const { handler, protocol, extension } = client();
    protocol.receive(hex('c1 08 f3 48 cd c9 c9 07 00 00'));
    protocol.receive(hex('c1 07 f2 48 cd c9 c9 07 00'));
    assert.deepEqual(texts(handler), ['Hello', 'Hello']);
    extension.dispose();
  });
});

describe('RFC 7692 7.2.3.5: two DEFLATE blocks in one message', () => {
  test('c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00 reads as "Hello"', () => {
    const { handler, protocol, extension } = client();
    protocol.receive(hex('c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00'));
    assert.deepEqual(texts(handler), ['Hello']);
    extension.dispose();
  });
});

describe('RFC 7692 7.2.3.6: generating an empty fragment', () => {
  test('an empty message compresses to the single octet 0x00, and reads back as empty', () => {
    const sender = server();
    const out: Buffer[] = [];
    sender.protocol.frameMessage('binary', Buffer.alloc(0), out, true);
    assert.equal(toHex(Buffer.concat(out)), 'c2 01 00');
    const receiver = client();
    receiver.protocol.receive(Buffer.concat(out));
    assert.deepEqual(receiver.handler.messages(), [{ type: 'binary', data: Buffer.alloc(0) }]);
    sender.extension.dispose();
    receiver.extension.dispose();
  });
});

describe('RFC 7692 7.2.1: compression', () => {
  test('the trailing 00 00 ff ff of the final flush is removed; fragments of a stream keep theirs', () => {
    const { protocol, extension } = server();
    const out: Buffer[] = [];
    protocol.frameFragment('text', Buffer.from('Hel'), false, out, true);
    protocol.frameFragment('text', Buffer.from('lo'), true, out, true);
    const [first, last] = out as [Buffer, Buffer];
    // RFC 7692 6.1: RSV1 on the first frame only.
    assert.equal(first[0], 0x41);
    assert.equal(last[0], 0x80);
    assert.equal(toHex(first.subarray(-4)), '00 00 ff ff');
    assert.notEqual(toHex(last.subarray(-4)), '00 00 ff ff');
    const receiver = client();
    receiver.protocol.receive(Buffer.concat(out));
    assert.deepEqual(texts(receiver.handler), ['Hello']);
    extension.dispose();
    receiver.extension.dispose();
  });
});

describe('RFC 7692 7.2.2: decompression', () => {
  test('the server appends 00 00 ff ff and inflates a masked, fragmented client message', () => {
    const { handler, protocol, extension } = server();
    protocol.receive(
      Buffer.concat([
        clientFrame({ opcode: Opcode.text, rsv1: true, fin: false, payload: hex('f2 48') }),
        clientFrame({ opcode: Opcode.ping, payload: 'p' }),
        clientFrame({ opcode: Opcode.continuation, fin: false, payload: hex('cd c9') }),
        clientFrame({ opcode: Opcode.continuation, payload: hex('c9 07 00') }),
      ]),
    );
    assert.deepEqual(texts(handler), ['Hello']);
    assert.equal(handler.failure(), undefined);
    extension.dispose();
  });

  test('an uncompressed message (RSV1 clear) passes through the negotiated connection untouched', () => {
    const { handler, protocol, extension } = client();
    protocol.receive(frame({ opcode: Opcode.text, payload: 'Hello' }));
    assert.deepEqual(texts(handler), ['Hello']);
    extension.dispose();
  });

  test('the inflated size counts against maxPayload as it is produced: 1009', () => {
    const handler = new RecordingHandler();
    const extension = new PerMessageDeflate('client', TAKEOVER);
    const protocol = new Protocol(handler, { role: 'client', extension, maxPayload: 1000 });
    const sender = new PerMessageDeflate('server', TAKEOVER);
    protocol.receive(
      frame({ opcode: Opcode.binary, rsv1: true, payload: sender.compress(Buffer.alloc(100_000), true) }),
    );
    assert.equal(handler.failure()?.closeCode, 1009);
    // The close frame that fails the connection carries 1009 (RFC 6455 7.4.1), masked by this client.
    const close = handler.output();
    assert.equal(toHex(close.subarray(0, 2)), '88 82');
    assert.equal(
      ((close[6] as number) ^ (close[2] as number)) * 256 + ((close[7] as number) ^ (close[3] as number)),
      1009,
    );
    assert.equal(handler.messages().length, 0);
    extension.dispose();
    sender.dispose();
  });
});
