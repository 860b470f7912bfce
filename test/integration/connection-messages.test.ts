// Whole messages through a client and a server Connection joined by an in-memory pipe.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jsonCodec } from '../../src/codecs/json-codec.js';
import { textCodec } from '../../src/codecs/text-codec.js';
import { Connection } from '../../src/connection/connection.js';
import type { Message } from '../../src/connection/message.js';
import { ConnectionClosedError, WebSocketError } from '../../src/errors.js';
import { connectionPair, macrotask, rawPair, until } from '../helpers/connection-pair.js';
import { clientFrame, fixedMaskSource, frame } from '../helpers/frames.js';
import { createPipe } from '../helpers/pipe.js';

describe('whole messages', () => {
  test('text and binary go both ways with their types', async () => {
    const { client, server } = connectionPair();
    client.send('hello');
    client.send(Buffer.from([1, 2, 3]));
    assert.deepEqual(await server.read(), { type: 'text', data: 'hello' });
    const binary = await server.read();
    assert.equal(binary.type, 'binary');
    assert.deepEqual([...(binary.data as Buffer)], [1, 2, 3]);
    server.send('back');
    assert.deepEqual(await client.read(), { type: 'text', data: 'back' });
    client.terminate();
  });

  test('Uint8Array, ArrayBuffer and DataView are binary; options.binary overrides the default', async () => {
    const { client, server } = connectionPair();
    client.send(new Uint8Array([9, 8]));
    client.send(new Uint8Array([7, 6]).buffer);
    client.send(new DataView(new Uint8Array([5, 4, 3]).buffer, 1, 2));
    client.send('as bytes', { binary: true });
    client.send(Buffer.from('as text'), { binary: false });
    const got: Message[] = [];
    for (let i = 0; i < 5; i++) got.push(await server.read());
    assert.deepEqual(
      got.map((m) => [m.type, typeof m.data === 'string' ? m.data : [...m.data]]),
      [
        ['binary', [9, 8]],
        ['binary', [7, 6]],
        ['binary', [4, 3]],
        ['binary', [...Buffer.from('as bytes')]],
        ['text', 'as text'],
      ],
    );
    assert.throws(() => client.send(42 as unknown as string), WebSocketError);
    client.terminate();
  });

  test('a message sent in fragments arrives whole', async () => {
    const { client, server } = connectionPair({ client: { fragmentSize: 3 } });
    client.send('fragmented message');
    assert.deepEqual(await server.read(), { type: 'text', data: 'fragmented message' });
    client.terminate();
  });

  test('concurrent write() calls from many tasks go out whole and in call order', async () => {
    const { client, server } = connectionPair({ client: { fragmentSize: 7 } });
    const tasks = Array.from({ length: 20 }, async (_, task) => {
      await macrotask();
      for (let i = 0; i < 5; i++) await client.write(`task ${task} message ${i}`);
    });
    const calls: string[] = [];
    const original = client.write.bind(client);
    client.write = (data, options) => {
      calls.push(String(data));
      return original(data, options);
    };
    await Promise.all(tasks);
    const received: string[] = [];
    for (let i = 0; i < 100; i++) received.push((await server.read()).data as string);
    assert.deepEqual(received, calls);
    client.terminate();
  });

  test('for await iterates until a normal closure', async () => {
    const { client, server } = connectionPair();
    client.send('a');
    client.send('b');
    void client.close(1000, 'done');
    const seen: unknown[] = [];
    for await (const message of server) seen.push(message.data);
    assert.deepEqual(seen, ['a', 'b']);
    assert.equal((await server.closed).code, 1000);
  });

  test('for await throws ConnectionClosedError when the connection drops', async () => {
    const { client, server } = connectionPair();
    client.send('a');
    await until(() => server.bufferedAmount === 0 && client.bufferedAmount === 0);
    await macrotask();
    client.terminate();
    const seen: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const message of server) seen.push(message.data);
      })(),
      (error: unknown) => error instanceof ConnectionClosedError && error.closeCode === 1006,
    );
    assert.deepEqual(seen, ['a']);
  });

  test('messages queued before the close can still be read after it', async () => {
    const { client, server } = connectionPair();
    client.send('one');
    client.send('two');
    await client.close();
    assert.equal(server.readyState, 'closed');
    assert.equal((await server.read()).data, 'one');
    assert.equal((await server.read()).data, 'two');
    await assert.rejects(server.read(), ConnectionClosedError);
  });

  test('read() waiting when the peer closes rejects with its code and reason', async () => {
    const { client, server } = connectionPair();
    const pending = server.read();
    void client.close(4000, 'bye');
    await assert.rejects(pending, (error: unknown) => {
      assert.ok(error instanceof ConnectionClosedError);
      assert.equal(error.closeCode, 4000);
      assert.equal(error.reason, 'bye');
      return true;
    });
  });

  test('onMessage and onRawMessage take messages by callback; queued ones are delivered at once', async () => {
    const { client, server } = connectionPair();
    client.send('early');
    await until(() => server.bufferedAmount === 0);
    await macrotask();
    await macrotask();
    const messages: Message[] = [];
    server.onMessage((message) => messages.push(message));
    assert.deepEqual(messages, [{ type: 'text', data: 'early' }]);
    server.onMessage(null);
    const raw: [string, string][] = [];
    server.onRawMessage((data, type) => raw.push([type, data.toString('hex')]));
    client.send('hi');
    client.send(Buffer.from([0xff]));
    await until(() => raw.length === 2);
    assert.deepEqual(raw, [
      ['text', Buffer.from('hi').toString('hex')],
      ['binary', 'ff'],
    ]);
    client.terminate();
  });

  test('a listener that throws closes the connection with 1011 and the error goes to onError', async () => {
    const { client, server } = connectionPair();
    const boom = new Error('listener bug');
    const errors: unknown[] = [];
    server.onError((error) => errors.push(error));
    server.onMessage(() => {
      throw boom;
    });
    client.send('x');
    const info = await client.closed;
    assert.equal(info.code, 1011);
    assert.equal(info.wasClean, true);
    assert.deepEqual(errors, [boom]);
    assert.equal((await server.closed).code, 1011);
  });

  test('codec helpers: typed JSON with validation, text', async () => {
    interface Point {
      x: number;
      y: number;
    }
    const isPoint = (value: unknown): value is Point =>
      typeof value === 'object' && value !== null && typeof (value as Point).x === 'number';
    const points = jsonCodec<Point>({ validate: isPoint });
    const { client, server } = connectionPair();
    client.sendValue(points, { x: 1, y: 2 });
    await client.writeValue(textCodec, 'plain');
    client.send('{"nope":true}');
    const point: Point = await server.readValue(points);
    assert.deepEqual(point, { x: 1, y: 2 });
    assert.equal(await server.readValue(textCodec), 'plain');
    await assert.rejects(server.readValue(points), WebSocketError);
    client.terminate();
  });
});

