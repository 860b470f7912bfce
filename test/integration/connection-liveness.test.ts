// Heartbeat and idle deadlines on a fake clock (issue 5, liveness).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connectionPair, macrotask, rawPair, until } from '../helpers/connection-pair.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { clientFrame } from '../helpers/frames.js';

const PING = 0x9;

describe('heartbeat', () => {
  test('pings every pingInterval; a peer that answers stays connected', async () => {
    const clock = new FakeClock();
    const { client, server, clientEnd } = connectionPair({
      server: { clock, heartbeat: { pingInterval: 1000, pongTimeout: 500 } },
    });
    let pings = 0;
    client.onPing(() => pings++);
    clock.advance(1000); // the first ping
    for (let round = 1; round <= 3; round++) {
      await until(() => pings === round && clientEnd.writableLength === 0); // ping in, pong out
      await macrotask();
      clock.advance(500); // the pong deadline passes
      assert.equal(server.readyState, 'open', `round ${round}`);
      clock.advance(500); // the next ping
    }
    client.terminate();
    await server.closed;
    assert.equal(clock.pending, 0);
  });

  test('no pong within pongTimeout: terminated with 1006 and a reason naming the pong', async () => {
    const clock = new FakeClock();
    const { connection, peer } = rawPair({
      role: 'server',
      clock,
      heartbeat: { pingInterval: 1000, pongTimeout: 500 },
    });
    clock.advance(1000);
    await until(() => peer.frames().length === 1);
    assert.equal(peer.frames()[0]?.opcode, PING);
    clock.advance(499);
    assert.equal(connection.readyState, 'open');
    clock.advance(1);
    const info = await connection.closed;
    assert.equal(info.code, 1006);
    assert.equal(info.wasClean, false);
    assert.match(info.reason, /pong/);
    await until(() => peer.closed);
  });

  test('any frame from the peer counts as alive', async () => {
    const clock = new FakeClock();
    const { connection, peer } = rawPair({
      role: 'server',
      clock,
      autoPong: true,
      heartbeat: { pingInterval: 1000, pongTimeout: 500 },
    });
    clock.advance(1000);
    await until(() => peer.frames().length === 1);
    peer.send(clientFrame({ opcode: 0x1, payload: 'still here' }));
    assert.equal((await connection.read()).data, 'still here');
    clock.advance(500);
    assert.equal(connection.readyState, 'open');
    connection.terminate();
  });

  test('a connection paused by its application is not judged dead', async () => {
    const clock = new FakeClock();
    const { connection, peer } = rawPair({
      role: 'server',
      clock,
      heartbeat: { pingInterval: 1000, pongTimeout: 500 },
    });
    connection.pause();
    clock.advance(1000);
    await until(() => peer.frames().length === 1);
    clock.advance(2000);
    assert.equal(connection.readyState, 'open');
    connection.resume();
    clock.advance(1000); // now reading again, and still no answer
    assert.equal(connection.readyState, 'closed');
    assert.match((await connection.closed).reason, /pong/);
  });
});

describe('idleTimeout', () => {
  test('closes with 1001 after idleTimeout without a message either way; messages reset it', async () => {
    const clock = new FakeClock();
    const { client, server } = connectionPair({ server: { clock, idleTimeout: 10_000 } });
    clock.advance(6000);
    client.send('keep me');
    assert.equal((await server.read()).data, 'keep me');
    clock.advance(6000);
    assert.equal(server.readyState, 'open', '6 s since the last message');
    server.send('me too');
    await client.read();
    clock.advance(9999);
    assert.equal(server.readyState, 'open');
    clock.advance(1);
    assert.equal(server.readyState, 'closing');
    const info = await client.closed;
    assert.equal(info.code, 1001);
    assert.equal(info.reason, 'idle timeout');
  });
});
