// prepareMessage() frames once (RFC 6455 5.2, server frames unmasked per 5.1); sendPrepared() queues
// those same Buffers where they fit the connection, and frames the message itself where they do not.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Connection } from '../../../src/connection/connection.js';
import type { ConnectionOptions } from '../../../src/connection/connection-options.js';
import { PreparedMessage, prepareMessage } from '../../../src/connection/prepared-message.js';
import type { Transport, TransportHandler } from '../../../src/connection/transport.js';
import { InvertingExtension } from '../../helpers/fake-extension.js';
import { fixedMaskSource, hex, toHex } from '../../helpers/frames.js';

/** Keeps every chunk array written, so tests can check Buffer identity. */
class RecordingTransport implements Transport {
  readonly chunks: Buffer[] = [];
  readonly writableLength = 0;
  readonly remoteAddress = undefined;
  readonly remotePort = undefined;
  setHandler(_handler: TransportHandler): void {}
  write(chunks: Buffer[]): boolean {
    this.chunks.push(...chunks);
    return true;
  }
  pause(): void {}
  resume(): void {}
  end(): void {}
  destroy(): void {}
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function open(options: Partial<ConnectionOptions> = {}): {
  connection: Connection;
  transport: RecordingTransport;
} {
  const transport = new RecordingTransport();
  const connection = new Connection(transport, { role: 'server', ...options });
  return { connection, transport };
}

const tick = (): Promise<void> => new Promise((resolve) => queueMicrotask(resolve));

class ThresholdExtension extends InvertingExtension {
  readonly threshold = 10;
}

describe('prepareMessage: one server frame (RFC 6455 5.2)', () => {
  test('a small text message is one FIN frame, header and payload in one Buffer', () => {
    const prepared = prepareMessage('Hello');
    assert.ok(prepared instanceof PreparedMessage);
    assert.equal(prepared.type, 'text');
    assert.equal(prepared.frames.length, 1);
    assert.equal(toHex(prepared.frames[0] as Buffer), toHex(hex('81 05 48 65 6c 6c 6f')));
    assert.equal(prepared.byteLength, 7);
  });

  test('bytes are binary by default; binary: true makes a string binary, binary: false bytes text', () => {
    assert.equal(prepareMessage(new Uint8Array([1, 2])).type, 'binary');
    assert.equal(toHex(prepareMessage('ab', { binary: true }).frames[0] as Buffer), '82 02 61 62');
    assert.equal(
      toHex(prepareMessage(Buffer.from('ab'), { binary: false }).frames[0] as Buffer),
      '81 02 61 62',
    );
    assert.equal(toHex(prepareMessage(new Uint8Array([7]).buffer).frames[0] as Buffer), '82 01 07');
  });

  test('16-bit and 64-bit lengths; a large payload is referenced, not copied', () => {
    const medium = prepareMessage(Buffer.alloc(300, 1));
    assert.equal(toHex((medium.frames[0] as Buffer).subarray(0, 4)), '82 7e 01 2c');
    assert.equal(medium.byteLength, 304);
    const payload = Buffer.alloc(70_000, 2);
    const large = prepareMessage(payload);
    assert.equal(large.frames.length, 2);
    assert.equal(toHex(large.frames[0] as Buffer), '82 7f 00 00 00 00 00 01 11 70');
    assert.equal(large.frames[1], payload, 'the payload Buffer itself');
    assert.equal(large.byteLength, 70_010);
  });
});

describe('Connection.sendPrepared', () => {
  test('server connections queue the very same Buffer objects', async () => {
    const prepared = prepareMessage(Buffer.alloc(5000, 3));
    const ends = [open(), open(), open()];
    for (const { connection } of ends) assert.equal(connection.sendPrepared(prepared), true);
    await tick();
    for (const { transport } of ends) {
      assert.equal(transport.chunks.length, 2);
      assert.equal(transport.chunks[0], prepared.frames[0]);
      assert.equal(transport.chunks[1], prepared.frames[1]);
    }
  });

  test('in order with ordinary sends', async () => {
    const { connection, transport } = open();
    connection.send('a');
    connection.sendPrepared(prepareMessage('b'));
    connection.send('c');
    await tick();
    assert.equal(toHex(transport.bytes), '81 01 61 81 01 62 81 01 63');
  });

  test('a client connection masks its own frame (RFC 6455 5.3)', async () => {
    const prepared = prepareMessage('Hello');
    const { connection, transport } = open({ role: 'client', maskSource: fixedMaskSource() });
    connection.sendPrepared(prepared);
    await tick();
    // The RFC 6455 5.7 example: a masked "Hello" with mask 37 fa 21 3d.
    assert.equal(toHex(transport.bytes), toHex(hex('81 85 37 fa 21 3d 7f 9f 4d 51 58')));
    assert.notEqual(transport.chunks[0], prepared.frames[0]);
  });

  test('with compression negotiated: shared frames under the threshold, per-connection deflate at or over it', async () => {
    const extension = new ThresholdExtension();
    const { connection, transport } = open({ extension });
    const small = prepareMessage('123456789'); // 9 bytes: under this extension's threshold of 10
    const large = prepareMessage('1234567890');
    connection.sendPrepared(small);
    connection.sendPrepared(large);
    await tick();
    assert.equal(transport.chunks[0], small.frames[0], 'uncompressed: the prepared frame');
    assert.equal(extension.compressCalls.length, 1, 'only the 10-byte message went through the extension');
    assert.equal(((transport.chunks[1] as Buffer)[0] as number) & 0x40, 0x40, 'RSV1 on the compressed one');
  });

  test('compress: false (prepared or per send) keeps the shared frames over the threshold', async () => {
    const extension = new ThresholdExtension();
    const { connection, transport } = open({ extension });
    const forced = prepareMessage('a long enough message', { compress: false });
    const plain = prepareMessage('another long message');
    connection.sendPrepared(forced);
    connection.sendPrepared(plain, { compress: false });
    await tick();
    assert.equal(transport.chunks[0], forced.frames[0]);
    assert.equal(transport.chunks[1], plain.frames[0]);
    assert.equal(extension.compressCalls.length, 0);
  });

  test('the extension threshold also decides for send()', async () => {
    const extension = new ThresholdExtension();
    const { connection } = open({ extension });
    connection.send('short');
    connection.send('long enough');
    await tick();
    assert.deepEqual(
      extension.compressCalls.map((call) => Buffer.from(call.data, 'hex').toString()),
      ['long enough'],
    );
  });

  test('a fragmentSize under the payload size frames it here, in several frames', async () => {
    const { connection, transport } = open({ fragmentSize: 2 });
    const prepared = prepareMessage('abcd');
    connection.sendPrepared(prepared);
    connection.sendPrepared(prepareMessage('ok'));
    await tick();
    assert.equal(toHex(transport.bytes), '01 02 61 62 80 02 63 64 81 02 6f 6b');
  });

  test('behind a streaming writer it waits its turn, then goes out as the prepared frame', async () => {
    const { connection, transport } = open();
    const writer = connection.writeStream('text').getWriter();
    await writer.write('x');
    const prepared = prepareMessage('p');
    connection.sendPrepared(prepared);
    await tick();
    assert.equal(toHex(transport.bytes), '01 01 78', 'only the fragment so far');
    await writer.close();
    await tick();
    assert.equal(toHex(transport.bytes), '01 01 78 80 00 81 01 70');
    assert.equal(transport.chunks.at(-1), prepared.frames[0]);
  });

  test('throws once the connection is closing, like send()', async () => {
    const { connection } = open();
    void connection.close();
    assert.throws(() => connection.sendPrepared(prepareMessage('late')), { name: 'ConnectionClosedError' });
    connection.terminate(); // no close timer left running
  });
});
