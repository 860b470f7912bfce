// The close handshake, its deadlines, failures and ping/pong (RFC 6455 5.5, 7).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectionClosedError, WebSocketError } from '../../src/errors.js';
import { connectionPair, macrotask, rawPair, until } from '../helpers/connection-pair.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { clientFrame, closeBody, frame } from '../helpers/frames.js';
import type { PipeTransport } from '../helpers/pipe.js';

const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

function recordEnds(log: string[], name: string, end: PipeTransport): void {
  const original = end.end.bind(end);
  end.end = () => {
    log.push(name);
    original();
  };
}

describe('7.1.2 close handshake', () => {
  test('client-initiated: both sides report 1000 cleanly; the server ends TCP first (7.1.1)', async () => {
    const { client, server, clientEnd, serverEnd } = connectionPair();
    const ends: string[] = [];
    recordEnds(ends, 'client', clientEnd);
    recordEnds(ends, 'server', serverEnd);
    const info = await client.close(1000, 'bye');
    // The client reports the server's Close: the echo carries the code, not the reason (5.5.1).
    assert.deepEqual(info, { code: 1000, reason: '', wasClean: true, unsentMessages: 0 });
    assert.deepEqual(await server.closed, { code: 1000, reason: 'bye', wasClean: true, unsentMessages: 0 });
    assert.deepEqual(ends, ['server', 'client']);
    assert.equal(client.readyState, 'closed');
    assert.equal(server.readyState, 'closed');
  });

  test('close(null) sends a Close frame with no body: both sides report 1005, cleanly (7.1.5)', async () => {
    const { client, server } = connectionPair();
    const info = await client.close(null);
    assert.deepEqual(info, { code: 1005, reason: '', wasClean: true, unsentMessages: 0 });
    assert.deepEqual(await server.closed, { code: 1005, reason: '', wasClean: true, unsentMessages: 0 });
    // A reason needs a code (5.5.1): refused before any state change.
    const other = connectionPair();
    await assert.rejects(other.client.close(null, 'why'), { code: 'ERR_INVALID_ARGUMENT' });
    assert.equal(other.client.readyState, 'open');
    await other.client.close();
  });

  test('server-initiated: the server ends TCP once the echo arrives', async () => {
    const { client, server, clientEnd, serverEnd } = connectionPair();
    const ends: string[] = [];
    recordEnds(ends, 'client', clientEnd);
    recordEnds(ends, 'server', serverEnd);
    const info = await server.close(4001, 'custom');
    assert.equal(info.code, 4001);
    assert.equal(info.wasClean, true);
    assert.equal((await client.closed).reason, 'custom');
    assert.deepEqual(ends, ['server', 'client']);
  });

  test('messages queued before close() go out before the Close frame', async () => {
    const { client, server } = connectionPair();
    client.send('one');
    client.send('two');
    void client.close();
    assert.equal((await server.read()).data, 'one');
    assert.equal((await server.read()).data, 'two');
    assert.equal((await server.closed).code, 1000);
  });

  test('close() twice gives the same outcome; an invalid code rejects and leaves the connection open', async () => {
    const { client } = connectionPair();
    await assert.rejects(client.close(1005), WebSocketError);
    await assert.rejects(client.close(1000, 'x'.repeat(124)), WebSocketError);
    assert.equal(client.readyState, 'open');
    const first = client.close();
    const second = client.close(4000);
    assert.equal(first, second);
    assert.equal((await first).code, 1000);
  });

  test('a server answers a Close and ends TCP at once', async () => {
    const { connection, peer } = rawPair({ role: 'server' });
    peer.send(clientFrame({ opcode: CLOSE, payload: closeBody(1001, 'away') }));
    await until(() => peer.ended);
    assert.deepEqual(
      peer.frames().map((f) => [f.opcode, f.payload.readUInt16BE(0)]),
      [[CLOSE, 1001]],
    );
    peer.end.end();
    const info = await connection.closed;
    assert.deepEqual(info, { code: 1001, reason: 'away', wasClean: true, unsentMessages: 0 });
  });

  test('a client waits up to closeTimeout for the server to close TCP, then destroys (7.1.1)', async () => {
    const clock = new FakeClock();
    const { connection, peer } = rawPair({ role: 'client', clock, closeTimeout: 1000 });
    peer.send(frame({ opcode: CLOSE, payload: closeBody(1000) }));
    await until(() => peer.frames().length === 1);
    for (let i = 0; i < 5; i++) await macrotask();
    assert.equal(peer.ended, false, 'the client leaves closing TCP to the server');
    assert.equal(connection.readyState, 'closing');
    clock.advance(999);
    assert.equal(connection.readyState, 'closing');
    clock.advance(1);
    assert.equal(connection.readyState, 'closed');
    assert.deepEqual(await connection.closed, { code: 1000, reason: '', wasClean: true, unsentMessages: 0 });
    await until(() => peer.closed);
  });

  test('a peer that never answers our Close is cut off after closeTimeout with 1006', async () => {
    const clock = new FakeClock();
    const { connection, peer } = rawPair({ role: 'server', clock, closeTimeout: 5000 });
    const closing = connection.close(1000);
    await until(() => peer.frames().length === 1);
    clock.advance(5000);
    const info = await closing;
    assert.equal(info.code, 1006);
    assert.equal(info.wasClean, false);
    assert.equal(info.reason, 'close handshake timed out');
    await until(() => peer.closed);
    assert.equal(clock.pending, 0, 'no timer left behind');
  });
});

