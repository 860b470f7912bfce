import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import zlib from 'node:zlib';
import {
  ConnectionClosedError,
  CorruptDataError,
  MessageTooBigError,
  ProtocolError,
} from '../../../src/errors.js';
import { DEFAULT_DEFLATE_THRESHOLD, PerMessageDeflate } from '../../../src/node/deflate.js';
import { drainContextPool, pooledContextCount } from '../../../src/node/zlib-context-pool.js';
import type { DeflateParameters } from '../../../src/protocol/extensions/permessage-deflate.js';
import { deflateClient, deflateServer } from '../../helpers/deflate-endpoints.js';

const TAKEOVER: DeflateParameters = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};
const NO_TAKEOVER: DeflateParameters = {
  ...TAKEOVER,
  serverNoContextTakeover: true,
  clientNoContextTakeover: true,
};
const BIG = Number.MAX_SAFE_INTEGER;
// A message's inflate ends at a sync flush, not at the end of a stream.
const SYNC = { finishFlush: zlib.constants.Z_SYNC_FLUSH };

function pair(params: DeflateParameters, options = {}) {
  return {
    server: new PerMessageDeflate('server', params, options),
    client: new PerMessageDeflate('client', params, options),
  };
}

/** JSON-like text: repetitive enough to compress, varied enough to need a real window. */
function jsonLike(count: number, seed = 0): Buffer {
  const items: string[] = [];
  for (let i = 0; i < count; i++)
    items.push(`{"id":${i + seed},"name":"user-${(i * 7919 + seed) % 1000}","active":${i % 3 === 0}}`);
  return Buffer.from(`[${items.join(',')}]`);
}

after(() => drainContextPool());

describe('PerMessageDeflate: round trips', () => {
  test('server to client and client to server, with and without context takeover', () => {
    for (const params of [TAKEOVER, NO_TAKEOVER]) {
      const { server, client } = pair(params);
      for (let i = 0; i < 5; i++) {
        const message = jsonLike(50 + i * 10, i);
        assert.deepEqual(client.decompress(server.compress(message, true), true, BIG), message);
        assert.deepEqual(server.decompress(client.compress(message, true), true, BIG), message);
      }
      server.dispose();
      client.dispose();
    }
  });

  test('random (incompressible) and empty messages survive', () => {
    const { server, client } = pair(TAKEOVER);
    const random = randomBytes(200_000);
    assert.deepEqual(client.decompress(server.compress(random, true), true, BIG), random);
    // RFC 7692 7.2.3.6: an empty message is the single octet 0x00, also right after another message.
    assert.deepEqual(server.compress(Buffer.alloc(0), true), Buffer.from([0x00]));
    assert.deepEqual(server.compress(Buffer.alloc(0), true), Buffer.from([0x00]));
    assert.equal(client.decompress(Buffer.from([0x00]), true, BIG).length, 0);
    server.dispose();
    client.dispose();
  });

  test('a message compressed in fragments and inflated in other pieces', () => {
    const { server, client } = pair(TAKEOVER);
    const message = jsonLike(2000);
    const parts: Buffer[] = [];
    for (let offset = 0; offset < message.length; offset += 10_000) {
      const end = offset + 10_000 >= message.length;
      parts.push(server.compress(message.subarray(offset, offset + 10_000), end));
    }
    const wire = Buffer.concat(parts);
    const inflated: Buffer[] = [];
    for (let offset = 0; offset < wire.length; offset += 333) {
      const end = offset + 333 >= wire.length;
      inflated.push(Buffer.from(client.decompress(wire.subarray(offset, offset + 333), end, BIG)));
    }
    assert.deepEqual(Buffer.concat(inflated), message);
    server.dispose();
    client.dispose();
  });

  test('output large enough to need several zlib steps is returned whole', () => {
    const { server, client } = pair(TAKEOVER);
    const message = Buffer.alloc(3 * 1024 * 1024, 'abcdefgh');
    assert.deepEqual(client.decompress(server.compress(message, true), true, BIG), message);
    server.dispose();
    client.dispose();
  });

  test('the output is what any raw inflater reads once 00 00 ff ff is appended (RFC 7692 7.2.1)', () => {
    const server = new PerMessageDeflate('server', TAKEOVER);
    const message = jsonLike(100);
    const wire = server.compress(message, true);
    assert.notDeepEqual(wire.subarray(-4), Buffer.from([0, 0, 0xff, 0xff]));
    const inflated = zlib.inflateRawSync(Buffer.concat([wire, Buffer.from([0, 0, 0xff, 0xff])]), SYNC);
    assert.deepEqual(inflated, message);
    server.dispose();
  });
});