describe('hot path', () => {
  test('replies produced in one transport read leave in one transport write', async () => {
    const { client, server, clientEnd, serverEnd } = connectionPair();
    server.onRawMessage((data, type) => server.send(data, { binary: type === 'binary' }));
    // Ten messages framed in one turn arrive in one chunk.
    for (let i = 0; i < 10; i++) client.send(`m${i}`);
    await until(() => clientEnd.writeCalls === 1);
    const before = serverEnd.writeCalls;
    const replies: string[] = [];
    for (let i = 0; i < 10; i++) replies.push((await client.read()).data as string);
    assert.deepEqual(
      replies,
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    );
    assert.equal(serverEnd.writeCalls - before, 1);
    assert.equal(clientEnd.writeCalls, 1, 'ten sends in one task: one write on the next microtask');
    client.terminate();
  });

  test('the bytes read past the handshake (head) are fed first', async () => {
    const [a, b] = createPipe();
    const head = clientFrame({ opcode: 1, payload: 'from head' });
    const server = new Connection(a, { role: 'server', head });
    const client = new Connection(b, { role: 'client', maskSource: fixedMaskSource() });
    client.send('after');
    assert.equal((await server.read()).data, 'from head');
    assert.equal((await server.read()).data, 'after');
    client.terminate();
  });
});

describe('inbound flow control', () => {
  test('the transport pauses past maxQueuedMessages and resumes as the application reads', async () => {
    const { client, server, serverEnd } = connectionPair({ server: { maxQueuedMessages: 4 } });
    for (let i = 0; i < 20; i++) client.send(`n${i}`);
    await until(() => serverEnd.paused);
    await macrotask();
    await macrotask();
    assert.ok(serverEnd.paused);
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) seen.push((await server.read()).data as string);
    assert.deepEqual(
      seen,
      Array.from({ length: 20 }, (_, i) => `n${i}`),
    );
    assert.equal(serverEnd.paused, false);
    client.terminate();
  });

  test('the transport pauses past maxQueuedBytes', async () => {
    const { client, server, serverEnd } = connectionPair({ server: { maxQueuedBytes: 1000 } });
    client.send(Buffer.alloc(600));
    client.send(Buffer.alloc(600));
    await until(() => serverEnd.paused);
    assert.equal((await server.read()).data.length, 600);
    assert.ok(serverEnd.paused, 'still over half the byte bound');
    assert.equal((await server.read()).data.length, 600);
    assert.equal(serverEnd.paused, false);
    client.terminate();
  });

  test('pause() and resume() let a callback application hold the socket', async () => {
    const { client, server, serverEnd } = connectionPair();
    server.pause();
    assert.ok(serverEnd.paused);
    client.send('held');
    const got: unknown[] = [];
    server.onMessage((m) => got.push(m.data));
    await macrotask();
    await macrotask();
    assert.deepEqual(got, []);
    server.resume();
    await until(() => got.length === 1);
    client.terminate();
  });
});

describe('introspection', () => {
  test('readyState, protocol, extensions, remoteAddress, request, role', async () => {
    const request = { method: 'GET', url: '/chat', headers: { host: 'x' } };
    const { client, server } = connectionPair({ server: { protocol: 'chat', extensions: '', request } });
    assert.equal(server.readyState, 'open');
    assert.equal(server.protocol, 'chat');
    assert.equal(server.extensions, '');
    assert.equal(server.remoteAddress, '127.0.0.1');
    assert.equal(server.request, request);
    assert.equal(client.request, null);
    assert.equal(client.role, 'client');
    const closing = client.close();
    assert.equal(client.readyState, 'closing');
    await closing;
    assert.equal(client.readyState, 'closed');
    assert.throws(() => client.send('late'), ConnectionClosedError);
    await assert.rejects(client.write('late'), ConnectionClosedError);
  });

  test('a server reading a raw frame sequence sees exactly the messages in it', async () => {
    const { connection, peer } = rawPair();
    peer.send(
      clientFrame({ opcode: 1, fin: false, payload: 'Hel' }),
      clientFrame({ opcode: 9, payload: 'p' }),
      clientFrame({ opcode: 0, payload: 'lo' }),
    );
    assert.deepEqual(await connection.read(), { type: 'text', data: 'Hello' });
    await until(() => peer.frames().length === 1);
    assert.deepEqual(peer.frames()[0], { fin: true, opcode: 0xa, payload: Buffer.from('p') });
    void frame;
    connection.terminate();
  });
});
