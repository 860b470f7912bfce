// The heartbeat's exact deadlines on a fake clock: a peer that answered its pings and then froze is
// removed exactly pingInterval + pongTimeout after its last answer, never a millisecond earlier, with
// the reason naming the pong; the real-process liveness tests (test/faults/liveness.test.ts) only
// check that it happens, with bounds loose enough for a loaded machine.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { macrotask, rawPair, until } from '../../helpers/connection-pair.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { clientFrame } from '../../helpers/frames.js';

const PING = 0x9;
const PONG = 0xa;
const HEARTBEAT = { pingInterval: 300, pongTimeout: 300 };

describe('heartbeat deadlines (fake clock)', () => {
  test('a peer that answered, then froze: removed exactly pingInterval + pongTimeout after its last pong', async () => {
    const clock = new FakeClock();
    const { connection, peer } = rawPair({ role: 'server', clock, heartbeat: HEARTBEAT });
    let pongs = 0;
    connection.onPong(() => pongs++);
    // Three rounds answered at once: the peer is alive.
    for (let round = 1; round <= 3; round++) {
      clock.advance(HEARTBEAT.pingInterval);
      await until(() => peer.frames().filter((frame) => frame.opcode === PING).length === round);
      peer.send(clientFrame({ opcode: PONG }));
      await until(() => pongs === round);
      assert.equal(connection.readyState, 'open', `round ${round}`);
    }
    // Frozen now (SIGSTOP): it answers nothing more. Its last pong came at 3 x pingInterval.
    const frozenAt = clock.now();
    clock.advance(HEARTBEAT.pingInterval); // the next ping
    await macrotask();
    clock.advance(HEARTBEAT.pongTimeout - 1);
    assert.equal(connection.readyState, 'open', 'not a millisecond before the deadline');
    clock.advance(1);
    assert.equal(connection.readyState, 'closed');
    assert.equal(clock.now() - frozenAt, HEARTBEAT.pingInterval + HEARTBEAT.pongTimeout);
    const info = await connection.closed;
    assert.equal(info.code, 1006);
    assert.equal(info.wasClean, false);
    assert.equal(info.reason, `pong not received within ${HEARTBEAT.pongTimeout} ms`);
    assert.equal(clock.pending, 0, 'no timer left behind');
  });
});