describe('PerMessageDeflate: context takeover (RFC 7692 7.1.1)', () => {
  test('with takeover, a repeated message refers back to the previous one and shrinks', () => {
    const server = new PerMessageDeflate('server', TAKEOVER);
    const message = jsonLike(40);
    const first = server.compress(message, true);
    const second = server.compress(message, true);
    assert.ok(second.length < first.length / 4, `${second.length} vs ${first.length}`);
    server.dispose();
  });

  test('without takeover, every message is a stream of its own: same input, same bytes', () => {
    const server = new PerMessageDeflate('server', NO_TAKEOVER);
    const message = jsonLike(40);
    const first = server.compress(message, true);
    assert.deepEqual(server.compress(message, true), first);
    // And a fresh inflater reads each one alone.
    const inflated = zlib.inflateRawSync(Buffer.concat([first, Buffer.from([0, 0, 0xff, 0xff])]), SYNC);
    assert.deepEqual(inflated, message);
    server.dispose();
  });

  test('each side follows its own half: server_no_context_takeover only', () => {
    const params = { ...TAKEOVER, serverNoContextTakeover: true };
    const { server, client } = pair(params);
    const message = jsonLike(40);
    assert.deepEqual(server.compress(message, true), server.compress(message, true));
    const first = client.compress(message, true);
    assert.ok(client.compress(message, true).length < first.length / 4);
    server.dispose();
    client.dispose();
  });

  test('without takeover no context stays with the connection: they return to the shared pool', () => {
    drainContextPool();
    const { server, client } = pair(NO_TAKEOVER);
    const message = jsonLike(40);
    for (let i = 0; i < 3; i++) client.decompress(server.compress(message, true), true, BIG);
    // One deflater and one inflater, reused for every message of both connections.
    assert.equal(pooledContextCount(), 2);
    const other = pair(NO_TAKEOVER);
    other.client.decompress(other.server.compress(message, true), true, BIG);
    assert.equal(pooledContextCount(), 2);
    for (const extension of [server, client, other.server, other.client]) extension.dispose();
    assert.equal(pooledContextCount(), 2);
  });

  test('a pooled context in the middle of a fragmented message goes back reset on dispose', () => {
    drainContextPool();
    const { server, client } = pair(NO_TAKEOVER);
    server.compress(jsonLike(10), false);
    assert.equal(pooledContextCount(), 0);
    server.dispose();
    assert.equal(pooledContextCount(), 1);
    const message = jsonLike(10);
    assert.deepEqual(
      client.decompress(new PerMessageDeflate('server', NO_TAKEOVER).compress(message, true), true, BIG),
      message,
    );
    client.dispose();
  });

  test('a stream ended by a BFINAL block is followed by a fresh one (RFC 7692 7.2.3.4)', () => {
    const client = new PerMessageDeflate('client', TAKEOVER);
    // "Hello" in a final block, then the 0x00 that begins the block the appended 4 octets complete.
    const finalBlock = Buffer.from([0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00]);
    assert.equal(client.decompress(finalBlock, true, BIG).toString(), 'Hello');
    assert.equal(
      client.decompress(Buffer.from([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), true, BIG).toString(),
      'Hello',
    );
    client.dispose();
  });
});

describe('PerMessageDeflate: window bits (RFC 7692 7.1.2)', () => {
  test('every window size 8..15 round-trips, and the receiver inflates with just that window', () => {
    const message = jsonLike(3000);
    for (let bits = 8; bits <= 15; bits++) {
      const params = { ...TAKEOVER, serverMaxWindowBits: bits, clientMaxWindowBits: bits };
      const { server, client } = pair(params);
      for (let i = 0; i < 2; i++) {
        assert.deepEqual(
          client.decompress(server.compress(message, true), true, BIG),
          message,
          `bits ${bits}`,
        );
        assert.deepEqual(
          server.decompress(client.compress(message, true), true, BIG),
          message,
          `bits ${bits}`,
        );
      }
      server.dispose();
      client.dispose();
    }
  });

  test('a window of 8 compresses with 9 (zlib refuses 8) and an 8-bit inflater reads it', () => {
    // zlib's compressor never looks back further than w_size - 262 = 250 bytes with a 512-byte window.
    const server = new PerMessageDeflate('server', { ...TAKEOVER, serverMaxWindowBits: 8 });
    const message = jsonLike(2000);
    const wire = Buffer.concat([server.compress(message, true), Buffer.from([0, 0, 0xff, 0xff])]);
    assert.deepEqual(zlib.inflateRawSync(wire, { ...SYNC, windowBits: 8 }), message);
    server.dispose();
  });

  test('a bigger window than agreed is refused by the inflater: corrupt data, 1002', () => {
    const sender = new PerMessageDeflate('server', TAKEOVER);
    const receiver = new PerMessageDeflate('client', { ...TAKEOVER, serverMaxWindowBits: 9 });
    // Repeats 20 KiB apart: only a 15-bit window can reach back that far.
    const block = randomBytes(20_000);
    const wire = sender.compress(Buffer.concat([block, block]), true);
    assert.throws(
      () => receiver.decompress(wire, true, BIG),
      (error: unknown) => error instanceof CorruptDataError && error.closeCode === 1002,
    );
    sender.dispose();
    receiver.dispose();
  });
});

describe('PerMessageDeflate: limits and bad input', () => {
  test('a decompression bomb stops at the limit with 1009 and bounded memory', () => {
    const { server, client } = pair(TAKEOVER);
    const bomb = server.compress(Buffer.alloc(64 * 1024 * 1024), true); // about 64 KiB on the wire
    assert.ok(bomb.length < 100_000);
    const limit = 1024 * 1024;
    const before = process.memoryUsage().arrayBuffers;
    assert.throws(
      () => client.decompress(bomb, true, limit),
      (error: unknown) =>
        error instanceof MessageTooBigError && error.closeCode === 1009 && error.limit === limit,
    );
    // Inflating all of it would hold 64 MiB; the limit plus one step is what may be held.
    const growth = process.memoryUsage().arrayBuffers - before;
    assert.ok(growth < 4 * limit, `grew ${growth} bytes`);
    server.dispose();
    client.dispose();
  });

  test('the limit counts across the chunks of one message (the caller passes what is left)', () => {
    const { server, client } = pair(TAKEOVER);
    const message = Buffer.alloc(10_000, 'x');
    const wire = server.compress(message, true);
    // Exactly the size is allowed; one byte less is not.
    assert.equal(client.decompress(wire, true, 10_000).length, 10_000);
    const again = server.compress(message, true);
    assert.throws(() => client.decompress(again, true, 9_999), MessageTooBigError);
    server.dispose();
    client.dispose();
  });

  test('corrupt data is a CorruptDataError (1002), never a zlib error, and the next call starts fresh', () => {
    // 1002 here: this layer does not know the message's type; the protocol core makes it 1007 for text.
    const client = new PerMessageDeflate('client', TAKEOVER);
    for (const bad of [Buffer.from([0xff, 0xff, 0xff]), Buffer.from([0x07]), randomBytes(64)]) {
      assert.throws(
        () => client.decompress(bad, true, BIG),
        (error: unknown) =>
          error instanceof CorruptDataError &&
          error instanceof ProtocolError &&
          error.closeCode === 1002 &&
          error.code === 'ERR_PROTOCOL' &&
          error.cause instanceof Error,
      );
    }
    client.dispose();
  });

  test('after dispose, use is refused with ConnectionClosedError and dispose is idempotent', () => {
    const server = new PerMessageDeflate('server', TAKEOVER);
    server.compress(jsonLike(10), true);
    server.dispose();
    server.dispose();
    assert.throws(() => server.compress(Buffer.from('x'), true), ConnectionClosedError);
  });
});

describe('PerMessageDeflate: options', () => {
  test('threshold: below it messages stay uncompressed unless the write says otherwise', () => {
    const server = new PerMessageDeflate('server', TAKEOVER);
    assert.equal(server.threshold, DEFAULT_DEFLATE_THRESHOLD);
    assert.equal(server.shouldCompress(1023), false);
    assert.equal(server.shouldCompress(1024), true);
    assert.equal(server.shouldCompress(10, true), true);
    assert.equal(server.shouldCompress(100_000, false), false);
    const eager = new PerMessageDeflate('server', TAKEOVER, { threshold: 0 });
    assert.equal(eager.shouldCompress(0), true);
  });

  test('level: 0 stores, 9 compresses at least as well as 1', () => {
    const message = jsonLike(500);
    const sizes = [0, 1, 9].map((level) => {
      const server = new PerMessageDeflate('server', NO_TAKEOVER, { level });
      const size = server.compress(message, true).length;
      server.dispose();
      return size;
    });
    assert.ok((sizes[0] as number) > message.length);
    assert.ok((sizes[2] as number) <= (sizes[1] as number));
  });

  test('contexts are created on first use only', () => {
    drainContextPool();
    const server = new PerMessageDeflate('server', NO_TAKEOVER);
    server.dispose();
    assert.equal(pooledContextCount(), 0);
  });
});

describe('PerMessageDeflate: compressed frames built from reused memory', () => {
  test('compressTransient lends memory that the next compression reuses', () => {
    const { server, client } = pair(NO_TAKEOVER);
    const message = jsonLike(40);
    const lent = server.compressTransient(message);
    const kept = Buffer.from(lent);
    assert.deepEqual(client.decompress(kept, true, BIG), message);
    server.compressTransient(Buffer.from('x'.repeat(5000)));
    assert.notDeepEqual(lent, kept);
    // compress() gives a Buffer of the caller's own, equal to what was lent.
    const owned = server.compress(message, true);
    assert.deepEqual(owned, kept);
    server.compressTransient(jsonLike(40, 7));
    assert.deepEqual(owned, kept);
    server.dispose();
    client.dispose();
  });

  for (const role of ['server', 'client'] as const) {
    test(`a ${role}'s frames keep their bytes after later compressions (small and large payloads)`, () => {
      const sender = role === 'server' ? deflateServer(NO_TAKEOVER) : deflateClient(NO_TAKEOVER);
      const receiver = role === 'server' ? deflateClient(NO_TAKEOVER) : deflateServer(NO_TAKEOVER);
      // Compressed sizes on both sides of the 2 KiB line where a frame stops copying its payload.
      const messages = [jsonLike(60), randomBytes(3000), jsonLike(40, 5), randomBytes(1500), jsonLike(2000)];
      const wire: Buffer[] = [];
      for (const message of messages) {
        const out: Buffer[] = [];
        sender.protocol.frameMessage('binary', message, out, true);
        wire.push(...out);
      }
      // Compress more before the frames are read (as a socket would, later): they must not change.
      const later: Buffer[] = [];
      for (let i = 0; i < 3; i++) sender.protocol.frameMessage('binary', randomBytes(4000), later, true);
      receiver.protocol.receive(Buffer.concat(wire));
      const received = receiver.handler.messages().map((message) => message.data);
      assert.equal(received.length, messages.length);
      for (let i = 0; i < messages.length; i++)
        assert.ok((received[i] as Buffer).equals(messages[i] as Buffer));
      sender.extension.dispose();
      receiver.extension.dispose();
    });
  }
});
