// Outbound backpressure, the control-frame priority lane and bounded pongs (issue 5).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectionClosedError } from '../../src/errors.js';
import { connectionPair, macrotask, rawPair, until } from '../helpers/connection-pair.js';
import { clientFrame } from '../helpers/frames.js';

const PING = 0x9;
const PONG = 0xa;
const BINARY = 0x2;

describe('outbound backpressure', () => {
  test('send() returns false over maxBufferedBytes; drained() and onDrain fire when it falls back', async () => {
    const { client, server } = connectionPair({
      client: { maxBufferedBytes: 1000 },
      pipe: { highWaterMark: 100 },
    });
    server.pause();
    assert.equal(client.send(Buffer.alloc(600)), true);
    assert.equal(client.send(Buffer.alloc(600)), false);
    assert.ok(client.bufferedAmount > 1000);
    let drains = 0;
    client.onDrain(() => drains++);
    let drained = false;
    const whenDrained = client.drained().then(() => {
      drained = true;
    });
    for (let i = 0; i < 5; i++) await macrotask();
    assert.equal(drained, false, 'the peer reads nothing: still over the bound');
    assert.ok(client.bufferedAmount > 1000, 'the bytes wait in the transport');
    server.resume();
    await whenDrained;
    assert.equal(drains, 1);
    assert.equal(client.bufferedAmount, 0);
    assert.equal((await server.read()).data.length, 600);
    assert.equal((await server.read()).data.length, 600);
    await client.drained(); // already under: resolves at once
    client.terminate();
  });

  test('write() resolves at once under the bound and waits while over it', async () => {
    const { client, server } = connectionPair({
      client: { maxBufferedBytes: 1000 },
      pipe: { highWaterMark: 100 },
    });
    server.pause();
    await client.write(Buffer.alloc(500));
    let resolved = false;
    const waiting = client.write(Buffer.alloc(800)).then(() => {
      resolved = true;
    });
    for (let i = 0; i < 5; i++) await macrotask();
    assert.equal(resolved, false);
    server.resume();
    await waiting;
    assert.equal((await server.read()).data.length, 500);
    assert.equal((await server.read()).data.length, 800);
    client.terminate();
  });

  test('closing with messages still queued rejects waiting writes and reports them unsent', async () => {
    const { client, server } = connectionPair({
      client: { maxBufferedBytes: 100 },
      pipe: { highWaterMark: 10 },
    });
    server.pause();
    const first = client.write(Buffer.alloc(50)); // handed to the transport on the next microtask
    await macrotask();
    await first;
    // The transport is congested now: these stay in the connection's queue.
    const waiting = [
      client.write(Buffer.alloc(80)),
      client.write(Buffer.alloc(80)),
      client.write(Buffer.alloc(80)),
    ];
    client.terminate();
    for (const write of waiting) await assert.rejects(write, ConnectionClosedError);
    const info = await client.closed;
    assert.equal(info.code, 1006);
    assert.equal(info.unsentMessages, 3);
    await server.closed;
  });

  test("backpressure: 'close' closes a peer that stays over the bound with 1013", async () => {
    const { client, server } = connectionPair({
      client: { maxBufferedBytes: 1000, backpressure: 'close' },
      pipe: { highWaterMark: 100 },
    });
    server.pause();
    assert.equal(client.send(Buffer.alloc(1500)), false, 'one large message is accepted');
    await macrotask();
    assert.throws(() => client.send('more'), ConnectionClosedError);
    assert.equal(client.readyState, 'closing');
    server.resume();
    assert.equal((await server.read()).data.length, 1500, 'what reached the transport is delivered');
    const [clientInfo, serverInfo] = await Promise.all([client.closed, server.closed]);
    assert.equal(clientInfo.code, 1013);
    assert.equal(serverInfo.code, 1013);
    assert.equal(serverInfo.reason, 'send buffer full: the peer reads too slowly');
  });

  test('a custom close code (1008) for the close policy', async () => {
    const { client, server } = connectionPair({
      server: { maxBufferedBytes: 10, backpressure: 'close', backpressureCloseCode: 1008 },
      pipe: { highWaterMark: 1 },
    });
    client.pause();
    server.send('0123456789abcdef');
    await macrotask();
    await assert.rejects(server.write('x'), ConnectionClosedError);
    client.resume();
    assert.equal((await client.closed).code, 1008);
  });
});

