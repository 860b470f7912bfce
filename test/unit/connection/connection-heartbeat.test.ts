// Heartbeat of a paused connection (issue 5, liveness): the pong cannot be read while paused, so the
// verdict comes from the write side. Fake clock, in-memory pipe.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { macrotask, rawPair, until } from '../../helpers/connection-pair.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const HEARTBEAT = { pingInterval: 1000, pongTimeout: 500 };

/** A paused server connection whose peer has stopped taking bytes, with a backlog in the pipe. */
function congestedPair() {
  const clock = new FakeClock();
  const pair = rawPair({
    role: 'server',
    clock,
    heartbeat: HEARTBEAT,
    pipe: { highWaterMark: 1024, chunkSize: 1024 },
  });
  pair.peer.end.pause(); // the peer reads nothing
  pair.connection.pause(); // and we read nothing (as the CLI's echo mode does past its bound)
  pair.connection.send(Buffer.alloc(8 * 1024, 1));
  return { clock, ...pair };
}

/** Let the peer take one chunk, as a slow reader would. */
async function peerReadsOneChunk(end: { pause(): void; resume(): void }): Promise<void> {
  end.resume();
  await macrotask();
  end.pause();
}

describe('heartbeat while paused (RFC 6455 5.5.2 pings cannot be answered to a connection that does not read)', () => {
  test('no byte taken since the ping: terminated with 1006 and a reason saying the peer stopped reading', async () => {
    const { clock, connection, connectionEnd } = congestedPair();
    await macrotask(); // the backlog reaches the pipe
    assert.ok(connectionEnd.writableLength > 0);
    clock.advance(HEARTBEAT.pingInterval); // ping queued behind the congested transport
    await macrotask();
    clock.advance(HEARTBEAT.pongTimeout - 1);
    assert.equal(connection.readyState, 'open', 'not before the deadline');
    clock.advance(1);
    assert.equal(connection.readyState, 'closed');
    const info = await connection.closed;
    assert.equal(info.code, 1006);
    assert.equal(info.wasClean, false);
    assert.match(info.reason, /peer stopped reading/);
    assert.equal(clock.pending, 0, 'no timer left behind');
  });

  test('bytes taken since the ping: a slow reader gets another deadline, and is removed once it stops', async () => {
    const { clock, connection, connectionEnd, peer } = congestedPair();
    await macrotask();
    clock.advance(HEARTBEAT.pingInterval);
    await macrotask();
    for (let round = 0; round < 4; round++) {
      await peerReadsOneChunk(peer.end);
      clock.advance(HEARTBEAT.pongTimeout);
      await macrotask();
      assert.equal(connection.readyState, 'open', `slow but alive, round ${round}`);
    }
    assert.ok(connectionEnd.writableLength > 0, 'still a backlog to judge by');
    // Now it takes nothing: the next deadline finds no progress.
    clock.advance(HEARTBEAT.pongTimeout);
    assert.equal(connection.readyState, 'closed');
    assert.match((await connection.closed).reason, /peer stopped reading/);
  });

  test('nothing waiting to be written: no verdict from the write side, the connection stays', async () => {
    const clock = new FakeClock();
    const { connection, peer } = rawPair({ role: 'server', clock, heartbeat: HEARTBEAT });
    connection.pause();
    for (let round = 0; round < 3; round++) {
      clock.advance(HEARTBEAT.pingInterval / 2);
      await macrotask();
    }
    await until(() => peer.frames().length >= 1); // the ping went out and was taken
    clock.advance(HEARTBEAT.pongTimeout * 4);
    assert.equal(connection.readyState, 'open');
    connection.terminate();
    await connection.closed;
  });
});
