// Streaming reads and writes (WebSocketStream-shaped), with backpressure end to end.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ConnectionClosedError } from '../../src/errors.js';
import { connectionPair, macrotask, rawPair, until } from '../helpers/connection-pair.js';
import { clientFrame } from '../helpers/frames.js';

const TEXT = 0x1;
const BINARY = 0x2;
const CONTINUATION = 0x0;
const PING = 0x9;

async function readAll(readable: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of readable) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('readStream()', () => {
  test('yields chunks as frames arrive, before the message is complete', async () => {
    const { connection, peer } = rawPair();
    const next = connection.readStream();
    peer.send(clientFrame({ opcode: TEXT, fin: false, payload: 'abc' }));
    const { type, readable } = await next;
    assert.equal(type, 'text');
    const reader = readable.getReader();
    assert.equal(Buffer.from((await reader.read()).value as Uint8Array).toString(), 'abc');
    peer.send(clientFrame({ opcode: CONTINUATION, fin: true, payload: 'def' }));
    assert.equal(Buffer.from((await reader.read()).value as Uint8Array).toString(), 'def');
    assert.equal((await reader.read()).done, true);
    connection.terminate();
  });

  test('a message already arriving is taken over with the part received so far', async () => {
    const { connection, peer } = rawPair();
    peer.send(clientFrame({ opcode: BINARY, fin: false, payload: 'first ' }));
    await until(() => peer.end.writableLength === 0);
    const stream = connection.readStream();
    peer.send(clientFrame({ opcode: CONTINUATION, fin: true, payload: 'second' }));
    const { readable } = await stream;
    assert.equal((await readAll(readable)).toString(), 'first second');
    connection.terminate();
  });

  test('a queued whole message is given as a one-chunk stream; read() and readStream() interleave in order', async () => {
    const { client, server } = connectionPair();
    client.send('one');
    client.send(Buffer.from('two'));
    client.send('three');
    const first = await server.readStream();
    assert.equal(first.type, 'text');
    assert.equal((await readAll(first.readable)).toString(), 'one');
    const second = await server.readStream();
    assert.equal(second.type, 'binary');
    assert.equal((await readAll(second.readable)).toString(), 'two');
    assert.deepEqual(await server.read(), { type: 'text', data: 'three' });
    client.terminate();
  });

  test('cancelling a message stream drops the rest of that message only', async () => {
    const { connection, peer } = rawPair();
    const stream = connection.readStream();
    peer.send(clientFrame({ opcode: BINARY, fin: false, payload: 'part 1' }));
    const { readable } = await stream;
    await readable.cancel();
    peer.send(
      clientFrame({ opcode: CONTINUATION, fin: true, payload: 'part 2' }),
      clientFrame({ opcode: TEXT, payload: 'next' }),
    );
    assert.deepEqual(await connection.read(), { type: 'text', data: 'next' });
    connection.terminate();
  });

  test('a stream in progress errors with ConnectionClosedError when the connection drops', async () => {
    const { connection, peer } = rawPair();
    const stream = connection.readStream();
    peer.send(clientFrame({ opcode: BINARY, fin: false, payload: 'partial' }));
    const { readable } = await stream;
    const reader = readable.getReader();
    await reader.read();
    peer.end.destroy();
    await assert.rejects(reader.read(), ConnectionClosedError);
    assert.equal((await connection.closed).code, 1006);
  });
});

describe('writeStream()', () => {
  test('chunks go out as fragments, FIN on close (RFC 6455 5.4)', async () => {
    const { connection, peer } = rawPair();
    const writable = connection.writeStream('text');
    const writer = writable.getWriter();
    await writer.write('Hel');
    await writer.write(Buffer.from('lo'));
    await writer.close();
    await until(() => peer.frames().length === 3);
    assert.deepEqual(
      peer.frames().map((f) => [f.opcode, f.fin, f.payload.toString()]),
      [
        [TEXT, false, 'Hel'],
        [CONTINUATION, false, 'lo'],
        [CONTINUATION, true, ''],
      ],
    );
    connection.terminate();
  });

  test('holds the data channel: later messages wait behind it, pings pass between its fragments', async () => {
    const { connection, peer } = rawPair();
    connection.send('before');
    const writer = connection.writeStream('binary').getWriter();
    await writer.write(Buffer.from('a'));
    connection.send('after'); // waits for the stream's FIN
    const pong = connection.ping('between');
    await macrotask();
    await writer.write(Buffer.from('b'));
    await writer.close();
    await until(() => peer.frames().length === 6);
    assert.deepEqual(
      peer.frames().map((f) => [f.opcode, f.fin, f.payload.toString()]),
      [
        [TEXT, true, 'before'],
        [BINARY, false, 'a'],
        [PING, true, 'between'],
        [CONTINUATION, false, 'b'],
        [CONTINUATION, true, ''],
        [TEXT, true, 'after'],
      ],
    );
    connection.terminate();
    await assert.rejects(pong, ConnectionClosedError);
  });

  test('a second stream writer waits for the first to finish', async () => {
    const { client, server } = connectionPair();
    const first = client.writeStream('text').getWriter();
    const second = client.writeStream('text').getWriter();
    const secondDone = (async () => {
      await second.write('second');
      await second.close();
    })();
    await first.write('first ');
    await first.write('message');
    await macrotask();
    await first.close();
    await secondDone;
    assert.deepEqual(await server.read(), { type: 'text', data: 'first message' });
    assert.deepEqual(await server.read(), { type: 'text', data: 'second' });
    client.terminate();
  });

  test('abort() fails the connection with 1011 so a truncated message is never taken as whole', async () => {
    const { client, server } = connectionPair();
    const writer = client.writeStream('binary').getWriter();
    await writer.write(Buffer.from('half a message'));
    await writer.abort(new Error('producer failed'));
    const info = await server.closed;
    assert.equal(info.code, 1011);
    await assert.rejects(server.read(), ConnectionClosedError);
  });

  test('close() during a stream sends the Close between fragments and errors the writer', async () => {
    const { client, server } = connectionPair();
    const writer = client.writeStream('binary').getWriter();
    await writer.write(Buffer.from('abc'));
    await client.close(1001, 'shutting down');
    await assert.rejects(writer.write(Buffer.from('more')), ConnectionClosedError);
    assert.equal((await server.closed).code, 1001);
  });
});