describe('abnormal closure', () => {
  test('the transport closing without a Close frame reports 1006, not clean (7.1.5)', async () => {
    const { client, server, clientEnd } = connectionPair();
    const reading = server.read();
    clientEnd.destroy();
    await assert.rejects(
      reading,
      (error: unknown) => error instanceof ConnectionClosedError && error.closeCode === 1006,
    );
    const info = await server.closed;
    assert.equal(info.code, 1006);
    assert.equal(info.wasClean, false);
    assert.equal((await client.closed).code, 1006);
  });

  test('terminate() closes at once with 1006', async () => {
    const { client, server } = connectionPair();
    client.terminate();
    assert.equal(client.readyState, 'closed');
    assert.deepEqual(await client.closed, {
      code: 1006,
      reason: 'terminated',
      wasClean: false,
      unsentMessages: 0,
    });
    assert.equal((await server.closed).code, 1006);
  });

  test('a protocol failure sends its Close code, ends TCP and rejects readers (7.1.7)', async () => {
    const { connection, peer } = rawPair({ role: 'server' });
    const reading = connection.read();
    // Section 5.1: a server MUST fail the connection on an unmasked frame.
    peer.send(frame({ opcode: 0x1, payload: 'not masked' }));
    await assert.rejects(
      reading,
      (error: unknown) => error instanceof ConnectionClosedError && error.closeCode === 1002,
    );
    await until(() => peer.ended);
    assert.deepEqual(
      peer.frames().map((f) => [f.opcode, f.payload.readUInt16BE(0)]),
      [[CLOSE, 1002]],
    );
    peer.end.end();
    const info = await connection.closed;
    assert.equal(info.code, 1002);
    assert.equal(info.wasClean, false);
    assert.throws(() => connection.send('x'), ConnectionClosedError);
  });

  test('a message over maxPayload fails with 1009', async () => {
    const { client, server } = connectionPair({ server: { maxPayload: 10 } });
    client.send('this is longer than ten bytes');
    await assert.rejects(
      server.read(),
      (error: unknown) => error instanceof ConnectionClosedError && error.closeCode === 1009,
    );
    assert.equal((await client.closed).code, 1009);
  });
});

describe('5.5.2/5.5.3 ping and pong', () => {
  test('ping() resolves with the round-trip time on the clock', async () => {
    const clock = new FakeClock();
    const { client, server } = connectionPair({ both: { clock } });
    const rtt = client.ping();
    clock.advance(7);
    assert.equal(await rtt, 7);
    client.terminate();
    await server.closed;
  });

  test('pongs are matched by payload; a pong answers earlier pings too; onPing/onPong see payloads', async () => {
    const { connection, peer } = rawPair({ role: 'client', autoPong: false });
    const pings: string[] = [];
    const pongs: string[] = [];
    connection.onPing((payload) => pings.push(payload.toString()));
    connection.onPong((payload) => pongs.push(payload.toString()));
    let firstDone = false;
    let secondDone = false;
    let thirdDone = false;
    const first = connection.ping('one').then(() => {
      firstDone = true;
    });
    const second = connection.ping('two').then(() => {
      secondDone = true;
    });
    const third = connection.ping('three').then(() => {
      thirdDone = true;
    });
    await until(() => peer.frames().length === 3);
    assert.deepEqual(
      peer.frames().map((f) => [f.opcode, f.payload.toString()]),
      [
        [PING, 'one'],
        [PING, 'two'],
        [PING, 'three'],
      ],
    );
    peer.send(frame({ opcode: PONG, payload: 'unsolicited' }));
    peer.send(frame({ opcode: PONG, payload: 'two' }));
    await Promise.all([first, second]);
    assert.equal(firstDone && secondDone, true);
    assert.equal(thirdDone, false);
    peer.send(frame({ opcode: PING, payload: 'hi' }));
    await until(() => pings.length === 1);
    assert.deepEqual(pongs, ['unsolicited', 'two']);
    assert.deepEqual(pings, ['hi']);
    for (let i = 0; i < 3; i++) await macrotask();
    assert.equal(peer.frames().length, 3, 'autoPong: false sends no pong');
    connection.terminate();
    await assert.rejects(third, ConnectionClosedError);
  });

  test('autoPong answers with the same payload; ping() refuses more than 125 bytes', async () => {
    const { connection, peer } = rawPair({ role: 'server' });
    peer.send(clientFrame({ opcode: PING, payload: 'echo me' }));
    await until(() => peer.frames().length === 1);
    assert.deepEqual(
      peer.frames().map((f) => [f.opcode, f.payload.toString()]),
      [[PONG, 'echo me']],
    );
    await assert.rejects(connection.ping(Buffer.alloc(126)), WebSocketError);
    connection.terminate();
    await assert.rejects(connection.ping(), ConnectionClosedError);
  });
});
