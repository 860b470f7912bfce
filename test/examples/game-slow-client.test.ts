// examples/game: a hub client that stops reading gets, once it reads again, what the operating
// system had already accepted and then the newest snapshot: never the backlog of every snapshot
// published meanwhile. That is the state topic's 'latest-by-key' policy with one key per arena.
// The client is the `ws` package speaking the hub protocol (docs/hub-protocol.md).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { type ExampleProcess, startExample } from './harness/example-process.js';

interface Received {
  offset: number;
  tick: number;
  bytes: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('examples/game with a slow hub client', () => {
  // A large arena (8,000 coins, ~270 KB per snapshot at 30 Hz, ~8 MB/s) so that the snapshots
  // published during a pause of a few seconds are far more than the loopback socket buffers hold.
  let server: ExampleProcess;
  before(async () => {
    server = await startExample('game', ['--items', '8000', '--tick-hz', '30']);
  });
  after(async () => {
    assert.equal(await server?.stop(), 0, `exit code; stderr: ${server?.stderr()}`);
  });

  async function currentTick(): Promise<number> {
    const response = await fetch(`${server.base}game/status`);
    const status = (await response.json()) as { arenas: { tick: number }[] };
    return status.arenas[0]!.tick;
  }

  test('after a pause it gets the newest snapshot, not the ones it missed', async (t) => {
    const socket = new WebSocket(`${server.ws}/`, 'fullduplex.hub.v1');
    const received: Received[] = [];
    socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(String(data)) as { op: string; offset: number; data: string };
      if (frame.op !== 'message') return;
      received.push({
        offset: frame.offset,
        tick: (JSON.parse(frame.data) as { tick: number }).tick,
        bytes: data.length,
      });
    });
    try {
      await once(socket, 'open');
      socket.send(JSON.stringify({ op: 'subscribe', id: 1, topic: 'game.main.state' }));
      const deadline = Date.now() + 20_000;
      while (received.length < 3) {
        assert.ok(Date.now() < deadline, 'no snapshots within 20 s');
        await sleep(20);
      }
      const snapshotBytes = received.at(-1)!.bytes;
      const lastBeforePause = received.at(-1)!;
      const tcp = (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      tcp.pause();
      const seenWhenPaused = received.length;

      // Paused until ~40 MB of snapshots were published (the loopback buffers held ~6 MB here).
      const wanted = Math.ceil((40 * 1024 * 1024) / snapshotBytes);
      let tick = await currentTick();
      while (tick - lastBeforePause.tick < wanted) {
        assert.ok(Date.now() < deadline + 60_000, `only ${tick - lastBeforePause.tick} ticks in the pause`);
        await sleep(100);
        tick = await currentTick();
      }
      const publishedDuringPause = tick - lastBeforePause.tick;
      tcp.resume();
      while (!(received.at(-1)!.tick >= tick)) {
        assert.ok(Date.now() < deadline + 90_000, 'never caught up after the pause');
        await sleep(10);
      }

      const afterPause = received.slice(seenWhenPaused);
      for (let i = 1; i < received.length; i++) {
        assert.ok(received[i]!.offset > received[i - 1]!.offset, 'offsets only grow');
      }
      // The stale part: consecutive snapshots that were already in the socket buffers at the pause.
      const jump = afterPause.findIndex((message, i) =>
        i === 0
          ? message.offset !== lastBeforePause.offset + 1
          : message.offset !== afterPause[i - 1]!.offset + 1,
      );
      assert.ok(jump > 0, `no snapshot was skipped: ${afterPause.length} after the pause, all in a row`);
      const stale = afterPause.slice(0, jump);
      const staleBytes = stale.reduce((sum, message) => sum + message.bytes, 0);
      assert.ok(
        stale.length < publishedDuringPause / 2,
        `${stale.length} of the ${publishedDuringPause} snapshots published during the pause (${staleBytes} bytes) came late`,
      );
      t.diagnostic(
        `${publishedDuringPause} snapshots of ~${snapshotBytes} bytes published during the pause; then ` +
          `${stale.length} stale (${staleBytes} bytes), then tick ${afterPause[jump]!.tick} (current: ${tick})`,
      );
      // Right after them: the newest snapshot as of the moment the client read again (the one held
      // for it replaced each newer one), not the next of the missed ones.
      assert.ok(
        afterPause[jump]!.tick >= tick - 1,
        `the first snapshot after the stale ones is tick ${afterPause[jump]!.tick}; tick ${tick} was current`,
      );
    } finally {
      socket.terminate();
    }
  });
});