describe('writeStream() backpressure and accounting', () => {
  test('a stream write waits while over maxBufferedBytes, and resumes when the peer reads', async () => {
    const { client, server } = connectionPair({
      server: { maxBufferedBytes: 1000 },
      pipe: { highWaterMark: 100 },
    });
    client.pause();
    const writer = server.writeStream('binary').getWriter();
    await writer.write(Buffer.alloc(600));
    let resolved = false;
    const second = writer.write(Buffer.alloc(600)).then(() => {
      resolved = true;
    });
    for (let i = 0; i < 5; i++) await macrotask();
    assert.equal(resolved, false);
    const reading = client.readStream();
    client.resume();
    await second;
    await writer.close();
    const { readable } = await reading;
    let length = 0;
    for await (const chunk of readable) length += chunk.length;
    assert.equal(length, 1200);
    server.terminate();
  });

  test('messages waiting behind an open stream are reported unsent when the connection drops', async () => {
    const { client, server } = connectionPair();
    const writer = client.writeStream('text').getWriter();
    await writer.write('partial');
    client.send('queued behind the stream');
    client.send('and another');
    assert.ok(client.bufferedAmount > 0);
    client.terminate();
    assert.equal((await client.closed).unsentMessages, 2);
    await assert.rejects(writer.write('more'), ConnectionClosedError);
    await server.closed;
  });
});

describe('the stream getter (WebSocketStream shape)', () => {
  test('readable yields messages and ends on a normal closure; writable sends and closes', async () => {
    const { client, server } = connectionPair();
    const { readable, writable } = client.stream;
    assert.equal(client.stream.readable, readable, 'the same pair every time');
    const writer = writable.getWriter();
    await writer.write('ping');
    assert.equal((await server.read()).data, 'ping');
    server.send('pong');
    server.send(Buffer.from([1]));
    const reader = readable.getReader();
    assert.deepEqual(await reader.read(), { done: false, value: { type: 'text', data: 'pong' } });
    assert.equal((await reader.read()).value?.type, 'binary');
    const ended = reader.read();
    await writer.close();
    assert.equal((await ended).done, true);
    assert.equal((await client.closed).code, 1000);
  });
});

describe('bounded memory (issue 3: a large message in bounded memory)', () => {
  test('64 MiB streamed through the pipe keeps buffers bounded at every point', async () => {
    const total = 64 * 1024 * 1024;
    const chunkSize = 64 * 1024;
    const { client, server, serverEnd, clientEnd } = connectionPair({ both: { maxPayload: total } });
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = 0;
    let clientPauses = 0;
    const pause = clientEnd.pause.bind(clientEnd);
    clientEnd.pause = () => {
      clientPauses++;
      pause();
    };

    const sending = (async () => {
      const writer = server.writeStream('binary').getWriter();
      for (let offset = 0; offset < total; offset += chunkSize) {
        // A fresh buffer per chunk, so anything retained would show in arrayBuffers.
        await writer.write(Buffer.alloc(chunkSize, (offset / chunkSize) & 0xff));
      }
      await writer.close();
    })();

    const { readable } = await client.readStream();
    let received = 0;
    let chunks = 0;
    let wrongBytes = 0;
    for await (const chunk of readable) {
      // Check content where each sent chunk begins: it carries its index.
      for (
        let at = received % chunkSize === 0 ? 0 : chunkSize - (received % chunkSize);
        at < chunk.length;
        at += chunkSize
      ) {
        if (chunk[at] !== (((received + at) / chunkSize) & 0xff)) wrongBytes++;
      }
      received += chunk.length;
      if (++chunks % 64 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
        for (let i = 0; i < 4; i++) await macrotask(); // a slow reader
      }
    }
    await sending;
    assert.equal(received, total);
    assert.equal(wrongBytes, 0);
    assert.ok(clientPauses > 0, 'the reader side paused its transport while the stream was full');
    // In flight: the server's 1 MiB bound plus one batch; never the whole message.
    assert.ok(serverEnd.maxWritableLength <= 2 * 1024 * 1024, `in flight ${serverEnd.maxWritableLength}`);
    assert.ok(peak < 16 * 1024 * 1024, `peak arrayBuffers over baseline: ${peak}`);
    client.terminate();
  });
});