describe('control frames take a priority lane (RFC 6455 5.4, 5.5)', () => {
  test('a pong overtakes data held in the queue, never splitting a frame', async () => {
    const { connection, peer } = rawPair({ pipe: { highWaterMark: 10 } });
    peer.end.pause();
    connection.send(Buffer.alloc(100, 1));
    await macrotask(); // A is in the transport, which is over its high-water mark now
    connection.send(Buffer.alloc(100, 2));
    connection.send(Buffer.alloc(100, 3));
    const before = connection.bufferedAmount;
    peer.send(clientFrame({ opcode: PING, payload: 'are you there' }));
    await until(() => connection.bufferedAmount > before); // the pong waits in the queue too
    peer.end.resume();
    await until(() => peer.frames().length === 4);
    const frames = peer.frames();
    assert.deepEqual(
      frames.map((f) => [f.opcode, f.payload[0]]),
      [
        [BINARY, 1],
        [PONG, 'a'.charCodeAt(0)],
        [BINARY, 2],
        [BINARY, 3],
      ],
    );
    assert.equal(frames[1]?.payload.toString(), 'are you there');
    connection.terminate();
  });

  test("a ping flood owes at most 128 pongs: past them the newest ping takes the newest owed pong's place (RFC 6455 5.5.3)", async () => {
    const { connection, peer } = rawPair({ pipe: { highWaterMark: 10 } });
    peer.end.pause();
    connection.send(Buffer.alloc(100));
    await macrotask();
    const pings = Array.from({ length: 1000 }, (_, i) => clientFrame({ opcode: PING, payload: `ping ${i}` }));
    for (let i = 0; i < 1000; i += 100) {
      peer.send(...pings.slice(i, i + 100));
      await macrotask();
    }
    await until(() => peer.end.writableLength === 0); // every ping reached the connection
    // 100 bytes of data in the transport, and 128 owed pongs of 2 + 7 or 8 bytes held here.
    assert.ok(connection.bufferedAmount <= 100 + 128 * 10, `bufferedAmount ${connection.bufferedAmount}`);
    assert.equal(connection.stats.pongsCoalesced, 1000 - 128);
    peer.end.resume();
    await until(() => peer.frames().length >= 129);
    for (let i = 0; i < 5; i++) await macrotask();
    const frames = peer.frames();
    assert.equal(frames[0]?.opcode, BINARY);
    const pongs = frames.slice(1);
    assert.ok(pongs.every((f) => f.opcode === PONG));
    // The first 127 pings have their own pong, in order; the newest one answers for the rest.
    const expected = Array.from({ length: 127 }, (_, i) => `ping ${i}`).concat('ping 999');
    assert.deepEqual(
      pongs.map((f) => f.payload.toString()),
      expected,
    );
    connection.terminate();
  });

  test('pings in one read get one pong each, in order, in one write', async () => {
    const { connection, peer, connectionEnd } = rawPair();
    const pings = Array.from({ length: 50 }, (_, i) => clientFrame({ opcode: PING, payload: `p${i}` }));
    peer.send(...pings);
    await until(() => peer.frames().length >= 50);
    for (let i = 0; i < 3; i++) await macrotask();
    assert.deepEqual(
      peer.frames().map((f) => [f.opcode, f.payload.toString()]),
      Array.from({ length: 50 }, (_, i) => [PONG, `p${i}`]),
    );
    assert.equal(connectionEnd.writeCalls, 1);
    assert.equal(connection.stats.pongsCoalesced, 0);
    connection.terminate();
  });
});
